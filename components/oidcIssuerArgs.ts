import * as pulumi from "@pulumi/pulumi";

import { InvalidArgumentError, describeValue, requireIntegerInRange, requireOneOf } from "./errors";
import {
  MAX_RSA_BITS,
  MIN_RSA_BITS,
  isKeyPair,
  keyId,
  normalizePublicKeyPem,
  parsePublicKeyList,
  parseRsaPrivateKey,
  parseRsaPublicKey,
} from "./keys";
import {
  DEFAULT_ACCOUNT_PREFIX,
  DEFAULT_PUBLIC_CONTAINER,
  HOSTINGS,
  Hosting,
  validateAccountNamePrefix,
  validateContainerName,
} from "./storage";

/** A key pair the caller brings instead of letting the component generate one. */
export interface ProvidedSigningKey {
  /** PEM-encoded RSA private key (PKCS#1 or PKCS#8). Pass it as a secret (`config.requireSecret`). */
  privateKeyPem: pulumi.Input<string>;
  /** Its PEM-encoded public key. Not secret, so it is checked before anything is created. */
  publicKeyPem: string;
}

/** What every issuer takes, whatever its key and hosting. */
interface OidcIssuerBaseArgs {
  /** Use this resource group instead of creating one. */
  resourceGroupName?: pulumi.Input<string>;
  /** Azure region for a created resource group and the storage account (default: the provider's). */
  location?: pulumi.Input<string>;
  /** 1 to 16 lowercase letters and digits; a random suffix completes the account name. */
  accountNamePrefix?: string;
  /** Public keys published beside the signing key, e.g. the old key during rotation. */
  additionalPublicKeysPem?: string[];
  /** Tags for the created Azure resources. */
  tags?: Record<string, string>;
}

/** The component generates the signing key (`@pulumi/tls`, kept in state as a secret). */
export interface GeneratedKeyArgs {
  /** Size of the generated RSA key (default 4096, at least 2048). */
  rsaBits?: number;
  signingKey?: never;
}

/** The caller brings the signing key pair. */
export interface BroughtKeyArgs {
  signingKey: ProvidedSigningKey;
  rsaBits?: never;
}

/** Documents served by the account's static website (works with public blob access off). */
export interface StaticWebsiteHostingArgs {
  hosting?: "staticWebsite";
  containerName?: never;
}

/** Documents served from an anonymously readable blob container. */
export interface PublicContainerHostingArgs {
  hosting: "publicContainer";
  /** The container (default `oidc`). */
  containerName?: string;
}

/** The issuer's arguments: a generated or a brought key, and one way of hosting. */
export type OidcIssuerArgs = OidcIssuerBaseArgs &
  (GeneratedKeyArgs | BroughtKeyArgs) &
  (StaticWebsiteHostingArgs | PublicContainerHostingArgs);

export const DEFAULT_RSA_BITS = 4096;

export type ResolvedSigningKey =
  | { kind: "generated"; rsaBits: number }
  | { kind: "provided"; privateKeyPem: pulumi.Input<string>; publicKeyPem: string; keyId: string };

export interface ResolvedOidcIssuerArgs {
  hosting: Hosting;
  /** The container the documents go into: `$web` or the public container. */
  containerName: string | undefined;
  accountNamePrefix: string;
  signingKey: ResolvedSigningKey;
  additionalPublicKeysPem: string[];
}

/**
 * Validates everything that can be validated before a resource exists, and applies defaults.
 * Throws {@link InvalidArgumentError} naming the field.
 */
export function resolveOidcIssuerArgs(args: OidcIssuerArgs): ResolvedOidcIssuerArgs {
  const hosting = requireOneOf(args.hosting ?? "staticWebsite", "hosting", HOSTINGS);
  if (hosting === "staticWebsite" && args.containerName !== undefined) {
    throw new InvalidArgumentError(
      "containerName",
      describeValue(args.containerName),
      'only used with hosting "publicContainer"; a static website always serves from $web',
    );
  }
  const containerName =
    hosting === "publicContainer"
      ? validateContainerName(args.containerName ?? DEFAULT_PUBLIC_CONTAINER)
      : undefined;
  const accountNamePrefix = validateAccountNamePrefix(
    args.accountNamePrefix ?? DEFAULT_ACCOUNT_PREFIX,
  );

  let signingKey: ResolvedSigningKey;
  if (args.signingKey !== undefined) {
    // The types forbid both; JavaScript callers and Outputs are not checked by them.
    const rsaBits: unknown = (args as { rsaBits?: unknown }).rsaBits;
    if (rsaBits !== undefined) {
      throw new InvalidArgumentError(
        "rsaBits",
        describeValue(rsaBits),
        "only used when the component generates the key; omit it when signingKey is given",
      );
    }
    const publicKeyPem = normalizePublicKeyPem(
      args.signingKey.publicKeyPem,
      "signingKey.publicKeyPem",
    );
    const priv = args.signingKey.privateKeyPem;
    if (typeof priv === "string") {
      // A plain key is checked now; a secret Output is checked the same way once known.
      checkProvidedPrivateKey(priv, args.signingKey.publicKeyPem);
    } else if (priv === undefined || priv === null) {
      throw new InvalidArgumentError(
        "signingKey.privateKeyPem",
        describeValue(priv),
        "expected a PEM-encoded RSA private key, preferably as a secret",
      );
    }
    signingKey = {
      kind: "provided",
      privateKeyPem: priv,
      publicKeyPem,
      keyId: keyId(publicKeyPem),
    };
  } else {
    signingKey = {
      kind: "generated",
      rsaBits: requireIntegerInRange(
        args.rsaBits ?? DEFAULT_RSA_BITS,
        "rsaBits",
        MIN_RSA_BITS,
        MAX_RSA_BITS,
      ),
    };
  }

  const additionalPublicKeysPem = parsePublicKeyList(
    args.additionalPublicKeysPem ?? [],
    "additionalPublicKeysPem",
    signingKey.kind === "provided"
      ? new Map([[signingKey.keyId, "signingKey.publicKeyPem"]])
      : new Map<string, string>(),
  );

  return {
    hosting,
    containerName,
    accountNamePrefix,
    signingKey,
    additionalPublicKeysPem,
  };
}

/**
 * Checks a private key that was only known at deployment time (a secret Output) against the
 * public key given beside it. Returns the PEM unchanged so it can sit in an `apply`.
 */
export function checkProvidedPrivateKey(privateKeyPem: string, publicKeyPem: string): string {
  const privateKey = parseRsaPrivateKey(privateKeyPem, "signingKey.privateKeyPem");
  if (!isKeyPair(privateKey, parseRsaPublicKey(publicKeyPem, "signingKey.publicKeyPem"))) {
    throw new InvalidArgumentError(
      "signingKey.privateKeyPem",
      "a private key (not shown) that does not match signingKey.publicKeyPem",
      "expected the private half of signingKey.publicKeyPem",
    );
  }
  return privateKeyPem;
}
