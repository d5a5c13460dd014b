/**
 * One measurement, in its own process (fresh heap, program loaded once): the stack program under
 * the simulator for N workload identities with 1 to 3 ServiceAccounts each. Prints one JSON line.
 *
 *   ts-node bench/evaluate.ts --identities 100 [--latency 100]
 *
 * With --latency every custom resource is answered after that many milliseconds, so the wall
 * time approximates a deployment's critical path; the dependency graph the program registered
 * gives the two references to compare it with.
 */
import * as pulumi from "@pulumi/pulumi";

import { StackConfig, parseStackConfig } from "../stacks/config";
import { deployStack } from "../stacks/deploy";
import { SimulatedResource, installSimulator } from "../scripts/simulator";
import { criticalPath } from "./graph";

const SUB = "00000000-0000-0000-0000-000000000000";

/** The dev stack's shape with N identities: identity i trusts (i % 3) + 1 ServiceAccounts. */
export function benchConfig(identities: number): StackConfig {
  const list = Array.from({ length: identities }, (_, i) => ({
    name: `wi-bench-${i}`,
    serviceAccounts: Array.from({ length: (i % 3) + 1 }, (_, j) => ({
      namespace: `team-${i % 10}`,
      name: `app-${i}-${j}`,
    })),
    roleAssignments: [
      {
        scope: `/subscriptions/${SUB}/resourceGroups/apps-rg/providers/Microsoft.KeyVault/vaults/kv-${i % 5}`,
        role: "Key Vault Secrets User",
      },
    ],
  }));
  // 2048-bit keys: the simulated TLS provider generates real keys, and that cost is the
  // simulator's, not the program's.
  return parseStackConfig(
    { flavor: "kind", signingKeyBits: "2048", identities: JSON.stringify(list) },
    "bench",
  );
}

async function main(): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const identities = arg("identities", 1);
  const latencyMs = arg("latency", 0);
  const cfg = benchConfig(identities);

  const sim = installSimulator({ project: "azure-workload-identity", stack: "bench", latencyMs });
  // Key generation is the TLS provider's local work: done before the clock starts, so that the
  // signing key costs what every other resource costs.
  await sim.preloadKey("oidc-signing-key", cfg.signingKeyBits);
  const started = process.hrtime.bigint();
  await pulumi.runtime.runInPulumiStack(() => Promise.resolve(deployStack(cfg)));
  await sim.settled();
  const firstStart = Math.min(...sim.resources.map((r) => r.startedMs));
  const lastEnd = Math.max(...sim.resources.map((r) => r.endedMs));
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  // From the first registration, like the deployment's wall time.
  const cpu = process.cpuUsage(sim.cpuAtFirstRegistration);

  const costed = (r: SimulatedResource) => r.custom && !r.type.startsWith("pulumi:providers:");
  const result = {
    identities,
    serviceAccounts: cfg.identities.reduce((n, i) => n + i.serviceAccounts.length, 0),
    resources: sim.resources.length,
    customResources: sim.resources.filter(costed).length,
    latencyMs,
    // Evaluation: from the program's start to its last registration answered. A simulated
    // deployment: from the first registration to the last (the engine's own start-up excluded).
    wallMs: Math.round(latencyMs ? lastEnd - firstStart : Math.min(wallMs, lastEnd)),
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    // CPU the process spent from the first registration on (user + system, all threads): the
    // program's JavaScript runs on one thread, so much of it bounds the wall time too.
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    criticalPathMs: latencyMs ? criticalPath(sim.resources, latencyMs) : undefined,
    serialMs: latencyMs ? sim.resources.filter(costed).length * latencyMs : undefined,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
