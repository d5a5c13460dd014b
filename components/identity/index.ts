/**
 * Workload identities: the Azure identity, its federated credentials, the annotated
 * ServiceAccounts and role assignments.
 */
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
