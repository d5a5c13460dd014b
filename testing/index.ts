/**
 * `pulumi-azure-workload-identity/testing`: the simulated cloud the project's own tests and the
 * offline plan run on, for a program that uses the components. It answers every resource of
 * the components as Azure, kind and Kubernetes would (ids, endpoints, client ids, real RSA keys),
 * refuses what Azure refuses, and records every registration with its inputs, secrets, parent,
 * dependencies and options, so a test can assert on what the program would create:
 *
 *   const sim = installSimulator({ project: "my-app", stack: "test", config: {...} });
 *   const outputs = await runProgram(sim, () => require("../index")); // plain values
 *   const fics = sim.byType("azure-native:managedidentity:FederatedIdentityCredential");
 *
 * docs/components.md#testing-your-program has a whole mocha test.
 */
import * as pulumi from "@pulumi/pulumi";

import { SimulatedCloud, unwrapSecrets } from "./simulator";

export { SimulatedCloud, installSimulator, isSecretValue, unwrapSecrets } from "./simulator";
export type { InstallOptions, SimulatedResource } from "./simulator";

/** The stack's outputs as registered, secrets still marked (isSecretValue tells them). */
export function rawStackOutputs(sim: SimulatedCloud): Record<string, unknown> {
  return sim.registeredOutputs.get(sim.one("pulumi:pulumi:Stack").urn) ?? {};
}

/**
 * Runs a program under the simulator as `pulumi up` runs it: `load` evaluates the program
 * (`() => require("../index")`), and once every registration has been answered, the stack's
 * outputs (the program's exports) come back as plain values. A program's module runs once per
 * process: run it once per test file (mocha: in `before`).
 */
export async function runProgram(
  sim: SimulatedCloud,
  load: () => unknown,
): Promise<Record<string, unknown>> {
  await pulumi.runtime.runInPulumiStack(() => Promise.resolve(load() as Record<string, unknown>));
  await sim.settled();
  return unwrapSecrets(rawStackOutputs(sim)) as Record<string, unknown>;
}
