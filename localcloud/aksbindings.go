package main

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// AKS identity bindings (Microsoft.ContainerService/managedClusters/identityBindings, GA at API
// 2026-04-01), modelled as AKS documents them: a binding maps one user-assigned identity to one
// cluster; the first binding of an identity makes AKS write one federated credential on it,
// named aks-identity-binding, under the identity's own issuer
// (https://ib.oic.prod-aks.azure.com/<tenant>/<client id>), which every later binding of that
// identity, to any cluster, reuses. That credential counts against the identity's 20, is
// written under the same one-writer-at-a-time rule as any other, and stays when the last
// binding goes (AKS leaves it; users are told not to touch it).

const (
	bindingFICName = "aks-identity-binding"
	bindingIssuers = "https://ib.oic.prod-aks.azure.com/"
)

// bindingIssuer is the issuer AKS gives every binding of one identity.
func bindingIssuer(tenant, clientID string) string {
	return bindingIssuers + tenant + "/" + clientID
}

// bindIdentity checks a binding's cluster and identity, writes the identity's AKS-managed
// credential when it has none yet, and returns what the binding reports: the identity's ids and
// the issuer its tokens carry.
func bindIdentity(s *store, path, cluster, identity string) (resource.PropertyMap, error) {
	bad := func(status int, code, message string) error { return refuse("PUT", path, status, code, message) }
	clusterState, ok, err := s.get(cluster)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, bad(404, "ParentResourceNotFound", fmt.Sprintf("Can not perform requested operation on nested resource. Parent resource '%s' not found.", cluster))
	}
	for _, feature := range []string{"oidcIssuerProfile.enabled", "securityProfile.workloadIdentity.enabled"} {
		if enabled, ok := valueAt(clusterState, feature); !ok || !enabled.IsBool() || !enabled.BoolValue() {
			return nil, bad(400, "BadRequest", "Identity bindings need the cluster's OIDC issuer and workload identity: enable oidcIssuerProfile and securityProfile.workloadIdentity.")
		}
	}
	if !strings.Contains(identity, "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/") {
		return nil, bad(400, "InvalidParameter", fmt.Sprintf("The managed identity resource ID '%s' is not a user-assigned identity's.", identity))
	}
	id, ok, err := s.get(identity)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, bad(400, "InvalidParameter", fmt.Sprintf("The managed identity '%s' could not be found.", identity))
	}
	issuer := bindingIssuer(str(id, "tenantId"), str(id, "clientId"))
	if err := writeBindingCredential(s, identity, issuer); err != nil {
		return nil, err
	}
	return resource.PropertyMap{
		"properties": resource.NewObjectProperty(resource.PropertyMap{
			"managedIdentity": resource.NewObjectProperty(resource.PropertyMap{
				"resourceId": resource.NewStringProperty(identity),
				"clientId":   resource.NewStringProperty(str(id, "clientId")),
				"objectId":   resource.NewStringProperty(str(id, "principalId")),
				"tenantId":   resource.NewStringProperty(str(id, "tenantId")),
			}),
			"oidcIssuer":        resource.NewObjectProperty(resource.PropertyMap{"oidcIssuerUrl": resource.NewStringProperty(issuer)}),
			"provisioningState": resource.NewStringProperty("Succeeded"),
		}),
	}, nil
}

// writeBindingCredential writes the identity's aks-identity-binding credential unless it has
// one: refused, as any credential write is, while another write holds the identity or when the
// identity already has 20. AKS does not document the subject it writes; the model's is the
// identity's client id under a prefix no ServiceAccount subject has.
func writeBindingCredential(s *store, identity, issuer string) error {
	key := identity + "/federatedIdentityCredentials/" + bindingFICName
	if s.has(key) {
		return nil
	}
	release, err := holdIdentity(identity, "PUT", key)
	if err != nil {
		return err
	}
	defer release()
	props := resource.PropertyMap{
		"federatedIdentityCredentialResourceName": resource.NewStringProperty(bindingFICName),
		"name":      resource.NewStringProperty(bindingFICName),
		"issuer":    resource.NewStringProperty(issuer),
		"subject":   resource.NewStringProperty("aks:identity-binding:" + issuer[strings.LastIndex(issuer, "/")+1:]),
		"audiences": resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("api://AzureADTokenExchange")}),
	}
	if err := checkFederatedCredential(s, identity, bindingFICName, props, true); err != nil {
		return err
	}
	if err := checkCredentialPolicy(identity, bindingFICName, issuer); err != nil {
		return err
	}
	return s.put(key, "azure-native:managedidentity:FederatedIdentityCredential", props)
}
