/**
 * `npm run bench:state`: what the components add to the stack's state per identity, against the
 * control (bench/control.ts: the same cloud resources, registered flat). A checkpointed `up`
 * writes the whole state after every step, so its cost grows with the state's size times the
 * number of steps: this says where the stack's extra bytes are.
 *
 * For each program, `up` with 1 and with N identities (skipping checkpoints: only the final state
 * matters), then the state file's bytes split by what holds them: the component resources (type
 * azure-wi:index:*) and the rest, and within every resource the URNs it carries (its own, its
 * parent's, its dependencies') against its inputs and outputs. Per identity: (N - 1) apart.
 *
 *   npm run bench:state -- [--identities 100]
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { parseCommandArgs } from "../cli/args";
import { PROJECT } from "../test/harness/localCloud";
import { ProgramName } from "./cliRun";
import { machine, table } from "./report";
import { World } from "./world";

interface StateFileResource {
  urn: string;
  type: string;
  parent?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  inputs?: unknown;
  outputs?: unknown;
}

interface Split {
  total: number;
  components: number;
  urns: number;
  inputs: number;
  outputs: number;
  resources: number;
}

const size = (v: unknown) => (v === undefined ? 0 : JSON.stringify(v).length);

/** The state file's bytes, and where they are. */
export function splitState(text: string): Split {
  const state = JSON.parse(text) as { checkpoint: { latest: { resources?: StateFileResource[] } } };
  const resources = state.checkpoint.latest.resources ?? [];
  const split: Split = {
    total: text.length,
    components: 0,
    urns: 0,
    inputs: 0,
    outputs: 0,
    resources: resources.length,
  };
  for (const r of resources) {
    const urns = [
      r.urn,
      r.parent ?? "",
      ...(r.dependencies ?? []),
      ...Object.values(r.propertyDependencies ?? {}).flat(),
    ];
    split.urns += urns.reduce((n, u) => n + u.length, 0);
    split.inputs += size(r.inputs);
    split.outputs += size(r.outputs);
    if (r.type.startsWith("azure-wi:index:")) split.components += size(r);
  }
  return split;
}

async function stateOf(program: ProgramName, identities: number): Promise<Split> {
  const world = await World.make(identities, { PULUMI_SKIP_CHECKPOINTS: "true" });
  try {
    await world.run(program, "up");
    const file = path.join(world.cloud.backend, ".pulumi", "stacks", PROJECT, "dev.json");
    return splitState(fs.readFileSync(file, "utf8"));
  } finally {
    world.dispose();
  }
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseCommandArgs(argv, { identities: { type: "string" } }, false);
  const n = Number(values.identities ?? "100");
  const rows: (string | number)[][] = [];
  const perIdentity: Record<string, Split> = {};
  for (const program of ["stack", "control"] as const) {
    const one = await stateOf(program, 1);
    const many = await stateOf(program, n);
    const per = Object.fromEntries(
      Object.keys(one).map((k) => [k, (many[k as keyof Split] - one[k as keyof Split]) / (n - 1)]),
    ) as unknown as Split;
    perIdentity[program] = per;
    rows.push([
      program,
      `${(many.total / 1024).toFixed(0)} KiB`,
      many.resources,
      `${per.total.toFixed(0)} B`,
      per.resources.toFixed(2),
      `${per.urns.toFixed(0)} B`,
      `${per.inputs.toFixed(0)} B`,
      `${per.outputs.toFixed(0)} B`,
      `${per.components.toFixed(0)} B`,
    ]);
  }
  const ratio = (k: keyof Split) => (perIdentity.stack[k] / perIdentity.control[k]).toFixed(2);
  console.log(
    [
      `State per identity, ${n} identities against 1 (${machine()}):`,
      "",
      table(
        [
          "program",
          `state at ${n}`,
          "resources",
          "per identity",
          "resources",
          "URNs",
          "inputs",
          "outputs",
          "components",
        ],
        rows,
      ),
      "",
      `stack / control per identity: ${ratio("total")}x bytes, ${ratio("urns")}x URN bytes, ${ratio("resources")}x resources`,
    ].join("\n"),
  );
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
