/**
 * Runs the stack program the way the Node.js language host starts it for `pulumi up`: its
 * command line (node, Pulumi.yaml's nodeargs, `@pulumi/pulumi/cmd/run`, the monitor and engine
 * flags, the project's `main`), its environment (PULUMI_CONFIG, the TypeScript switches), against
 * a gRPC engine in another process (here: this one, test/harness/grpcEngine.ts). The real CLI cannot
 * start the program this way here (pulumi-language-nodejs is not served), so this is what proves
 * the entry point, Pulumi.yaml's runtime options and the values on the wire (test/pulumiUp.test.ts).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import * as YAML from "yaml";

import { fleetConfig } from "../../bench/fleet";
import { startSimulatedEngine } from "./grpcEngine";
import { SimulatedCloud } from "../../testing/simulator";

export const ROOT = path.resolve(__dirname, "..", "..");
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

export interface RunOptions {
  identities: number;
  /** Another program to run instead of Pulumi.yaml's `main`. */
  main?: string;
  /** Stack config overriding the fleet's (keys without the project prefix). */
  config?: Record<string, string>;
  /** Sees what the engine recorded, before it shuts down. */
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

export async function runAsPulumiUp(options: RunOptions): Promise<void> {
  const project = readProject();
  const engine = await startSimulatedEngine({ project: project.name, stack: STACK });
  try {
    // Key generation is the TLS provider's local work: done ahead, as the tests need no new key.
    await engine.cloud.preloadKey("oidc-signing-key", 2048);
    const config = Object.fromEntries(
      Object.entries({ ...fleetConfig(options.identities), ...options.config }).map(([k, v]) => [
        `${project.name}:config:${k}`,
        v,
      ]),
    );
    const args = [
      ...project.nodeargs.split(/\s+/).filter(Boolean),
      require.resolve("@pulumi/pulumi/cmd/run", { paths: [ROOT] }),
      ...["--monitor", engine.address, "--engine", engine.address],
      ...["--organization", "organization", "--project", project.name, "--stack", STACK],
      ...["--root-directory", ROOT, "--pwd", ROOT, "--parallel", "2147483647"],
      options.main ?? project.main,
    ];
    const env: Record<string, string | undefined> = {
      ...process.env,
      PULUMI_CONFIG: JSON.stringify(config),
      PULUMI_CONFIG_SECRET_KEYS: "[]",
      ...(project.typescript ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {}),
      ...(project.tsconfig ? { PULUMI_NODEJS_TSCONFIG_PATH: project.tsconfig } : {}),
    };
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    options.inspect?.(engine.cloud);
    if (code !== 0 || engine.problems.length > 0) {
      throw new ProgramFailed(code, output, [...engine.problems]);
    }
  } finally {
    await engine.close();
  }
}
