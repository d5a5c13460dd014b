/**
 * What a process and everything it starts use, sampled from /proc (Linux): resident memory of
 * the whole tree at each sample (so the peak of the sum, not only of the largest process) and the
 * CPU each process had used when last seen, grouped by role: the program (the root process, which
 * holds the inline program), the Pulumi CLI and engine (`pulumi`), the provider plugins
 * (`pulumi-resource-*`), and the rest (the scripts the command provider runs).
 */
import * as fs from "node:fs";

export type Role = "program" | "cli" | "providers" | "other";
export const ROLES: Role[] = ["program", "cli", "providers", "other"];

export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** User + system CPU, in clock ticks. */
  ticks: number;
  /** Resident set, in pages. */
  rssPages: number;
}

/** One line of /proc/<pid>/stat (proc(5)); the command name may hold spaces and parentheses. */
export function parseStat(text: string): ProcStat {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  const rest = text
    .slice(close + 2)
    .trim()
    .split(" ");
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15, rss 24.
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    ppid: Number(rest[1]),
    ticks: Number(rest[11]) + Number(rest[12]),
    rssPages: Number(rest[21]),
  };
}

export function roleOf(p: Pick<ProcStat, "pid" | "comm">, root: number): Role {
  if (p.pid === root) return "program";
  if (p.comm === "pulumi") return "cli";
  // comm is cut at 15 characters: every plugin shows as "pulumi-resource".
  if (p.comm.startsWith("pulumi-resource")) return "providers";
  return "other";
}

/** The root and its descendants among the given processes. */
export function treeOf(all: ProcStat[], root: number): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcStat[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      walk(c.pid);
    }
  };
  const self = all.find((p) => p.pid === root);
  if (self) out.push(self);
  walk(root);
  return out;
}

export type ByRole = Record<Role, number>;
const zero = (): ByRole => ({ program: 0, cli: 0, providers: 0, other: 0 });

export interface TreeUsage {
  /** The largest resident memory of the whole tree, and of the program plus the CLI, in MB. */
  peakTotalMb: number;
  peakCliAndProgramMb: number;
  /** Each role's own peak (its processes summed at one sample), in MB. */
  peakMb: ByRole;
  /** CPU used, in ms, as last sampled (a process's last interval before it exits is missed). */
  cpuMs: ByRole;
  samples: number;
}

const PAGE_MB = 4096 / 2 ** 20;
const TICK_MS = 10;

function readAll(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      out.push(parseStat(fs.readFileSync(`/proc/${entry}/stat`, "utf8")));
    } catch {
      // gone between the listing and the read
    }
  }
  return out;
}

/** Samples the tree under `root` every `intervalMs` until stopped. */
export class TreeSampler {
  private readonly lastTicks = new Map<number, { role: Role; ticks: number }>();
  private readonly usage: TreeUsage = {
    peakTotalMb: 0,
    peakCliAndProgramMb: 0,
    peakMb: zero(),
    cpuMs: zero(),
    samples: 0,
  };
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly root: number,
    intervalMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const rss = zero();
    for (const p of treeOf(readAll(), this.root)) {
      const role = roleOf(p, this.root);
      rss[role] += p.rssPages * PAGE_MB;
      this.lastTicks.set(p.pid, { role, ticks: p.ticks });
    }
    const u = this.usage;
    u.samples++;
    u.peakTotalMb = Math.max(u.peakTotalMb, rss.program + rss.cli + rss.providers + rss.other);
    u.peakCliAndProgramMb = Math.max(u.peakCliAndProgramMb, rss.program + rss.cli);
    for (const r of ROLES) u.peakMb[r] = Math.max(u.peakMb[r], rss[r]);
  }

  stop(): TreeUsage {
    clearInterval(this.timer);
    const cpu = zero();
    for (const { role, ticks } of this.lastTicks.values()) cpu[role] += ticks * TICK_MS;
    const round = (b: ByRole): ByRole =>
      Object.fromEntries(ROLES.map((r) => [r, Math.round(b[r])])) as ByRole;
    return {
      ...this.usage,
      peakTotalMb: Math.round(this.usage.peakTotalMb),
      peakCliAndProgramMb: Math.round(this.usage.peakCliAndProgramMb),
      peakMb: round(this.usage.peakMb),
      cpuMs: cpu,
    };
  }
}
