/**
 * `plan`: the offline plan of a Pulumi program that uses the components (cli/plan.ts): no cloud,
 * no Pulumi CLI, no credentials. Prints the resource tree and writes what a reviewer reads.
 */
import * as path from "node:path";

import { UsageError, parseCommandArgs, readInput } from "../args";
import { stacksIn } from "../stackNames";

export const USAGE = `usage: pulumi-azure-workload-identity plan [options] <stack>

Runs the Pulumi program with a simulated cloud: nothing is created and nothing is asked of
Azure, kind or a Pulumi backend. Prints the resource tree and the stack's outputs, and writes to
<dir> the kind config, the issuer's documents, the ServiceAccount manifests, tables of
federated credentials and role assignments, and the access map (Mermaid).

  <stack>                the stack whose Pulumi.<stack>.yaml configures the program
  --program <dir>        the program's folder, holding Pulumi.yaml (default: the current one)
  --out <dir>            where to write (default plan/<stack>; it must be empty or hold an
                         earlier plan)
  --signing-key <file>   the brought signing key's private half, when the stack file holds it
                         encrypted (read into memory as a secret, never written)
  -h, --help             this text`;

const OPTIONS = {
  program: { type: "string" },
  out: { type: "string" },
  "signing-key": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const programDir = path.resolve(typeof values.program === "string" ? values.program : ".");
  if (positionals.length !== 1) {
    const known = (() => {
      try {
        return stacksIn(programDir).join(", ") || "none";
      } catch {
        return "none";
      }
    })();
    throw new UsageError(
      `${positionals.length === 0 ? "no stack given" : `one stack at a time, not ${positionals.join(" ")}`} (stacks in ${programDir}: ${known})`,
    );
  }
  const stack = positionals[0];
  const outDir = path.resolve(
    typeof values.out === "string" ? values.out : path.join("plan", stack),
  );
  const signingPrivateKeyPem =
    typeof values["signing-key"] === "string"
      ? readInput(values["signing-key"], "--signing-key")
      : undefined;
  // Loaded once the arguments parse: --help and usage errors answer without the SDK.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { plan, SIMULATED_NOTE } = require("../plan") as typeof import("../plan");
  const result = await plan(stack, { outDir, signingPrivateKeyPem, programDir });
  console.log(`Offline plan of stack "${stack}". ${SIMULATED_NOTE}\n`);
  console.log(result.tree);
  const shown = { ...(result.outputs as Record<string, unknown>) };
  if (typeof shown.kindConfig === "string") shown.kindConfig = "(see kind-config.yaml)";
  console.log(`\nStack outputs:\n${JSON.stringify(shown, null, 2)}`);
  if (result.notSimulated.length > 0) {
    console.log(
      `\nNot simulated (listed with their inputs only): ${result.notSimulated.join(", ")}`,
    );
  }
  console.log(
    `\nWrote ${result.files.length} files to ${path.relative(process.cwd(), outDir) || "."}: ${result.files.join(", ")}`,
  );
  return 0;
}
