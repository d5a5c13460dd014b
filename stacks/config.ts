/**
 * The stack configuration: every key, its type, default and meaning, parsed once into a typed,
 * validated object. Pure: it reads raw strings (as Pulumi hands config to a program; lists and
 * objects as JSON), so tests and the offline plan use it exactly as `pulumi up` does.
 *
 * Pulumi.yaml declares the same keys (type, description, default); a test keeps the two equal.
 */
import { InvalidArgumentError, describeValue, requireOneOf, withOwner } from "../components/errors";
import { HOSTINGS, Hosting, validateAccountNamePrefix } from "../components/storage";
import {
  FLAVORS,
  ClusterFlavor,
  validateImageReference,
  validateVmSize,
} from "../components/clusterArgs";
import {
  resolveWorkloadIdentityArgs,
  validateIdentityName,
} from "../components/workloadIdentityArgs";
import { parseKubernetesVersion, validateDns1123Label } from "../components/kubernetes";
import {
  MAX_RSA_BITS,
  MIN_RSA_BITS,
  normalizePublicKeyPem,
  parsePublicKeyList,
} from "../components/keys";
import { LOG_LEVELS, LogLevel } from "../components/webhookValues";
import {
  CredentialsRequest,
  credentialsIdentityName,
  parseCredentialsRequests,
} from "../components/credentialsRequests";
import {
  IdentityClaims,
  createdIdentityKey,
  existingIdentityKey,
} from "../components/identityClaims";
import { validateScope } from "../components/roles";
import { DeclaredKey, resolveDeclaredKeys } from "../components/oidcIssuerArgs";
import { MAX_TOKEN_EXPIRATION, MIN_TOKEN_EXPIRATION } from "../components/workloadIdentityNames";

export interface IdentityConfig {
  /** Azure name of the user-assigned identity, and the key of its stack outputs. */
  name: string;
  /** Use this identity (made elsewhere, e.g. for AAD Pod Identity) instead of creating one. */
  existingIdentity?: { resourceId: string; clientId: string; principalId?: string };
  serviceAccounts: { namespace: string; name: string; create: boolean }[];
  roleAssignments: { scope: string; role: string }[];
}

export interface StackConfig {
  flavor: ClusterFlavor;
  location: string;
  resourceGroupName: string | undefined;
  clusterName: string;
  kubernetesVersion: string | undefined;
  kindNodeImage: string | undefined;
  kindWorkerCount: number;
  aksNodeCount: number;
  aksVmSize: string;
  issuerHosting: Hosting;
  storageAccountPrefix: string;
  signingKeyBits: number;
  /** Bring the signing key: the public half here, the private half as the secret signingPrivateKeyPem. */
  signingPublicKeyPem: string | undefined;
  additionalPublicKeys: string[];
  /** Declared keys (signingKeys / signingKey), when given; checked by resolveDeclaredKeys. */
  declaredKeys: { keys: DeclaredKey[]; signing: string } | undefined;
  allowEarlyKeyRetirement: boolean;
  /** For one up: start a new key ledger when the previous one cannot be read. */
  resetKeyLedger: boolean;
  webhookChartVersion: string;
  webhookReplicaCount: number;
  webhookLogLevel: LogLevel;
  tokenExpirationSeconds: number;
  identities: IdentityConfig[];
  demoWorkload: boolean;
  demoImage: string;
  /** CredentialsRequest objects, checked (see components/credentialsRequests.ts). */
  openshiftCredentialsRequests: unknown[];
  openshiftRoleScope: string | undefined;
  capz:
    | {
        identity: string;
        namespace: string;
        allowedNamespaces: string[] | "all" | undefined;
        workloadClusterName: string | undefined;
      }
    | undefined;
}

/**
 * One key: its type, default and meaning. Pulumi.yaml declares every key of a type it can
 * express (string, integer, boolean, list of strings) with the same default; an empty string
 * means "not set". Two keys are read but not declared there: `identities` (a list of objects,
 * which Pulumi.yaml cannot type) and the secret `signingPrivateKeyPem` (no default possible).
 */
export interface KeySpec {
  type: "string" | "integer" | "boolean" | "string-list" | "object-list";
  default: string | number | boolean | unknown[] | undefined;
  description: string;
  secret?: boolean;
}

/** Every config key: the StackConfig fields read as they are, the secret half of a brought key,
 * and the keys the `capz` settings are read from. */
