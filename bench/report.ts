/**
 * The bench's report: what was measured, per cell, as markdown tables, and the targets it is
 * held to. Pure: runs in, text out.
 */
import * as os from "node:os";

import { ProgramName } from "./cliRun";
import { Bound } from "./graph";
import { Spread } from "./median";
import { OperationRun } from "./world";

export type Mode = "checkpoints" | "PULUMI_SKIP_CHECKPOINTS";
export const MODE_ENV: Record<Mode, Record<string, string>> = {
  checkpoints: {},
  PULUMI_SKIP_CHECKPOINTS: { PULUMI_SKIP_CHECKPOINTS: "true" },
};

export interface Measured extends Omit<OperationRun, "op"> {
  identities: number;
  op: OperationRun["op"] | "preview again";
  variant: Mode;
  /** Of the wall time, over the cell's runs. */
  spread: Spread;
}

export interface Deployment {
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

export interface RanChain {
  links: number;
  /** Before the chain's first operation started, from the deployment's first. */
  leadMs: number;
  operationsMs: number;
  /** Between one link's end and the next one's start: the engine's and the program's time. */
  waitsMs: number;
  /** The links by logical name, first to last, each with the wait before it (seconds). */
  path: string;
}

export interface Target {
  what: string;
  ok: boolean;
  detail: string;
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? "unknown CPU"}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

export function table(head: string[], rows: (string | number)[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

export const s = (ms: number, digits = 1) => `${(ms / 1000).toFixed(digits)} s`;
/** A median with the spread of its runs, when there were several. */
export const sm = (ms: number, spread: Spread, digits = 1) =>
  spread.runs > 1
    ? `${s(ms, digits)} (${(spread.minMs / 1000).toFixed(digits)}-${(spread.maxMs / 1000).toFixed(digits)})`
    : s(ms, digits);
export const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
export const changed = (c: Record<string, number>) =>
  Object.entries(c)
    .filter(([k, v]) => k !== "same" && v > 0)
    .reduce((sum, [, v]) => sum + v, 0);

/** The overhead cell of a program, size, operation and mode. */
function finder(overhead: Measured[]) {
  return (program: ProgramName, n: number, op: Measured["op"], mode: Mode) =>
    overhead.find(
      (m) => m.program === program && m.identities === n && m.op === op && m.variant === mode,
    );
}

/** The targets the bench is held to: the program against the control, the deployment against
 * its bound, and 1000 identities under 2 GB. */
export function targetsOf(overhead: Measured[], deployments: Deployment[]): Target[] {
  const find = finder(overhead);
  const targets: Target[] = [];
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

  return targets;
}

export interface ReportInput {
  overhead: Measured[];
  deployments: Deployment[];
  targets: Target[];
  repeat: number;
  /** The Pulumi CLI's version, and the command that ran the bench. */
  engine: string;
  command: string;
  commit: string;
  date: string;
}

function overheadSection(input: ReportInput): string[] {
  const { overhead } = input;
  const find = finder(overhead);
  return [
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
  ];
}

function checkpointSection(input: ReportInput): string[] {
  const { overhead } = input;
  const find = finder(overhead);
  return [
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
  ];
}

function deploymentSection(input: ReportInput): string[] {
  const { deployments } = input;
  return [
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
  ];
}

function chainSection(input: ReportInput): string[] {
  const { deployments } = input;
  return [
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
  ];
}

function targetsSection(input: ReportInput): string[] {
  const { targets } = input;
  return [
    "## Targets",
    "",
    table(
      ["target", "measured", "met"],
      targets.map((t) => [t.what, t.detail, t.ok ? "yes" : "**no**"]),
    ),
    "",
  ];
}

export function renderReport(input: ReportInput): string {
  const { repeat } = input;
  return [
    "# Benchmark results",
    "",
    `Run ${input.date}, commit ${input.commit}, on ${machine()}. Pulumi CLI and engine ${input.engine} (built from source), file backend. Command: \`${input.command}\`.${repeat > 1 ? ` Each cell: the median of ${repeat} runs, their range in brackets; ratios are of medians.` : ""}`,
    "",
    ...overheadSection(input),
    ...checkpointSection(input),
    ...deploymentSection(input),
    ...chainSection(input),
    ...targetsSection(input),
  ].join("\n");
}
