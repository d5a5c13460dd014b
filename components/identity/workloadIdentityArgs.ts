import * as crypto from "node:crypto";

import * as pulumi from "@pulumi/pulumi";

import {
  InvalidArgumentError,
  describeValue,
  requireIntegerInRange,
  requireKnownObject,
  requireMatch,
} from "../shared/errors";
import {
  AZURE_AD_TOKEN_EXCHANGE_AUDIENCE,
  canonicalIssuer,
  serviceAccountSubject,
} from "../issuer/issuerUrl";
import { validateDns1123Label } from "../shared/kubernetes";
import { RoleRef, resolveRole, validateScope } from "./roles";
import {
  MAX_FICS_PER_IDENTITY,
  MAX_TOKEN_EXPIRATION,
  MIN_TOKEN_EXPIRATION,
  ficName,
  parseIdentityResourceId,
} from "./workloadIdentityNames";

export interface TrustedServiceAccount {
  /** Its namespace. */
  namespace: string;
  /** Its name. */
  name: string;
  /** Create and annotate the ServiceAccount (default true). With false the identity only trusts
   * it: its FIC exists, and the ServiceAccount is made elsewhere (another identity, a chart). */
  create?: boolean;
}

export interface RoleAssignmentSpec {
  /** An ARM resource id: a vault, a storage account, a resource group, a subscription. */
  scope: pulumi.Input<string>;
  /** A built-in role name (`Key Vault Secrets User`), a role definition GUID or a full id. */
  role: string;
}

export interface ExistingIdentity {
  /** `/subscriptions/.../providers/Microsoft.ManagedIdentity/userAssignedIdentities/NAME`. */
  resourceId: string;
  /** Its client id, for the ServiceAccount annotation. */
  clientId: pulumi.Input<string>;
  /** Needed only to grant roles (`roleAssignments`). */
  principalId?: pulumi.Input<string>;
  /** The tenant for the ServiceAccount annotation (default: args.tenantId). */
  tenantId?: pulumi.Input<string>;
}

export interface WorkloadIdentityArgs {
  /** The issuer, byte for byte as the cluster stamps it (OidcIssuer / KindOrAksCluster.issuerUrl). */
  issuerUrl: pulumi.Input<string>;
  /** The ServiceAccounts this identity trusts; one FIC each. */
  serviceAccounts: TrustedServiceAccount[];
  /** Resource group for a created identity. */
  resourceGroupName?: pulumi.Input<string>;
  /** Azure region of a created identity (default: the Azure provider's). */
  location?: pulumi.Input<string>;
  /** Azure name of a created identity (default: the component name). */
  identityName?: string;
  /** Use this identity instead of creating one. */
  existingIdentity?: ExistingIdentity;
  /** Tenant for the ServiceAccount annotation (default: the identity's tenant). */
  tenantId?: pulumi.Input<string>;
  /** FIC audiences (default `["api://AzureADTokenExchange"]`). */
  audiences?: string[];
  /** Token lifetime annotation, 3600 to 86400 seconds (webhook default 3600). */
  tokenExpirationSeconds?: number;
  /** Create the namespaces of the ServiceAccounts it creates (default false). */
  createNamespaces?: boolean;
  /** What the ServiceAccounts must wait for, such as namespaces made by the caller. Only they
   * wait: the Azure identity and its credentials go ahead (a component-wide dependsOn would
   * hold them back too). */
  serviceAccountDependsOn?: pulumi.Resource[];
  /** Roles granted to the identity's principal, each at its scope. */
  roleAssignments?: RoleAssignmentSpec[];
  /** Tags for a created identity. */
  tags?: Record<string, string>;
}

export interface ResolvedServiceAccount {
  namespace: string;
  name: string;
  create: boolean;
  subject: string;
  ficName: string;
  /** Pulumi logical-name suffix, unique within the component. */
  key: string;
}

export interface ResolvedWorkloadIdentityArgs {
  identityName: string;
  existing: (ExistingIdentity & { resourceGroupName: string; name: string }) | undefined;
  serviceAccounts: ResolvedServiceAccount[];
  audiences: string[];
  tokenExpirationSeconds: number | undefined;
  createNamespaces: boolean;
  roleAssignments: { scope: pulumi.Input<string>; role: RoleRef; key: string }[];
}

/** The identity's own arguments, which WorkloadIdentity and FleetIdentity share. */
export const IDENTITY_ARGS = [
  "resourceGroupName",
  "location",
  "identityName",
  "existingIdentity",
  "tenantId",
  "audiences",
  "tokenExpirationSeconds",
];

