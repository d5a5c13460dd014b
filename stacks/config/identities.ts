/**
 * The `identities` key: each entry's name, ServiceAccounts, role assignments and existing
 * identity, checked field by field with the entry's identity named in every error; then the
 * checks WorkloadIdentity makes, and those that span entries (one creator per ServiceAccount, one
 * writer per Azure identity).
 */
import {
  InvalidArgumentError,
  describeValue,
  requireKnownObject,
  requireString,
  withOwner,
} from "../../components/shared/errors";
import {
  CredentialsRequest,
  credentialsIdentityName,
} from "../../components/openshift/credentialsRequests";
import {
  IdentityClaims,
  createdIdentityKey,
  existingIdentityKey,
} from "../../components/identity/identityClaims";
import { validateDns1123Label } from "../../components/shared/kubernetes";
import { resolveRole, validateScope } from "../../components/identity/roles";
import {
  resolveWorkloadIdentityArgs,
  validateIdentityName,
} from "../../components/identity/workloadIdentityArgs";
import { parseIdentityResourceId } from "../../components/identity/workloadIdentityNames";

export interface IdentityConfig {
  /** Azure name of the user-assigned identity, and the key of its stack outputs. */
  name: string;
  /** Use this identity (made elsewhere, e.g. for AAD Pod Identity) instead of creating one. */
  existingIdentity?: { resourceId: string; clientId: string; principalId?: string };
  serviceAccounts: { namespace: string; name: string; create: boolean }[];
  roleAssignments: { scope: string; role: string }[];
}

const ENTRY_FIELDS = [
  "name",
  "existingIdentity",
  "namespace",
  "serviceAccount",
  "serviceAccounts",
  "roleAssignments",
];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Stands in for the issuer while the stack config is checked (the real one is not known yet). */
const VALIDATION_ISSUER = "https://issuer.invalid/";

/** One entry's parts, each read with the entry's identity named in its errors. */
class Entry {
  constructor(
    readonly o: Record<string, unknown>,
    readonly at: string,
    readonly owner: string,
  ) {}

  fail(field: string, value: unknown, allowed: string): never {
    throw new InvalidArgumentError(
      `${this.at}.${field}`,
      describeValue(value),
      allowed,
      this.owner,
    );
  }

  string(field: string, value: unknown, what: string): string {
    return requireString(value, `${this.at}.${field}`, what, this.owner);
  }

  label(field: string, value: unknown, max = 63): string {
    this.string(field, value, "a DNS-1123 label");
    return withOwner(this.owner, "", () => validateDns1123Label(value, `${this.at}.${field}`, max));
  }

  serviceAccount(field: string, value: unknown) {
    const s = requireKnownObject(
      value,
      `${this.at}.${field}`,
      ["namespace", "name", "create"],
      "{ namespace, name, create }",
      this.owner,
    );
    if (s.create !== undefined && typeof s.create !== "boolean")
      this.fail(`${field}.create`, s.create, "expected true or false");
    return this.checked(field, {
      namespace: this.label(`${field}.namespace`, s.namespace),
      name: this.label(`${field}.name`, s.name, 253),
      create: s.create ?? true,
    });
  }

  /** A ServiceAccount the stack would create must not be one every namespace already has. */
  checked(field: string, sa: IdentityConfig["serviceAccounts"][number]) {
    if (sa.create && sa.name === "default") {
      this.fail(
        field,
        `${sa.namespace}/default`,
        "every namespace has its default ServiceAccount, so the stack cannot create it: trust it with create: false (and annotate it yourself), or give the workload a ServiceAccount of its own",
      );
    }
    return sa;
  }

  serviceAccounts(): IdentityConfig["serviceAccounts"] {
    const { o } = this;
    if (o.serviceAccounts === undefined) {
      return [
        this.checked("serviceAccount", {
          namespace: this.label("namespace", o.namespace),
          name: this.label("serviceAccount", o.serviceAccount, 253),
          create: true,
        }),
      ];
    }
    if (o.namespace !== undefined || o.serviceAccount !== undefined) {
      this.fail(
        "serviceAccounts",
        "given beside namespace/serviceAccount",
        "expected either namespace + serviceAccount, or serviceAccounts",
      );
    }
    if (!Array.isArray(o.serviceAccounts) || o.serviceAccounts.length === 0) {
      this.fail(
        "serviceAccounts",
        o.serviceAccounts,
        "expected a non-empty list of { namespace, name, create }",
      );
    }
    return o.serviceAccounts.map((sa: unknown, j) =>
      this.serviceAccount(`serviceAccounts[${j}]`, sa),
    );
  }

  roleAssignments(): IdentityConfig["roleAssignments"] {
    const ras = this.o.roleAssignments ?? [];
    if (!Array.isArray(ras))
      this.fail("roleAssignments", ras, "expected a list of { scope, role }");
    return ras.map((ra: unknown, j) => {
      const field = `roleAssignments[${j}]`;
      const r = requireKnownObject(
        ra,
        `${this.at}.${field}`,
        ["scope", "role"],
        "{ scope, role }",
        this.owner,
      );
      const scope = this.string(`${field}.scope`, r.scope, "an Azure resource id");
      const role = this.string(
        `${field}.role`,
        r.role,
        "a built-in role name or a role definition id",
      );
      withOwner(this.owner, "", () => {
        validateScope(scope, `${this.at}.${field}.scope`);
        resolveRole(role, `${this.at}.${field}.role`);
      });
      return { scope, role };
    });
  }

