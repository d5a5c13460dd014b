/**
 * One local cloud with the dev stack of N identities (bench/fleet.ts), ready for the real CLI,
 * and the means to run one operation in it as a process of its own, sampled as it runs
 * (bench/cliRun.ts, bench/procTree.ts). The bench and its integration test use it.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import * as YAML from "yaml";

import { readProject } from "../test/harness/entryPoint";
import { fleetConfig } from "./fleet";
import { LocalCloud, ROOT } from "../test/harness/localCloud";
import { CliRunRequest, CliRunResult, Op, ProgramName } from "./cliRun";
import { GraphNode } from "./graph";
import { TreeSampler, TreeUsage } from "./procTree";

export interface OperationRun extends CliRunResult {
  program: ProgramName;
  op: Op;
  /** The operation's process, spawn to exit. */
  wallMs: number;
  tree: TreeUsage;
}

/** One cloud operation, from the local cloud's log (milliseconds since the epoch). */
export interface CloudOperation {
  urn: string;
  op: "create" | "update" | "delete";
  start: number;
  end: number;
}

export interface StateResource extends GraphNode {
  inputs?: Record<string, unknown>;
}

export class World {
  readonly cloud: LocalCloud;
  readonly checkout: string;
  readonly opLog: string;

  private constructor(env: Record<string, string>) {
    this.cloud = new LocalCloud(env);
    this.opLog = path.join(this.cloud.root, "operations.jsonl");
    this.cloud.extraEnv.LOCALCLOUD_OPLOG = this.opLog;
    this.checkout = this.cloud.checkout("bench");
  }

  static async make(identities: number, env: Record<string, string> = {}): Promise<World> {
    const world = new World(env);
    const config = fleetConfig(identities);
    world.cloud.editStackFile(world.checkout, "dev", (c) => {
      c["azure-workload-identity:signingKeyBits"] = config.signingKeyBits;
      c["azure-workload-identity:storageSharedKeyAccess"] = config.storageSharedKeyAccess;
      c["azure-workload-identity:identities"] = YAML.parse(config.identities) as unknown;
    });
    await world.cloud.stack("dev", world.checkout); // `pulumi stack init`, outside the clock
    return world;
  }

  /** One operation in a process of its own, sampled as it runs; the log starts afresh. */
  async run(program: ProgramName, op: Op, parallel?: number): Promise<OperationRun> {
    fs.rmSync(this.opLog, { force: true });
    const request: CliRunRequest = {
      root: this.cloud.root,
      checkout: this.checkout,
      program,
      op,
      ...(parallel !== undefined ? { parallel } : {}),
      env: this.cloud.extraEnv,
    };
    const started = process.hrtime.bigint();
    // Started as the Node.js language host starts a program: Pulumi.yaml's nodeargs, ts-node.
    const child = spawn(
      process.execPath,
      [
        ...readProject().nodeargs.split(/\s+/).filter(Boolean),
        "-r",
        "ts-node/register/transpile-only",
        path.join(__dirname, "cliRun.ts"),
        JSON.stringify(request),
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    const sampler = new TreeSampler(child.pid!);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const tree = sampler.stop();
    if (code !== 0) throw new Error(`${program} ${op} failed (exit ${code}):\n${stderr}`);
    const result = JSON.parse(stdout.trim().split("\n").pop()!) as CliRunResult;
    return { ...result, program, op, wallMs: Math.round(wallMs), tree };
  }

  /** The cloud operations of the last run, from the local cloud's log. */
  operations(): CloudOperation[] {
    if (!fs.existsSync(this.opLog)) return [];
    return fs
      .readFileSync(this.opLog, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as CloudOperation);
  }

  /** The resources in the stack's state, as the bound needs them. */
  graph(): Promise<GraphNode[]> {
    return this.resources();
  }

  /** The resources in the stack's state (`pulumi stack export`), inputs included. */
  async resources(): Promise<StateResource[]> {
    const stack = await this.cloud.stack("dev", this.checkout);
    const state = (await stack.exportStack()).deployment as { resources?: StateResource[] };
    return state.resources ?? [];
  }

  dispose(): void {
    this.cloud.dispose();
  }
}

/** From the first operation's start to the last one's end. */
export function span(ops: CloudOperation[]): number {
  return Math.round(Math.max(...ops.map((o) => o.end)) - Math.min(...ops.map((o) => o.start)));
}

/** A resource's logical name: the last part of its URN. */
export const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
