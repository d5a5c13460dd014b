/**
 * The OIDC issuer: its signing keys and their rotation guard, the documents Entra fetches, and
 * where they are hosted.
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
} from "./issuerUrl";
export {
  storageAccountName,
  staticWebsiteIssuer,
  publicContainerIssuer,
  STORAGE_ACCOUNT_NAME,
} from "./storage";
export type { Hosting } from "./storage";
export type { KeyLedger, KeyRecord, RetiredKey, RotationPhase, RotationState } from "./signingKeys";