  existingIdentity(): IdentityConfig["existingIdentity"] {
    if (this.o.existingIdentity === undefined) return undefined;
    const e = requireKnownObject(
      this.o.existingIdentity,
      `${this.at}.existingIdentity`,
      ["resourceId", "clientId", "principalId"],
      "{ resourceId, clientId, principalId }",
      this.owner,
    );
    const resourceId = this.string(
      "existingIdentity.resourceId",
      e.resourceId,
      "the identity's resource id",
    );
    withOwner(this.owner, "", () =>
      parseIdentityResourceId(resourceId, `${this.at}.existingIdentity.resourceId`),
    );
    const guid = (k: "clientId" | "principalId") => {
      const v = this.string(`existingIdentity.${k}`, e[k], "a GUID");
      if (!GUID.test(v)) this.fail(`existingIdentity.${k}`, v, "expected a GUID");
      return v;
    };
    return {
      resourceId,
      clientId: guid("clientId"),
      ...(e.principalId !== undefined ? { principalId: guid("principalId") } : {}),
    };
  }
}

/** One `identities` entry, checked as WorkloadIdentity checks its arguments. */
function parseIdentity(item: unknown, at: string): IdentityConfig {
  const o = requireKnownObject(
    item,
    at,
    ENTRY_FIELDS,
    "{ name, namespace, serviceAccount, roleAssignments }",
  );
  const name = requireString(o.name, `${at}.name`, "the identity's Azure name");
  validateIdentityName(name, `${at}.name`);
  const entry = new Entry(o, at, `identity ${name}`);
  const serviceAccounts = entry.serviceAccounts();
  const roleAssignments = entry.roleAssignments();
  const existingIdentity = entry.existingIdentity();
  // The checks WorkloadIdentity makes (the 20-credential limit, one subject once, a role once per
  // scope, an existing identity's ids), here, before anything is registered.
  withOwner(`identity ${name}`, `${at}.`, () =>
    resolveWorkloadIdentityArgs(name, {
      issuerUrl: VALIDATION_ISSUER,
      ...(existingIdentity ? { existingIdentity } : { resourceGroupName: "validation" }),
      serviceAccounts,
      roleAssignments,
    }),
  );
  return {
    name,
    ...(existingIdentity ? { existingIdentity } : {}),
    serviceAccounts,
    roleAssignments,
  };
}

/** One creator per ServiceAccount: the others trust it with create: false. */
function checkOneCreator(identities: IdentityConfig[], raw: unknown[]): void {
  const creators = new Map<string, { name: string; at: string }>();
  for (const [i, id] of identities.entries()) {
    const at = `identities[${i}]`;
    const shorthand = (raw[i] as Record<string, unknown>).serviceAccounts === undefined;
    for (const [j, sa] of id.serviceAccounts.entries()) {
      if (!sa.create) continue;
      const key = `${sa.namespace}/${sa.name}`;
      const creator = creators.get(key);
      if (creator !== undefined) {
        throw new InvalidArgumentError(
          shorthand ? `${at}.serviceAccount` : `${at}.serviceAccounts[${j}]`,
          JSON.stringify(key),
          `identity ${creator.name} (${creator.at}) already creates it; one identity creates and annotates a ServiceAccount, the others trust it with create: false`,
          `identity ${id.name}`,
        );
      }
      creators.set(key, { name: id.name, at });
    }
  }
}

/**
 * Refuses two entries that reach one Azure identity (by name in the stack's resource group, or
 * by an existing identity's resource id, compared as Azure compares ids): each would chain its
 * own credentials and count its own 20, where Azure refuses concurrent writes and counts them
 * together.
 */
export function checkOneWriterPerIdentity(
  identities: IdentityConfig[],
  requests: CredentialsRequest[],
  clusterName: string,
  resourceGroupName: string | undefined,
): void {
  const claims = new IdentityClaims();
  // The stack's own resource group, when it makes one, holds no identity made elsewhere.
  const stackGroup = resourceGroupName ?? "(the stack's resource group)";
  for (const [i, id] of identities.entries()) {
    const at = `identities[${i}]`;
    const claimant = `identity ${id.name} (${at})`;
    withOwner(`identity ${id.name}`, "", () =>
      id.existingIdentity
        ? claims.claim(
            existingIdentityKey(id.existingIdentity.resourceId),
            claimant,
            `${at}.existingIdentity.resourceId`,
            id.existingIdentity.resourceId,
          )
        : claims.claim(createdIdentityKey(stackGroup, id.name), claimant, `${at}.name`, id.name),
    );
  }
  for (const [i, request] of requests.entries()) {
    const name = credentialsIdentityName(clusterName, request);
    withOwner(`CredentialsRequest ${request.id}`, "", () =>
      claims.check(
        createdIdentityKey(stackGroup, name),
        `openshiftCredentialsRequests[${i}]`,
        name,
      ),
    );
  }
}

/** The `identities` list: every entry checked, then the checks across entries. */
export function parseIdentities(value: unknown[]): IdentityConfig[] {
  const names = new Map<string, number>();
  const identities = value.map((item, i) => {
    const id = parseIdentity(item, `identities[${i}]`);
    const twin = names.get(id.name.toLowerCase());
    if (twin !== undefined) {
      throw new InvalidArgumentError(
        `identities[${i}].name`,
        JSON.stringify(id.name),
        `identities[${twin}] has that name already (Azure compares names case-insensitively)`,
      );
    }
    names.set(id.name.toLowerCase(), i);
    return id;
  });
  checkOneCreator(identities, value);
  return identities;
}