const WORKLOAD_IDENTITY_ARGS = [
  "issuerUrl",
  "serviceAccounts",
  ...IDENTITY_ARGS,
  "createNamespaces",
  "serviceAccountDependsOn",
  "roleAssignments",
  "tags",
];

/** A user-assigned identity's name: 3 to 128 letters, digits, '-' and '_'. */
export function validateIdentityName(value: unknown, field: string, note = ""): string {
  return requireMatch(
    value,
    field,
    /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/,
    `expected 3 to 128 letters, digits, '-' and '_', starting with a letter or digit${note ? ` ${note}` : ""}`,
  );
}

export function resolveWorkloadIdentityArgs(
  name: string,
  args: WorkloadIdentityArgs,
): ResolvedWorkloadIdentityArgs {
  requireKnownObject(
    args,
    "",
    WORKLOAD_IDENTITY_ARGS,
    "WorkloadIdentityArgs: { issuerUrl, serviceAccounts, ... }",
  );
  if (args.issuerUrl === undefined) {
    throw new InvalidArgumentError("issuerUrl", "undefined", "expected the cluster's issuer URL");
  }
  if (typeof args.issuerUrl === "string") canonicalIssuer(args.issuerUrl, "issuerUrl");
  const identityName = args.identityName ?? name;
  return {
    identityName,
    existing: resolveIdentity(args, identityName),
    serviceAccounts: resolveServiceAccounts(args.serviceAccounts),
    audiences: resolveAudiences(args.audiences),
    tokenExpirationSeconds: resolveTokenExpiration(args.tokenExpirationSeconds),
    createNamespaces: args.createNamespaces ?? false,
    roleAssignments: resolveRoleAssignments(args.roleAssignments),
  };
}

/** What says which identity: the arguments WorkloadIdentity and FleetIdentity share. */
export type IdentityChoice = Pick<
  WorkloadIdentityArgs,
  "existingIdentity" | "identityName" | "resourceGroupName" | "roleAssignments"
>;

/** The token lifetime annotation, when given: within what the webhook accepts. */
export function resolveTokenExpiration(given: number | undefined): number | undefined {
  return given === undefined
    ? undefined
    : requireIntegerInRange(
        given,
        "tokenExpirationSeconds",
        MIN_TOKEN_EXPIRATION,
        MAX_TOKEN_EXPIRATION,
      );
}

/** The identity: created under identityName in a resource group, or an existing one. */
export function resolveIdentity(
  args: IdentityChoice,
  identityName: string,
): ResolvedWorkloadIdentityArgs["existing"] {
  if (args.existingIdentity === undefined) {
    validateIdentityName(identityName, "identityName", "(it defaults to the component name)");
    if (args.resourceGroupName === undefined) {
      throw new InvalidArgumentError(
        "resourceGroupName",
        "undefined",
        "a created identity needs a resource group",
      );
    }
    return undefined;
  }
  if (args.identityName !== undefined) {
    throw new InvalidArgumentError(
      "identityName",
      describeValue(args.identityName),
      "not used with existingIdentity; omit it",
    );
  }
  const given = args.existingIdentity;
  requireKnownObject(
    given,
    "existingIdentity",
    ["resourceId", "clientId", "principalId", "tenantId"],
    "{ resourceId, clientId, principalId?, tenantId? }",
  );
  const id = parseIdentityResourceId(given.resourceId);
  if (given.clientId === undefined) {
    throw new InvalidArgumentError(
      "existingIdentity.clientId",
      "undefined",
      "an existing identity needs its client id (the ServiceAccount annotation names it)",
    );
  }
  if (given.principalId === undefined && (args.roleAssignments ?? []).length > 0) {
    throw new InvalidArgumentError(
      "existingIdentity.principalId",
      "undefined",
      "needed to grant roleAssignments; give the identity's principal (object) id or omit roleAssignments",
    );
  }
  return { ...given, resourceGroupName: id.resourceGroupName, name: id.name };
}

