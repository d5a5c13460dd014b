import * as pulumi from "@pulumi/pulumi";

import {
  InvalidArgumentError,
  describeValue,
  requireIntegerInRange,
  requireKnownObject,
  requireOneOf,
} from "../shared/errors";
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
import { DocumentWriter, validateDocumentWriter } from "./documentWriter";
import { INITIAL_KEY, PlannedKey, validateKeyName } from "./signingKeys";
import {
  DEFAULT_ACCOUNT_PREFIX,
  DEFAULT_PUBLIC_CONTAINER,
  HOSTINGS,
  Hosting,
  validateAccountNamePrefix,
  validateContainerName,
  validateStorageAccountName,
} from "./storage";
import { validateResourceGroupName } from "../shared/azureNames";

/** A key pair the caller brings instead of letting the component generate one. */
export interface ProvidedSigningKey {
  /** PEM-encoded RSA private key (PKCS#1 or PKCS#8). Pass it as a secret (`config.requireSecret`). */
  privateKeyPem: pulumi.Input<string>;
  /** Its PEM-encoded public key. Not secret, so it is checked before anything is created. */
  publicKeyPem: string;
}

/** A storage account made elsewhere (by the team that owns storage) that the issuer publishes in. */
export interface ExistingStorageAccount {
  /** The account's name. */
  name: pulumi.Input<string>;
  /** Its resource group. */
  resourceGroupName: pulumi.Input<string>;
}

/** What every issuer takes, whatever its key and hosting. */
interface OidcIssuerBaseArgs {
  /**
   * Publish in this existing storage account instead of making a resource group and an account:
   * the issuer then only writes the two documents, with Entra auth, and deletes them on destroy.
   * Its owners enable the static website (or, with `hosting: "publicContainer"`, make
   * `containerName` a container anonymous readers may read) and grant the writer Storage Blob
   * Data Contributor on it. Not with `resourceGroupName`, `location`, `accountNamePrefix`, `tags`,
   * `documentWriter` or `sharedKeyAccess: true`.
   */
  existingStorageAccount?: ExistingStorageAccount;
  /** Use this resource group instead of creating one. */
  resourceGroupName?: pulumi.Input<string>;
  /** Azure region for a created resource group and the storage account (default: the provider's). */
  location?: pulumi.Input<string>;
  /** 1 to 16 lowercase letters and digits; a random suffix completes the account name. */
  accountNamePrefix?: string;
  /** Public keys published and accepted beside a single signing key (named additional-0, ...
   * among the keys). With declared keys, declare them in keys instead. */
  additionalPublicKeysPem?: string[];
  /** Tags for the created Azure resources. */
  tags?: Record<string, string>;
  /** Let a key leave the JWKS sooner than 24 hours after it stopped signing (tokens it signed
   * then fail). */
  allowEarlyKeyRetirement?: boolean;
  /** For one up, when the previous deployment's key ledger cannot be read: start a new ledger
   * from the declared keys. Refused when the ledger reads fine, so it cannot stay on. */
  resetKeyLedger?: boolean;
  /**
   * Default `false`: the storage account refuses shared keys (as Azure Policy's "Storage accounts
   * should prevent shared key access" demands). The documents are written with Entra auth by the
   * azure-wi provider plugin, as the deployer, whom the issuer grants "Storage Blob Data
   * Contributor" on the account only. `true`: azure-native writes them with the account key.
   */
  sharedKeyAccess?: boolean;
  /** With `sharedKeyAccess: false`, who writes the documents when not the principal the Azure
   * SDK's default credential chain signs in as (its token's oid). */
  documentWriter?: DocumentWriter;
}

/** The component generates the signing key (`@pulumi/tls`, kept in state as a secret). */
export interface GeneratedKeyArgs {
  /** Size of the generated RSA key (default 4096, at least 2048). */
  rsaBits?: number;
  signingKey?: never;
  keys?: never;
  signingKeyName?: never;
  signingPrivateKeyPem?: never;
}

/** The caller brings the signing key pair. */
export interface BroughtKeyArgs {
  /** A key pair to sign with instead of a generated one (not with `keys` or `rsaBits`). */
  signingKey: ProvidedSigningKey;
  rsaBits?: never;
  keys?: never;
  signingKeyName?: never;
  signingPrivateKeyPem?: never;
}

