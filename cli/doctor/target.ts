/** What the doctor checks, from a stack's outputs (`pulumi stack output --json`) or from plain
 * arguments. Pure; bad input is one InvalidArgumentError naming the field. */
import { InvalidArgumentError, describeValue, requireMatch } from "../../components/shared/errors";
import { canonicalIssuer } from "../../components/issuer/issuerUrl";
import { DoctorIdentity, DoctorTarget } from "./doctor";

const SA = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const IDENTITY_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i;

export function serviceAccountRef(value: unknown, field: string): string {
  return requireMatch(value, field, SA, "expected namespace/name of a ServiceAccount");
}

export function identityResourceId(value: unknown, field: string): string {
  return requireMatch(
    value,
    field,
    IDENTITY_ID,
    "expected a user-assigned identity's resource id, /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>",
  );
}

/** How an identity's ServiceAccounts use it (FleetIdentity's clusters output names it). */
function mechanismOf(value: unknown, field: string): string {
  if (value === undefined || value === "federatedCredential" || value === "identityBinding") {
    return value ?? "federatedCredential";
  }
  throw new InvalidArgumentError(
    field,
    describeValue(value),
    'expected "federatedCredential" (the default) or "identityBinding"',
  );
}

/** The target from `pulumi stack output --json` of a stack of this project. */
export function targetFromOutputs(text: string, source = "outputs"): DoctorTarget {
  let outputs: unknown;
  try {
    outputs = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(
      source,
      "not JSON",
      "expected the output of pulumi stack output --json",
    );
  }
  if (typeof outputs !== "object" || outputs === null) {
    throw new InvalidArgumentError(
      source,
      describeValue(outputs),
      "expected the output of pulumi stack output --json",
    );
  }
  const o = outputs as Record<string, unknown>;
  const issuerUrl = canonicalIssuer(o.issuerUrl, "issuerUrl");
  const ids = o.identities;
  if (
    typeof ids !== "object" ||
    ids === null ||
    Array.isArray(ids) ||
    Object.keys(ids).length === 0
  ) {
    throw new InvalidArgumentError(
      "identities",
      describeValue(ids),
      "expected the stack's identities output (an object by name)",
    );
  }
  const identities: DoctorIdentity[] = Object.entries(ids as Record<string, unknown>).map(
    ([name, raw]) => {
      const id = (raw ?? {}) as Record<string, unknown>;
      const field = `identities.${name}`;
      const sas = id.serviceAccounts;
      if (!Array.isArray(sas)) {
        throw new InvalidArgumentError(
          `${field}.serviceAccounts`,
          describeValue(sas),
          "expected a list of namespace/name",
        );
      }
      const roles = id.roleAssignments ?? [];
      if (!Array.isArray(roles)) {
        throw new InvalidArgumentError(
          `${field}.roleAssignments`,
          describeValue(roles),
          "expected a list of { scope, roleDefinitionId }",
        );
      }
      return {
        name,
        identityId: identityResourceId(id.identityId, `${field}.identityId`),
        serviceAccounts: sas.map((s, i) => serviceAccountRef(s, `${field}.serviceAccounts[${i}]`)),
        ...(typeof id.clientId === "string" ? { clientId: id.clientId } : {}),
        ...(typeof id.principalId === "string" ? { principalId: id.principalId } : {}),
        ...(mechanismOf(id.mechanism, `${field}.mechanism`) === "identityBinding"
          ? { identityBinding: true }
          : {}),
        roleAssignments: roles.map((r: unknown, i) => {
          const a = (r ?? {}) as Record<string, unknown>;
          if (typeof a.scope !== "string" || typeof a.roleDefinitionId !== "string") {
            throw new InvalidArgumentError(
              `${field}.roleAssignments[${i}]`,
              describeValue(r),
              "expected { scope, roleDefinitionId }",
            );
          }
          return { scope: a.scope, roleDefinitionId: a.roleDefinitionId };
        }),
      };
    },
  );
  return { issuerUrl, identities };
}
