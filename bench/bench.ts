/**
 * `npm run bench`: what a deployment costs through the real Pulumi CLI and engine (built by
 * .ci/build-engine.sh) against the local cloud, measured. Not part of `npm test`.
 *
 * For each fleet size (bench/fleet.ts), with the file backend as it comes (checkpoints: the
 * whole state written after every step; the small sizes only, as that grows with the square of
 * the stack) and with PULUMI_SKIP_CHECKPOINTS (written once, at the end; every size):
 * 1. Overhead: `preview`, `up`, a second `preview` (which must plan nothing) and `destroy` of
 *    the stack program and of the control (bench/control.ts) with the cloud answering at once:
 *    wall time, CPU and peak memory of the program (this bench's child process holding the
 *    inline program), the CLI and the provider plugins.
 * 2. The deployment: `up` and `destroy` with each operation taking what it takes in Azure and kind
 *    (bench/latencyModel.ts), at the CLI's default --parallel and at a large one, beside the
 *    bound (bench/graph.ts): the longest chain of real dependencies or the total work over the
 *    parallelism, whichever is larger. At the default parallelism the bound is the work, minutes
 *    at full scale for a large fleet, so the latencies are scaled down (--scale); at the large
 *    one the bound is the chain, 87 s at full scale, so they are not (--large-scale): scaled
 *    down, 1000 identities would set 100 s of CPU on a 2-core machine against a 9 s chain, and
 *    measure the machine instead of the program and the engine.
 *
 * Writes bench/results/<date>-<commit>.md and .json: a run to commit, which the docs quote.
 *
 * With --repeat N, every cell runs N times (the stack program and the control taking turns, so
 * that the machine's drift falls on both) and the report keeps the median run, with the spread.
 *
 *   npm run bench -- [--sizes 1,10,100,300,1000] [--checkpoint-sizes 1,10,100] [--scale 0.1]
 *                    [--large-parallel 1000] [--large-scale 1] [--repeat 1] [--check]
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { UsageError, parseCommandArgs } from "../cli/args";
import { ROOT, engineBin } from "../test/harness/localCloud";
import { ProgramName } from "./cliRun";
import { GraphNode, deploymentBound, realisedChain } from "./graph";
import { latencyModelEnv, operationMs } from "./latencyModel";
import { byCell, medianRun } from "./median";
import {
  Deployment,
  MODE_ENV,
  Measured,
  Mode,
  RanChain,
  changed,
  machine,
  renderReport,
  targetsOf,
} from "./report";
import { CloudOperation, OperationRun, World, nameOf, span } from "./world";

/** Where each published run is kept, under its date and commit (the docs quote only these). */
const OUT = path.join(ROOT, "bench", "results");
const DEFAULT_PARALLEL = 4 * os.availableParallelism();

function ranChain(graph: GraphNode[], ops: CloudOperation[]): RanChain {
  const chain = realisedChain(graph, ops);
  const first = chain[chain.length - 1];
  return {
    links: chain.length,
    leadMs: first ? first.start - Math.min(...ops.map((o) => o.start)) : 0,
    operationsMs: chain.reduce((sum, l) => sum + l.end - l.start, 0),
    waitsMs: chain.reduce((sum, l) => sum + l.waitMs, 0),
    path: [...chain]
      .reverse()
      .map((l) => `${nameOf(l.urn)} (+${(l.waitMs / 1000).toFixed(2)})`)
      .join(" > "),
  };
}

/** preview, up, a second preview that must plan nothing, destroy: one program, one world. */
async function lifecycle(
  program: ProgramName,
  n: number,
  mode: Mode,
): Promise<Omit<Measured, "spread">[]> {
  const world = await World.make(n, MODE_ENV[mode]);
  try {
    const out: Omit<Measured, "spread">[] = [];
    const push = (m: OperationRun, op: Measured["op"] = m.op) =>
      out.push({ ...m, identities: n, op, variant: mode });
    push(await world.run(program, "preview"));
    push(await world.run(program, "up"));
    const again = await world.run(program, "preview");
    if (changed(again.changes) > 0) {
      throw new Error(`${program}: a second preview plans ${JSON.stringify(again.changes)}`);
    }
    push(again, "preview again");
    push(await world.run(program, "destroy"));
    return out;
  } finally {
    world.dispose();
  }
}

/** up and destroy with every operation taking its modelled time, beside their bounds. */
async function deployment(
  n: number,
  mode: Mode,
  parallel: number,
  scale: number,
): Promise<Omit<Deployment, "spread">[]> {
  const world = await World.make(n, {
    ...MODE_ENV[mode],
    LOCALCLOUD_LATENCY_MODEL: latencyModelEnv(scale),
  });
  try {
    const up = await world.run("stack", "up", parallel);
    const upOps = world.operations();
    const graph = await world.graph();
    const destroy = await world.run("stack", "destroy", parallel);
    const destroyOps = world.operations();
    return (
      [
        ["up", up, upOps],
        ["destroy", destroy, destroyOps],
      ] as const
    ).map(([op, m, ops]) => {
      const kind = op === "up" ? "create" : "delete";
      const costOf = (r: GraphNode) => operationMs(r.type, nameOf(r.urn), kind, scale);
      return {
        identities: n,
        op,
        mode,
        parallel,
        scale,
        operations: ops.length,
        spanMs: span(ops),
        opMs: m.opMs,
        bound: deploymentBound(graph, costOf, parallel, op),
        ...(op === "up" ? { ran: ranChain(graph, ops) } : {}),
        cpuFloorMs: Math.round(
          (m.cpuMs + m.tree.cpuMs.cli + m.tree.cpuMs.providers + m.tree.cpuMs.other) /
            os.availableParallelism(),
        ),
      };
    });
  } finally {
    world.dispose();
  }
}

