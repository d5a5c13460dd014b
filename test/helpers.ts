/**
 * Shared by every test file: one simulator installed as Pulumi's mock monitor for the whole mocha
 * process (setMocks must precede the code under test), and small helpers.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";

import { InvalidArgumentError } from "../components/errors";
import { CONFIG_KEYS, rawDefault } from "../stacks/config";
import { SimulatedCloud, installSimulator } from "../scripts/simulator";

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
  if (!error.message.startsWith(`${field}:`)) {
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
