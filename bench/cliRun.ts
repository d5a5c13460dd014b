/**
 * One Pulumi operation through the real CLI and engine, in a process of its own so that the
 * benchmark can measure it whole: `preview`, `up` or `destroy` of the dev stack in a local cloud
 * made earlier, running the stack program or the control. The program runs inline in this process
 * (the Automation API's language host; pulumi-language-nodejs is not served here), so this process
 * is what the benchmark counts as the program. Prints one JSON line: the operation's wall time,
 * what it changed, and this process's own CPU and peak memory.
 *
 *   node -r ts-node/register/transpile-only bench/cliRun.ts '<CliRunRequest as JSON>'
 */
import { LocalCloud } from "../test/harness/localCloud";
import { program } from "../stacks";
import { controlProgram } from "./control";

export type ProgramName = "stack" | "control";
export type Op = "preview" | "up" | "destroy";

export interface CliRunRequest {
  root: string;
  checkout: string;
  program: ProgramName;
  op: Op;
  /** --parallel; the CLI's default (4 x cores) when absent. */
  parallel?: number;
  env: Record<string, string>;
}

export interface CliRunResult {
  /** From asking the CLI to run the operation to its answer. */
  opMs: number;
  changes: Record<string, number>;
  cpuMs: number;
  maxRssMb: number;
}

async function main(request: CliRunRequest): Promise<CliRunResult> {
  // Both load the same modules: the control's fixed part is the stack program's.
  const run = request.program === "stack" ? program : controlProgram;
  const cloud = new LocalCloud(request.env, request.root);
  const stack = await cloud.stack("dev", request.checkout, run);
  const options = request.parallel !== undefined ? { parallel: request.parallel } : {};
  const started = process.hrtime.bigint();
  let changes: Record<string, number> | undefined;
  if (request.op === "preview") {
    changes = (await stack.preview(options)).changeSummary;
  } else if (request.op === "up") {
    changes = (await stack.up(options)).summary.resourceChanges;
  } else {
    changes = (await stack.destroy(options)).summary.resourceChanges;
  }
  const opMs = Number(process.hrtime.bigint() - started) / 1e6;
  const usage = process.resourceUsage();
  return {
    opMs: Math.round(opMs),
    changes: changes ?? {},
    cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000),
    maxRssMb: Math.round(usage.maxRSS / 1024),
  };
}

if (require.main === module) {
  main(JSON.parse(process.argv[2]) as CliRunRequest)
    .then((r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      // The Automation API's language server keeps the loop alive: done is done.
      process.exit(0);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