export type ConfigKey =
  | Exclude<keyof StackConfig, "capz" | "declaredKeys">
  | "signingPrivateKeyPem"
  | "signingKeys"
  | "signingKey"
  | "capzIdentity"
  | "capzNamespace"
  | "capzAllowedNamespaces"
  | "capzWorkloadClusterName";

export const CONFIG_KEYS: Record<ConfigKey, KeySpec> = {
  flavor: {
    type: "string",
    default: "kind",
    description:
      "Cluster flavor: kind (self-hosted issuer, webhook via Helm) or aks (managed issuer, webhook add-on).",
  },
  location: {
    type: "string",
    default: "westeurope",
    description: "Azure region for the resource group, storage account, identities and AKS.",
  },
  resourceGroupName: {
    type: "string",
    default: "",
    description: "Use this existing resource group instead of creating one.",
  },
  clusterName: { type: "string", default: "", description: "Cluster name (empty: wi-<stack>)." },
  kubernetesVersion: {
    type: "string",
    default: "",
    description:
      "Kind: node image version (empty: 1.37.0, kind v0.33's default). AKS: control plane version (empty: AKS's default).",
  },
  kindNodeImage: {
    type: "string",
    default: "",
    description: "Kind node image (empty: kindest/node:v<kubernetesVersion>).",
  },
  kindWorkerCount: {
    type: "integer",
    default: 0,
    description: "Kind worker nodes beside the control plane.",
  },
  aksNodeCount: { type: "integer", default: 2, description: "AKS system node pool size." },
  aksVmSize: {
    type: "string",
    default: "Standard_D2s_v5",
    description: "AKS system node pool VM size.",
  },
  issuerHosting: {
    type: "string",
    default: "staticWebsite",
    description: "How the OIDC documents are served (kind): staticWebsite or publicContainer.",
  },
  storageAccountPrefix: {
    type: "string",
    default: "oidc",
    description:
      "1 to 16 lowercase letters and digits; a random suffix completes the storage account name.",
  },
  signingKeyBits: {
    type: "integer",
    default: 4096,
    description: "Size of the generated RSA signing key (kind), at least 2048.",
  },
  signingPublicKeyPem: {
    type: "string",
    default: "",
    description:
      "Bring your own signing key (kind): its PEM public key; set signingPrivateKeyPem as a secret too.",
  },
  signingPrivateKeyPem: {
    type: "string",
    default: undefined,
    secret: true,
    description: "The PEM private key matching signingPublicKeyPem (set with --secret).",
  },
  additionalPublicKeys: {
    type: "string-list",
    default: [],
    description:
      "PEM public keys published and accepted beside a single signing key (with signingKeys, declare them there).",
  },
  signingKeys: {
    type: "object-list",
    default: [],
    description:
      "Declared keys (kind), every one published and accepted: [{ name, bits? } (generated) | { name, publicKeyPem } (brought)]. Without it: one generated key named initial.",
  },
  signingKey: {
    type: "string",
    default: "",
    description: "The name of the declared key that signs (kind; required with signingKeys).",
  },
  allowEarlyKeyRetirement: {
    type: "boolean",
    default: false,
    description:
      "Let a key leave signingKeys sooner than 24 hours after it stopped signing (tokens it signed then fail).",
  },
  resetKeyLedger: {
    type: "boolean",
    default: false,
    description:
      "For one up, when the previous deployment's key ledger cannot be read: start a new one from the declared keys (refused when the ledger reads fine).",
  },
  webhookChartVersion: {
    type: "string",
    default: "1.6.0",
    description: "workload-identity-webhook chart version (kind).",
  },
  webhookReplicaCount: { type: "integer", default: 2, description: "Webhook replicas (kind)." },
  webhookLogLevel: {
    type: "string",
    default: "info",
    description: "Webhook log level: info, debug, trace or all (kind).",
  },
  tokenExpirationSeconds: {
    type: "integer",
    default: 3600,
    description:
      "Token lifetime annotation on every ServiceAccount, 3600 to 86400 seconds (the webhook's default is 3600).",
  },
  identities: {
    type: "object-list",
    default: [],
    description:
      "Workload identities: [{ name, namespace, serviceAccount | serviceAccounts: [{ namespace, name, create }], roleAssignments: [{ scope, role }] }].",
  },
  demoWorkload: {
    type: "boolean",
    default: false,
    description: "Run an Azure CLI pod that logs in with the first identity.",
  },
  demoImage: {
    type: "string",
    default: "mcr.microsoft.com/azure-cli:2.67.0",
    description: "Image of the demo pod.",
  },
  openshiftCredentialsRequests: {
    type: "object-list",
    default: [],
    description:
      "OpenShift: Azure CredentialsRequest objects; each gets an identity, FICs (audience openshift), its roles, and a Secret manifest (stack output openshiftSecrets).",
  },
  openshiftRoleScope: {
    type: "string",
    default: "",
    description:
      "OpenShift: where the CredentialsRequests' roles are granted (empty: the stack's resource group).",
  },
  capzIdentity: {
    type: "string",
    default: "",
    description:
      "Cluster API: render an AzureClusterIdentity (type WorkloadIdentity) for this identity of `identities` (empty: none).",
  },
  capzNamespace: {
    type: "string",
    default: "default",
    description: "Cluster API: namespace of the AzureClusterIdentity and the key Secret.",
  },
  capzAllowedNamespaces: {
    type: "string-list",
    default: [],
    description:
      'Cluster API: namespaces whose AzureClusters may use the identity ([]: only its own; ["*"]: all).',
  },
  capzWorkloadClusterName: {
    type: "string",
    default: "",
    description:
      "Cluster API (kind): render the <name>-sa Secret with the issuer's signing key pair for this workload cluster (empty: none).",
  },
};

