/**
 * What the real Pulumi CLI and engine cost a deployment of this size, and what a user can do
 * about it: `pulumi up` of the dev stack with N identities against the local cloud answering
 * each operation after a fixed latency, with the CLI's default --parallel (4 x cores), with a
 * large one, and with a large one and PULUMI_SKIP_CHECKPOINTS (the file backend saves the whole
 * state after every step otherwise). Prints one row per variant, wall time of the `up`.
 *
 *   npx ts-node bench/engineCost.ts [--identities 100] [--latency 1000]
 */
import * as os from "node:os";

import * as YAML from "yaml";

import { LocalCloud, engineBin } from "../scripts/localCloud";
import { benchStackConfig } from "./run";

interface Variant {
  name: string;
  parallel?: number;
  env?: Record<string, string>;
}

export async function upWall(identities: number, latencyMs: number, variant: Variant) {
  const cloud = new LocalCloud({ LOCALCLOUD_LATENCY_MS: String(latencyMs), ...variant.env });
  try {
    const checkout = cloud.checkout("bench");
    const config = benchStackConfig(identities);
    cloud.editStackFile(checkout, "dev", (c) => {
      c["azure-workload-identity:signingKeyBits"] = config.signingKeyBits;
      c["azure-workload-identity:identities"] = YAML.parse(config.identities) as unknown;
    });
    const stack = await cloud.stack("dev", checkout);
    const started = process.hrtime.bigint();
    const result = await stack.up({ parallel: variant.parallel });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    return { wallMs, resources: result.summary.resourceChanges?.create ?? 0 };
  } finally {
    cloud.dispose();
  }
}

async function main() {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const identities = arg("identities", 100);
  const latencyMs = arg("latency", 1000);
  engineBin();
  const variants: Variant[] = [
    { name: `default --parallel (${4 * os.cpus().length})` },
    { name: "--parallel 1000", parallel: 1000 },
    {
      name: "--parallel 1000, PULUMI_SKIP_CHECKPOINTS=true",
      parallel: 1000,
      env: { PULUMI_SKIP_CHECKPOINTS: "true" },
    },
  ];
  console.log(`| ${identities} identities, ${latencyMs} ms per operation | resources | up, wall |`);
  console.log("| --- | --- | --- |");
  for (const v of variants) {
    const r = await upWall(identities, latencyMs, v);
    console.log(`| ${v.name} | ${r.resources} | ${(r.wallMs / 1000).toFixed(1)} s |`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
