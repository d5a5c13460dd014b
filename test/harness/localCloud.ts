/**
 * The real Pulumi CLI and engine (built from the Go module proxy at the SDK's version by
 * .ci/build-engine.sh) running the stack program against the local cloud (localcloud/).
 * The program runs in this process as an Automation API inline program (pulumi-language-nodejs
 * is not served here); the CLI plans, diffs, orders, checkpoints and stores state as it does
 * for `pulumi up`: file backend, passphrase secrets, no network.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { LocalWorkspace, PulumiCommand, PulumiFn, Stack } from "@pulumi/pulumi/automation";
import * as YAML from "yaml";

import { program } from "../../stacks";
import { unwrapSecrets } from "../../testing/simulator";

export const ROOT = path.resolve(__dirname, "..", "..");
export const PROJECT = "azure-workload-identity";

/**
 * Every `up` here runs its program in this process against an engine the CLI starts on a fresh
 * port. grpc-js shares subchannels between channels to one address (its global pool), so a new
 * engine on a port an earlier one used can inherit that port's failed subchannel while it backs
 * off, and the program's calls fail at once: "14 UNAVAILABLE: No connection established" (shown
 * with grpc-js alone: a server stopped, another started on its port, a new client fails). The SDK
 * reads UNAVAILABLE as the engine shutting down and stops registering without an error, so such an
 * up "succeeds" with part of the program and the engine deletes the rest (CI, 2026-12-05: a day-2
 * up left an empty state). A user's `pulumi up` is a new process each time; give the tests' SDK
 * the same: a subchannel pool per channel. (`grpcClientOptions` is internal to the SDK.)
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdkSettings = require("@pulumi/pulumi/runtime/settings") as {
  grpcClientOptions: Record<string, unknown>;
};
sdkSettings.grpcClientOptions["grpc.use_local_subchannel_pool"] = 1;
/** The local cloud's subscription (localcloud/azure.go). */
export const SIMULATED_SUBSCRIPTION = "00000000-0000-4000-8000-000000000001";

let bin: string | undefined;

/** The directory holding `pulumi`, the stand-in plugins and `kind` (built once, cached; a
 * process started by one that built it is told where, in WI_ENGINE_BIN). */
