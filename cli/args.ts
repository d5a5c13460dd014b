/**
 * The command line's arguments and input files, read with one-line errors: a bad flag is named
 * (with the nearest known one), a file that cannot be read says why. Light on purpose: `--help`
 * and usage errors answer without loading the Pulumi SDK, so nothing heavy is imported here.
 */
import * as fs from "node:fs";
import { ParseArgsConfig, parseArgs } from "node:util";

import { nearest } from "../components/shared/suggest";

/** A mistake in how the command was called: printed with the command's usage, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A problem with an input the user named (a file): printed as one line, exit status 1. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * node:util parseArgs, with its errors turned into one line naming the flag. Options keep their
 * order in `tokens` (doctor's --service-account belongs to the --identity before it).
 */
export function parseCommandArgs(argv: string[], options: Options, positionals = true) {
  try {
    return parseArgs({
      args: argv,
      options,
      allowPositionals: positionals,
      tokens: true,
      strict: true,
    });
  } catch (err) {
    const e = err as { code?: string; message: string };
    const flag = /'(-{1,2}[\w-]+)/.exec(e.message)?.[1];
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag !== undefined) {
      const near = nearest(flag.replace(/^-+/, ""), Object.keys(options));
      throw new UsageError(`unknown option ${flag}${near ? `; did you mean --${near}?` : ""}`);
    }
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && flag !== undefined) {
      throw new UsageError(
        options[flag.replace(/^-+/, "")]?.type === "boolean"
          ? `${flag} takes no value`
          : `${flag} needs a value`,
      );
    }
    if (e.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
      throw new UsageError(`unexpected argument ${/'([^']*)'/.exec(e.message)?.[1] ?? ""}`.trim());
    }
    throw new UsageError(e.message.split("\n")[0]);
  }
}

/**
 * A file the user named, read whole; `-` reads standard input. A file that is missing, a
 * directory or unreadable is one line naming the flag and the path.
 */
export function readInput(file: string, flag: string): string {
  if (file === "-") return fs.readFileSync(0, "utf8");
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      `${flag}: ${file}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (err as Error).message}`,
    );
  }
  if (stat.isDirectory()) throw new InputError(`${flag}: ${file} is a directory; expected a file`);
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new InputError(
      `${flag}: ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}
