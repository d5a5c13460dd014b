/**
 * The strings a workload identity is made of: FIC names and subjects, ServiceAccount
 * annotations and the pod label (azure-workload-identity v1.6.0, pkg/webhook/consts.go), and
 * managed identity resource ids. Pure.
 */
import * as crypto from "node:crypto";

import { InvalidArgumentError, describeValue } from "../shared/errors";
import { serviceAccountSubject } from "../issuer/issuerUrl";

export const ANNOTATION = {
  clientId: "azure.workload.identity/client-id",
  tenantId: "azure.workload.identity/tenant-id",
  tokenExpiration: "azure.workload.identity/service-account-token-expiration",
} as const;

/** The label that opts a pod into mutation (a pod label since v1.0, not a ServiceAccount one). */
export const USE_LABEL = "azure.workload.identity/use";

/**
 * The pod annotation that sends an AKS pod's token exchange through the cluster's identity
 * binding proxy (AKS identity bindings), beside USE_LABEL.
 */
export const USE_IDENTITY_BINDING_ANNOTATION = "azure.workload.identity/use-identity-binding";

/** The credential AKS writes on an identity for all its bindings (users must not change it). */
export const IDENTITY_BINDING_CREDENTIAL = "aks-identity-binding";

/** The issuer AKS gives every binding of one identity, whatever the cluster. */
export function identityBindingIssuer(tenantId: string, clientId: string): string {
  return `https://ib.oic.prod-aks.azure.com/${tenantId}/${clientId}`;
}

/** The Kubernetes RBAC that lets a ServiceAccount use an identity through a binding: the verb on
 * a resource named by the identity's client id, in AKS's API group. */
export const IDENTITY_BINDING_RBAC = {
  apiGroup: "cid.wi.aks.azure.com",
  verb: "use-managed-identity",
} as const;

/** The webhook rejects pods whose token expiration is outside this range (seconds). */
export const MIN_TOKEN_EXPIRATION = 3600;
export const MAX_TOKEN_EXPIRATION = 86400;

/** Entra allows at most 20 federated identity credentials on one identity. */
export const MAX_FICS_PER_IDENTITY = 20;
/** The longest FIC name the portal and API accept. */
export const MAX_FIC_NAME_LENGTH = 120;

const HASH_LENGTH = 10;

/**
 * A FIC name: deterministic, at most 120 characters, distinct for distinct subjects. The readable
 * part (`namespace-name`) is ambiguous on its own (`a-b` + `c` and `a` + `b-c`), so a hash of the
 * exact subject always follows it.
 */
export function ficName(namespace: string, serviceAccount: string): string {
  const subject = serviceAccountSubject(namespace, serviceAccount);
  const hash = crypto.createHash("sha256").update(subject).digest("hex").slice(0, HASH_LENGTH);
  const readable = `${namespace}-${serviceAccount}`
    .slice(0, MAX_FIC_NAME_LENGTH - HASH_LENGTH - 1)
    .replace(/-+$/, "");
  return `${readable}-${hash}`;
}

/**
 * A FIC name in a fleet, where one ServiceAccount name can be trusted in several clusters: the
 * cluster's name leads, and the hash covers it with the subject.
 */
export function fleetFicName(cluster: string, namespace: string, serviceAccount: string): string {
  const subject = serviceAccountSubject(namespace, serviceAccount);
  const hash = crypto
    .createHash("sha256")
    .update(`${cluster}\n${subject}`)
    .digest("hex")
    .slice(0, HASH_LENGTH);
  const readable = `${cluster}-${namespace}-${serviceAccount}`
    .slice(0, MAX_FIC_NAME_LENGTH - HASH_LENGTH - 1)
    .replace(/-+$/, "");
  return `${readable}-${hash}`;
}

/** The annotations that tell the webhook which identity (and tenant) a ServiceAccount uses. */
export function serviceAccountAnnotations(
  clientId: string,
  tenantId: string,
  tokenExpirationSeconds?: number,
): Record<string, string> {
  return {
    [ANNOTATION.clientId]: clientId,
    [ANNOTATION.tenantId]: tenantId,
    ...(tokenExpirationSeconds === undefined
      ? {}
      : { [ANNOTATION.tokenExpiration]: String(tokenExpirationSeconds) }),
  };
}

export interface IdentityResourceId {
  subscriptionId: string;
  resourceGroupName: string;
  name: string;
}

const IDENTITY_ID =
  /^\/subscriptions\/([0-9a-fA-F-]{36})\/resourceGroups\/([-\w._()]+)\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/([-\w]+)$/i;

/** Splits a user-assigned identity's resource id into subscription, resource group and name. */
export function parseIdentityResourceId(
  id: unknown,
  field = "existingIdentity.resourceId",
): IdentityResourceId {
  const m = typeof id === "string" ? IDENTITY_ID.exec(id) : null;
  if (!m) {
    throw new InvalidArgumentError(
      field,
      describeValue(id),
      "expected /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>",
    );
  }
  return { subscriptionId: m[1], resourceGroupName: m[2], name: m[3] };
}

/** What a pod spec needs to use a workload identity. */
export interface PodIdentity {
  /** Goes on the pod (not the ServiceAccount): `azure.workload.identity/use: "true"`. */
  labels: Record<string, string>;
  serviceAccountName: string;
  namespace: string;
}

/**
 * The ServiceAccount a pod uses an identity through: the one given, which must be trusted, or
 * the first trusted one that is created. Throws `<owner>: ... trusted <where>` otherwise.
 */
export function chooseServiceAccount(
  trusted: { namespace: string; name: string; create: boolean }[],
  given: { namespace: string; name: string } | undefined,
  owner: string,
  where: string,
): { namespace: string; name: string } {
  const chosen = given ?? trusted.find((sa) => sa.create);
  if (
    !chosen ||
    !trusted.some((sa) => sa.namespace === chosen.namespace && sa.name === chosen.name)
  ) {
    throw new Error(
      `${owner}: ${chosen ? `${chosen.namespace}/${chosen.name} is not` : "no ServiceAccount is"} trusted ${where}`,
    );
  }
  return chosen;
}

/** The pod label and ServiceAccount name that make the webhook inject an identity. */
export function podIdentityFor(serviceAccount: { namespace: string; name: string }): PodIdentity {
  return {
    labels: { [USE_LABEL]: "true" },
    serviceAccountName: serviceAccount.name,
    namespace: serviceAccount.namespace,
  };
}
