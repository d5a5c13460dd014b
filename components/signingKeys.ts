/**
 * Declared signing keys and the three-phase rotation, as pure functions. A stack declares the
 * keys it publishes and accepts (each generated or brought) and which one signs; each `pulumi up`
 * compares that with what the previous one left (the key ledger, a stack output) and either
 * records the new state or refuses a step that would break tokens in flight:
 *
 * 1. publish: a new key joins the list; the old key still signs.
 * 2. switch: the new key signs; the old one is still published and accepted.
 * 3. retire: after the longest token lifetime, the old key leaves the list.
 */
import { InvalidArgumentError, describeValue } from "./errors";

/** The key a stack made before keys were declared (its generated key keeps its resource). */
export const INITIAL_KEY = "initial";

/** The longest a service-account token lives: the webhook's upper bound on token expiration
 * (86400 s). A key may leave the JWKS this long after it stopped signing. */
export const KEY_RETIREMENT_SECONDS = 86_400;

const KEY_NAME = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;

/** What the ledger keeps of one key. Times are ISO 8601, UTC. */
export interface KeyRecord {
  kid: string;
  /** When an `up` first published it. */
  publishedSince: string;
  /** When it began signing (the current signing key), or when it stopped (an earlier one). */
  signingSince?: string;
  signedUntil?: string;
}

/** The keys after an `up`: the stack output `signingKeys`. */
export interface KeyLedger {
  signing: string;
  keys: Record<string, KeyRecord>;
}

export type RotationPhase = "steady" | "published" | "switched";

export interface RotationState {
  ledger: KeyLedger;
  phase: RotationPhase;
  /** What to do next, in one line (the stack output `keyRotation.next`). */
  next: string;
}

export interface RotationOptions {
  now: Date;
  retirementSeconds?: number;
  /** The explicit override: drop keys sooner than the longest token lifetime. */
  allowEarlyRetirement?: boolean;
}

/** Checks a key name: lowercase letters, digits and '-', up to 32 characters. */
export function validateKeyName(value: unknown, field: string): string {
  if (typeof value !== "string" || !KEY_NAME.test(value)) {
    throw new InvalidArgumentError(
      field,
      describeValue(value),
      "expected 1 to 32 lowercase letters, digits and '-', starting and ending with a letter or digit",
    );
  }
  return value;
}

/**
 * The rotation step from `previous` (undefined on a stack's first up) to the declared keys
 * (names in the order given, with their kid where it is known before anything is created)
 * signed by `signing`, or an InvalidArgumentError naming the field when the step would break
 * tokens in flight.
 */
export function planKeyRotation(
  previous: KeyLedger | undefined,
  keys: { name: string; kid?: string }[],
  signing: string,
  opts: RotationOptions,
): RotationState {
  const now = opts.now.toISOString();
  const retirement = opts.retirementSeconds ?? KEY_RETIREMENT_SECONDS;
  const names = keys.map((k) => k.name);
  if (!names.includes(signing)) {
    throw new InvalidArgumentError(
      "signingKey",
      describeValue(signing),
      `expected one of signingKeys (${names.map((n) => JSON.stringify(n)).join(", ")})`,
    );
  }
  const before = previous?.keys ?? {};
  if (previous && before[signing] === undefined) {
    throw new InvalidArgumentError(
      "signingKey",
      describeValue(signing),
      "it was not published by an earlier pulumi up: add it to signingKeys, pulumi up, and switch to it in a later up, so that Entra has the key before any token carries it",
    );
  }
  for (const k of keys) {
    const was = before[k.name];
    if (was && k.kid !== undefined && was.kid !== k.kid) {
      throw new InvalidArgumentError(
        `signingKeys.${k.name}`,
        `a different key (kid ${k.kid}, was ${was.kid})`,
        "a published key cannot change: give the new key a new name",
      );
    }
  }
  for (const [name, was] of Object.entries(before)) {
    if (names.includes(name)) continue;
    const stopped = previous?.signing === name ? now : was.signedUntil;
    if (stopped === undefined) continue; // never signed: no token carries it
    const retireAt = new Date(Date.parse(stopped) + retirement * 1000);
    if (opts.now < retireAt && !opts.allowEarlyRetirement) {
      throw new InvalidArgumentError(
        "signingKeys",
        `without key ${JSON.stringify(name)}`,
        previous?.signing === name
          ? `${JSON.stringify(name)} signs today: switch signingKey to another published key first, and drop it ${retirement} s later`
          : `${JSON.stringify(name)} stopped signing at ${stopped}; tokens it signed live until ${retireAt.toISOString()}: keep it until then (or set allowEarlyKeyRetirement: true to accept failing tokens)`,
      );
    }
  }

  const ledgerKeys: Record<string, KeyRecord> = {};
  for (const k of keys) {
    const was = before[k.name];
    // A generated key's kid is known once it exists: the caller fills in a new one.
    const record: KeyRecord = {
      kid: k.kid ?? was?.kid ?? "",
      publishedSince: was?.publishedSince ?? now,
    };
    if (k.name === signing) {
      record.signingSince = previous?.signing === signing ? (was?.signingSince ?? now) : now;
    } else if (previous?.signing === k.name) {
      record.signedUntil = now;
    } else if (was?.signedUntil !== undefined) {
      record.signedUntil = was.signedUntil;
    }
    ledgerKeys[k.name] = record;
  }
  const ledger: KeyLedger = { signing, keys: ledgerKeys };

  const others = keys.filter((k) => k.name !== signing);
  const retired = others.filter((k) => ledgerKeys[k.name].signedUntil !== undefined);
  const waiting = others.filter((k) => ledgerKeys[k.name].signedUntil === undefined);
  if (retired.length > 0) {
    const until = retired
      .map((k) => Date.parse(ledgerKeys[k.name].signedUntil!) + retirement * 1000)
      .reduce((a, b) => Math.max(a, b));
    return {
      ledger,
      phase: "switched",
      next: `after ${new Date(until).toISOString()}, remove ${retired.map((k) => JSON.stringify(k.name)).join(", ")} from signingKeys and pulumi up`,
    };
  }
  if (waiting.length > 0) {
    return {
      ledger,
      phase: "published",
      next: `once Entra has fetched the new JWKS (wait a few minutes), set signingKey to ${JSON.stringify(waiting[waiting.length - 1].name)} and pulumi up`,
    };
  }
  return {
    ledger,
    phase: "steady",
    next: "to rotate, add a key to signingKeys (a new name) and pulumi up",
  };
}

/** Reads the ledger a previous up left in the stack output, or undefined when there is none. */
export function parseKeyLedger(value: unknown): KeyLedger | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as { signing?: unknown; keys?: unknown };
  if (typeof v.signing !== "string" || typeof v.keys !== "object" || v.keys === null)
    return undefined;
  return { signing: v.signing, keys: v.keys as Record<string, KeyRecord> };
}