/** A declared key: generated (a `tls.PrivateKey` kept in state) or brought (its public half). */
export interface DeclaredKey {
  /** Its name in the rotation (lowercase letters, digits, '-'); never reused for another key. */
  name: string;
  /** Generated: its size (default 4096). */
  rsaBits?: number;
  /** Brought: its PEM public key; the private half only while it signs (signingPrivateKeyPem). */
  publicKeyPem?: string;
}

/** Declared keys: every key published and accepted, and which one signs (see signingKeys.ts).
 * A rotation is a change of these and a `pulumi up` per phase. */
export interface DeclaredKeysArgs {
  /** Every key published in the JWKS, in rotation order; a rotation changes this list. */
  keys: DeclaredKey[];
  /** The name of the key among `keys` that signs the cluster's tokens. */
  signingKeyName: string;
  /** The signing key's private half when that key is brought; a secret. */
  signingPrivateKeyPem?: pulumi.Input<string>;
  rsaBits?: never;
  signingKey?: never;
  additionalPublicKeysPem?: never;
}

/** Documents served by the account's static website (works with public blob access off). */
export interface StaticWebsiteHostingArgs {
  /** Where the documents are served: `staticWebsite` (default) or `publicContainer`. */
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
  (GeneratedKeyArgs | BroughtKeyArgs | DeclaredKeysArgs) &
  (StaticWebsiteHostingArgs | PublicContainerHostingArgs);

export const DEFAULT_RSA_BITS = 4096;

/** A key as the issuer makes it, with the argument that declares it (for messages). */
export type ResolvedKey = { name: string; field: string } & (
  { kind: "generated"; rsaBits: number } | { kind: "provided"; publicKeyPem: string; keyId: string }
);

export interface ResolvedOidcIssuerArgs {
  hosting: Hosting;
  /** The container the documents go into: `$web` or the public container. */
  containerName: string | undefined;
  accountNamePrefix: string;
  /** Every key published and accepted, in order. */
  keys: ResolvedKey[];
  signingKeyName: string;
  /** The signing key's private half, when it is brought. */
  signingPrivateKeyPem: pulumi.Input<string> | undefined;
  allowEarlyKeyRetirement: boolean;
  resetKeyLedger: boolean;
  sharedKeyAccess: boolean;
  /** Given, or undefined: the signed-in principal's, found during the deployment. */
  documentWriter: DocumentWriter | undefined;
  /** The account published in, when the issuer makes none. */
  existingStorageAccount: ExistingStorageAccount | undefined;
}

type ResolvedKeys = Pick<
  ResolvedOidcIssuerArgs,
  "keys" | "signingKeyName" | "signingPrivateKeyPem"
>;

/** The key arguments read loosely: JavaScript callers and Outputs get past the types. */
interface LooseKeyArgs {
  rsaBits?: unknown;
  signingKey?: ProvidedSigningKey;
  keys?: unknown;
  signingKeyName?: unknown;
  signingPrivateKeyPem?: pulumi.Input<string>;
  additionalPublicKeysPem?: string[];
}

/**
 * Validates everything that can be validated before a resource exists, and applies defaults.
 * Throws {@link InvalidArgumentError} naming the field.
 */
/** Every argument OidcIssuer takes, whatever its key and hosting. */
const ISSUER_ARGS = [
  "resourceGroupName",
  "location",
  "accountNamePrefix",
  "additionalPublicKeysPem",
  "tags",
  "allowEarlyKeyRetirement",
  "resetKeyLedger",
  "rsaBits",
  "signingKey",
  "keys",
  "signingKeyName",
  "signingPrivateKeyPem",
  "hosting",
  "containerName",
  "sharedKeyAccess",
  "documentWriter",
  "existingStorageAccount",
];

/** What an issuer publishing in an existing account has no use for: it makes no resource group,
 * account or role assignment, and writes with Entra auth only. */
const NOT_WITH_EXISTING_ACCOUNT = [
  "resourceGroupName",
  "location",
  "accountNamePrefix",
  "tags",
  "documentWriter",
] as const;

export function resolveOidcIssuerArgs(args: OidcIssuerArgs): ResolvedOidcIssuerArgs {
  requireKnownObject(args, "", ISSUER_ARGS, "OidcIssuerArgs: { resourceGroupName, location, ... }");
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
  const given = args as LooseKeyArgs;
  const keys =
    given.keys !== undefined
      ? declaredKeyArgs(given)
      : given.signingKey !== undefined
        ? broughtKeyArgs(given)
        : generatedKeyArgs(given);
  return {
    hosting,
    containerName,
    accountNamePrefix,
    ...keys,
    allowEarlyKeyRetirement: optionalBoolean(
      args.allowEarlyKeyRetirement,
      "allowEarlyKeyRetirement",
    ),
    resetKeyLedger: optionalBoolean(args.resetKeyLedger, "resetKeyLedger"),
    ...documentWriting(args),
    existingStorageAccount: existingAccount(args),
  };
}

/** `existingStorageAccount`, checked, and nothing beside it that it has no use for. */
function existingAccount(args: OidcIssuerArgs): ExistingStorageAccount | undefined {
  if (args.existingStorageAccount === undefined) return undefined;
  const field = "existingStorageAccount";
  const given = requireKnownObject(
    args.existingStorageAccount,
    field,
    ["name", "resourceGroupName"],
    "{ name, resourceGroupName }",
  );
  // Outputs are checked by Azure, when known; what is known now, here.
  const { name, resourceGroupName } = given;
  if (!pulumi.Output.isInstance(name)) validateStorageAccountName(name, `${field}.name`);
  if (!pulumi.Output.isInstance(resourceGroupName)) {
    validateResourceGroupName(resourceGroupName, `${field}.resourceGroupName`);
  }
  for (const other of NOT_WITH_EXISTING_ACCOUNT) {
    if (args[other] !== undefined) {
      throw new InvalidArgumentError(
        other,
        describeValue(args[other]),
        `not used with ${field}: the issuer makes no resource group, account or role assignment there`,
      );
    }
  }
  if (args.sharedKeyAccess === true) {
    throw new InvalidArgumentError(
      "sharedKeyAccess",
      describeValue(true),
      `not used with ${field}: the documents are written with Entra auth (azure-native's blobs replace themselves on every change and cannot delete only what they wrote)`,
    );
  }
  return {
    name: name as pulumi.Input<string>,
    resourceGroupName: resourceGroupName as pulumi.Input<string>,
  };
}

/** `sharedKeyAccess` (default false), and `documentWriter` only beside `false`. */
function documentWriting(
  args: OidcIssuerArgs,
): Pick<ResolvedOidcIssuerArgs, "sharedKeyAccess" | "documentWriter"> {
  const sharedKeyAccess = optionalBoolean(args.sharedKeyAccess, "sharedKeyAccess");
  if (args.documentWriter === undefined) return { sharedKeyAccess, documentWriter: undefined };
  if (sharedKeyAccess) {
    throw new InvalidArgumentError(
      "documentWriter",
      describeValue(args.documentWriter),
      "only used with sharedKeyAccess: false (with shared keys, the account key writes the documents)",
    );
  }
  return {
    sharedKeyAccess,
    documentWriter: validateDocumentWriter(args.documentWriter, "documentWriter"),
  };
}

function optionalBoolean(value: unknown, field: string): boolean {
  if (value !== undefined && typeof value !== "boolean") {
    throw new InvalidArgumentError(field, describeValue(value), "expected true or false");
  }
  return value ?? false;
}

/** `keys` + `signingKeyName`: nothing of the shorthands beside them. */
function declaredKeyArgs(given: LooseKeyArgs): ResolvedKeys {
  for (const other of ["rsaBits", "signingKey", "additionalPublicKeysPem"] as const) {
    if (given[other] !== undefined) {
      throw new InvalidArgumentError(
        other,
        other === "signingKey" ? "a key pair" : describeValue(given[other]),
        "not used with keys: declare every key in keys and name the signing one",
      );
    }
  }
  return resolveDeclaredKeys(given.keys, given.signingKeyName, given.signingPrivateKeyPem);
}

/** `signingKey`: a brought pair, named initial, and the additional public keys. */
function broughtKeyArgs(given: LooseKeyArgs): ResolvedKeys {
  const signingKey = given.signingKey!;
  // The types forbid both; JavaScript callers and Outputs are not checked by them.
  if (given.rsaBits !== undefined) {
    throw new InvalidArgumentError(
      "rsaBits",
      describeValue(given.rsaBits),
      "only used when the component generates the key; omit it when signingKey is given",
    );
  }
  const publicKeyPem = normalizePublicKeyPem(signingKey.publicKeyPem, "signingKey.publicKeyPem");
  const priv = signingKey.privateKeyPem;
  if (typeof priv === "string") {
    // A plain key is checked now; a secret Output is checked the same way once known.
    checkProvidedPrivateKey(priv, signingKey.publicKeyPem);
  } else if (priv === undefined || priv === null) {
    throw new InvalidArgumentError(
      "signingKey.privateKeyPem",
      describeValue(priv),
      "expected a PEM-encoded RSA private key, preferably as a secret",
    );
  }
  const kid = keyId(publicKeyPem);
  const extras = parsePublicKeyList(
    given.additionalPublicKeysPem ?? [],
    "additionalPublicKeysPem",
    new Map([[kid, "signingKey.publicKeyPem"]]),
  );
  return {
    keys: [
      {
        name: INITIAL_KEY,
        field: "signingKey.publicKeyPem",
        kind: "provided",
        publicKeyPem,
        keyId: kid,
      },
      ...additionalKeys(extras),
    ],
    signingKeyName: INITIAL_KEY,
    signingPrivateKeyPem: priv,
  };
}

/** No key given: one generated key named initial (`rsaBits`), and the additional public keys. */
function generatedKeyArgs(given: LooseKeyArgs): ResolvedKeys {
  const extras = parsePublicKeyList(given.additionalPublicKeysPem ?? [], "additionalPublicKeysPem");
  const rsaBits = requireIntegerInRange(
    given.rsaBits ?? DEFAULT_RSA_BITS,
    "rsaBits",
    MIN_RSA_BITS,
    MAX_RSA_BITS,
  );
  return {
    keys: [
      { name: INITIAL_KEY, field: "rsaBits", kind: "generated", rsaBits },
      ...additionalKeys(extras),
    ],
    signingKeyName: INITIAL_KEY,
    signingPrivateKeyPem: undefined,
  };
}

/** The keys as the rotation plans them: kind, size, and the kid where it is known already. */
export function plannedKeys(keys: ResolvedKey[]): PlannedKey[] {
  return keys.map((k) =>
    k.kind === "generated"
      ? { name: k.name, field: k.field, kind: "generated", bits: k.rsaBits }
      : { name: k.name, field: k.field, kind: "brought", kid: k.keyId },
  );
}

/** The name a shorthand's additional public key has among the keys. */
function additionalKeyName(index: number): string {
  return `additional-${index}`;
}

/** The shorthands' additionalPublicKeysPem (checked SPKI PEMs) as brought keys. */
function additionalKeys(pems: string[]): ResolvedKey[] {
  return pems.map((pem, i) => ({
    name: additionalKeyName(i),
    field: `additionalPublicKeysPem[${i}]`,
    kind: "provided",
    publicKeyPem: pem,
    keyId: keyId(pem),
  }));
}

/** Checks declared keys: names unique and valid, each generated or brought (a valid RSA public
 * key, none twice), the signing one among them, and its private half when it is brought. */
export function resolveDeclaredKeys(
  keys: unknown,
  signingKeyName: unknown,
  signingPrivateKeyPem: pulumi.Input<string> | undefined,
): Pick<ResolvedOidcIssuerArgs, "keys" | "signingKeyName" | "signingPrivateKeyPem"> {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new InvalidArgumentError(
      "keys",
      describeValue(keys),
      "expected a list of keys, each { name, rsaBits? } (generated) or { name, publicKeyPem } (brought)",
    );
  }
  const seenNames = new Set<string>();
  const seenKids = new Map<string, string>();
  const resolved = keys.map((raw: unknown, i) => {
    const key = resolveDeclaredKey(raw, `keys[${i}]`);
    if (seenNames.has(key.name)) {
      throw new InvalidArgumentError(
        `keys[${i}].name`,
        describeValue(key.name),
        "expected each key name once",
      );
    }
    seenNames.add(key.name);
    if (key.kind === "provided") {
      const twin = seenKids.get(key.keyId);
      if (twin !== undefined) {
        throw new InvalidArgumentError(
          `keys[${i}].publicKeyPem`,
          `the same key as ${twin} (kid ${key.keyId})`,
          "expected each public key once",
        );
      }
      seenKids.set(key.keyId, `keys[${i}].publicKeyPem`);
    }
    return key;
  });
  const signing = validateKeyName(signingKeyName, "signingKeyName");
  const key = resolved.find((k) => k.name === signing);
  if (!key) {
    throw new InvalidArgumentError(
      "signingKeyName",
      describeValue(signing),
      `expected the name of one of keys (${resolved.map((k) => JSON.stringify(k.name)).join(", ")})`,
    );
  }
  checkSigningPrivateHalf(key, signingPrivateKeyPem);
  return { keys: resolved, signingKeyName: signing, signingPrivateKeyPem };
}

