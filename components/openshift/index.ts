/**
 * OpenShift's CredentialsRequests, made as ccoctl makes them.
 */
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
