/**
 * Shared by every test file: one simulator installed as Pulumi's mock monitor for the whole mocha
 * process (setMocks must precede the code under test), and small helpers.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

import { InvalidArgumentError } from "../components/shared/errors";
import { CONFIG_KEYS, rawDefault } from "../stacks/config";
import { SimulatedCloud, SimulatedResource, installSimulator } from "../testing/simulator";

export const PROJECT = "azure-workload-identity";

let shared: SimulatedCloud | undefined;

/** The process-wide simulator, installed on first use and emptied for each caller. */
export function simulator(): SimulatedCloud {
  shared ??= installSimulator({ project: PROJECT, stack: "test" });
  shared.reset();
  return shared;
}

/** Resolves an Output's value (mocks run as an update, so every value is known). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

export function isSecret<T>(output: pulumi.Output<T>): Promise<boolean> {
  return pulumi.isSecret(output);
}

/** Waits until every registration under way has been answered and nothing new arrives. */
export function settled(sim: SimulatedCloud): Promise<void> {
  return sim.settled();
}

export function fixture(name: string): string {
  return fs.readFileSync(path.join(__dirname, "fixtures", name), "utf8");
}

/**
 * Runs `build`, expects it to throw an InvalidArgumentError naming `field`, and checks that no
 * resource (not even the component) was registered.
 */
export async function expectRejected(
  sim: SimulatedCloud,
  field: string,
  build: () => unknown,
  messagePattern?: RegExp,
): Promise<InvalidArgumentError> {
  let error: unknown;
  try {
    build();
  } catch (e) {
    error = e;
  }
  if (!(error instanceof InvalidArgumentError)) {
    throw new Error(`expected an InvalidArgumentError for ${field}, got ${String(error)}`);
  }
  if (error.field !== field) {
    throw new Error(
      `expected the error to name ${field}, it names ${error.field}: ${error.message}`,
    );
  }
  if (!error.message.startsWith(error.owner ? `${field} (${error.owner}):` : `${field}:`)) {
    throw new Error(`the message does not start with the field: ${error.message}`);
  }
  if (messagePattern && !messagePattern.test(error.message)) {
    throw new Error(`the message "${error.message}" does not match ${String(messagePattern)}`);
  }
  await settled(sim);
  if (sim.resources.length !== 0) {
    throw new Error(
      `expected nothing registered, found ${sim.resources.map((r) => `${r.type}/${r.name}`).join(", ")}`,
    );
  }
  return error;
}

/** The raw config the engine hands the program: Pulumi.yaml's defaults, then `over`. */
export function engineConfig(over: Record<string, string>): Record<string, string | undefined> {
  const defaults = Object.keys(CONFIG_KEYS)
    .map((k) => [k, rawDefault(k as keyof typeof CONFIG_KEYS)] as const)
    .filter(([k, v]) => v !== undefined && k !== "identities");
  return { ...Object.fromEntries(defaults), ...over };
}

/** The API server flags a kind configuration's kubeadm patch sets, in either kubeadm shape
 * (v1beta3 map, v1beta4 list), as [name, value] pairs. */
export function apiServerFlags(kindConfigYaml: string): [string, string][] {
  const config = YAML.parse(kindConfigYaml) as { nodes: { kubeadmConfigPatches: string[] }[] };
  const patch = YAML.parse(config.nodes[0].kubeadmConfigPatches[0]) as {
    apiServer: { extraArgs: Record<string, string> | { name: string; value: string }[] };
  };
  const args = patch.apiServer.extraArgs;
  return Array.isArray(args) ? args.map((a) => [a.name, a.value]) : Object.entries(args);
}

/** The one value of an API server flag in a kind configuration; fails unless set exactly once. */
export function apiServerFlag(kindConfigYaml: string, name: string): string {
  const values = apiServerFlags(kindConfigYaml).filter(([n]) => n === name);
  if (values.length !== 1) throw new Error(`${name} is set ${values.length} times`);
  return values[0][1];
}

/** A recorded registration made by hand, for tests of what reads the records. */
export function recordOf(
  urn: string,
  over: Partial<Pick<SimulatedResource, "type" | "custom" | "parent" | "dependencies" | "raw">> & {
    provider?: string;
  } = {},
): SimulatedResource {
  return {
    type: over.type ?? "test:index:Thing",
    name: urn,
    custom: over.custom ?? true,
    urn,
    parent: over.parent ?? "",
    dependencies: over.dependencies ?? [],
    raw: over.raw ?? {},
    inputs: {},
    outputs: {},
    options: {
      deleteBeforeReplace: false,
      retainOnDelete: false,
      additionalSecretOutputs: [],
      replaceOnChanges: [],
      protect: false,
      provider: over.provider ?? "",
    },
    startedMs: 0,
    endedMs: 0,
  };
}
