package main

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

const testCluster = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/"

// putCluster stores an AKS cluster, with or without workload identity.
func putCluster(t *testing.T, s *store, name string, workloadIdentity bool) string {
	t.Helper()
	on := resource.NewObjectProperty(resource.PropertyMap{"enabled": resource.NewBoolProperty(workloadIdentity)})
	state := resource.PropertyMap{
		"oidcIssuerProfile": on,
		"securityProfile":   resource.NewObjectProperty(resource.PropertyMap{"workloadIdentity": on}),
	}
	if err := s.put(testCluster+name, "aks", state); err != nil {
		t.Fatal(err)
	}
	return testCluster + name
}

func putIdentity(t *testing.T, s *store) {
	t.Helper()
	err := s.put(testIdentity, "azure-native:managedidentity:UserAssignedIdentity", resource.PropertyMap{
		"clientId": resource.NewStringProperty("client-a"), "principalId": resource.NewStringProperty("object-a"),
		"tenantId": resource.NewStringProperty("tenant-a"),
	})
	if err != nil {
		t.Fatal(err)
	}
}

func credentials(t *testing.T, s *store) []record {
	t.Helper()
	recs, err := s.children(testIdentity + "/federatedIdentityCredentials")
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestBindingsOfOneIdentityShareOneCredentialUnderItsOwnIssuer(t *testing.T) {
	t.Setenv("LOCALCLOUD_DIR", t.TempDir())
	t.Setenv("LOCALCLOUD_FIC_WRITE_MS", "0")
	s := newStore(t.TempDir())
	putIdentity(t, s)
	var issuers []string
	for _, name := range []string{"prod-1", "prod-2"} {
		cluster := putCluster(t, s, name, true)
		out, err := bindIdentity(s, cluster+"/identityBindings/b", cluster, testIdentity)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		v, _ := valueAt(out, "properties.oidcIssuer.oidcIssuerUrl")
		issuers = append(issuers, v.StringValue())
		if c, _ := valueAt(out, "properties.managedIdentity.clientId"); c.StringValue() != "client-a" {
			t.Errorf("%s: client id %v", name, c)
		}
	}
	want := "https://ib.oic.prod-aks.azure.com/tenant-a/client-a"
	if issuers[0] != want || issuers[1] != want {
		t.Errorf("issuers %v, want both %s", issuers, want)
	}
	recs := credentials(t, s)
	if len(recs) != 1 || recs[0].Key != testIdentity+"/federatedIdentityCredentials/aks-identity-binding" {
		t.Fatalf("credentials after two bindings: %v", recs)
	}
	state, _, _ := s.get(recs[0].Key)
	if str(state, "issuer") != want {
		t.Errorf("the credential's issuer %q", str(state, "issuer"))
	}
}

func TestABindingIsRefusedWhereAKSRefusesIt(t *testing.T) {
	t.Setenv("LOCALCLOUD_DIR", t.TempDir())
	t.Setenv("LOCALCLOUD_FIC_WRITE_MS", "0")
	s := newStore(t.TempDir())
	plain := putCluster(t, s, "plain", false)
	_, err := bindIdentity(s, plain+"/identityBindings/b", plain, testIdentity)
	wantRefusal(t, "a cluster without workload identity", err, 400, "BadRequest")
	_, err = bindIdentity(s, testCluster+"gone/identityBindings/b", testCluster+"gone", testIdentity)
	wantRefusal(t, "a cluster that does not exist", err, 404, "ParentResourceNotFound")
	cluster := putCluster(t, s, "prod", true)
	_, err = bindIdentity(s, cluster+"/identityBindings/b", cluster, testIdentity)
	wantRefusal(t, "an identity that does not exist", err, 400, "InvalidParameter")
	_, err = bindIdentity(s, cluster+"/identityBindings/b", cluster, cluster)
	wantRefusal(t, "a resource that is no identity", err, 400, "InvalidParameter")

	// Its credential is a credential: the 21st is refused, and so is a write while another holds
	// the identity.
	putIdentity(t, s)
	release, err := holdIdentity(testIdentity, "PUT", testIdentity+"/federatedIdentityCredentials/x")
	if err != nil {
		t.Fatal(err)
	}
	_, err = bindIdentity(s, cluster+"/identityBindings/b", cluster, testIdentity)
	wantRefusal(t, "while a credential is written", err, 409, "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity")
	release()
	for i := range 20 {
		putFIC(t, s, fmt.Sprintf("fic-%d", i), fic("https://issuer.example/", fmt.Sprintf("system:serviceaccount:apps:sa-%d", i), "api://AzureADTokenExchange"))
	}
	_, err = bindIdentity(s, cluster+"/identityBindings/b", cluster, testIdentity)
	wantRefusal(t, "an identity with 20 credentials", err, 400, "TooManyFederatedIdentityCredentials")
	if n := len(credentials(t, s)); n != 20 {
		t.Errorf("%d credentials after the refusal", n)
	}
}
