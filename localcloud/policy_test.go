package main

import (
	"fmt"
	"os"
	"testing"
)

// assign writes the local cloud's policy assignments: one of the allowed-issuer policy at scope.
func assign(t *testing.T, scope, params string) {
	t.Helper()
	doc := fmt.Sprintf(`[{"id": "%s/providers/Microsoft.Authorization/policyAssignments/fic-issuers", "name": "fic-issuers",
	  "properties": {"displayName": "allowed issuers", "scope": "%s", "policyDefinitionId": "%s", "parameters": {%s}}}]`,
		scope, scope, ficIssuerPolicy, params)
	if err := os.WriteFile(policyFile(), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTheAllowedIssuerPolicyDeniesCredentialsAsItsRuleReads(t *testing.T) {
	t.Setenv("LOCALCLOUD_DIR", t.TempDir())
	const kind = "https://oidcab12cd34.z6.web.core.windows.net/"
	const aks = "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/"
	const binding = "https://ib.oic.prod-aks.azure.com/tenant/client"
	if err := checkCredentialPolicy(testIdentity, "f", kind); err != nil {
		t.Errorf("no assignment: %v", err)
	}
	cases := []struct {
		what, params, issuer string
		denied               bool
	}{
		{"audit only (the default effect)", `"allowFederatedCredentials": {"value": false}`, kind, false},
		{"no federated credentials at all", `"effect": {"value": "Deny"}`, aks, true},
		{"AKS allowed, a self-hosted issuer not listed", `"effect": {"value": "Deny"}, "allowFederatedCredentials": {"value": true}, "allowAKS": {"value": true}`, kind, true},
		{"AKS allowed: a cluster's issuer", `"effect": {"value": "Deny"}, "allowFederatedCredentials": {"value": true}, "allowAKS": {"value": true}`, aks, false},
		{"AKS allowed: a binding's issuer", `"effect": {"value": "Deny"}, "allowFederatedCredentials": {"value": true}, "allowAKS": {"value": true}`, binding, false},
		{"AKS not allowed", `"effect": {"value": "Deny"}, "allowFederatedCredentials": {"value": true}`, binding, true},
		{"the self-hosted issuer listed, in other letter case", `"effect": {"value": "Deny"}, "allowFederatedCredentials": {"value": true}, "allowedIssuerExceptions": {"value": ["HTTPS://oidcab12cd34.z6.web.core.windows.net/"]}`, kind, false},
	}
	for _, c := range cases {
		assign(t, "/subscriptions/s", c.params)
		err := checkCredentialPolicy(testIdentity, "f", c.issuer)
		if c.denied {
			wantRefusal(t, c.what, err, 403, "RequestDisallowedByPolicy")
		} else if err != nil {
			t.Errorf("%s: %v", c.what, err)
		}
	}
	// An assignment on another resource group does not apply here.
	assign(t, "/subscriptions/s/resourceGroups/other", `"effect": {"value": "Deny"}`)
	if err := checkCredentialPolicy(testIdentity, "f", kind); err != nil {
		t.Errorf("another group's assignment: %v", err)
	}
}
