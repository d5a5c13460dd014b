/**
 * `npm run bench`: what a deployment costs through the real Pulumi CLI and engine (built by
 * scripts/ci/build-engine.sh) against the local cloud, measured. Not part of `npm test`.
 *
 * For each fleet size (scripts/fleet.ts), with the file backend as it comes (checkpoints: the
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
 * Writes bench/results/latest.md and latest.json.
 *
 * With --repeat N, every cell runs N times (the stack program and the control taking turns, so
 * that the machine's drift falls on both) and the report keeps the median run, with the spread.
 *
 *   npm run bench -- [--sizes 1,10,100,300,1000] [--checkpoint-sizes 1,10,100] [--scale 0.1]
 *                    [--large-parallel 1000] [--large-scale 1] [--repeat 1] [--check]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { ROOT, engineBin } from "../test/harness/localCloud";
import { ProgramName } from "./cliRun";
import { Bound, GraphNode, deploymentBound, realisedChain } from "./graph";
import { latencyModelEnv, operationMs } from "./latencyModel";
import { Spread, byCell, medianRun } from "./median";
import { CloudOperation, OperationRun, World, nameOf, span } from "./world";

const OUT = path.join(ROOT, "bench", "results");
const DEFAULT_PARALLEL = 4 * os.availableParallelism();

interface Measured extends Omit<OperationRun, "op"> {
  identities: number;
  op: OperationRun["op"] | "preview again";
  variant: Mode;
  /** Of the wall time, over the cell's runs. */
  spread: Spread;
}

interface Deployment {
  identities: number;
  op: "up" | "destroy";
  mode: Mode;
  parallel: number;
  /** The latency model's scale the deployment ran at. */
  scale: number;
  operations: number;
  /** From the first cloud operation's start to the last one's end (the local cloud's log). */
  spanMs: number;
  opMs: number;
  bound: Bound;
  /** up: the chain it really ran (bench/graph.ts realisedChain), which makes up its span. */
  ran?: RanChain;
  /**
   * CPU time of every process of the operation (the program's exact, the CLI's and the plugins'
   * sampled) over the machine's cores: no run of the operation on this machine is shorter.
   */
  cpuFloorMs: number;
  /** Of the deployment's span, over the cell's runs. */
  spread: Spread;
}

interface RanChain {
  links: number;
  /** Before the chain's first operation started, from the deployment's first. */
  leadMs: number;
  operationsMs: number;
  /** Between one link's end and the next one's start: the engine's and the program's time. */
  waitsMs: number;
  /** The links by logical name, first to last, each with the wait before it (seconds). */
  path: string;
}

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

const s = (ms: number, digits = 1) => `${(ms / 1000).toFixed(digits)} s`;
/** A median with the spread of its runs, when there were several. */
const sm = (ms: number, spread: Spread, digits = 1) =>
  spread.runs > 1
    ? `${s(ms, digits)} (${(spread.minMs / 1000).toFixed(digits)}-${(spread.maxMs / 1000).toFixed(digits)})`
    : s(ms, digits);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const changed = (c: Record<string, number>) =>
  Object.entries(c)
    .filter(([k, v]) => k !== "same" && v > 0)
    .reduce((sum, [, v]) => sum + v, 0);

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

type Mode = "checkpoints" | "PULUMI_SKIP_CHECKPOINTS";
const MODE_ENV: Record<Mode, Record<string, string>> = {
  checkpoints: {},
  PULUMI_SKIP_CHECKPOINTS: { PULUMI_SKIP_CHECKPOINTS: "true" },
};

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

