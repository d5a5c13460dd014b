/**
 * Reading what an issuer's previous deployment left, from the stack's last state (every
 * resource's outputs, as the engine's `pulumi:pulumi:readStackResourceOutputs` returns them):
 * its key ledger, and the generated keys its state holds. Pure, so that every way the state can
 * be found (never deployed, issuer new, ledger present, ledger from before ledgers existed,
 * ledger damaged) is tested without an engine.
 */
import { ISSUER_DOCUMENT_TYPE } from "./issuerDocumentSpec";
import { keyId } from "./keys";
import { INITIAL_KEY, KeyLedger, KeyRecord, PreviousKeys, RetiredKey } from "./signingKeys";

/** The stack's last deployment: each resource's type and outputs, by URN. */
export type StackResources = Record<string, { type: string; outputs: Record<string, unknown> }>;

export const TLS_PRIVATE_KEY = "tls:index/privateKey:PrivateKey";
const STORAGE_BLOB = "azure-native:storage:Blob";

/** What the state says of one issuer. */
export type PreviousIssuer =
  | {
      found: false;
      why:
        | "the stack was never deployed"
        | "this issuer is new in the stack"
        | "this issuer never published a JWKS";
    }
  | { found: true; previous: PreviousKeys };

/** The previous deployment exists but its ledger cannot be trusted: the guard refuses. */
export class UnreadableLedger extends Error {}

/** The logical name of the tls.PrivateKey behind a generated key (initial keeps its old one). */
export function signingKeyResourceName(issuerName: string, keyName: string): string {
  return keyName === INITIAL_KEY
    ? `${issuerName}-signing-key`
    : `${issuerName}-signing-key-${keyName}`;
}

