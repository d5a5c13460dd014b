/**
 * Workload identities: the Azure identity, its federated credentials, the annotated
 * ServiceAccounts and role assignments; for one cluster, or for many (FleetIdentity: federated
 * credentials or AKS identity bindings, within the identity's credential budget).
 */
export { WorkloadIdentity } from "./workloadIdentity";
export { FleetIdentity } from "./fleetIdentity";
export type { FleetClusterOutput, FleetPodIdentity } from "./fleetIdentity";
export type {
  FleetClusterArgs,
  FleetIdentityArgs,
  FleetMechanism,
  IdentityBindingTarget,
} from "./fleetIdentityArgs";
export type {
  ExistingIdentity,
  RoleAssignmentSpec,
  TrustedServiceAccount,
  WorkloadIdentityArgs,
} from "./workloadIdentityArgs";
export {
  ANNOTATION,
  USE_LABEL,
  USE_IDENTITY_BINDING_ANNOTATION,
  IDENTITY_BINDING_RBAC,
  IDENTITY_BINDING_CREDENTIAL,
  identityBindingIssuer,
  ficName,
  fleetFicName,
  podIdentityFor,
  serviceAccountAnnotations,
  parseIdentityResourceId,
  MAX_FICS_PER_IDENTITY,
} from "./workloadIdentityNames";
export type { PodIdentity } from "./workloadIdentityNames";
export { BUILTIN_ROLES, roleDefinitionId } from "./roles";
export type { RoleAssignmentOutput } from "./roles";
