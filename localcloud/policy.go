package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Azure Policy, as far as it touches workload identity: the built-in "Managed Identity
// Federated Credentials should be from allowed issuer types" (preview), whose Deny refuses a
// credential write (403 RequestDisallowedByPolicy) and whose assignments Resource Manager lists
// to the doctor. The assignments are $LOCALCLOUD_DIR/policy-assignments.json, as Resource
// Manager shows them ({id, name, properties: {displayName, policyDefinitionId, scope,
// enforcementMode, parameters: {name: {value}}}}): what a test, or an administrator in the
// portal, assigned.

const ficIssuerPolicy = "/providers/Microsoft.Authorization/policyDefinitions/2571b7c3-3056-4a61-b00a-9bc5232234f5"

type policyAssignment struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		DisplayName        string                     `json:"displayName"`
		PolicyDefinitionID string                     `json:"policyDefinitionId"`
		Scope              string                     `json:"scope"`
		EnforcementMode    string                     `json:"enforcementMode,omitempty"`
		Parameters         map[string]json.RawMessage `json:"parameters,omitempty"`
	} `json:"properties"`
}

func policyFile() string { return filepath.Join(cloudDir(), "policy-assignments.json") }

// policyAssignmentsAt are the assignments that apply at a scope: at it or above it.
func policyAssignmentsAt(scope string) ([]policyAssignment, error) {
	data, err := os.ReadFile(policyFile())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var all []policyAssignment
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, fmt.Errorf("%s: %w", policyFile(), err)
	}
	var out []policyAssignment
	lower := strings.ToLower(strings.TrimSuffix(scope, "/")) + "/"
	for _, a := range all {
		at := strings.ToLower(strings.TrimSuffix(a.Properties.Scope, "/")) + "/"
		if strings.HasPrefix(lower, at) {
			out = append(out, a)
		}
	}
	return out, nil
}

// parameter is an assignment's value for a parameter, or the definition's default.
func (a policyAssignment) parameter(name string, into any) {
	raw, ok := a.Properties.Parameters[name]
	if !ok {
		return
	}
	var v struct {
		Value json.RawMessage `json:"value"`
	}
	if json.Unmarshal(raw, &v) == nil && v.Value != nil {
		_ = json.Unmarshal(v.Value, into)
	}
}

// deniesIssuer: the assignment is of the allowed-issuer policy, enforced with Deny, and its
// rule matches a credential under issuer (compared without regard to case, as Azure Policy does).
func (a policyAssignment) deniesIssuer(issuer string) bool {
	if !strings.EqualFold(a.Properties.PolicyDefinitionID, ficIssuerPolicy) || a.Properties.EnforcementMode == "DoNotEnforce" {
		return false
	}
	effect := "Audit"
	a.parameter("effect", &effect)
	if effect != "Deny" {
		return false
	}
	on := func(name string) bool {
		v := false
		a.parameter(name, &v)
		return v
	}
	if !on("allowFederatedCredentials") {
		return true
	}
	parts := strings.Split(issuer, "/")
	if len(parts) >= 3 && strings.HasSuffix(strings.ToLower(parts[2]), ".oic.prod-aks.azure.com") {
		return !on("allowAKS")
	}
	for url, param := range map[string]string{
		"https://token.actions.githubusercontent.com": "allowGitHub",
		"https://cognito-identity.amazonaws.com":      "allowAWS",
		"https://accounts.google.com":                 "allowGCS",
	} {
		if strings.EqualFold(issuer, url) {
			return !on(param)
		}
	}
	var exceptions []string
	a.parameter("allowedIssuerExceptions", &exceptions)
	for _, e := range exceptions {
		if strings.EqualFold(e, issuer) {
			return false
		}
	}
	return true
}

// checkCredentialPolicy refuses a credential write under issuer that an assignment at the
// identity's scope denies, as Resource Manager refuses it.
func checkCredentialPolicy(identity, name, issuer string) error {
	assignments, err := policyAssignmentsAt(identity)
	if err != nil {
		return err
	}
	for _, a := range assignments {
		if a.deniesIssuer(issuer) {
			ids, _ := json.Marshal([]map[string]any{{
				"policyAssignment": map[string]string{"name": a.Properties.DisplayName, "id": a.ID},
				"policyDefinition": map[string]string{"name": ficIssuerPolicy[strings.LastIndex(ficIssuerPolicy, "/")+1:], "id": ficIssuerPolicy},
			}})
			return refuse("PUT", identity+"/federatedIdentityCredentials/"+name, 403, "RequestDisallowedByPolicy",
				fmt.Sprintf("Resource '%s' was disallowed by policy. Policy identifiers: '%s'.", name, ids))
		}
	}
	return nil
}