/** One declared key: generated (its size) or brought (its public half, checked). */
function resolveDeclaredKey(raw: unknown, at: string): ResolvedKey {
  const k = requireKnownObject(
    raw,
    at,
    ["name", "rsaBits", "publicKeyPem"],
    "{ name, rsaBits? } or { name, publicKeyPem }",
  );
  const name = validateKeyName(k.name, `${at}.name`);
  if (k.publicKeyPem === undefined) {
    return {
      name,
      field: at,
      kind: "generated",
      rsaBits: requireIntegerInRange(
        k.rsaBits ?? DEFAULT_RSA_BITS,
        `${at}.rsaBits`,
        MIN_RSA_BITS,
        MAX_RSA_BITS,
      ),
    };
  }
  if (k.rsaBits !== undefined) {
    throw new InvalidArgumentError(
      `${at}.rsaBits`,
      describeValue(k.rsaBits),
      "only for a generated key; a brought key has publicKeyPem",
    );
  }
  const publicKeyPem = normalizePublicKeyPem(k.publicKeyPem as string, `${at}.publicKeyPem`);
  return { name, field: at, kind: "provided", publicKeyPem, keyId: keyId(publicKeyPem) };
}

/** The signing key's private half: given, as a secret, exactly when the signing key is brought. */
function checkSigningPrivateHalf(
  key: ResolvedKey,
  privateKeyPem: pulumi.Input<string> | undefined,
) {
  if (key.kind === "generated") {
    if (privateKeyPem !== undefined) {
      throw new InvalidArgumentError(
        "signingPrivateKeyPem",
        "a private key (not shown)",
        `the signing key ${JSON.stringify(key.name)} is generated: give no private key`,
      );
    }
    return;
  }
  if (privateKeyPem === undefined || privateKeyPem === null) {
    throw new InvalidArgumentError(
      "signingPrivateKeyPem",
      describeValue(privateKeyPem),
      `the signing key ${JSON.stringify(key.name)} is brought: give its private half, as a secret`,
    );
  }
  if (typeof privateKeyPem === "string") {
    checkProvidedPrivateKey(privateKeyPem, key.publicKeyPem, {
      private: "signingPrivateKeyPem",
      public: `${key.field}.publicKeyPem`,
    });
  }
}

