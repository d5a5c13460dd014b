/**
 * `npm run bench`: what the project costs, measured. Not part of `npm test`.
 *
 * - Type check of the whole project: wall time and peak memory (tsc in its own process).
 * - The stack program run exactly as `pulumi up` runs it (bench/run.ts: Pulumi's entry point,
 *   Pulumi.yaml's runtime options, a gRPC engine in another process) for 1, 10, 100 and 300
 *   workload identities with 1 to 3 ServiceAccounts each: wall time from start to exit, peak
 *   memory, CPU. Beside it a control (bench/control.ts): the same cloud resources registered flat
 *   with plain inputs, the floor the SDK and engine set for any program.
 * - Simulated deployment: every cloud resource answered after a fixed latency; the deployment's
 *   wall time beside the critical-path lower bound and the fully serial time (one resource at a
 *   time, as the azwi and ccoctl scripts work), both from the dependency graph the program
 *   registered.
 *
 * Prints a table and writes bench/results/latest.md and latest.json. `--quick` runs the small
 * sizes only. `--check` exits 1 when a target is missed.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { ROOT, RunOptions, RunResult, runAsPulumiUp } from "./run";

const OUT = path.join(ROOT, "bench", "results");

/** tsc in a process of its own, reporting its peak memory as it exits. */
function typeCheck(): { wallMs: number; maxRssMb: number } {
  const code = [
    `process.on("exit", () => process.stderr.write("\\nMAXRSS " + process.resourceUsage().maxRSS + "\\n"));`,
    `process.argv = [process.argv[0], "tsc", "-p", "tsconfig.json", "--noEmit"];`,
    `require("typescript/lib/tsc.js");`,
  ].join("\n");
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ["-e", code], { cwd: ROOT, encoding: "utf8" });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`type check failed:\n${result.stdout}${result.stderr}`);
  const kb = Number(/MAXRSS (\d+)/.exec(result.stderr)?.[1]);
  return { wallMs: Math.round(wallMs), maxRssMb: Math.round(kb / 1024) };
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? "unknown CPU"}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

function table(head: string[], rows: (string | number)[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

const seconds = (ms: number | undefined, digits = 2) =>
  ms === undefined ? "n/a" : `${(ms / 1000).toFixed(digits)} s`;

type Program =
  "stack program" | "control (flat, plain inputs)" | "stack program, ts-node type-checking";

const PROGRAMS: Record<Program, Partial<RunOptions>> = {
  "stack program": {},
  "control (flat, plain inputs)": { main: "bench/control.ts" },
  // What tsconfig.json's ts-node.transpileOnly saves: Pulumi's host type-checks otherwise.
  "stack program, ts-node type-checking": { env: { PULUMI_NODEJS_TRANSPILE_ONLY: "false" } },
};

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const sizes = quick ? [1, 10] : [1, 10, 100, 300];
  const targets: { what: string; ok: boolean; detail: string }[] = [];
  const run = async (program: Program, identities: number, latencyMs: number) => {
    console.error(`${program}: ${identities} identities, ${latencyMs} ms per resource ...`);
    return { program, r: await runAsPulumiUp({ ...PROGRAMS[program], identities, latencyMs }) };
  };

  console.error("type check ...");
  const tc = typeCheck();
  targets.push({
    what: "type check under 15 s",
    ok: tc.wallMs < 15000,
    detail: seconds(tc.wallMs, 1),
  });

  const evaluations: { program: Program; r: RunResult }[] = [];
  for (const n of sizes) {
    evaluations.push(await run("stack program", n, 0));
    evaluations.push(await run("control (flat, plain inputs)", n, 0));
  }
  for (const n of sizes.filter((s) => s === 1 || s === 100)) {
    evaluations.push(await run("stack program, ts-node type-checking", n, 0));
  }
  for (const { r } of evaluations.filter(
    (e) => e.program === "stack program" && e.r.identities === 100,
  )) {
    targets.push({
      what: "100 identities evaluate in under 5 s and 500 MB",
      ok: r.wallMs < 5000 && r.maxRssMb < 500,
      detail: `${seconds(r.wallMs, 1)}, ${r.maxRssMb} MB`,
    });
  }

  const deployments: { program: Program; r: RunResult }[] = [];
  for (const latency of [100, 1000]) {
    for (const n of sizes) deployments.push(await run("stack program", n, latency));
    for (const n of sizes.filter((s) => s >= 100)) {
      deployments.push(await run("control (flat, plain inputs)", n, latency));
    }
  }
  for (const { r } of deployments.filter((d) => d.program === "stack program")) {
    const ratio = r.deploymentMs / r.criticalPathMs;
    targets.push({
      what: `deployment within 1.2x of the critical path: ${r.identities} identities at ${r.latencyMs} ms`,
      ok: ratio <= 1.2,
      detail: `${ratio.toFixed(2)}x`,
    });
  }

  const report = [
    `# Benchmark results`,
    "",
    `Machine: ${machine()}. Run: ${new Date().toISOString()}.`,
    "",
    "## Type check (tsc --noEmit, whole project)",
    "",
    table(["wall", "peak memory"], [[seconds(tc.wallMs, 1), `${tc.maxRssMb} MB`]]),
    "",
    "## The program as `pulumi up` runs it (kind stack, engine answering at once)",
    "",
    "Pulumi's own entry point with Pulumi.yaml's runtime options, against a gRPC engine in another process. Wall is the program's process from start to exit; CPU is its user + system time. The control registers the same cloud resources flat, with plain inputs: what the SDK and engine cost any program.",
    "",
    table(
      ["program", "identities", "resources", "wall", "peak memory", "CPU", "log messages"],
      evaluations.map(({ program, r }) => [
        program,
        r.identities,
        r.resources,
        seconds(r.wallMs),
        `${r.maxRssMb} MB`,
        seconds(r.cpuMs),
        r.logs,
      ]),
    ),
    "",
    "## Simulated deployment",
    "",
    "Each cloud resource is answered after the latency. Deployment is the engine's view, from the first cloud resource requested to the last one done; the bound is the longest chain of real dependencies; serial is one resource at a time. Program wall is the whole run from start to exit, and program CPU what its one JavaScript thread (and the GC's) spent after its first registration: where that exceeds the bound, no ordering of the resources could reach it.",
    "",
    table(
      [
        "program",
        "latency",
        "identities",
        "cloud resources",
        "deployment",
        "critical-path bound",
        "ratio",
        "program wall",
        "program CPU",
        "fully serial",
      ],
      deployments.map(({ program, r }) => [
        program,
        `${r.latencyMs} ms`,
        r.identities,
        r.cloudResources,
        seconds(r.deploymentMs),
        seconds(r.criticalPathMs),
        `${(r.deploymentMs / r.criticalPathMs).toFixed(2)}x`,
        seconds(r.wallMs),
        seconds(r.cpuAfterFirstRegistrationMs),
        seconds(r.serialMs, 1),
      ]),
    ),
    "",
    "## Targets",
    "",
    table(
      ["target", "measured", "met"],
      targets.map((t) => [t.what, t.detail, t.ok ? "yes" : "**no**"]),
    ),
    "",
  ].join("\n");

  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, "latest.md"), report);
  fs.writeFileSync(
    path.join(OUT, "latest.json"),
    `${JSON.stringify({ machine: machine(), typeCheck: tc, evaluations, deployments, targets }, null, 2)}\n`,
  );
  console.log(report);
  if (process.argv.includes("--check") && targets.some((t) => !t.ok)) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