type Raw = Record<string, string | undefined>;

/** A default as the engine hands it to the program once Pulumi.yaml supplies it. */
export function rawDefault(key: keyof typeof CONFIG_KEYS): string | undefined {
  const d = CONFIG_KEYS[key].default;
  if (d === undefined || typeof d === "string") return d;
  return typeof d === "object" ? JSON.stringify(d) : String(d);
}

/** True when the stack sets a key to something other than its default. */
function isSet(raw: Raw, key: keyof typeof CONFIG_KEYS): boolean {
  const v = raw[key];
  if (v === undefined || v === rawDefault(key)) return false;
  // Lists arrive as JSON; an empty list is the default whatever its spacing.
  return !(CONFIG_KEYS[key].type.endsWith("list") && /^\s*\[\s*\]\s*$/.test(v));
}

function fail(key: string, value: unknown, allowed: string): never {
  throw new InvalidArgumentError(key, describeValue(value), allowed);
}

function str(raw: Raw, key: keyof typeof CONFIG_KEYS): string | undefined {
  const v = raw[key] ?? (CONFIG_KEYS[key].default as string | undefined);
  return v === "" ? undefined : v;
}

function int(
  raw: Raw,
  key: keyof typeof CONFIG_KEYS,
  min: number,
  max: number,
): number | undefined {
  const v = raw[key];
  if (v === undefined) return CONFIG_KEYS[key].default as number | undefined;
  if (!/^-?\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
    fail(key, v, `expected a whole number from ${min} to ${max}`);
  }
  return Number(v);
}

function bool(raw: Raw, key: keyof typeof CONFIG_KEYS): boolean {
  const v = raw[key];
  if (v === undefined) return CONFIG_KEYS[key].default as boolean;
  if (v !== "true" && v !== "false") fail(key, v, "expected true or false");
  return v === "true";
}

/**
 * signingKeys and signingKey (the declared form), checked as OidcIssuer checks them; with the
 * shorthand keys (signingKeyBits, signingPublicKeyPem, additionalPublicKeys) they are refused.
 * The config's bits is the component's rsaBits.
 */
function parseDeclaredKeys(raw: Raw): { keys: DeclaredKey[]; signing: string } | undefined {
  const list = json(raw, "signingKeys") as unknown[];
  const signing = str(raw, "signingKey");
  if (list.length === 0) {
    if (signing !== undefined) fail("signingKey", signing, "only used with signingKeys");
    return undefined;
  }
  for (const shorthand of [
    "signingKeyBits",
    "signingPublicKeyPem",
    "additionalPublicKeys",
  ] as const) {
    if (isSet(raw, shorthand)) {
      throw new InvalidArgumentError(
        shorthand,
        "a value",
        "not used with signingKeys: declare every key there (bits for a generated one)",
      );
    }
  }
  const keys = list.map((entry, i) => {
    if (typeof entry !== "object" || entry === null) {
      fail(`signingKeys[${i}]`, entry, "expected { name, bits? } or { name, publicKeyPem }");
    }
    const { bits, ...rest } = entry as Record<string, unknown>;
    if ("rsaBits" in rest)
      fail(`signingKeys[${i}].rsaBits`, rest.rsaBits, "the config calls it bits");
    return { ...rest, ...(bits !== undefined ? { rsaBits: bits } : {}) } as unknown as DeclaredKey;
  });
  if (signing === undefined) {
    fail("signingKey", undefined, "required with signingKeys: the name of the key that signs");
  }
  // The component's checks, under the config's names.
  try {
    resolveDeclaredKeys(keys, signing, raw.signingPrivateKeyPem);
  } catch (err) {
    throw configNamed(err);
  }
  return { keys, signing };
}

