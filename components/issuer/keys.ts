import * as crypto from "node:crypto";

import { InvalidArgumentError, describeSecret, describeValue } from "../shared/errors";

/** Kubernetes and Entra accept smaller RSA keys in principle; we refuse them (NIST SP 800-131A). */
export const MIN_RSA_BITS = 2048;
/** Upper bound on generated keys: larger keys only slow every token signature down. */
export const MAX_RSA_BITS = 8192;

function rejectPrivateMaterial(pem: string, field: string): void {
  // A private key passed where a public one is expected would still parse (Node derives the
  // public half), and then sit in plain state. Refuse it and never echo it.
  if (/PRIVATE KEY-----/.test(pem)) {
    throw new InvalidArgumentError(
      field,
      "a PEM holding a PRIVATE KEY (not shown)",
      "expected a PEM-encoded RSA public key; pass private keys only where a secret is expected",
    );
  }
}

/**
 * Refuses a PEM text holding more than one block. Node's parsers read the first block and ignore
 * the rest, while kube-apiserver reads every key in a key file: a second key would be accepted by
 * the cluster and missing from the JWKS.
 */
function requireOneBlock(pem: string, field: string, what: string): void {
  const blocks = pem.match(/-----BEGIN [A-Z0-9 ]+-----/g) ?? [];
  if (blocks.length > 1) {
    throw new InvalidArgumentError(
      field,
      `a PEM text holding ${blocks.length} blocks`,
      `expected exactly one ${what} per PEM text; give further keys as further list entries`,
    );
  }
}

function checkRsa(key: crypto.KeyObject, field: string, what: string): crypto.KeyObject {
  if (key.asymmetricKeyType !== "rsa") {
    throw new InvalidArgumentError(
      field,
      `a ${key.asymmetricKeyType ?? "non-asymmetric"} key`,
      `expected an RSA ${what} (Entra accepts RS256 only; ES256 fails with AADSTS5002738)`,
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw new InvalidArgumentError(
      field,
      `an RSA key of ${bits} bits`,
      `expected at least ${MIN_RSA_BITS} bits`,
    );
  }
  return key;
}

/**
 * Parses a PEM-encoded RSA public key (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`), checking
 * that it is RSA and at least {@link MIN_RSA_BITS} bits. `field` names the argument in errors.
 */
export function parseRsaPublicKey(pem: string, field = "publicKeyPem"): crypto.KeyObject {
  if (typeof pem !== "string" || !pem.includes("-----BEGIN")) {
    throw new InvalidArgumentError(
      field,
      typeof pem === "string" ? JSON.stringify(pem.slice(0, 40)) : typeof pem,
      "expected a PEM-encoded RSA public key (-----BEGIN PUBLIC KEY-----)",
    );
  }
  rejectPrivateMaterial(pem, field);
  requireOneBlock(pem, field, "public key");
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey({ key: pem, format: "pem" });
  } catch (err) {
    throw new InvalidArgumentError(
      field,
      `a PEM that does not parse (${(err as Error).message})`,
      "expected a PEM-encoded RSA public key (-----BEGIN PUBLIC KEY-----)",
    );
  }
  return checkRsa(key, field, "public key");
}

/**
 * Parses a PEM-encoded RSA private key (PKCS#1 or PKCS#8). Error messages never include the key:
 * an encrypted key, a public key given for a private one, and what does not parse are each named.
 */
export function parseRsaPrivateKey(pem: unknown, field = "privateKeyPem"): crypto.KeyObject {
  const refuse = (
    what: string,
    allowed = "expected a PEM-encoded RSA private key (PKCS#1 or PKCS#8), unencrypted",
  ) => new InvalidArgumentError(field, what, allowed);
  if (typeof pem !== "string") throw refuse(`${describeSecret(pem)}`);
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    throw refuse(
      "an encrypted private key (not shown)",
      "expected it unencrypted: decrypt it (openssl pkey -in key.pem -out plain.pem) and give that, as a secret",
    );
  }
  if (!pem.includes("PRIVATE KEY-----")) {
    throw refuse(
      /PUBLIC KEY-----/.test(pem)
        ? "a public key"
        : `${describeSecret(pem)} that is not a PEM private key`,
    );
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({ key: pem, format: "pem" });
  } catch {
    throw refuse(`${describeSecret(pem)} that does not parse as a PEM private key`);
  }
  requireOneBlock(pem, field, "private key");
  return checkRsa(key, field, "private key");
}

/**
 * Checks a list of PEM public keys (rotation keys): a list, each one RSA key of at least 2048
 * bits, none twice, and none among `seen` (kid to the field that already holds it, e.g. the
 * signing key). Errors name the element, `field[i]`. Returns them as SPKI PEMs
 * ({@link normalizePublicKeyPem}).
 */
export function parsePublicKeyList(
  value: unknown,
  field: string,
  seen: Map<string, string> = new Map(),
): string[] {
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError(
      field,
      describeValue(value),
      "expected a list of PEM-encoded RSA public keys",
    );
  }
  const known = new Map(seen);
  return value.map((pem: unknown, i) => {
    const at = `${field}[${i}]`;
    const spki = publicKeyPemOf(parseRsaPublicKey(pem as string, at));
    const kid = keyId(spki);
    const twin = known.get(kid);
    if (twin !== undefined) {
      throw new InvalidArgumentError(
        at,
        `the same key as ${twin} (kid ${kid})`,
        "expected each public key once",
      );
    }
    known.set(kid, at);
    return spki;
  });
}

/**
 * A PEM public key in the one form every consumer reads: PKIX SubjectPublicKeyInfo (`BEGIN
 * PUBLIC KEY`). kube-apiserver refuses PKCS#1 `BEGIN RSA PUBLIC KEY` files (v1.37.2: "data does
 * not contain any valid RSA or ECDSA public keys"), so every key given in that form is rewritten
 * before it reaches a key file; the key id and JWKS are the same either way.
 */
export function normalizePublicKeyPem(pem: string, field = "publicKeyPem"): string {
  return publicKeyPemOf(parseRsaPublicKey(pem, field));
}

/** The SPKI PEM of a public key, the form Kubernetes' `--service-account-key-file` reads. */
export function publicKeyPemOf(key: crypto.KeyObject): string {
  const pub = key.type === "private" ? crypto.createPublicKey(key) : key;
  return pub.export({ type: "spki", format: "pem" }).toString();
}

/** True when the private key and the public key are two halves of one pair. */
export function isKeyPair(privateKey: crypto.KeyObject, publicKey: crypto.KeyObject): boolean {
  const a = crypto.createPublicKey(privateKey).export({ type: "spki", format: "der" });
  const b = publicKey.export({ type: "spki", format: "der" });
  return a.equals(b);
}

/**
 * The key id Kubernetes stamps into every service-account token header and publishes in the
 * JWKS: unpadded base64url of the SHA-256 of the DER-encoded PKIX SubjectPublicKeyInfo
 * (kubernetes pkg/serviceaccount/jwt.go, keyIDFromPublicKey). Entra looks the signing key up by
 * it; a JWKS without it fails with AADSTS7000272.
 */
export function keyId(publicKeyPem: string): string {
  const der = parseRsaPublicKey(publicKeyPem).export({ type: "spki", format: "der" });
  return crypto.createHash("sha256").update(der).digest("base64url");
}
