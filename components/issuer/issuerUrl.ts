import { InvalidArgumentError, describeValue } from "../shared/errors";

/** The audience Entra requires in exchanged tokens, and the only one a FIC should list by default. */
export const AZURE_AD_TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/**
 * Checks an issuer URL and returns it unchanged.
 *
 * Entra compares the token's `iss`, the FIC's issuer and the discovery document's `issuer` byte
 * by byte (a trailing `/` or a capital letter is enough for AADSTS70021). So this function never
 * normalises anything: it accepts a valid issuer exactly as given, and rejects the rest (not
 * https, a query, a fragment, credentials, no host, surrounding white space), as the OIDC
 * discovery specification and kube-apiserver require.
 */
export function canonicalIssuer(value: unknown, field = "issuerUrl"): string {
  const allowed =
    "expected an https URL with a host and no query, fragment, credentials or white space";
  if (typeof value !== "string" || value.length === 0) {
    throw new InvalidArgumentError(field, describeValue(value), allowed);
  }
  if (value.trim() !== value || /\s/.test(value)) {
    throw new InvalidArgumentError(field, describeValue(value), allowed);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(field, describeValue(value), allowed);
  }
  // Checked on the raw string too: `new URL("https://x/?")` has an empty search but a query.
  if (url.protocol !== "https:" || !/^https:\/\//i.test(value)) {
    throw new InvalidArgumentError(
      field,
      describeValue(value),
      `${allowed} (scheme must be https)`,
    );
  }
  if (value.includes("?") || url.search !== "") {
    throw new InvalidArgumentError(field, describeValue(value), `${allowed} (found a query)`);
  }
  if (value.includes("#") || url.hash !== "") {
    throw new InvalidArgumentError(field, describeValue(value), `${allowed} (found a fragment)`);
  }
  if (url.username !== "" || url.password !== "" || url.hostname === "") {
    throw new InvalidArgumentError(field, describeValue(value), allowed);
  }
  return value;
}

/** Where Kubernetes (and so Entra) expects the key set: the issuer without its trailing slash,
 * then `/openid/v1/jwks`. */
export function jwksUri(issuerUrl: string): string {
  return `${canonicalIssuer(issuerUrl).replace(/\/$/, "")}/openid/v1/jwks`;
}

/** The service-account token subject Entra matches (case-sensitively) against a FIC. */
export function serviceAccountSubject(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}
