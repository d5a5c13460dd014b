#!/usr/bin/env node
/**
 * The package's command line: `npx pulumi-azure-workload-identity <command>`. It loads only what
 * the command it runs needs: `--help` and usage errors answer without loading the Pulumi SDK.
 */
import { InputError, UsageError } from "./args";

const USAGE = `usage: pulumi-azure-workload-identity <command> [options]

commands:
  plan <stack>             plan a program offline: no cloud, no Pulumi CLI, no credentials
  doctor                   check a live setup end to end, one line per check
  migrate pod-identity     plan the move from AAD Pod Identity: stack config and a report

Run a command with --help for its options.`;

interface Command {
  USAGE: string;
  run(argv: string[]): number | Promise<number>;
}

/** The command named by the first words, loaded when it runs. */
function commandOf(words: string[]): { command: () => Command; rest: string[] } | undefined {
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (words[0] === "plan") {
    return { command: () => require("./commands/plan") as Command, rest: words.slice(1) };
  }
  if (words[0] === "doctor") {
    return { command: () => require("./commands/doctor") as Command, rest: words.slice(1) };
  }
  if (words[0] === "migrate" && words[1] === "pod-identity") {
    return { command: () => require("./commands/migrate") as Command, rest: words.slice(2) };
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  return undefined;
}

/** A failure the user's input caused: reported in one line, without a stack. */
function isUserError(err: unknown): err is Error {
  return (
    err instanceof InputError ||
    (err instanceof Error &&
      ["InvalidArgumentError", "KubeconfigError", "StackFileError"].includes(err.name)) ||
    // A file a file named (a kubeconfig's client certificate) that cannot be read.
    (err instanceof Error && "code" in err && "path" in err)
  );
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    (argv.length === 0 ? console.error : console.log)(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const found = commandOf(argv);
  if (found === undefined) {
    console.error(`error: unknown command ${argv.slice(0, 2).join(" ")}\n${USAGE}`);
    return 2;
  }
  let command: Command | undefined;
  try {
    command = found.command();
    return await command.run(found.rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}\n${command?.USAGE ?? USAGE}`);
      return 2;
    }
    if (isUserError(err)) {
      console.error(`error: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

/**
 * Ends the process with the command's status. After a failure, at once: a program the plan ran
 * may leave rejected promises behind, which Node would otherwise report as a second, uncaught
 * error with a stack trace below the one line already printed.
 */
export function exitWith(code: number): void {
  if (code === 0) process.exitCode = 0;
  else process.exit(code);
}

if (require.main === module) {
  void main(process.argv.slice(2)).then(exitWith);
}
