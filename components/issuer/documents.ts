import { InvalidArgumentError, describeValue } from "../shared/errors";
import { canonicalIssuer, jwksUri } from "./issuerUrl";
import { keyId, parseRsaPublicKey } from "./keys";

/** Blob paths relative to the issuer, as Kubernetes serves them. */
export const DISCOVERY_PATH = ".well-known/openid-configuration";
export const JWKS_PATH = "openid/v1/jwks";

/** The OpenID discovery document, with the fields and order kube-apiserver serves
 * (pkg/serviceaccount/openidmetadata.go). */
export interface DiscoveryDocument {
  issuer: string;
  jwks_uri: string;
  response_types_supported: string[];
  subject_types_supported: string[];
  id_token_signing_alg_values_supported: string[];
}

export interface JsonWebKey {
  use: "sig";
  kty: "RSA";
  kid: string;
  alg: "RS256";
  n: string;
  e: string;
}

export interface JsonWebKeySet {
  keys: JsonWebKey[];
}

/** The discovery document for an issuer; the issuer is validated and copied byte for byte. */
export function discoveryDocument(issuerUrl: string): DiscoveryDocument {
  const issuer = canonicalIssuer(issuerUrl);
  return {
    issuer,
    jwks_uri: jwksUri(issuer),
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
  };
}

/** One JWK in the shape Kubernetes publishes: `use`, `kty`, `kid`, `alg`, `n`, `e`. */
export function jsonWebKey(publicKeyPem: string, field = "publicKeyPem"): JsonWebKey {
  const key = parseRsaPublicKey(publicKeyPem, field);
  const jwk = key.export({ format: "jwk" });
  return {
    use: "sig",
    kty: "RSA",
    kid: keyId(publicKeyPem),
    alg: "RS256",
    n: String(jwk.n),
    e: String(jwk.e),
  };
}

/**
 * The JWKS for a list of public keys, in the given order (the signing key first by convention;
 * rotation publishes old and new keys together). An empty list, or the same key twice, is an error.
 */
export function jsonWebKeySet(publicKeysPem: string[]): JsonWebKeySet {
  if (!Array.isArray(publicKeysPem) || publicKeysPem.length === 0) {
    throw new InvalidArgumentError(
      "publicKeysPem",
      describeValue(publicKeysPem),
      "expected at least one PEM-encoded RSA public key",
    );
  }
  const keys = publicKeysPem.map((pem, i) => jsonWebKey(pem, `publicKeysPem[${i}]`));
  const seen = new Map<string, number>();
  keys.forEach((k, i) => {
    const first = seen.get(k.kid);
    if (first !== undefined) {
      throw new InvalidArgumentError(
        `publicKeysPem[${i}]`,
        `the same key as publicKeysPem[${first}] (kid ${k.kid})`,
        "expected each public key once",
      );
    }
    seen.set(k.kid, i);
  });
  return { keys };
}

/** Serialises a document the way the blob stores it: compact JSON, as kube-apiserver writes it. */
export function serializeDocument(doc: DiscoveryDocument | JsonWebKeySet): string {
  return JSON.stringify(doc);
}
