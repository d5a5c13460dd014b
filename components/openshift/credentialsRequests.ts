/**
 * OpenShift's CredentialsRequests for Azure, and the manifests `ccoctl azure create-all` writes
 * for them: a Secret per request that the operator reads (`azure_client_id`, `azure_tenant_id`,
 * `azure_region`, `azure_subscription_id`, `azure_federated_token_file`) and the cluster's
 * `Authentication` with the service-account issuer. Pure.
 */
import * as crypto from "node:crypto";

import * as YAML from "yaml";

import { InvalidArgumentError, describeValue, withOwner } from "../shared/errors";
import { validateDns1123Label } from "../shared/kubernetes";
import { resolveRole } from "../identity/roles";
import { MAX_FICS_PER_IDENTITY } from "../identity/workloadIdentityNames";

/** The audience OpenShift's operators request their tokens for; ccoctl trusts it. */
export const OPENSHIFT_AUDIENCE = "openshift";
/** Where OpenShift mounts an operator's bound ServiceAccount token. */
export const OPENSHIFT_TOKEN_FILE = "/var/run/secrets/openshift/serviceaccount/token";

export interface CredentialsRequest {
  /** `namespace/name` of the request itself. */
  id: string;
  /** The Secret the operator reads its credentials from. */
  secretRef: { namespace: string; name: string };
  /** The operator's ServiceAccounts, in `secretRef.namespace`: one FIC each. */
  serviceAccountNames: string[];
  /** Built-in role names, GUIDs or ids, granted to the request's identity. */
  roles: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The Azure roles a request's providerSpec binds: roleBindings only, each a role we know. */
function rolesOf(provider: unknown): string[] {
  if (!isObj(provider) || provider.kind !== "AzureProviderSpec") {
    throw new InvalidArgumentError(
      "spec.providerSpec.kind",
      describeValue(isObj(provider) ? provider.kind : provider),
      'expected "AzureProviderSpec" (requests for other clouds do not apply)',
    );
  }
  if (provider.permissions !== undefined || provider.dataPermissions !== undefined) {
    throw new InvalidArgumentError(
      "spec.providerSpec.permissions",
      "custom permissions",
      "expected roleBindings only: create a custom role with those permissions and name its id in roleBindings",
    );
  }
  const bindings = provider.roleBindings ?? [];
  if (!Array.isArray(bindings)) {
    throw new InvalidArgumentError(
      "spec.providerSpec.roleBindings",
      describeValue(bindings),
      "expected a list of { role }",
    );
  }
  return bindings.map((b: unknown, j) => {
    const role = isObj(b) ? b.role : undefined;
    resolveRole(role, `spec.providerSpec.roleBindings[${j}].role`);
    return role as string;
  });
}

/** The Secret the operator reads its credentials from. */
function secretRefOf(ref: unknown): CredentialsRequest["secretRef"] {
  if (!isObj(ref)) {
    throw new InvalidArgumentError(
      "spec.secretRef",
      describeValue(ref),
      "expected { name, namespace }",
    );
  }
  return {
    namespace: validateDns1123Label(ref.namespace, "spec.secretRef.namespace"),
    name: validateDns1123Label(ref.name, "spec.secretRef.name", 253),
  };
}

/** The operator's ServiceAccounts: 1 to 20, each once (one federated credential each). */
function serviceAccountsOf(sas: unknown): string[] {
  if (!Array.isArray(sas) || sas.length === 0) {
    throw new InvalidArgumentError(
      "spec.serviceAccountNames",
      describeValue(sas),
      "expected the operator's ServiceAccounts (at least one), which get a federated credential each",
    );
  }
  const names = sas.map((s: unknown, j) => {
    const sa = validateDns1123Label(s, `spec.serviceAccountNames[${j}]`, 253);
    if (sas.indexOf(s) !== j) {
      throw new InvalidArgumentError(
        `spec.serviceAccountNames[${j}]`,
        describeValue(s),
        "expected each ServiceAccount once: each gets one federated credential",
      );
    }
    return sa;
  });
  if (names.length > MAX_FICS_PER_IDENTITY) {
    throw new InvalidArgumentError(
      "spec.serviceAccountNames",
      `${names.length} ServiceAccounts`,
      `expected at most ${MAX_FICS_PER_IDENTITY}: Entra allows ${MAX_FICS_PER_IDENTITY} federated credentials per identity`,
    );
  }
  return names;
}

/** One request, its fields named under `at` with the request as the owner. */
function parseCredentialsRequest(item: unknown, at: string): CredentialsRequest {
  if (
    !isObj(item) ||
    item.kind !== "CredentialsRequest" ||
    !isObj(item.metadata) ||
    !isObj(item.spec)
  ) {
    throw new InvalidArgumentError(
      at,
      describeValue(item),
      "expected a CredentialsRequest with metadata and spec",
    );
  }
  const meta = item.metadata;
  const name = validateDns1123Label(meta.name, `${at}.metadata.name`, 253);
  const namespace = validateDns1123Label(
    meta.namespace ?? "openshift-cloud-credential-operator",
    `${at}.metadata.namespace`,
  );
  return withOwner(`CredentialsRequest ${namespace}/${name}`, `${at}.`, () => {
    const spec = item.spec as Obj;
    return {
      id: `${namespace}/${name}`,
      secretRef: secretRefOf(spec.secretRef),
      serviceAccountNames: serviceAccountsOf(spec.serviceAccountNames),
      roles: rolesOf(spec.providerSpec),
    };
  });
}

/** Reads CredentialsRequest objects (as parsed YAML), checking what the component needs: each
 * request and its secret once (each gets an identity named after its secret). */
export function parseCredentialsRequests(
  value: unknown,
  field = "credentialsRequests",
): CredentialsRequest[] {
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError(
      field,
      describeValue(value),
      "expected a list of CredentialsRequest objects",
    );
  }
  const ids = new Set<string>();
  const secrets = new Set<string>();
  return value.map((item: unknown, i) => {
    const at = `${field}[${i}]`;
    const request = parseCredentialsRequest(item, at);
    const owner = `CredentialsRequest ${request.id}`;
    const secret = `${request.secretRef.namespace}/${request.secretRef.name}`;
    if (secrets.has(secret)) {
      throw new InvalidArgumentError(
        `${at}.spec.secretRef`,
        JSON.stringify(secret),
        "expected each secretRef once: each request gets an identity named after it",
        owner,
      );
    }
    if (ids.has(request.id)) {
      throw new InvalidArgumentError(
        `${at}.metadata.name`,
        JSON.stringify(request.id),
        "expected each request once",
        owner,
      );
    }
    secrets.add(secret);
    ids.add(request.id);
    return request;
  });
}