/** Where a brought signing key's halves are given: what errors about the pair name. */
export interface PairFields {
  private: string;
  public: string;
}

const SHORTHAND_PAIR: PairFields = {
  private: "signingKey.privateKeyPem",
  public: "signingKey.publicKeyPem",
};

/** The brought signing key's private half, checked to be an unencrypted RSA key of the pair. */
export function checkProvidedPrivateKey(
  privateKeyPem: string,
  publicKeyPem: string,
  fields: PairFields = SHORTHAND_PAIR,
): string {
  const privateKey = parseRsaPrivateKey(privateKeyPem, fields.private);
  if (!isKeyPair(privateKey, parseRsaPublicKey(publicKeyPem, fields.public))) {
    throw new InvalidArgumentError(
      fields.private,
      `a private key (not shown) that does not match ${fields.public}`,
      `expected the private half of ${fields.public}`,
    );
  }
  return privateKeyPem;
}

/** Where the signing key of resolved args is given, when it is brought. */
export function signingPairFields(cfg: ResolvedOidcIssuerArgs): PairFields {
  const signing = cfg.keys.find((k) => k.name === cfg.signingKeyName)!;
  return signing.field === "signingKey.publicKeyPem"
    ? SHORTHAND_PAIR
    : { private: "signingPrivateKeyPem", public: `${signing.field}.publicKeyPem` };
}