export function engineBin(): string {
  bin ??= process.env.WI_ENGINE_BIN;
  bin ??= execFileSync("bash", [path.join(ROOT, ".ci", "build-engine.sh")], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  return bin;
}

/** One object the local cloud holds. */
export interface CloudObject {
  key: string;
  type: string;
  state: Record<string, unknown>;
}

/** The identities of a stack file's config (as editStackFile hands it over), to edit in place. */
export const identitiesOf = (config: Record<string, unknown>) =>
  config["azure-workload-identity:identities"] as Record<string, unknown>[];

/** A scratch world: a state backend, a Pulumi home, the local cloud, the user's state home and
 * checkouts of the project, all under one temporary folder. */
export class LocalCloud {
  readonly backend: string;
  readonly cloud: string;
  readonly stateHome: string;

  /**
   * More environment for the CLI and the plugins (LOCALCLOUD_LATENCY_MODEL,
   * PULUMI_SKIP_CHECKPOINTS), and the folder of a world made earlier (another process's).
   */
  constructor(
    readonly extraEnv: Record<string, string> = {},
    readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "wi-engine-")),
  ) {
    this.backend = path.join(this.root, "state");
    this.cloud = path.join(this.root, "cloud");
    this.stateHome = path.join(this.root, "xdg-state");
    for (const dir of [this.backend, this.cloud, this.stateHome, path.join(this.root, "home")]) {
      fs.mkdirSync(dir, { recursive: true });
    }
  }

  env(): Record<string, string> {
    return {
      ...this.extraEnv,
      PATH: `${engineBin()}:${process.env.PATH ?? ""}`,
      PULUMI_HOME: path.join(this.root, "home"),
      PULUMI_BACKEND_URL: `file://${this.backend}`,
      PULUMI_CONFIG_PASSPHRASE: "local cloud only",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      LOCALCLOUD_DIR: this.cloud,
      XDG_STATE_HOME: this.stateHome,
    };
  }

  /** A checkout of the project in a folder of its own: what the CLI reads there (Pulumi.yaml,
   * the stack files, the program's entry point). The CLI and the providers it starts (so the kind
   * scripts) run in it; the program itself runs in this process. */
  checkout(name: string): string {
    const dir = path.join(this.root, "checkouts", name);
    fs.mkdirSync(dir, { recursive: true });
    for (const f of fs
      .readdirSync(ROOT)
      .filter((f) => /^(Pulumi(\..+)?\.yaml|index\.ts)$/.test(f))) {
      fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    }
    // Pulumi.yaml names the azure-wi provider plugin by the path ./bin: this checkout's build.
    const bin = path.join(dir, "bin");
    if (!fs.existsSync(bin)) fs.symlinkSync(path.join(ROOT, "bin"), bin);
    return dir;
  }

  /** The folder whose bin/ holds the CLI the stacks run: the Automation API puts that bin/ first
   * on the CLI's PATH, so the plugins there are the ones the engine finds first. */
  protected cliRoot(): string {
    return path.dirname(engineBin());
  }

  /** The stack in a checkout, running the stack program (or another, the bench's control). */
  async stack(stackName: string, workDir: string, run: PulumiFn = program): Promise<Stack> {
    const pulumiCommand = await PulumiCommand.get({ root: this.cliRoot() });
    return LocalWorkspace.createOrSelectStack(
      { stackName, projectName: PROJECT, program: run },
      { workDir, envVars: this.env(), pulumiCommand },
    );
  }

  /** The stack of a program in a folder of its own, which the CLI runs with the language host
   * its Pulumi.yaml names (a YAML program). */
  async programStack(stackName: string, workDir: string): Promise<Stack> {
    const pulumiCommand = await PulumiCommand.get({ root: this.cliRoot() });
    return LocalWorkspace.createOrSelectStack(
      { stackName, workDir },
      { envVars: this.env(), pulumiCommand },
    );
  }

  /** Everything the local cloud holds in one area (azure, kubernetes, clusters). */
  objects(area: string): CloudObject[] {
    return this.recordFiles(area).map((file) => {
      const rec = JSON.parse(fs.readFileSync(file, "utf8")) as CloudObject;
      return { ...rec, state: unwrapSecrets(rec.state) as Record<string, unknown> };
    });
  }

  /**
   * Changes objects of the local cloud behind the stack's back, as a user in the portal would:
   * `edit` gets each matching object's stored state (secrets still wrapped) to change in place.
   * Returns how many it changed.
   */
  editObjects(
    area: string,
    match: (o: CloudObject) => boolean,
    edit: (state: Record<string, unknown>) => void,
  ): number {
    let n = 0;
    for (const file of this.recordFiles(area)) {
      const rec = JSON.parse(fs.readFileSync(file, "utf8")) as CloudObject;
      if (!match({ ...rec, state: unwrapSecrets(rec.state) as Record<string, unknown> })) continue;
      edit(rec.state);
      fs.writeFileSync(file, JSON.stringify(rec), { mode: 0o600 });
      n++;
    }
    return n;
  }

  /**
   * Takes objects out of the local cloud behind the stack's back, as a user in the portal would
   * delete them; returns what puts them back as they were.
   */
  hideObjects(area: string, match: (o: CloudObject) => boolean): () => void {
    const hidden: string[] = [];
    for (const file of this.recordFiles(area)) {
      const rec = JSON.parse(fs.readFileSync(file, "utf8")) as CloudObject;
      if (!match({ ...rec, state: unwrapSecrets(rec.state) as Record<string, unknown> })) continue;
      fs.renameSync(file, `${file}.hidden`);
      hidden.push(file);
    }
    return () => hidden.forEach((file) => fs.renameSync(`${file}.hidden`, file));
  }

  /** The files of one area's records: <area>/<group>/<name>.json (localcloud/store.go). */
  private recordFiles(area: string): string[] {
    const dir = path.join(this.cloud, area);
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((group) => group.isDirectory())
      .flatMap((group) =>
        fs
          .readdirSync(path.join(dir, group.name))
          .filter((f) => f.endsWith(".json"))
          .map((f) => path.join(dir, group.name, f)),
      );
  }

  /**
   * Assigns Azure Policy's built-in allowed-issuer policy for federated credentials at the
   * subscription, as an administrator would (localcloud/policy.go reads it); `parameters` by
   * name, plain values. `undefined` takes the assignment away.
   */
  assignIssuerPolicy(displayName: string, parameters?: Record<string, unknown>): void {
    const file = path.join(this.cloud, "policy-assignments.json");
    if (parameters === undefined) {
      fs.rmSync(file, { force: true });
      return;
    }
    const scope = `/subscriptions/${SIMULATED_SUBSCRIPTION}`;
    const assignment = {
      id: `${scope}/providers/Microsoft.Authorization/policyAssignments/fic-issuers`,
      name: "fic-issuers",
      properties: {
        displayName,
        scope,
        policyDefinitionId:
          "/providers/Microsoft.Authorization/policyDefinitions/2571b7c3-3056-4a61-b00a-9bc5232234f5",
        parameters: Object.fromEntries(
          Object.entries(parameters).map(([k, value]) => [k, { value }]),
        ),
      },
    };
    fs.writeFileSync(file, JSON.stringify([assignment]));
  }

  /** Edits a checkout's stack file as a user would in an editor. */
  editStackFile(workDir: string, stack: string, edit: (config: Record<string, unknown>) => void) {
    const file = path.join(workDir, `Pulumi.${stack}.yaml`);
    const doc = YAML.parseDocument(fs.readFileSync(file, "utf8"));
    const config = (doc.toJS() as { config: Record<string, unknown> }).config;
    edit(config);
    doc.set("config", config);
    fs.writeFileSync(file, doc.toString({ lineWidth: 0 }));
  }

  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
