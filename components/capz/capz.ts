/**
 * Cluster API Provider Azure (CAPZ): what a management cluster needs to use a workload identity.
 * Pure: the manifests, as YAML text.
 *
 * - An `AzureClusterIdentity` of type `WorkloadIdentity` naming the identity's client and tenant
 *   ids; `allowedNamespaces` says which namespaces' AzureClusters may use it.
 * - The workload cluster's service-account signing keys as the Secret Cluster API reads them:
 *   `<cluster>-sa` in the Cluster's namespace, `tls.crt` the public key and `tls.key` the
 *   private one, so that the control plane signs with the key the issuer publishes.
 */
import * as YAML from "yaml";

import { InvalidArgumentError, describeValue } from "../shared/errors";
import { validateDns1123Label } from "../shared/kubernetes";
import { normalizePublicKeyPem } from "../issuer/keys";

export interface AzureClusterIdentityInput {
  name: string;
  namespace: string;
  clientId: string;
  tenantId: string;
  /** Namespaces whose AzureClusters may use the identity: a list, `"all"`, or none (only its own). */
  allowedNamespaces?: string[] | "all";
}

export function azureClusterIdentityManifest(input: AzureClusterIdentityInput): string {
  validateDns1123Label(input.name, "name", 253);
  validateDns1123Label(input.namespace, "namespace");
  const allowed = input.allowedNamespaces;
  if (allowed !== undefined && allowed !== "all" && !Array.isArray(allowed)) {
    throw new InvalidArgumentError(
      "allowedNamespaces",
      describeValue(allowed),
      'expected a list of namespaces or "all"',
    );
  }
  if (Array.isArray(allowed))
    allowed.forEach((ns, i) => validateDns1123Label(ns, `allowedNamespaces[${i}]`));
  return YAML.stringify(
    {
      apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1",
      kind: "AzureClusterIdentity",
      metadata: { name: input.name, namespace: input.namespace },
      spec: {
        type: "WorkloadIdentity",
        clientID: input.clientId,
        tenantID: input.tenantId,
        // CAPZ: an empty object allows every namespace; omitted, only the identity's own.
        ...(allowed === undefined
          ? {}
          : { allowedNamespaces: allowed === "all" ? {} : { list: allowed } }),
      },
    },
    { lineWidth: 0 },
  );
}

export interface ServiceAccountKeySecretInput {
  clusterName: string;
  namespace: string;
  publicKeyPem: string;
  privateKeyPem: string;
}

/** The `<cluster>-sa` Secret with the signing key pair. Holds the private key: keep it secret. */
export function serviceAccountKeySecretManifest(input: ServiceAccountKeySecretInput): string {
  validateDns1123Label(input.clusterName, "clusterName");
  validateDns1123Label(input.namespace, "namespace");
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  return YAML.stringify(
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: `${input.clusterName}-sa`,
        namespace: input.namespace,
        labels: { "cluster.x-k8s.io/cluster-name": input.clusterName },
      },
      type: "cluster.x-k8s.io/secret",
      data: {
        "tls.crt": b64(normalizePublicKeyPem(input.publicKeyPem, "publicKeyPem")),
        "tls.key": b64(input.privateKeyPem),
      },
    },
    { lineWidth: 0 },
  );
}
