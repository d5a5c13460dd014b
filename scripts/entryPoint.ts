/**
 * Runs the stack program the way `pulumi up` does and measures it: the language host's command
 * line (node, Pulumi.yaml's nodeargs, `@pulumi/pulumi/cmd/run`, the monitor and engine flags,
 * the project's `main`), its environment (PULUMI_CONFIG, the TypeScript switches), and an engine
 * in another process (here: this one) that answers every resource after a fixed latency.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as YAML from "yaml";

import { SimulatedCloud, SimulatedResource } from "../scripts/simulator";
import { startSimulatedEngine } from "./engine";
import { criticalPath } from "./graph";

export const ROOT = path.resolve(__dirname, "..");
const STACK = "bench";

/** The parts of Pulumi.yaml the language host reads to start the program. */
export interface ProjectRuntime {
  name: string;
  main: string;
  typescript: boolean;
  nodeargs: string;
  tsconfig?: string;
}

export function readProject(): ProjectRuntime {
  const project = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
    name: string;
    main?: string;
    runtime?: { options?: { typescript?: boolean; nodeargs?: string; tsconfig?: string } };
  };
  const options = project.runtime?.options ?? {};
  return {
    name: project.name,
    main: project.main ?? ".",
    typescript: options.typescript ?? true,
    nodeargs: options.nodeargs ?? "",
    tsconfig: options.tsconfig,
  };
}

/** The dev stack's config with N identities: identity i trusts (i % 3) + 1 ServiceAccounts. */
export function benchStackConfig(identities: number): Record<string, string> {
  const sub = "00000000-0000-0000-0000-000000000000";
  const list = Array.from({ length: identities }, (_, i) => ({
    name: `wi-bench-${i}`,
    serviceAccounts: Array.from({ length: (i % 3) + 1 }, (_, j) => ({
      namespace: `team-${i % 10}`,
      name: `app-${i}-${j}`,
    })),
    roleAssignments: [
      {
        scope: `/subscriptions/${sub}/resourceGroups/apps-rg/providers/Microsoft.KeyVault/vaults/kv-${i % 5}`,
        role: "Key Vault Secrets User",
      },
    ],
  }));
  // 2048-bit keys: the simulated TLS provider generates real keys ahead of the run.
  return { flavor: "kind", signingKeyBits: "2048", identities: JSON.stringify(list) };
}

export interface RunResult {
  identities: number;
  serviceAccounts: number;
  latencyMs: number;
  resources: number;
  /** Resources a cloud provider creates (custom, not provider instances). */
  cloudResources: number;
  /** The program's process, from spawn to exit. */
  wallMs: number;
  maxRssMb: number;
  /** CPU the program's process spent in all, and from its first registration on. */
  cpuMs: number;
  cpuAfterFirstRegistrationMs?: number;
  /** The engine's view: from the first cloud resource requested to the last one done. */
  deploymentMs: number;
  criticalPathMs: number;
  serialMs: number;
  /** CPU the simulated engine (this process) spent meanwhile, and the log messages it took. */
  engineCpuMs: number;
  logs: number;
}

export interface RunOptions {
  identities: number;
  latencyMs: number;
  /** Overrides of what Pulumi.yaml says, to show what each setting buys. */
  nodeargs?: string;
  /** Another program to run instead of Pulumi.yaml's `main` (the benchmark's control). */
  main?: string;
  /** Environment additions for the program (for instance PULUMI_NODEJS_TRANSPILE_ONLY). */
  env?: Record<string, string>;
  /** Stack config overriding the benchmark's (keys without the project prefix). */
  config?: Record<string, string>;
  /** Sees what the engine recorded, before it shuts down (tests). */
  inspect?: (cloud: SimulatedCloud) => void;
}

/** The program exited non-zero or logged errors: what it printed, and what the engine received. */
export class ProgramFailed extends Error {
  constructor(
    readonly code: number | null,
    readonly output: string,
    /** Messages logged to the engine at warning or error severity: what `pulumi up` shows. */
    readonly problems: string[],
  ) {
    super(`the program failed (exit ${code}):\n${output}${problems.join("\n")}`);
    this.name = "ProgramFailed";
  }
}

