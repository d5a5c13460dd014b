/**
 * The doctor's reading of Azure Policy's allowed-issuer policy (pure): the rule as it reads, a
 * Deny that would refuse the next credential write, an Audit, and assignments it cannot read.
 */
import * as assert from "node:assert/strict";

import { ArmPolicyAssignment } from "../cli/doctor/arm";
import {
  FIC_ISSUER_POLICY,
  checkIssuerPolicy,
  issuerPolicyMatches,
} from "../cli/doctor/policyChecks";

const KIND = "https://oidcab12cd34.z6.web.core.windows.net/";
const AKS = "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/";
const BINDING = "https://ib.oic.prod-aks.azure.com/tenant/client";

const assignment = (
  parameters: Record<string, unknown>,
  over: Partial<ArmPolicyAssignment> = {},
) => ({
  id: "/subscriptions/s/providers/Microsoft.Authorization/policyAssignments/fic-issuers",
  displayName: "allowed issuers",
  policyDefinitionId: FIC_ISSUER_POLICY,
  parameters,
  enforcementMode: "Default",
  ...over,
});

describe("doctor: the allowed-issuer policy", () => {
  it("matches as its rule reads: defaults deny all, AKS (bindings too) by allowAKS, others by exception", () => {
    const open = { allowFederatedCredentials: true };
    assert.equal(issuerPolicyMatches(KIND, {}).matches, true);
    assert.equal(issuerPolicyMatches(AKS, { ...open, allowAKS: true }).matches, false);
    assert.equal(issuerPolicyMatches(BINDING, { ...open, allowAKS: true }).matches, false);
    assert.equal(issuerPolicyMatches(BINDING, open).matches, true);
    assert.equal(issuerPolicyMatches(KIND, { ...open, allowAKS: true }).matches, true);
    assert.equal(
      issuerPolicyMatches(KIND, { ...open, allowedIssuerExceptions: [KIND.toUpperCase()] }).matches,
      false,
      "Azure Policy compares without regard to case",
    );
  });

  it("fails a Deny that matches, naming the assignment and the parameter to set", () => {
    const r = checkIssuerPolicy("wi", KIND, {
      ok: true,
      value: [assignment({ effect: "Deny", allowFederatedCredentials: true, allowAKS: true })],
    });
    assert.equal(r.status, "fail");
    assert.match(
      r.detail,
      /"allowed issuers" denies federated credentials under https:\/\/oidcab12cd34/,
    );
    assert.match(
      r.fix ?? "",
      /"https:\/\/oidcab12cd34\.z6\.web\.core\.windows\.net\/" in allowedIssuerExceptions/,
    );
  });

  it("warns on an Audit, or a Deny not enforced; passes what is allowed or not assigned", () => {
    const deny = { effect: "Deny", allowFederatedCredentials: true };
    assert.equal(
      checkIssuerPolicy("wi", KIND, { ok: true, value: [assignment({})] }).status,
      "warn",
    );
    assert.equal(
      checkIssuerPolicy("wi", KIND, {
        ok: true,
        value: [assignment(deny, { enforcementMode: "DoNotEnforce" })],
      }).status,
      "warn",
    );
    const allowed = assignment({ ...deny, allowedIssuerExceptions: [KIND] });
    assert.equal(checkIssuerPolicy("wi", KIND, { ok: true, value: [allowed] }).status, "pass");
    assert.equal(checkIssuerPolicy("wi", KIND, { ok: true, value: [] }).status, "pass");
    const other = assignment(deny, { policyDefinitionId: "/providers/x/policyDefinitions/other" });
    assert.equal(checkIssuerPolicy("wi", KIND, { ok: true, value: [other] }).status, "pass");
    assert.equal(
      checkIssuerPolicy("wi", KIND, { ok: true, value: [assignment({ effect: "Disabled" })] })
        .status,
      "pass",
    );
  });

  it("says it cannot tell when the assignments cannot be read: a warning, never a pass", () => {
    const r = checkIssuerPolicy("wi", KIND, {
      ok: false,
      error: "no permission (AuthorizationFailed)",
    });
    assert.equal(r.status, "warn");
    assert.match(r.detail, /^cannot tell whether an Azure Policy restricts this issuer/);
  });
});