/** The URN of a child of the resource at `parentUrn`. */
export function childUrn(parentUrn: string, type: string, name: string): string {
  return `${parentUrn.slice(0, parentUrn.lastIndexOf("::"))}$${type}::${name}`;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const isTime = (v: unknown): v is string =>
  typeof v === "string" && /^\d{4}-\d\d-\d\dT/.test(v) && !Number.isNaN(Date.parse(v));

function fail(reason: string): never {
  throw new UnreadableLedger(reason);
}

function parseRecord(v: unknown, at: string): KeyRecord {
  if (!isObject(v)) fail(`${at} is not an object`);
  if (typeof v.kid !== "string" || v.kid === "") fail(`${at}.kid is not a key id`);
  if (v.kind !== "generated" && v.kind !== "brought")
    fail(`${at}.kind is not generated or brought`);
  if (v.bits !== undefined && !(typeof v.bits === "number" && Number.isInteger(v.bits)))
    fail(`${at}.bits is not a whole number`);
  if (!isTime(v.publishedSince)) fail(`${at}.publishedSince is not a time`);
  for (const k of ["signingSince", "signedUntil"] as const) {
    if (v[k] !== undefined && !isTime(v[k])) fail(`${at}.${k} is not a time`);
  }
  return v as unknown as KeyRecord;
}

/** Reads a ledger strictly: anything unexpected is a reason to refuse, never a first up. */
export function parseKeyLedger(value: unknown): KeyLedger {
  if (!isObject(value)) fail("keyLedger is not an object");
  if (typeof value.signing !== "string") fail("keyLedger.signing is not a key name");
  if (!isObject(value.keys)) fail("keyLedger.keys is not an object");
  const keys: Record<string, KeyRecord> = {};
  for (const [name, record] of Object.entries(value.keys)) {
    keys[name] = parseRecord(record, `keyLedger.keys.${name}`);
  }
  if (keys[value.signing] === undefined)
    fail(`keyLedger.signing names ${JSON.stringify(value.signing)}, which is not among its keys`);
  let retired: Record<string, RetiredKey> | undefined;
  if (value.retired !== undefined) {
    if (!isObject(value.retired)) fail("keyLedger.retired is not an object");
    retired = {};
    for (const [name, r] of Object.entries(value.retired)) {
      if (!isObject(r) || typeof r.kid !== "string" || !isTime(r.retiredAt))
        fail(`keyLedger.retired.${name} is not { kid, retiredAt }`);
      retired[name] = { kid: r.kid, retiredAt: r.retiredAt };
    }
  }
  return { signing: value.signing, keys, ...(retired ? { retired } : {}) };
}

/** The generated keys under the issuer in the state: name, size and kid of each. */
function generatedKeys(
  resources: StackResources,
  issuerUrn: string,
  issuerName: string,
): PreviousKeys["generated"] {
  const prefix = childUrn(issuerUrn, TLS_PRIVATE_KEY, "");
  const out: PreviousKeys["generated"] = {};
  for (const [urn, r] of Object.entries(resources)) {
    if (!urn.startsWith(prefix) || r.type !== TLS_PRIVATE_KEY) continue;
    const resourceName = urn.slice(prefix.length);
    const name =
      resourceName === `${issuerName}-signing-key`
        ? INITIAL_KEY
        : resourceName.startsWith(`${issuerName}-signing-key-`)
          ? resourceName.slice(`${issuerName}-signing-key-`.length)
          : undefined;
    if (name === undefined) continue;
    const { rsaBits, publicKeyPem } = r.outputs;
    if (typeof rsaBits !== "number" || typeof publicKeyPem !== "string")
      fail(`the state's key ${resourceName} has no rsaBits or publicKeyPem`);
    out[name] = { bits: rsaBits, kid: safeKeyId(publicKeyPem, resourceName) };
  }
  return out;
}

function safeKeyId(pem: string, what: string): string {
  try {
    return keyId(pem);
  } catch {
    return fail(`the public key of ${what} does not parse`);
  }
}

/**
 * An issuer deployed before ledgers existed (0.1): one signing key, named initial, generated or
 * brought, and its additional public keys, all published since its first up (time unknown: the
 * epoch, so that nothing it signed counts as recent).
 */
function legacyLedger(outputs: Record<string, unknown>, generated: PreviousKeys["generated"]) {
  const since = new Date(0).toISOString();
  if (typeof outputs.keyId !== "string" || outputs.keyId === "")
    fail("the issuer's outputs hold neither keyLedger nor keyId");
  const initial = generated[INITIAL_KEY];
  const keys: Record<string, KeyRecord> = {
    [INITIAL_KEY]: {
      kid: outputs.keyId,
      kind: initial?.kid === outputs.keyId ? "generated" : "brought",
      ...(initial?.kid === outputs.keyId ? { bits: initial.bits } : {}),
      publishedSince: since,
      signingSince: since,
    },
  };
  const extras = outputs.additionalPublicKeysPem;
  if (
    extras !== undefined &&
    !(Array.isArray(extras) && extras.every((e) => typeof e === "string"))
  )
    fail("the issuer's additionalPublicKeysPem is not a list of keys");
  for (const [i, pem] of (extras ?? []).entries()) {
    keys[`additional-${i}`] = {
      kid: safeKeyId(pem, `additionalPublicKeysPem[${i}]`),
      kind: "brought",
      publishedSince: since,
    };
  }
  return { signing: INITIAL_KEY, keys };
}

/**
 * What the state says of the issuer at `issuerUrn`. Throws {@link UnreadableLedger} when the
 * state is there but cannot be read as a ledger: the caller refuses rather than guess.
 */
export function previousIssuerKeys(
  resources: unknown,
  issuerUrn: string,
  issuerName: string,
): PreviousIssuer {
  if (!isObject(resources)) fail("the engine returned no resource map");
  if (Object.keys(resources).length === 0)
    return { found: false, why: "the stack was never deployed" };
  const state = resources as StackResources;
  const issuer = state[issuerUrn];
  if (issuer === undefined) return { found: false, why: "this issuer is new in the stack" };
  if (!isObject(issuer.outputs)) fail("the issuer's state has no outputs");
  // A first up that failed before the issuer had its outputs (a later resource refused, say)
  // leaves the component with none. If its JWKS was never uploaded either, no key of it was ever
  // published: nothing Entra fetched, no token it verified, so the next up is a first up.
  const blank = issuer.outputs.keyLedger === undefined && issuer.outputs.keyId === undefined;
  const jwksWriters = [STORAGE_BLOB, ISSUER_DOCUMENT_TYPE]; // the account key's, Entra's
  if (blank && !jwksWriters.some((t) => childUrn(issuerUrn, t, `${issuerName}-jwks`) in state))
    return { found: false, why: "this issuer never published a JWKS" };
  const generated = generatedKeys(state, issuerUrn, issuerName);
  const ledger =
    issuer.outputs.keyLedger !== undefined
      ? parseKeyLedger(issuer.outputs.keyLedger)
      : legacyLedger(issuer.outputs, generated);
  return { found: true, previous: { ledger, generated } };
}
