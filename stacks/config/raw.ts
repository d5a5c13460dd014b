/**
 * Reading config values as Pulumi hands them to a program: strings (lists and objects as JSON).
 * Each reader checks the type first (a number where a string belongs is said to be a number, not
 * a bad name), then the value, and names the config key in its one-line error.
 */
import { InvalidArgumentError, describeValue } from "../../components/shared/errors";
import { CONFIG_KEYS, ConfigKey, rawDefault } from "./keys";

export type Raw = Record<string, string | undefined>;

export function fail(key: string, value: unknown, allowed: string, owner?: string): never {
  throw new InvalidArgumentError(key, describeValue(value), allowed, owner);
}

/** True when the stack sets a key to something other than its default. */
export function isSet(raw: Raw, key: ConfigKey): boolean {
  const v = raw[key];
  if (v === undefined || v === "" || v === rawDefault(key)) return false;
  // Lists arrive as JSON; an empty list is the default whatever its spacing.
  return !(CONFIG_KEYS[key].type.endsWith("list") && /^\s*\[\s*\]\s*$/.test(v));
}

/**
 * A string key; undefined when empty. Pulumi hands a YAML number as its decimal text, so a
 * value that must be text but reads as a number is said to be one: `1.30` reaches the program
 * as "1.3".
 */
export function str(raw: Raw, key: ConfigKey): string | undefined {
  const v = raw[key] ?? (CONFIG_KEYS[key].default as string | undefined);
  return v === "" ? undefined : v;
}

export function int(raw: Raw, key: ConfigKey, min: number, max: number): number {
  const v = raw[key];
  if (v === undefined || v === "") return CONFIG_KEYS[key].default as number;
  if (!/^-?\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
    fail(key, v, `expected a whole number from ${min} to ${max}`);
  }
  return Number(v);
}

export function bool(raw: Raw, key: ConfigKey): boolean {
  const v = raw[key];
  if (v === undefined || v === "") return CONFIG_KEYS[key].default as boolean;
  if (v !== "true" && v !== "false") fail(key, v, "expected true or false");
  return v === "true";
}

/** A key holding a YAML list (JSON when set on the command line): the list, checked to be one. */
export function list(raw: Raw, key: ConfigKey, of: string): unknown[] {
  const v = raw[key];
  if (v === undefined) return CONFIG_KEYS[key].default as unknown[];
  let parsed: unknown;
  try {
    parsed = JSON.parse(v) as unknown;
  } catch {
    return fail(
      key,
      v,
      `expected a YAML list of ${of} in the stack file (JSON when set on the command line)`,
    );
  }
  if (!Array.isArray(parsed)) {
    fail(
      key,
      parsed,
      `expected a list of ${of}, not ${parsed === null ? "null" : typeof parsed === "object" ? "a map" : `a ${typeof parsed}`}: write each entry on a line starting with '- '`,
    );
  }
  return parsed;
}

/** A list of plain strings. */
export function stringList(raw: Raw, key: ConfigKey): string[] {
  const values = list(raw, key, "strings");
  for (const [i, v] of values.entries()) {
    if (typeof v !== "string") fail(`${key}[${i}]`, v, "expected a string (quote it in YAML)");
  }
  return values as string[];
}

export function oneOf<T extends string>(raw: Raw, key: ConfigKey, allowed: readonly T[]): T {
  const v = str(raw, key);
  if (v === undefined || !(allowed as readonly string[]).includes(v)) {
    fail(key, v, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
  }
  return v as T;
}

/** Refuses keys that only `flavor` uses when the stack's flavor is the other one. */
export function onlyWith(raw: Raw, keys: readonly ConfigKey[], why: string): void {
  for (const key of keys) {
    if (isSet(raw, key)) {
      throw new InvalidArgumentError(key, "a value (not shown)", why);
    }
  }
}