/** How the stack names the issuer's key arguments: its config keys. */
export const CONFIG_KEY_FIELDS = {
  keys: "signingKeys",
  signing: "signingKey",
  reset: "resetKeyLedger",
};

/** The issuer's arguments as the config spells them. */
const CONFIG_NAMES: [RegExp, string][] = [
  [/^keys\b/, "signingKeys"],
  [/^signingKeyName$/, "signingKey"],
  [/^rsaBits$/, "signingKeyBits"],
  [/^signingKey\.publicKeyPem$/, "signingPublicKeyPem"],
  [/^signingKey\.privateKeyPem$/, "signingPrivateKeyPem"],
  [/^additionalPublicKeysPem\b/, "additionalPublicKeys"],
  [/\.rsaBits$/, ".bits"],
];

/** An OidcIssuer error renamed to the config key the stack's user wrote. */
export function configNamed(err: unknown): unknown {
  if (!(err instanceof InvalidArgumentError)) return err;
  const field = CONFIG_NAMES.reduce((f, [from, to]) => f.replace(from, to), err.field);
  return new InvalidArgumentError(field, err.value, err.allowed, err.owner);
}

function json(raw: Raw, key: keyof typeof CONFIG_KEYS): unknown {
  const v = raw[key];
  if (v === undefined) return CONFIG_KEYS[key].default;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return fail(
      key,
      v,
      "expected a YAML list in the stack file (JSON when set on the command line)",
    );
  }
}

function oneOf<T extends string>(
  raw: Raw,
  key: keyof typeof CONFIG_KEYS,
  allowed: readonly T[],
): T {
  return requireOneOf(str(raw, key), key, allowed);
}

