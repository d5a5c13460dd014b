/**
 * The library: components to import into any Pulumi program, and the pure functions behind them.
 * Nothing here creates resources at import time.
 */
export { OidcIssuer } from "./oidcIssuer";
export type {
  BroughtKeyArgs,
  GeneratedKeyArgs,
  OidcIssuerArgs,
  ProvidedSigningKey,
  PublicContainerHostingArgs,
  StaticWebsiteHostingArgs,
} from "./oidcIssuerArgs";

export { InvalidArgumentError } from "./errors";
export {
  discoveryDocument,
  jsonWebKey,
  jsonWebKeySet,
  serializeDocument,
  DISCOVERY_PATH,
  JWKS_PATH,
} from "./documents";
export type { DiscoveryDocument, JsonWebKey, JsonWebKeySet } from "./documents";
export { keyId, parseRsaPublicKey, parseRsaPrivateKey, MIN_RSA_BITS } from "./keys";
export {
  canonicalIssuer,
  jwksUri,
  serviceAccountSubject,
  AZURE_AD_TOKEN_EXCHANGE_AUDIENCE,
} from "./issuer";
export {
  storageAccountName,
  staticWebsiteIssuer,
  publicContainerIssuer,
  STORAGE_ACCOUNT_NAME,
} from "./storage";
export type { Hosting } from "./storage";

export { KindOrAksCluster } from "./kindOrAksCluster";
export type {
  AksClusterArgs,
  ClusterFlavor,
  KindClusterArgs,
  KindOrAksClusterArgs,
} from "./clusterArgs";
export {
  renderKindConfig,
  kubeadmPatch,
  kubeadmShape,
  KIND_KEY_FILES,
  SA_PUBLIC_KEY,
  SA_PRIVATE_KEY,
} from "./kindConfig";
export type { KindConfigInput, KubeadmShape } from "./kindConfig";
export { parseKubernetesVersion, validateDns1123Label } from "./kubernetes";

export { WorkloadIdentity } from "./workloadIdentity";
export type {
  ExistingIdentity,
  RoleAssignmentSpec,
  TrustedServiceAccount,
  WorkloadIdentityArgs,
} from "./workloadIdentityArgs";
export {
  ANNOTATION,
  USE_LABEL,
  ficName,
  podIdentityFor,
  serviceAccountAnnotations,
  parseIdentityResourceId,
  MAX_FICS_PER_IDENTITY,
} from "./workloadIdentityNames";
export type { PodIdentity } from "./workloadIdentityNames";
export { BUILTIN_ROLES, roleDefinitionId } from "./roles";
export type { RoleAssignmentOutput } from "./roles";
export { Webhook } from "./webhook";
export type { WebhookArgs } from "./webhook";
export {
  webhookValues,
  WEBHOOK_CHART,
  WEBHOOK_CHART_VERSION,
  WEBHOOK_NAMESPACE,
  WEBHOOK_REPOSITORY,
} from "./webhookValues";
export { OpenShiftCredentials } from "./openShiftCredentials";
export type { OpenShiftCredentialsArgs } from "./openShiftCredentials";
export {
  OPENSHIFT_AUDIENCE,
  OPENSHIFT_TOKEN_FILE,
  authenticationManifest,
  credentialsIdentityName,
  credentialsSecretManifest,
  parseCredentialsRequests,
} from "./credentialsRequests";
export type { CredentialsRequest } from "./credentialsRequests";
export { azureClusterIdentityManifest, serviceAccountKeySecretManifest } from "./capz";
export type { AzureClusterIdentityInput, ServiceAccountKeySecretInput } from "./capz";
export { capzManifests } from "./capzManifests";
export type { CapzManifestsArgs } from "./capzManifests";
