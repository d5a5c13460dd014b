/**
 * The key guard: before an issuer registers anything, read what its previous deployment left
 * (through the engine, from the stack's own state) and plan this up's rotation step against it,
 * refusing steps that would break tokens in flight. It fails closed: only a stack that was never
 * deployed, or an issuer that is new in it, counts as a first up; a state that cannot be read or
 * a damaged ledger refuses the up, unless the caller resets the ledger for one up on purpose.
 */
import * as pulumi from "@pulumi/pulumi";

import { UnreadableLedger, previousIssuerKeys } from "./keyLedger";
import {
  PlannedKey,
  PreviousKeys,
  RotationFields,
  RotationState,
  planKeyRotation,
} from "./signingKeys";

/** The engine's builtin read of a stack's last deployment: every resource's outputs. It
 * registers nothing (pkg/resource/deploy/builtins.go, readStackResourceOutputs). */
export const READ_STACK_RESOURCES = "pulumi:pulumi:readStackResourceOutputs";

/** A guard refusal that is about the state, not an argument: one line, no stack trace. */
export class KeyGuardError extends pulumi.RunError {
  constructor(message: string) {
    super(message);
    this.name = "KeyGuardError";
  }
}

export interface KeyGuardOptions {
  now: Date;
  allowEarlyRetirement?: boolean;
  /** Start a new ledger from the declared keys, for one up, when the previous one cannot be read. */
  resetKeyLedger?: boolean;
  /** How the caller names its arguments in messages (the stack: its config keys). */
  fields?: RotationFields & { reset: string };
  /** Who is checked, for messages: `OidcIssuer oidc`. */
  owner: string;
}

const COMPONENT_FIELDS = {
  keys: "keys",
  signing: "signingKeyName",
  reset: "resetKeyLedger",
};

/** How often the read is tried, and the wait before each retry. */
export const READ_ATTEMPTS = 4;
const READ_RETRY_MS = 250;

/**
 * The stack's last deployment as the engine reads it. The read races this very up's checkpoint
 * writes: with the file backend, each write rewrites the checkpoint's `.attrs` file in place
 * (gocloud.dev blob/fileblob, setAttrs: os.Create then encode, not temp-and-rename as for the
 * checkpoint itself), and a read between the two sees it empty, "failed to load checkpoint:
 * EOF". A failed read is tried again, a few times; what still fails refuses the up.
 */
async function readStackResources(): Promise<unknown> {
  const stackName = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = (await pulumi.runtime.invoke(READ_STACK_RESOURCES, { stackName })) as {
        outputs?: unknown;
      };
      return result?.outputs;
    } catch (err) {
      if (attempt >= READ_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, READ_RETRY_MS * attempt));
    }
  }
}

/** The previous keys, `undefined` on a first up; throws KeyGuardError when they cannot be read. */
async function previousKeys(
  issuerUrn: Promise<string>,
  issuerName: string,
  opts: KeyGuardOptions,
): Promise<PreviousKeys | undefined> {
  const fields = opts.fields ?? COMPONENT_FIELDS;
  const refuse = (cause: string) =>
    new KeyGuardError(
      `${opts.owner}: cannot read the key ledger of its previous deployment (${cause}), so this up cannot tell which keys Entra has fetched and which keys tokens in flight carry; refusing. Fix the cause and run again, or set ${fields.reset}: true for one up to start a new ledger from the declared keys`,
    );
  let found;
  try {
    found = previousIssuerKeys(await readStackResources(), await issuerUrn, issuerName);
  } catch (err) {
    if (opts.resetKeyLedger) return undefined;
    const cause = err instanceof UnreadableLedger ? err.message : firstLine(err);
    throw refuse(cause);
  }
  if (opts.resetKeyLedger) {
    throw new KeyGuardError(
      `${fields.reset} (${opts.owner}): true is not valid; ${found.found ? "the previous key ledger reads fine" : `there is no ledger to reset (${found.why})`}: remove it, it is only for a ledger that cannot be read`,
    );
  }
  return found.found ? found.previous : undefined;
}

/**
 * Fixes an error's message for good. Each resource input that awaits a rejected Output prefixes
 * `error serializing property "x": ` to the message of the very error object it rethrows (the SDK
 * keeps its identity so that it is reported once: runtime/rpc.js, serializeProperties). A guard
 * refusal that the issuer's children and the program's resources all wait for would reach the
 * user buried under a chain of such prefixes; with its message fixed it stays the one line.
 */
export function withFixedMessage<T>(err: T): T {
  if (err instanceof Error) {
    const message = err.message;
    Object.defineProperty(err, "message", {
      get: () => message,
      set: () => undefined,
      configurable: true,
    });
  }
  return err;
}

function firstLine(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).split("\n")[0].trim();
  return text === "" ? "the engine gave no reason" : text;
}

/**
 * This up's rotation step for the issuer at `issuerUrn`, planned against its previous deployment;
 * rejects with a one-line error when the step is refused or the previous state cannot be read.
 */
export async function guardIssuerKeys(
  issuerUrn: Promise<string>,
  issuerName: string,
  keys: PlannedKey[],
  signing: string,
  opts: KeyGuardOptions,
): Promise<RotationState> {
  const previous = await previousKeys(issuerUrn, issuerName, opts);
  return planKeyRotation(
    previous,
    keys,
    signing,
    { now: opts.now, allowEarlyRetirement: opts.allowEarlyRetirement },
    opts.fields,
  );
}
