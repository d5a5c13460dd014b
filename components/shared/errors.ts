// The SDK's errors module alone: the whole SDK takes over half a second of CPU to load, and the
// command line's doctor, which uses these errors, needs nothing else of it.
import { RunError } from "@pulumi/pulumi/errors";
import type { Output } from "@pulumi/pulumi/output";

import { nearest } from "./suggest";

export { nearest } from "./suggest";

/**
 * The error every validation in this package throws. It carries the field, a description of the
 * bad value and what is allowed, so that callers (and tests) can tell exactly what was wrong.
 *
 * Validation runs before a component calls `super()`, so a bad argument registers nothing:
 * neither the component nor any of its children.
 *
 * It is a Pulumi `RunError`: Pulumi's entry point prints a RunError as its message alone, one
 * line, where any other error is printed with colour codes, its stack and its fields.
 */
export class InvalidArgumentError extends RunError {
  constructor(
    /** The argument or config key at fault, as the caller spells it (`hosting`, `identities[2].namespace`). */
    readonly field: string,
    /** A printable description of the bad value; never the value itself when it is a secret. */
    readonly value: string,
    /** What would have been accepted. */
    readonly allowed: string,
    /** Whose argument it is, where a program has several (`identity wi-dev-reader`). */
    readonly owner?: string,
  ) {
    super(`${field}${owner ? ` (${owner})` : ""}: ${value} is not valid; ${allowed}`);
    this.name = "InvalidArgumentError";
  }
}

/**
 * Runs `check` and names the owner in any InvalidArgumentError it throws, its field prefixed
 * with `fieldPrefix`: the same validation serves a component (`roleAssignments[0].role`) and the
 * stack config (`identities[1].roleAssignments[0].role`).
 */
export function withOwner<T>(owner: string, fieldPrefix: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof InvalidArgumentError && err.owner === undefined) {
      throw new InvalidArgumentError(`${fieldPrefix}${err.field}`, err.value, err.allowed, owner);
    }
    throw err;
  }
}

/** Describes a bad value for an error message: JSON-quoted and cut short, so that a stray blob of
 * text does not flood the console. Never call this on a secret; use {@link describeSecret}. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (isOutput(value)) return "an Output";
  let text: string;
  try {
    text = JSON.stringify(value) ?? typeof value;
  } catch {
    text = typeof value;
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The SDK's own test for an Output, loaded when a bad value is described, not with this module. */
function isOutput(value: unknown): value is Output<unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Output } = require("@pulumi/pulumi/output") as typeof import("@pulumi/pulumi/output");
  return Output.isInstance(value);
}

/** Describes a secret without revealing it. */
export function describeSecret(value: unknown): string {
  return typeof value === "string"
    ? `a secret of ${value.length} characters (not shown)`
    : `a secret of type ${typeof value} (not shown)`;
}

/** What to say of an unknown key: the nearest known one, and every known one. */
export function unknownKeyHint(key: string, known: readonly string[]): string {
  const near = nearest(key, known);
  return `unknown field${near ? `; did you mean ${near}?` : ""} (expected ${known.join(", ")})`;
}

/**
 * Throws unless `value` is a plain object (not an array, not null) holding only `known` keys;
 * an unknown key is named with the nearest known one. `field` prefixes the keys' paths.
 */
export function requireKnownObject(
  value: unknown,
  field: string,
  known: readonly string[],
  shape: string,
  owner?: string,
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(field, describeValue(value), `expected ${shape}`, owner);
  }
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(
        field === "" ? key : `${field}.${key}`,
        describeValue(o[key]),
        unknownKeyHint(key, known),
        owner,
      );
    }
  }
  return o;
}

/** Throws unless `value` is a string, saying so first (a YAML number is not a name). */
export function requireString(value: unknown, field: string, what: string, owner?: string): string {
  if (typeof value !== "string") {
    throw new InvalidArgumentError(
      field,
      describeValue(value),
      value === undefined || value === null
        ? `expected ${what}`
        : `expected ${what} as a string, not a ${Array.isArray(value) ? "list" : typeof value}${typeof value === "number" || typeof value === "boolean" ? " (quote it in YAML)" : ""}`,
      owner,
    );
  }
  return value;
}

/** Throws unless `value` is a string matching `pattern`. */
export function requireMatch(
  value: unknown,
  field: string,
  pattern: RegExp,
  allowed: string,
): string {
  if (typeof value !== "string" || !pattern.test(value)) {
    throw new InvalidArgumentError(field, describeValue(value), allowed);
  }
  return value;
}

/** Throws unless `value` is an integer within [min, max]. */
export function requireIntegerInRange(
  value: unknown,
  field: string,
  min: number,
  max: number,
): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      field,
      describeValue(value),
      `expected a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

/** Throws unless `value` is one of `allowed`. */
export function requireOneOf<T extends string>(
  value: unknown,
  field: string,
  allowed: readonly T[],
): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(
      field,
      describeValue(value),
      `expected one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`,
    );
  }
  return value as T;
}