/** Linux: a process's user + system CPU so far, from /proc (clock ticks of 10 ms). */
function processCpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    // utime and stime are fields 14 and 15 of stat(5); here counted from field 3 (state).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** A preload that reports the process's own resource usage as it exits. */
function usageReporter(dir: string): string {
  const file = path.join(dir, "report-usage.js");
  fs.writeFileSync(
    file,
    'process.on("exit", () => require("fs").writeFileSync(process.env.WI_BENCH_USAGE, JSON.stringify(process.resourceUsage())));\n',
  );
  return file;
}

export async function runAsPulumiUp(options: RunOptions): Promise<RunResult> {
  const project = readProject();
  const engine = await startSimulatedEngine({
    project: project.name,
    stack: STACK,
    latencyMs: options.latencyMs,
  });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "wi-bench-"));
  try {
    // Key generation is the TLS provider's local work: done before the clock starts, so that the
    // signing key costs what every other resource costs.
    await engine.cloud.preloadKey("oidc-signing-key", 2048);

    const config = Object.fromEntries(
      Object.entries({ ...benchStackConfig(options.identities), ...options.config }).map(
        ([k, v]) => [`${project.name}:config:${k}`, v],
      ),
    );
    const nodeargs = (options.nodeargs ?? project.nodeargs).split(/\s+/).filter(Boolean);
    const args = [
      ...nodeargs,
      require.resolve("@pulumi/pulumi/cmd/run", { paths: [ROOT] }),
      ...["--monitor", engine.address, "--engine", engine.address],
      ...["--organization", "organization", "--project", project.name, "--stack", STACK],
      ...["--root-directory", ROOT, "--pwd", ROOT, "--parallel", "2147483647"],
      options.main ?? project.main,
    ];
    const usageFile = path.join(scratch, "usage.json");
    const env: Record<string, string | undefined> = {
      ...process.env,
      PULUMI_CONFIG: JSON.stringify(config),
      PULUMI_CONFIG_SECRET_KEYS: "[]",
      ...(project.typescript ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {}),
      ...(project.tsconfig ? { PULUMI_NODEJS_TSCONFIG_PATH: project.tsconfig } : {}),
      NODE_OPTIONS: `--require ${usageReporter(scratch)}`,
      WI_BENCH_USAGE: usageFile,
      ...options.env,
    };

    const engineCpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let cpuAtFirst: number | undefined;
    engine.cloud.onRegistration = () => {
      cpuAtFirst ??= processCpuMs(child.pid);
    };
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const engineUsage = process.cpuUsage(engineCpu);
    options.inspect?.(engine.cloud);
    if (code !== 0 || engine.problems.length > 0) {
      throw new ProgramFailed(code, output, [...engine.problems]);
    }
    const usage = JSON.parse(fs.readFileSync(usageFile, "utf8")) as NodeJS.ResourceUsage;
    const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;

    const resources: SimulatedResource[] = engine.cloud.resources;
    const costed = resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    // The deployment, as the critical path counts it: from the first cloud resource requested to
    // the last one done. What comes before (node, the SDK, loading the program) is evaluation.
    const firstStart = Math.min(...costed.map((r) => r.startedMs));
    const lastEnd = Math.max(...costed.map((r) => r.endedMs));
    const latency = options.latencyMs;
    return {
      identities: options.identities,
      serviceAccounts: resources.filter((r) => r.type === "kubernetes:core/v1:ServiceAccount")
        .length,
      latencyMs: latency,
      resources: resources.length,
      cloudResources: costed.length,
      wallMs: Math.round(wallMs),
      maxRssMb: Math.round(usage.maxRSS / 1024),
      cpuMs: Math.round(cpuMs),
      cpuAfterFirstRegistrationMs:
        cpuAtFirst === undefined ? undefined : Math.round(cpuMs - cpuAtFirst),
      deploymentMs: lastEnd - firstStart,
      criticalPathMs: criticalPath(resources, latency),
      serialMs: costed.length * latency,
      engineCpuMs: Math.round((engineUsage.user + engineUsage.system) / 1000),
      logs: engine.logCount,
    };
  } finally {
    await engine.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * `ts-node bench/run.ts --identities N [--latency MS] [--nodeargs "..."] [--main FILE]`: one
 * run, printed as JSON (nodeargs replace Pulumi.yaml's, for instance to add --cpu-prof).
 */
if (require.main === module) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  runAsPulumiUp({
    identities: Number(arg("identities") ?? 1),
    latencyMs: Number(arg("latency") ?? 0),
    nodeargs: arg("nodeargs"),
    main: arg("main"),
  })
    .then((r) => console.log(JSON.stringify(r)))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
