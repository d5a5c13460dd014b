/**
 * What the stack makes for other systems: OpenShift's CredentialsRequests (ccoctl's identities)
 * and Cluster API's AzureClusterIdentity, each checked under its config keys.
 */
import { ClusterFlavor } from "../../components/cluster/clusterArgs";
import {
  CredentialsRequest,
  parseCredentialsRequests,
} from "../../components/openshift/credentialsRequests";
import { validateDns1123Label } from "../../components/shared/kubernetes";
import { validateScope } from "../../components/identity/roles";
import { IdentityConfig } from "./identities";
import { Raw, fail, list, onlyWith, str, stringList } from "./raw";

export interface IntegrationsConfig {
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

export function parseOpenShift(raw: Raw): {
  openshiftCredentialsRequests: unknown[];
  openshiftRoleScope: string | undefined;
  requests: CredentialsRequest[];
} {
  const openshiftCredentialsRequests = list(
    raw,
    "openshiftCredentialsRequests",
    "CredentialsRequest objects",
  );
  const requests = parseCredentialsRequests(
    openshiftCredentialsRequests,
    "openshiftCredentialsRequests",
  );
  const openshiftRoleScope = str(raw, "openshiftRoleScope");
  if (openshiftRoleScope !== undefined) validateScope(openshiftRoleScope, "openshiftRoleScope");
  return { openshiftCredentialsRequests, openshiftRoleScope, requests };
}

export function parseCapz(
  raw: Raw,
  flavor: ClusterFlavor,
  identities: IdentityConfig[],
): IntegrationsConfig["capz"] {
  const identity = str(raw, "capzIdentity");
  if (identity === undefined) {
    onlyWith(
      raw,
      ["capzNamespace", "capzAllowedNamespaces", "capzWorkloadClusterName"],
      "only used with capzIdentity; set that too or remove it",
    );
    return undefined;
  }
  if (!identities.some((i) => i.name === identity))
    fail(
      "capzIdentity",
      identity,
      `expected the name of an identity in identities (${identities.map((i) => i.name).join(", ") || "none"})`,
    );
  // The AzureClusterIdentity is named after it, lowercased: a Kubernetes object name.
  validateDns1123Label(identity.toLowerCase(), "capzIdentity", 253);
  const namespace = validateDns1123Label(str(raw, "capzNamespace"), "capzNamespace");
  const allowed = stringList(raw, "capzAllowedNamespaces");
  const workloadClusterName = str(raw, "capzWorkloadClusterName");
  if (workloadClusterName !== undefined) {
    validateDns1123Label(workloadClusterName, "capzWorkloadClusterName");
    if (flavor !== "kind")
      fail(
        "capzWorkloadClusterName",
        workloadClusterName,
        'only with flavor "kind": AKS keeps its signing keys',
      );
  }
  return {
    identity,
    namespace,
    allowedNamespaces:
      allowed.length === 0
        ? undefined
        : allowed.includes("*")
          ? "all"
          : allowed.map((ns, i) => validateDns1123Label(ns, `capzAllowedNamespaces[${i}]`)),
    workloadClusterName,
  };
}