async function main(): Promise<void> {
  const sizes = (arg("sizes") ?? "1,10,100,300,1000").split(",").map(Number);
  // The file backend's checkpoints cost grows with the square of the stack (every step writes
  // all of it): on 2 cores, some 10 minutes at 300 identities and hours at 1000.
  const checkpointSizes = (arg("checkpoint-sizes") ?? "1,10,100").split(",").map(Number);
  const scale = Number(arg("scale") ?? "0.1");
  const largeParallel = Number(arg("large-parallel") ?? "1000");
  const largeScale = Number(arg("large-scale") ?? "1");
  const repeat = Number(arg("repeat") ?? "1");
  // The operations' processes use these binaries as they are (no build check on their clock).
  process.env.WI_ENGINE_BIN = engineBin();
  const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

  const overheadRuns: Omit<Measured, "spread">[] = [];
  const deploymentRuns: Omit<Deployment, "spread">[] = [];
  for (const n of sizes) {
    const modes: Mode[] = checkpointSizes.includes(n)
      ? ["checkpoints", "PULUMI_SKIP_CHECKPOINTS"]
      : ["PULUMI_SKIP_CHECKPOINTS"];
    for (const mode of modes) {
      for (let run = 1; run <= repeat; run++) {
        const of = repeat > 1 ? ` (run ${run} of ${repeat})` : "";
        for (const program of ["stack", "control"] as const) {
          log(`${program}, ${n} identities, ${mode}: preview, up, preview, destroy${of}`);
          overheadRuns.push(...(await lifecycle(program, n, mode)));
        }
        for (const [parallel, x] of [
          [DEFAULT_PARALLEL, scale],
          [largeParallel, largeScale],
        ]) {
          log(`deployment, ${n} identities, ${mode}, --parallel ${parallel}, x${x}${of}`);
          deploymentRuns.push(...(await deployment(n, mode, parallel, x)));
        }
        // What is measured so far, for a long run's reader (the report comes at the end).
        fs.mkdirSync(OUT, { recursive: true });
        fs.writeFileSync(
          path.join(OUT, "partial.json"),
          `${JSON.stringify({ machine: machine(), overheadRuns, deploymentRuns }, null, 2)}\n`,
        );
      }
    }
  }
  const overhead: Measured[] = byCell(
    overheadRuns,
    (m) => `${m.program} ${m.identities} ${m.op} ${m.variant}`,
  ).map((runs) => medianRun(runs, (m) => m.wallMs));
  const deployments: Deployment[] = byCell(
    deploymentRuns,
    (d) => `${d.identities} ${d.op} ${d.mode} ${d.parallel}`,
  ).map((runs) => medianRun(runs, (d) => d.spanMs));

  const find = (program: ProgramName, n: number, op: Measured["op"], mode: Mode) =>
    overhead.find(
      (m) => m.program === program && m.identities === n && m.op === op && m.variant === mode,
    );
  const targets: { what: string; ok: boolean; detail: string }[] = [];
  for (const m of overhead.filter(
    (x) => x.program === "stack" && x.identities >= 100 && (x.op === "preview" || x.op === "up"),
  )) {
    const r = m.wallMs / find("control", m.identities, m.op, m.variant)!.wallMs;
    targets.push({
      what: `stack program / control at most 1.15x: ${m.op}, ${m.identities} identities, ${m.variant}`,
      ok: r <= 1.15,
      detail: `${r.toFixed(2)}x`,
    });
  }
  for (const d of deployments.filter((x) => x.op === "up")) {
    const r = d.spanMs / d.bound.boundMs;
    targets.push({
      what: `up within 1.1x of the bound: ${d.identities} identities, --parallel ${d.parallel}, latency x${d.scale}, ${d.mode}`,
      ok: r <= 1.1,
      detail: `${r.toFixed(2)}x`,
    });
  }
  for (const up of overhead.filter(
    (x) => x.program === "stack" && x.identities === 1000 && x.op === "up",
  )) {
    targets.push({
      what: `1000 identities: up completes, CLI + program peak under 2 GB (${up.variant})`,
      ok: up.tree.peakCliAndProgramMb < 2048,
      detail: `${s(up.wallMs)}, ${up.tree.peakCliAndProgramMb} MB`,
    });
  }

  const report = [
    "# Benchmark results",
    "",
    `Machine: ${machine()}. Pulumi CLI and engine v3.255.0 (built from source), file backend. Run: ${new Date().toISOString()}.${repeat > 1 ? ` Each cell: the median of ${repeat} runs, their range in brackets; ratios are of medians.` : ""}`,
    "",
    "## Overhead: the cloud answering at once",
    "",
    "Wall: the operation's process from start to exit (node, the program's modules, the CLI, the engine, the plugins). Peak memory: the program's process plus the CLI, sampled together every 100 ms; the plugins beside it. CPU: the program's own (exact), the CLI's and the plugins' (sampled). checkpoints: the file backend as it comes, writing the whole state after every step; PULUMI_SKIP_CHECKPOINTS: written once, at the end.",
    "",
    table(
      [
        "identities",
        "state writes",
        "operation",
        "program",
        "wall",
        "/ control",
        "changes",
        "peak CLI + program",
        "peak plugins",
        "CPU program",
        "CPU CLI",
        "CPU plugins",
      ],
      overhead.map((m) => {
        const control = find("control", m.identities, m.op, m.variant)!;
        return [
          m.identities,
          m.variant,
          m.op,
          m.program,
          sm(m.wallMs, m.spread),
          m.program === "stack" ? ratio(m.wallMs, control.wallMs) : "",
          changed(m.changes),
          `${m.tree.peakCliAndProgramMb} MB`,
          `${m.tree.peakMb.providers} MB`,
          s(m.cpuMs),
          s(m.tree.cpuMs.cli),
          s(m.tree.cpuMs.providers),
        ];
      }),
    ),
    "",
    "## The engine's share: checkpoints",
    "",
    "The part of the stack program's operation that PULUMI_SKIP_CHECKPOINTS saves.",
    "",
    table(
      ["identities", "operation", "checkpoints", "PULUMI_SKIP_CHECKPOINTS", "checkpoint share"],
      overhead
        .filter((m) => m.program === "stack" && m.variant === "checkpoints")
        .filter((m) => m.op === "up" || m.op === "destroy")
        .map((m) => {
          const skip = find("stack", m.identities, m.op, "PULUMI_SKIP_CHECKPOINTS")!;
          return [
            m.identities,
            m.op,
            s(m.wallMs),
            s(skip.wallMs),
            `${Math.round((100 * (m.wallMs - skip.wallMs)) / m.wallMs)} %`,
          ];
        }),
    ),
    "",
    "## The deployment against its bound",
    "",
    "Latency: the model's figures (bench/latencyModel.ts) times this. Deployment: from the first cloud operation's start to the last one's end. Chain: the longest chain of real dependencies. Work: every operation's time added up. Bound: max(chain, work / parallelism). Engine's waves, destroy only: the least time of the engine's own schedule, which deletes in waves, each waiting for the one before it to finish (bench/graph.ts destroyWaves). Operation wall: the whole operation, from asking the CLI to its answer; CPU / cores: the CPU time all its processes took over this machine's cores, below which no run of the operation gets here (where it is near the operation wall, the run was CPU-bound).",
    "",
    table(
      [
        "identities",
        "state writes",
        "operation",
        "--parallel",
        "latency",
        "operations",
        "deployment",
        "chain",
        "work / parallel",
        "bound",
        "ratio",
        "engine's waves (ratio)",
        "operation wall",
        "CPU / cores",
      ],
      deployments.map((d) => [
        d.identities,
        d.mode,
        d.op,
        d.parallel,
        `x${d.scale}`,
        d.operations,
        sm(d.spanMs, d.spread, 2),
        s(d.bound.chainMs, 2),
        s(d.bound.workMs / d.parallel, 2),
        s(d.bound.boundMs, 2),
        ratio(d.spanMs, d.bound.boundMs),
        d.bound.wavesMs === undefined
          ? ""
          : `${s(d.bound.wavesMs, 2)} (${ratio(d.spanMs, d.bound.wavesMs)})`,
        s(d.opMs),
        s(d.cpuFloorMs),
      ]),
    ),
    "",
    "## Where an up's span goes: the chain it ran",
    "",
    "From the operation that ended last, back through the dependency that ended last before each (bench/graph.ts realisedChain). Span = lead + operations + waits; a wait is the time from one link's end to the next one's start, spent in the engine and the program (or queued behind --parallel).",
    "",
    table(
      [
        "identities",
        "state writes",
        "--parallel",
        "links",
        "lead",
        "operations",
        "waits",
        "per link",
        "links (wait before each, s)",
      ],
      deployments.flatMap((d) =>
        d.ran
          ? [
              [
                d.identities,
                d.mode,
                d.parallel,
                d.ran.links,
                s(d.ran.leadMs, 2),
                s(d.ran.operationsMs, 2),
                s(d.ran.waitsMs, 2),
                `${Math.round(d.ran.waitsMs / Math.max(1, d.ran.links - 1))} ms`,
                d.ran.path,
              ],
            ]
          : [],
      ),
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
    `${JSON.stringify({ machine: machine(), overhead, deployments, targets }, null, 2)}\n`,
  );
  console.log(report);
  if (process.argv.includes("--check") && targets.some((t) => !t.ok)) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