/** The identity's Azure name: `<prefix>-<secret namespace>-<secret name>`, as ccoctl derives
 * it from the secret reference, shortened with a hash to Azure's 128 characters. */
export function credentialsIdentityName(prefix: string, request: CredentialsRequest): string {
  const full = `${prefix}-${request.secretRef.namespace}-${request.secretRef.name}`;
  if (full.length <= 128) return full;
  const hash = crypto.createHash("sha256").update(full).digest("hex").slice(0, 8);
  return `${full.slice(0, 119)}-${hash}`;
}

export interface SecretValues {
  clientId: string;
  tenantId: string;
  region: string;
  subscriptionId: string;
  tokenFile?: string;
}

/** The Secret manifest the operator reads, in ccoctl's format. */
export function credentialsSecretManifest(request: CredentialsRequest, v: SecretValues): string {
  return YAML.stringify(
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: request.secretRef.name, namespace: request.secretRef.namespace },
      type: "Opaque",
      stringData: {
        azure_client_id: v.clientId,
        azure_tenant_id: v.tenantId,
        azure_region: v.region,
        azure_subscription_id: v.subscriptionId,
        azure_federated_token_file: v.tokenFile ?? OPENSHIFT_TOKEN_FILE,
      },
    },
    { lineWidth: 0 },
  );
}

/** The cluster's Authentication manifest, naming the issuer its tokens carry. */
export function authenticationManifest(issuerUrl: string): string {
  return YAML.stringify(
    {
      apiVersion: "config.openshift.io/v1",
      kind: "Authentication",
      metadata: { name: "cluster" },
      spec: { serviceAccountIssuer: issuerUrl },
    },
    { lineWidth: 0 },
  );
}
