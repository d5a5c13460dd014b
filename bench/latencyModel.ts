/**
 * How long each cloud operation of a deployment takes, per resource type: what the local cloud
 * waits before answering (`LOCALCLOUD_LATENCY_MODEL`, localcloud/latency.go) and what the
 * deployment bound is computed from. Figures in milliseconds at full scale; the bench runs them
 * scaled down so that it stays short (the ratios are what it reports).
 *
 * Where the figures come from:
 * - Storage account 20 s, user-assigned identity 5 s, federated credential 3 s: observed on this
 *   project's own deployments (issue 15: "a storage account about 20 s, an identity several
 *   seconds, each FIC a few seconds"). Azure accepts one FIC write at a time per identity
 *   (pulumi-azure-native #4343), which is why they chain; deleting each takes about as long.
 * - Role assignment 4 s: one ARM PUT that returns once written; its propagation to every
 *   Resource Manager cache takes longer still (Azure RBAC troubleshooting docs: up to 10 minutes),
 *   which no deployment waits for.
 * - Resource group 2 s (deleting one 15 s), blob container or static website 1 s, blob 0.3 s: a
 *   plain ARM write, a data-plane PUT.
 * - kind cluster 45 s (create) / 5 s (delete): `kind create cluster` with the node image already
 *   pulled, one control-plane node, on a developer machine; the keys command 5 s (a file write
 *   and a restart of kube-apiserver, which waits for /readyz).
 * - Helm release of the webhook 20 s: install, then wait for its Deployment to be ready (image
 *   pulls already cached).
 * - Namespace and ServiceAccount 0.05 s: one API server write; the Kubernetes scalability SLO
 *   puts a mutating call for one object at p99 <= 1 s, and a quiet kind cluster answers in tens of
 *   milliseconds.
 * - TLS key, random suffix: local computation, 0.
 * Anything not listed takes no time.
 */

export type Operation = "create" | "update" | "delete";
export type Figures = Partial<Record<Operation, number>>;

/** By resource type, or by `<type>::<logical name>` where one type stands for different things. */
export const LATENCY_MS: Record<string, Figures> = {
  "azure-native:resources:ResourceGroup": { create: 2000, update: 2000, delete: 15000 },
  "azure-native:storage:StorageAccount": { create: 20000, update: 5000, delete: 5000 },
  "azure-native:storage:StorageAccountStaticWebsite": { create: 1000, update: 1000, delete: 1000 },
  "azure-native:storage:BlobContainer": { create: 1000, update: 1000, delete: 1000 },
  "azure-native:storage:Blob": { create: 300, update: 300, delete: 300 },
  "azure-native:managedidentity:UserAssignedIdentity": { create: 5000, update: 3000, delete: 5000 },
  "azure-native:managedidentity:FederatedIdentityCredential": {
    create: 3000,
    update: 3000,
    delete: 3000,
  },
  "azure-native:authorization:RoleAssignment": { create: 4000, delete: 4000 },
  "command:local:Command::cluster-kind": { create: 45000, delete: 5000 },
  "command:local:Command::cluster-kind-keys": { create: 100, update: 5000, delete: 100 },
  "kubernetes:helm.sh/v3:Release": { create: 20000, update: 10000, delete: 5000 },
  "kubernetes:core/v1:Namespace": { create: 50, update: 50, delete: 50 },
  "kubernetes:core/v1:ServiceAccount": { create: 50, update: 50, delete: 50 },
};

/** How long one operation takes at the given scale (the local cloud's rule: name, then type). */
export function operationMs(
  type: string,
  name: string,
  op: Operation,
  scale: number,
  model: Record<string, Figures> = LATENCY_MS,
): number {
  const figures = model[`${type}::${name}`] ?? model[type] ?? {};
  return (figures[op] ?? 0) * scale;
}

/** The model as the local cloud reads it from LOCALCLOUD_LATENCY_MODEL. */
export function latencyModelEnv(scale: number, model = LATENCY_MS): string {
  return JSON.stringify({ scale, operations: model });
}