const USAGE = `usage: npm run bench -- [--sizes 1,10,100,300,1000] [--checkpoint-sizes 1,10,100]
       [--scale 0.1] [--large-parallel 1000] [--large-scale 1] [--repeat 1] [--check]`;

interface BenchArgs {
  sizes: number[];
  checkpointSizes: number[];
  scale: number;
  largeParallel: number;
  largeScale: number;
  repeat: number;
  check: boolean;
}

/** The bench's flags, each checked: a mistyped one is refused, not ignored. */
function parseBenchArgs(argv: string[]): BenchArgs | undefined {
  const { values } = parseCommandArgs(
    argv,
    {
      sizes: { type: "string", default: "1,10,100,300,1000" },
      // The file backend's checkpoints cost grows with the square of the stack (every step
      // writes all of it): on 2 cores, some 10 minutes at 300 identities and hours at 1000.
      "checkpoint-sizes": { type: "string", default: "1,10,100" },
      scale: { type: "string", default: "0.1" },
      "large-parallel": { type: "string", default: "1000" },
      "large-scale": { type: "string", default: "1" },
      repeat: { type: "string", default: "1" },
      check: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
    false,
  );
  if (values.help) return undefined;
  const numbers = (flag: string) => {
    const list = String(values[flag]).split(",").map(Number);
    if (list.some((n) => !Number.isFinite(n) || n <= 0)) {
      throw new UsageError(`--${flag}: ${String(values[flag])} is not a list of positive numbers`);
    }
    return list;
  };
  return {
    sizes: numbers("sizes"),
    checkpointSizes: numbers("checkpoint-sizes"),
    scale: numbers("scale")[0],
    largeParallel: numbers("large-parallel")[0],
    largeScale: numbers("large-scale")[0],
    repeat: numbers("repeat")[0],
    check: values.check === true,
  };
}

const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

/** Every cell, each run `repeat` times, the stack program and the control taking turns. */
async function measure(args: BenchArgs) {
  const overheadRuns: Omit<Measured, "spread">[] = [];
  const deploymentRuns: Omit<Deployment, "spread">[] = [];
  for (const n of args.sizes) {
    const modes: Mode[] = args.checkpointSizes.includes(n)
      ? ["checkpoints", "PULUMI_SKIP_CHECKPOINTS"]
      : ["PULUMI_SKIP_CHECKPOINTS"];
    for (const mode of modes) {
      for (let run = 1; run <= args.repeat; run++) {
        const of = args.repeat > 1 ? ` (run ${run} of ${args.repeat})` : "";
        for (const program of ["stack", "control"] as const) {
          log(`${program}, ${n} identities, ${mode}: preview, up, preview, destroy${of}`);
          overheadRuns.push(...(await lifecycle(program, n, mode)));
        }
        for (const [parallel, x] of [
          [DEFAULT_PARALLEL, args.scale],
          [args.largeParallel, args.largeScale],
        ]) {
          log(`deployment, ${n} identities, ${mode}, --parallel ${parallel}, x${x}${of}`);
          deploymentRuns.push(...(await deployment(n, mode, parallel, x)));
        }
        // What is measured so far, for a long run's reader (the report comes at the end).
        fs.writeFileSync(
          path.join(os.tmpdir(), "wi-bench-partial.json"),
          `${JSON.stringify({ machine: machine(), overheadRuns, deploymentRuns }, null, 2)}\n`,
        );
      }
    }
  }
  return {
    overhead: byCell(overheadRuns, (m) => `${m.program} ${m.identities} ${m.op} ${m.variant}`).map(
      (runs) => medianRun(runs, (m) => m.wallMs),
    ),
    deployments: byCell(
      deploymentRuns,
      (d) => `${d.identities} ${d.op} ${d.mode} ${d.parallel}`,
    ).map((runs) => medianRun(runs, (d) => d.spanMs)),
  };
}

async function main(argv: string[]): Promise<number> {
  const args = parseBenchArgs(argv);
  if (args === undefined) {
    console.log(USAGE);
    return 0;
  }
  // The operations' processes use these binaries as they are (no build check on their clock).
  process.env.WI_ENGINE_BIN = engineBin();
  const engine = execFileSync(path.join(engineBin(), "pulumi"), ["version"], {
    encoding: "utf8",
  }).trim();
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
    cwd: ROOT,
    encoding: "utf8",
  }).trim();
  const date = new Date().toISOString().slice(0, 10);
  const { overhead, deployments } = await measure(args);
  const targets = targetsOf(overhead, deployments);
  const command = ["npm run bench --", ...argv].join(" ");
  const report = renderReport({
    overhead,
    deployments,
    targets,
    repeat: args.repeat,
    engine,
    command,
    commit,
    date,
  });
  // Each run kept under its date and commit, to be committed: the docs quote only these.
  fs.mkdirSync(OUT, { recursive: true });
  const base = path.join(OUT, `${date}-${commit}`);
  fs.writeFileSync(`${base}.md`, report);
  fs.writeFileSync(
    `${base}.json`,
    `${JSON.stringify({ date, commit, engine, command, machine: machine(), overhead, deployments, targets }, null, 2)}\n`,
  );
  console.log(report);
  console.error(`wrote ${path.relative(ROOT, base)}.md and .json`);
  return args.check && targets.some((t) => !t.ok) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(err instanceof UsageError ? `error: ${err.message}\n${USAGE}` : err);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
