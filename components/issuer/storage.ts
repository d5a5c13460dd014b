import { InvalidArgumentError, describeValue, requireMatch } from "../shared/errors";
import { canonicalIssuer } from "./issuerUrl";

/** Storage account names are global: 3 to 24 characters, lowercase letters and digits only. */
export const STORAGE_ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;
/** Length of the random suffix that makes an account name globally unique. */
export const ACCOUNT_SUFFIX_LENGTH = 8;
/** The longest prefix that still leaves room for the suffix within 24 characters. */
export const MAX_ACCOUNT_PREFIX_LENGTH = 24 - ACCOUNT_SUFFIX_LENGTH;
export const DEFAULT_ACCOUNT_PREFIX = "oidc";

/** How the two documents are served. */
export type Hosting = "staticWebsite" | "publicContainer";
export const HOSTINGS: readonly Hosting[] = ["staticWebsite", "publicContainer"];

/** The container a static website serves from (fixed by Azure). */
export const STATIC_WEBSITE_CONTAINER = "$web";
export const DEFAULT_PUBLIC_CONTAINER = "oidc";

/** An existing account's name, as Azure allows it. */
export function validateStorageAccountName(name: unknown, field: string): string {
  return requireMatch(
    name,
    field,
    STORAGE_ACCOUNT_NAME,
    "expected a storage account name: 3 to 24 lowercase letters and digits",
  );
}

export function validateAccountNamePrefix(prefix: unknown, field = "accountNamePrefix"): string {
  if (
    typeof prefix !== "string" ||
    !new RegExp(`^[a-z0-9]{1,${MAX_ACCOUNT_PREFIX_LENGTH}}$`).test(prefix)
  ) {
    throw new InvalidArgumentError(
      field,
      describeValue(prefix),
      `expected 1 to ${MAX_ACCOUNT_PREFIX_LENGTH} lowercase letters and digits (a random ${ACCOUNT_SUFFIX_LENGTH}-character suffix completes the 24-character storage account name)`,
    );
  }
  return prefix;
}

/** The account name: the validated prefix and a random lowercase alphanumeric suffix. */
export function storageAccountName(prefix: string, suffix: string): string {
  validateAccountNamePrefix(prefix);
  if (!new RegExp(`^[a-z0-9]{${ACCOUNT_SUFFIX_LENGTH}}$`).test(suffix)) {
    throw new InvalidArgumentError(
      "suffix",
      describeValue(suffix),
      `expected ${ACCOUNT_SUFFIX_LENGTH} lowercase letters and digits`,
    );
  }
  return prefix + suffix;
}

/** Blob container names: 3 to 63 lowercase letters, digits and single hyphens, starting and
 * ending with a letter or digit. */
export function validateContainerName(name: unknown, field = "containerName"): string {
  return requireMatch(
    name,
    field,
    /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/,
    "expected 3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit",
  );
}

/**
 * The issuer for a static website: the account's web endpoint exactly as Azure reports it
 * (`https://ACCOUNT.zNN.web.core.windows.net/`, trailing slash included).
 */
export function staticWebsiteIssuer(webEndpoint: string): string {
  return canonicalIssuer(webEndpoint, "primaryEndpoints.web");
}

/**
 * The issuer for a public container: blob endpoint plus container, without a trailing slash
 * (the form OpenShift's ccoctl uses).
 */
export function publicContainerIssuer(blobEndpoint: string, containerName: string): string {
  const base = canonicalIssuer(blobEndpoint, "primaryEndpoints.blob");
  return `${base.replace(/\/$/, "")}/${validateContainerName(containerName)}`;
}
