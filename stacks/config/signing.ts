/**
 * The signing key config (kind): a generated key's size, a brought pair, additional public keys,
 * or the declared keys of a rotation. Checked as OidcIssuer checks them, under the config's
 * names; a brought pair is checked as a pair here, the private half included (the engine hands
 * the program its decrypted value), so a key that is encrypted, public or another pair's is
 * refused before anything is registered.
 */
import { InvalidArgumentError, requireKnownObject } from "../../components/shared/errors";
import {
  MAX_RSA_BITS,
  MIN_RSA_BITS,
  normalizePublicKeyPem,
  parsePublicKeyList,
} from "../../components/issuer/keys";
import {
  DeclaredKey,
  checkProvidedPrivateKey,
  resolveDeclaredKeys,
} from "../../components/issuer/oidcIssuerArgs";
import { Raw, fail, int, isSet, list, str, stringList } from "./raw";

export interface SigningConfig {
  signingKeyBits: number;
  /** Bring the signing key: the public half here, the private half as the secret signingPrivateKeyPem. */
  signingPublicKeyPem: string | undefined;
  additionalPublicKeys: string[];
  /** Declared keys (signingKeys / signingKey), when given; checked by resolveDeclaredKeys. */
  declaredKeys: { keys: DeclaredKey[]; signing: string } | undefined;
}

/** How the stack names the issuer's key arguments: its config keys. */
export const CONFIG_KEY_FIELDS = {
  keys: "signingKeys",
  signing: "signingKey",
  reset: "resetKeyLedger",
};

/** The issuer's argument names and the config keys they are, in fields and in hints. */
const CONFIG_NAMES: [RegExp, string][] = [
  [/^keys\b/g, "signingKeys"],
  [/\bkeys(\[\d+\])/g, "signingKeys$1"],
  [/\b(of|to|in|from) keys\b/g, "$1 signingKeys"],
  [/\bsigningKeyName\b/g, "signingKey"],
  [/\bsigningKey\.publicKeyPem\b/g, "signingPublicKeyPem"],
  [/\bsigningKey\.privateKeyPem\b/g, "signingPrivateKeyPem"],
  [/\badditionalPublicKeysPem\b/g, "additionalPublicKeys"],
  [/\.rsaBits\b/g, ".bits"],
  [/^rsaBits$/g, "signingKeyBits"],
];

const renamed = (text: string) => CONFIG_NAMES.reduce((t, [from, to]) => t.replace(from, to), text);

/** An OidcIssuer error renamed to the config keys the stack's user wrote. */
export function configNamed(err: unknown): unknown {
  if (!(err instanceof InvalidArgumentError)) return err;
  return new InvalidArgumentError(renamed(err.field), err.value, renamed(err.allowed), err.owner);
}

/** signingKeys and signingKey: each entry { name, bits? } or { name, publicKeyPem }. */
function parseDeclaredKeys(raw: Raw): SigningConfig["declaredKeys"] {
  const entries = list(raw, "signingKeys", "keys { name, bits? } or { name, publicKeyPem }");
  const signing = str(raw, "signingKey");
  if (entries.length === 0) {
    if (signing !== undefined) fail("signingKey", signing, "only used with signingKeys");
    return undefined;
  }
  for (const shorthand of [
    "signingKeyBits",
    "signingPublicKeyPem",
    "additionalPublicKeys",
  ] as const) {
    if (isSet(raw, shorthand)) {
      throw new InvalidArgumentError(
        shorthand,
        "a value",
        "not used with signingKeys: declare every key there (bits for a generated one)",
      );
    }
  }
  const keys = entries.map((entry, i) => {
    const e = requireKnownObject(
      entry,
      `signingKeys[${i}]`,
      ["name", "bits", "publicKeyPem"],
      "{ name, bits? } (generated) or { name, publicKeyPem } (brought)",
    );
    const { bits, ...rest } = e;
    return { ...rest, ...(bits !== undefined ? { rsaBits: bits } : {}) } as unknown as DeclaredKey;
  });
  if (signing === undefined) {
    fail("signingKey", undefined, "required with signingKeys: the name of the key that signs");
  }
  try {
    // The component's checks (the brought signing key's private half included), under the
    // config's names.
    resolveDeclaredKeys(keys, signing, raw.signingPrivateKeyPem);
  } catch (err) {
    throw configNamed(err);
  }
  return { keys, signing };
}

/** The shorthand: a generated key's size, or a brought pair checked as a pair. */
function parseBroughtPair(raw: Raw): string | undefined {
  const given = str(raw, "signingPublicKeyPem");
  if (given === undefined) {
    if (raw.signingPrivateKeyPem !== undefined && list(raw, "signingKeys", "keys").length === 0)
      fail("signingPublicKeyPem", undefined, "required with signingPrivateKeyPem");
    return undefined;
  }
  const publicKeyPem = normalizePublicKeyPem(given, "signingPublicKeyPem");
  if (raw.signingPrivateKeyPem === undefined) {
    fail(
      "signingPrivateKeyPem",
      undefined,
      "required with signingPublicKeyPem; set it with pulumi config set --secret",
    );
  }
  if (isSet(raw, "signingKeyBits")) {
    fail(
      "signingKeyBits",
      raw.signingKeyBits,
      "only used for a generated key; remove it when bringing one",
    );
  }
  checkProvidedPrivateKey(raw.signingPrivateKeyPem, publicKeyPem, {
    private: "signingPrivateKeyPem",
    public: "signingPublicKeyPem",
  });
  return publicKeyPem;
}

export function parseSigning(raw: Raw): SigningConfig {
  return {
    signingKeyBits: int(raw, "signingKeyBits", MIN_RSA_BITS, MAX_RSA_BITS),
    signingPublicKeyPem: parseBroughtPair(raw),
    additionalPublicKeys: parsePublicKeyList(
      stringList(raw, "additionalPublicKeys"),
      "additionalPublicKeys",
    ),
    declaredKeys: parseDeclaredKeys(raw),
  };
}
