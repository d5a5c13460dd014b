/**
 * Cluster API Provider Azure: the AzureClusterIdentity and a workload cluster's key Secret.
 */
export { azureClusterIdentityManifest, serviceAccountKeySecretManifest } from "./capz";
export type { AzureClusterIdentityInput, ServiceAccountKeySecretInput } from "./capz";
export { capzManifests } from "./capzManifests";
export type { CapzManifestsArgs } from "./capzManifests";
