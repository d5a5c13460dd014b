/**
 * Azure Policy's built-in "Managed Identity Federated Credentials should be from allowed issuer
 * types" (preview, 2571b7c3-3056-4a61-b00a-9bc5232234f5), evaluated as its rule reads, for the
 * issuer the identity's credentials use: a self-hosted issuer (kind's) is allowed only when the
 * assignment lists it in allowedIssuerExceptions; AKS's issuers (`*.oic.prod-aks.azure.com`,
 * identity bindings' too) by allowAKS. Pure, as checks.ts.
 */
import { ArmPolicyAssignment } from "./arm";
import { CheckResult, Fetched } from "./checks";

export const FIC_ISSUER_POLICY =
  "/providers/Microsoft.Authorization/policyDefinitions/2571b7c3-3056-4a61-b00a-9bc5232234f5";

/** The issuers the policy knows by type, each allowed by its own parameter. */
const WELL_KNOWN: Record<string, string> = {
  "https://token.actions.githubusercontent.com": "allowGitHub",
  "https://cognito-identity.amazonaws.com": "allowAWS",
  "https://accounts.google.com": "allowGCS",
};

/** Whether the policy's rule matches a credential under `issuer` (Azure Policy compares
 * strings without regard to case), and which parameter would allow it. */
export function issuerPolicyMatches(
  issuer: string,
  parameters: Record<string, unknown>,
): { matches: boolean; allowedBy: string } {
  const on = (name: string) => parameters[name] === true; // every switch defaults to false
  const lower = issuer.toLowerCase();
  if (!on("allowFederatedCredentials")) {
    return { matches: true, allowedBy: "allowFederatedCredentials: true" };
  }
  const host = issuer.split("/").length >= 3 ? issuer.split("/")[2].toLowerCase() : "";
  if (host.endsWith(".oic.prod-aks.azure.com")) {
    return { matches: !on("allowAKS"), allowedBy: "allowAKS: true" };
  }
  const known = Object.entries(WELL_KNOWN).find(([url]) => url === lower);
  if (known) return { matches: !on(known[1]), allowedBy: `${known[1]}: true` };
  const exceptions = Array.isArray(parameters.allowedIssuerExceptions)
    ? parameters.allowedIssuerExceptions.map((e) => String(e).toLowerCase())
    : [];
  return {
    matches: !exceptions.includes(lower),
    allowedBy: `${JSON.stringify(issuer)} in allowedIssuerExceptions`,
  };
}

/**
 * The issuer against every assignment of that policy at the identity's resource group: a Deny
 * that matches fails (the next credential write is refused), an Audit warns. Assignments that
 * could not be read are "cannot tell", a warning: never a pass, never a failure of the setup.
 */
export function checkIssuerPolicy(
  identity: string,
  issuer: string,
  fetched: Fetched<ArmPolicyAssignment[]>,
): CheckResult {
  const check = `issuer policy ${identity}`;
  if (!fetched.ok) {
    return {
      check,
      status: "warn",
      detail: `cannot tell whether an Azure Policy restricts this issuer: ${fetched.error}`,
      fix: "ask for Reader on the identity's resource group (Microsoft.Authorization/policyAssignments/read), or check the assignments of policy 2571b7c3-3056-4a61-b00a-9bc5232234f5 yourself",
    };
  }
  const assigned = fetched.value.filter(
    (a) => a.policyDefinitionId.toLowerCase() === FIC_ISSUER_POLICY.toLowerCase(),
  );
  for (const a of assigned) {
    // The definition's default effect is Audit.
    const effect = typeof a.parameters.effect === "string" ? a.parameters.effect : "Audit";
    if (effect === "Disabled") continue;
    const { matches, allowedBy } = issuerPolicyMatches(issuer, a.parameters);
    if (!matches) continue;
    const denies = effect === "Deny" && a.enforcementMode !== "DoNotEnforce";
    return {
      check,
      status: denies ? "fail" : "warn",
      detail: denies
        ? `policy assignment ${JSON.stringify(a.displayName)} denies federated credentials under ${issuer}: the next credential write is refused (RequestDisallowedByPolicy)`
        : `policy assignment ${JSON.stringify(a.displayName)} reports credentials under ${issuer} as non-compliant (${effect})`,
      fix: `have its owner set ${allowedBy} on ${a.id}`,
    };
  }
  return {
    check,
    status: "pass",
    detail: assigned.length
      ? `the issuer is allowed by ${assigned.length} assignment(s) of the allowed-issuer policy`
      : "no assignment of the allowed-issuer policy applies",
  };
}