function parseIdentities(value: unknown): IdentityConfig[] {
  if (!Array.isArray(value)) fail("identities", value, "expected a list of identities");
  const names = new Set<string>();
  const creators = new Map<string, { name: string; at: string }>();
  return value.map((item: unknown, i): IdentityConfig => {
    const at = `identities[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item))
      fail(at, item, "expected { name, namespace, serviceAccount, roleAssignments }");
    const o = item as Record<string, unknown>;
    const known = [
      "name",
      "existingIdentity",
      "namespace",
      "serviceAccount",
      "serviceAccounts",
      "roleAssignments",
    ];
    for (const k of Object.keys(o))
      if (!known.includes(k))
        fail(`${at}.${k}`, o[k], `unknown field; expected ${known.join(", ")}`);
    const name = validateIdentityName(o.name, `${at}.name`);
    if (names.has(name.toLowerCase()))
      fail(`${at}.name`, name, "expected a name not used by another identity");
    names.add(name.toLowerCase());

    let serviceAccounts: IdentityConfig["serviceAccounts"];
    if (o.serviceAccounts !== undefined) {
      if (o.namespace !== undefined || o.serviceAccount !== undefined) {
        fail(
          `${at}.serviceAccounts`,
          "given beside namespace/serviceAccount",
          "expected either namespace + serviceAccount, or serviceAccounts",
        );
      }
      if (!Array.isArray(o.serviceAccounts) || o.serviceAccounts.length === 0) {
        fail(
          `${at}.serviceAccounts`,
          o.serviceAccounts,
          "expected a non-empty list of { namespace, name, create }",
        );
      }
      serviceAccounts = o.serviceAccounts.map((sa: unknown, j) => {
        const sat = `${at}.serviceAccounts[${j}]`;
        if (typeof sa !== "object" || sa === null)
          fail(sat, sa, "expected { namespace, name, create }");
        const s = sa as Record<string, unknown>;
        if (s.create !== undefined && typeof s.create !== "boolean")
          fail(`${sat}.create`, s.create, "expected true or false");
        return {
          namespace: validateDns1123Label(s.namespace, `${sat}.namespace`),
          name: validateDns1123Label(s.name, `${sat}.name`, 253),
          create: s.create ?? true,
        };
      });
    } else {
      serviceAccounts = [
        {
          namespace: validateDns1123Label(o.namespace, `${at}.namespace`),
          name: validateDns1123Label(o.serviceAccount, `${at}.serviceAccount`, 253),
          create: true,
        },
      ];
    }
    const ras = o.roleAssignments ?? [];
    if (!Array.isArray(ras))
      fail(`${at}.roleAssignments`, ras, "expected a list of { scope, role }");
    const roleAssignments = ras.map((ra: unknown, j) => {
      const rat = `${at}.roleAssignments[${j}]`;
      const r = (typeof ra === "object" && ra !== null ? ra : {}) as Record<string, unknown>;
      if (typeof r.scope !== "string")
        fail(`${rat}.scope`, r.scope, "expected an Azure resource id");
      if (typeof r.role !== "string")
        fail(`${rat}.role`, r.role, "expected a built-in role name or a role definition id");
      return { scope: r.scope, role: r.role };
    });
    let existingIdentity: IdentityConfig["existingIdentity"];
    if (o.existingIdentity !== undefined) {
      const e = o.existingIdentity as Record<string, unknown>;
      if (typeof e !== "object" || e === null || Array.isArray(e))
        fail(`${at}.existingIdentity`, e, "expected { resourceId, clientId, principalId }");
      for (const k of Object.keys(e))
        if (!["resourceId", "clientId", "principalId"].includes(k))
          fail(
            `${at}.existingIdentity.${k}`,
            e[k],
            "unknown field; expected resourceId, clientId, principalId",
          );
      for (const k of ["clientId", "principalId"] as const)
        if (e[k] !== undefined && (typeof e[k] !== "string" || !GUID.test(e[k])))
          fail(`${at}.existingIdentity.${k}`, e[k], "expected a GUID");
      existingIdentity = {
        resourceId: e.resourceId as string,
        clientId: e.clientId as string,
        ...(e.principalId !== undefined ? { principalId: e.principalId as string } : {}),
      };
    }
    // The checks WorkloadIdentity makes (the 20-credential limit, one subject once, role names
    // and scopes, a role once per scope, an existing identity's ids), here, before anything is
    // registered.
    withOwner(`identity ${name}`, `${at}.`, () =>
      resolveWorkloadIdentityArgs(name, {
        issuerUrl: VALIDATION_ISSUER,
        ...(existingIdentity ? { existingIdentity } : { resourceGroupName: "validation" }),
        serviceAccounts,
        roleAssignments,
      }),
    );
    for (const [j, sa] of serviceAccounts.entries()) {
      if (!sa.create) continue;
      const key = `${sa.namespace}/${sa.name}`;
      const creator = creators.get(key);
      if (creator !== undefined) {
        throw new InvalidArgumentError(
          o.serviceAccounts === undefined ? `${at}.serviceAccount` : `${at}.serviceAccounts[${j}]`,
          JSON.stringify(key),
          `identity ${creator.name} (${creator.at}) already creates it; one identity creates and annotates a ServiceAccount, the others trust it with create: false`,
          `identity ${name}`,
        );
      }
      creators.set(key, { name, at });
    }
    return {
      name,
      ...(existingIdentity ? { existingIdentity } : {}),
      serviceAccounts,
      roleAssignments,
    };
  });
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Stands in for the issuer while the stack config is checked (the real one is not known yet). */
const VALIDATION_ISSUER = "https://issuer.invalid/";

/**
 * Parses the raw config of one stack (keys without the `project:` prefix). Throws an
 * InvalidArgumentError whose field is the config key.
 */
export function parseStackConfig(raw: Raw, stack: string): StackConfig {
  for (const key of Object.keys(raw)) {
    // The value is not shown: a mistyped key may hold a secret.
    if (!(key in CONFIG_KEYS)) {
      throw new InvalidArgumentError(
        key,
        "a value (not shown)",
        `unknown config key; expected one of ${Object.keys(CONFIG_KEYS).join(", ")}`,
      );
    }
  }
  const flavor = oneOf(raw, "flavor", FLAVORS);
  const location = str(raw, "location") ?? "";
  if (!/^[a-z0-9]+$/.test(location))
    fail("location", location, "expected an Azure region name such as westeurope");
  const resourceGroupName = str(raw, "resourceGroupName");
  if (resourceGroupName !== undefined && !/^[-\w._()]{1,90}$/.test(resourceGroupName)) {
    fail(
      "resourceGroupName",
      resourceGroupName,
      "expected 1 to 90 letters, digits, '-', '_', '.', '(' and ')'",
    );
  }
  const clusterName = str(raw, "clusterName") ?? `wi-${stack}`.toLowerCase();
  validateDns1123Label(clusterName, "clusterName", 40);
  const kubernetesVersion = str(raw, "kubernetesVersion");
  if (kubernetesVersion !== undefined)
    parseKubernetesVersion(kubernetesVersion, "kubernetesVersion", flavor === "kind");

  const kindOnly = [
    "kindNodeImage",
    "kindWorkerCount",
    "issuerHosting",
    "storageAccountPrefix",
    "signingKeyBits",
    "signingPublicKeyPem",
    "signingPrivateKeyPem",
    "additionalPublicKeys",
    "signingKeys",
    "signingKey",
    "allowEarlyKeyRetirement",
    "resetKeyLedger",
    "webhookChartVersion",
    "webhookReplicaCount",
    "webhookLogLevel",
  ] as const;
  const aksOnly = ["aksNodeCount", "aksVmSize"] as const;
  for (const key of flavor === "aks" ? kindOnly : aksOnly) {
    if (isSet(raw, key)) {
      throw new InvalidArgumentError(
        key,
        "a value (not shown)",
        `not used with flavor "${flavor}"; remove it from the stack file`,
      );
    }
  }

  const givenPublicKeyPem = str(raw, "signingPublicKeyPem");
  const signingPublicKeyPem =
    givenPublicKeyPem === undefined
      ? undefined
      : normalizePublicKeyPem(givenPublicKeyPem, "signingPublicKeyPem");
  if (signingPublicKeyPem !== undefined) {
    if (raw.signingPrivateKeyPem === undefined)
      fail(
        "signingPrivateKeyPem",
        undefined,
        "required with signingPublicKeyPem; set it with pulumi config set --secret",
      );
    if (isSet(raw, "signingKeyBits"))
      fail(
        "signingKeyBits",
        raw.signingKeyBits,
        "only used for a generated key; remove it when bringing one",
      );
  } else if (
    raw.signingPrivateKeyPem !== undefined &&
    (json(raw, "signingKeys") as unknown[]).length === 0
  ) {
    fail("signingPublicKeyPem", undefined, "required with signingPrivateKeyPem");
  }

  const extras = parsePublicKeyList(json(raw, "additionalPublicKeys"), "additionalPublicKeys");
  const declaredKeys = parseDeclaredKeys(raw);

  const storageAccountPrefix = validateAccountNamePrefix(
    str(raw, "storageAccountPrefix"),
    "storageAccountPrefix",
  );
  const aksVmSize = validateVmSize(str(raw, "aksVmSize"), "aksVmSize");
  const webhookChartVersion = str(raw, "webhookChartVersion") ?? "";
  if (!/^\d+\.\d+\.\d+$/.test(webhookChartVersion))
    fail(
      "webhookChartVersion",
      webhookChartVersion,
      "expected an exact chart version such as 1.6.0",
    );
  const demoImage = str(raw, "demoImage") ?? "";
  if (!/^[a-z0-9][a-z0-9._/:@-]*$/.test(demoImage))
    fail("demoImage", demoImage, "expected an image reference");
  const kindNodeImage = str(raw, "kindNodeImage");
  if (kindNodeImage !== undefined) validateImageReference(kindNodeImage, "kindNodeImage");

  const identities = parseIdentities(json(raw, "identities"));
  const demoWorkload = bool(raw, "demoWorkload");
  if (demoWorkload && !identities.some((i) => i.serviceAccounts.some((s) => s.create))) {
    fail(
      "demoWorkload",
      true,
      "needs at least one identity with a ServiceAccount the stack creates",
    );
  }

  const openshiftCredentialsRequests = json(raw, "openshiftCredentialsRequests") as unknown[];
  const requests = parseCredentialsRequests(
    openshiftCredentialsRequests,
    "openshiftCredentialsRequests",
  );
  checkOneWriterPerIdentity(identities, requests, clusterName, resourceGroupName);
  const openshiftRoleScope = str(raw, "openshiftRoleScope");
  if (openshiftRoleScope !== undefined) validateScope(openshiftRoleScope, "openshiftRoleScope");

  const capzIdentity = str(raw, "capzIdentity");
  const capzWorkloadClusterName = str(raw, "capzWorkloadClusterName");
  let capz: StackConfig["capz"];
  if (capzIdentity !== undefined) {
    if (!identities.some((i) => i.name === capzIdentity))
      fail("capzIdentity", capzIdentity, "expected the name of an identity in `identities`");
    // The AzureClusterIdentity is named after it, lowercased: a Kubernetes object name.
    validateDns1123Label(capzIdentity.toLowerCase(), "capzIdentity", 253);
    const namespace = validateDns1123Label(str(raw, "capzNamespace"), "capzNamespace");
    const allowed = parsePlainList(json(raw, "capzAllowedNamespaces"), "capzAllowedNamespaces");
    if (capzWorkloadClusterName !== undefined) {
      validateDns1123Label(capzWorkloadClusterName, "capzWorkloadClusterName");
      if (flavor !== "kind")
        fail(
          "capzWorkloadClusterName",
          capzWorkloadClusterName,
          'only with flavor "kind": AKS keeps its signing keys',
        );
    }
    capz = {
      identity: capzIdentity,
      namespace,
      allowedNamespaces:
        allowed.length === 0
          ? undefined
          : allowed.includes("*")
            ? "all"
            : allowed.map((ns, i) => validateDns1123Label(ns, `capzAllowedNamespaces[${i}]`)),
      workloadClusterName: capzWorkloadClusterName,
    };
  } else {
    for (const key of [
      "capzNamespace",
      "capzAllowedNamespaces",
      "capzWorkloadClusterName",
    ] as const)
      if (isSet(raw, key))
        fail(key, "a value", "only used with capzIdentity; set that too or remove it");
  }

  return {
    flavor,
    location,
    resourceGroupName,
    clusterName,
    kubernetesVersion,
    kindNodeImage,
    kindWorkerCount: int(raw, "kindWorkerCount", 0, 10)!,
    aksNodeCount: int(raw, "aksNodeCount", 1, 100)!,
    aksVmSize,
    issuerHosting: oneOf(raw, "issuerHosting", HOSTINGS),
    storageAccountPrefix,
    signingKeyBits: int(raw, "signingKeyBits", MIN_RSA_BITS, MAX_RSA_BITS)!,
    signingPublicKeyPem,
    additionalPublicKeys: extras,
    declaredKeys,
    allowEarlyKeyRetirement: bool(raw, "allowEarlyKeyRetirement"),
    resetKeyLedger: bool(raw, "resetKeyLedger"),
    webhookChartVersion,
    webhookReplicaCount: int(raw, "webhookReplicaCount", 1, 10)!,
    webhookLogLevel: oneOf(raw, "webhookLogLevel", LOG_LEVELS),
    tokenExpirationSeconds: int(
      raw,
      "tokenExpirationSeconds",
      MIN_TOKEN_EXPIRATION,
      MAX_TOKEN_EXPIRATION,
    )!,
    identities,
    demoWorkload,
    demoImage,
    openshiftCredentialsRequests,
    openshiftRoleScope,
    capz,
  };
}

/**
 * Refuses two entries that reach one Azure identity (by name in the stack's resource group, or
 * by an existing identity's resource id, compared as Azure compares ids): each would chain its
 * own credentials and count its own 20, where Azure refuses concurrent writes and counts them
 * together.
 */
function checkOneWriterPerIdentity(
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
    withOwner(`identity ${id.name}`, "", () =>
      id.existingIdentity
        ? claims.claim(
            existingIdentityKey(id.existingIdentity.resourceId),
            `identity ${id.name} (${at})`,
            `${at}.existingIdentity.resourceId`,
            id.existingIdentity.resourceId,
          )
        : claims.claim(
            createdIdentityKey(stackGroup, id.name),
            `identity ${id.name} (${at})`,
            `${at}.name`,
            id.name,
          ),
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

function parsePlainList(value: unknown, key: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string"))
    fail(key, value, "expected a list of strings");
  return value as string[];
}

/** The project's config from Pulumi's flat `project:key` map, without the prefix. */
export function projectConfig(all: Record<string, string>, project: string): Raw {
  const prefix = `${project}:`;
  return Object.fromEntries(
    Object.entries(all)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
}