/** One trusted ServiceAccount: its names checked, never the default one created. */
export function resolveServiceAccount(
  sa: TrustedServiceAccount,
  field: string,
): ResolvedServiceAccount {
  requireKnownObject(sa, field, ["namespace", "name", "create"], "{ namespace, name, create? }");
  const namespace = validateDns1123Label(sa.namespace, `${field}.namespace`);
  // ServiceAccount names are DNS-1123 subdomains in Kubernetes; a label is what every
  // FIC subject and pod spec in practice uses, and what the webhook docs require.
  const saName = validateDns1123Label(sa.name, `${field}.name`, 253);
  if (sa.create !== undefined && typeof sa.create !== "boolean") {
    throw new InvalidArgumentError(
      `${field}.create`,
      describeValue(sa.create),
      "expected true or false",
    );
  }
  if (saName === "default" && sa.create !== false) {
    throw new InvalidArgumentError(
      field,
      `${namespace}/default`,
      "every namespace has its default ServiceAccount, so it cannot be created: trust it with create: false, or give the workload a ServiceAccount of its own",
    );
  }
  return {
    namespace,
    name: saName,
    create: sa.create ?? true,
    subject: serviceAccountSubject(namespace, saName),
    ficName: ficName(namespace, saName),
    key: `${namespace}-${saName}`,
  };
}

/**
 * The ServiceAccounts: at most 20 (one FIC each) unless `budget` is false (a fleet counts its
 * credentials across clusters), each subject once.
 */
export function resolveServiceAccounts(
  given: unknown,
  field = "serviceAccounts",
  budget = true,
): ResolvedServiceAccount[] {
  if (!Array.isArray(given)) {
    throw new InvalidArgumentError(
      field,
      describeValue(given),
      "expected a list of { namespace, name }",
    );
  }
  if (budget && given.length > MAX_FICS_PER_IDENTITY) {
    throw new InvalidArgumentError(
      "serviceAccounts",
      `${given.length} service accounts`,
      `expected at most ${MAX_FICS_PER_IDENTITY}: Entra allows ${MAX_FICS_PER_IDENTITY} federated credentials per identity`,
    );
  }
  const subjects = new Map<string, number>();
  return given.map((sa: TrustedServiceAccount, i) => {
    const resolved = resolveServiceAccount(sa, `${field}[${i}]`);
    const twin = subjects.get(resolved.subject);
    if (twin !== undefined) {
      throw new InvalidArgumentError(
        `${field}[${i}]`,
        `a second ${resolved.subject}`,
        `expected each subject once per identity (same as ${field}[${twin}]); issuer and subject must be unique within an identity`,
      );
    }
    subjects.set(resolved.subject, i);
    return resolved;
  });
}

/** The FICs' audiences: exactly one, as Entra accepts. */
export function resolveAudiences(given: string[] | undefined): string[] {
  const audiences = given ?? [AZURE_AD_TOKEN_EXCHANGE_AUDIENCE];
  if (
    !Array.isArray(audiences) ||
    audiences.length !== 1 ||
    typeof audiences[0] !== "string" ||
    audiences[0] === ""
  ) {
    throw new InvalidArgumentError(
      "audiences",
      describeValue(audiences),
      `expected exactly one audience (Entra accepts one), normally "${AZURE_AD_TOKEN_EXCHANGE_AUDIENCE}"`,
    );
  }
  return [...audiences];
}

/** Role assignments: each scope and role checked, a role once per scope. */
export function resolveRoleAssignments(
  given: unknown,
): ResolvedWorkloadIdentityArgs["roleAssignments"] {
  if (given !== undefined && !Array.isArray(given)) {
    throw new InvalidArgumentError(
      "roleAssignments",
      describeValue(given),
      "expected a list of { scope, role }",
    );
  }
  const grants = new Map<string, number>();
  return ((given ?? []) as RoleAssignmentSpec[]).map((ra, i) => {
    const field = `roleAssignments[${i}]`;
    requireKnownObject(ra, field, ["scope", "role"], "{ scope, role }");
    if (ra.scope === undefined)
      throw new InvalidArgumentError(
        `${field}.scope`,
        "undefined",
        "expected an Azure resource id",
      );
    if (typeof ra.scope === "string") validateScope(ra.scope, `${field}.scope`);
    const role = resolveRole(ra.role, `${field}.role`);
    if (typeof ra.scope !== "string") return { scope: ra.scope, role, key: String(i) };
    // A known scope gives a key that survives reordering the list; Azure refuses the same role
    // twice on one scope for one principal (RoleAssignmentExists), so catch that here.
    const grant = `${ra.scope.toLowerCase()}\n${"guid" in role ? role.guid : role.id.toLowerCase()}`;
    const twin = grants.get(grant);
    if (twin !== undefined) {
      throw new InvalidArgumentError(
        field,
        `the same role and scope as roleAssignments[${twin}]`,
        "expected each role once per scope",
      );
    }
    grants.set(grant, i);
    return {
      scope: ra.scope,
      role,
      key: crypto.createHash("sha256").update(grant).digest("hex").slice(0, 8),
    };
  });
}
