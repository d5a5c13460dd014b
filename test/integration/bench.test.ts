/**
 * What `npm run bench` measures, checked on one small deployment through the real CLI: the local
 * cloud gives each operation its modelled time and logs it, the bound computed from the stack's
 * state is one the engine cannot beat, and the process sampler sees the program and the CLI.
 */
import * as assert from "node:assert/strict";

import { GraphNode, deploymentBound, realisedChain } from "../../bench/graph";
import { LATENCY_MS, latencyModelEnv, operationMs } from "../../bench/latencyModel";
import { OperationRun, StateResource, World, nameOf, span } from "../../bench/world";
import { engineBin } from "../harness/localCloud";

const SCALE = 0.01;

describe("the bench's measurements, through the real CLI", function () {
  this.timeout(600_000);
  let world: World;
  let up: OperationRun;
  let upOps: ReturnType<World["operations"]>;
  let graph: GraphNode[];

  before(async () => {
    process.env.WI_ENGINE_BIN = engineBin();
    world = await World.make(1, { LOCALCLOUD_LATENCY_MODEL: latencyModelEnv(SCALE) });
    up = await world.run("stack", "up");
    upOps = world.operations();
    graph = await world.graph();
  });

  after(() => world?.dispose());

  const cloudResources = () =>
    graph.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
  const costOf = (op: "create" | "delete") => (r: GraphNode) =>
    operationMs(r.type, nameOf(r.urn), op, SCALE);

  it("logs one create per cloud resource, each taking at least its modelled time", () => {
    assert.deepEqual(
      upOps.map((o) => o.urn).sort(),
      cloudResources()
        .map((r) => r.urn)
        .sort(),
    );
    for (const o of upOps) {
      const r = graph.find((g) => g.urn === o.urn)!;
      assert.equal(o.op, "create");
      assert.ok(
        o.end - o.start >= costOf("create")(r) - 1,
        `${o.urn}: ${o.end - o.start} ms, modelled ${costOf("create")(r)} ms`,
      );
    }
  });

  it("models the slow operations by name where one type stands for several things", () => {
    const kind = upOps.find((o) => nameOf(o.urn) === "cluster-kind")!;
    const keys = upOps.find((o) => nameOf(o.urn) === "cluster-kind-keys")!;
    assert.ok(
      kind.end - kind.start >= LATENCY_MS["command:local:Command::cluster-kind"].create! * SCALE,
    );
    assert.ok(keys.end - keys.start < kind.end - kind.start);
  });

  it("takes no less than the bound, whose chain runs through the storage account and the cluster", () => {
    const bound = deploymentBound(graph, costOf("create"), 8);
    const model = (type: string) => (LATENCY_MS[type]?.create ?? 0) * SCALE;
    assert.ok(
      bound.chainMs >=
        model("azure-native:storage:StorageAccount") +
          LATENCY_MS["command:local:Command::cluster-kind"].create! * SCALE,
    );
    assert.ok(span(upOps) >= bound.boundMs, `${span(upOps)} ms against ${bound.boundMs} ms`);
  });

  it("accounts for the whole span with the chain it ran: lead, operations and waits", () => {
    const chain = realisedChain(graph, upOps);
    const first = chain[chain.length - 1];
    const lead = first.start - Math.min(...upOps.map((o) => o.start));
    const operations = chain.reduce((sum, l) => sum + l.end - l.start, 0);
    const waits = chain.reduce((sum, l) => sum + l.waitMs, 0);
    // span() rounds to the millisecond; the log's times have fractions.
    assert.ok(Math.abs(lead + operations + waits - span(upOps)) <= 1);
    assert.equal(chain[0].end, Math.max(...upOps.map((o) => o.end)));
    assert.ok(chain.every((l) => l.waitMs >= 0));
    assert.ok(
      chain.some((l) => nameOf(l.urn) === "cluster-kind"),
      JSON.stringify(chain),
    );
  });

  it("samples the program's process and the CLI's, and reports the program's own usage", () => {
    assert.ok(up.tree.peakMb.program > 50 && up.tree.peakMb.cli > 20, JSON.stringify(up.tree));
    // The peak of the sum lies between the larger peak and the sum of the peaks (they need not
    // fall on one sample); each is rounded on its own.
    const { program, cli } = up.tree.peakMb;
    assert.ok(up.tree.peakCliAndProgramMb >= Math.max(program, cli) - 1, JSON.stringify(up.tree));
    assert.ok(up.tree.peakCliAndProgramMb <= program + cli + 1, JSON.stringify(up.tree));
    assert.ok(up.tree.peakMb.providers > 0 && up.tree.cpuMs.cli > 0);
    assert.ok(up.cpuMs > 0 && up.maxRssMb > 50 && up.opMs < up.wallMs);
    // Every resource in the state was created, but the default providers are not counted.
    const defaults = graph.filter(
      (r) => r.type.startsWith("pulumi:providers:") && nameOf(r.urn).startsWith("default"),
    ).length;
    assert.equal(up.changes.create, graph.length - defaults);
  });

  it("logs one delete per cloud resource on destroy, none for a retained one, and leaves nothing", async () => {
    const destroy = await world.run("stack", "destroy");
    const ops = world.operations();
    assert.ok(ops.every((o) => o.op === "delete"));
    // The issuer's documents are retained: they go with their storage account.
    const deleted = cloudResources().filter((r) => !r.retainOnDelete);
    assert.equal(cloudResources().length - deleted.length, 2);
    assert.deepEqual(ops.map((o) => o.urn).sort(), deleted.map((r) => r.urn).sort());
    // The engine deletes in waves: not even its own schedule's least time is beaten.
    const bound = deploymentBound(graph, costOf("delete"), 8, "destroy");
    assert.ok(bound.wavesMs! >= bound.boundMs);
    assert.ok(span(ops) >= bound.wavesMs!, `${span(ops)} ms against ${bound.wavesMs} ms`);
    assert.equal(destroy.changes.delete, up.changes.create);
    assert.deepEqual(world.cloud.objects("azure"), []);
  });
});

describe("the bench's control, through the real CLI", function () {
  this.timeout(600_000);

  /**
   * What one program sent the cloud for its identities: per resource (type and logical name),
   * its inputs and what it depends on, by logical name, components left out. Values the local
   * cloud makes up per world (the resource group's and storage account's names, GUIDs) are
   * masked, as they differ between two worlds.
   */
  async function identityResources(program: "stack" | "control") {
    const world = await World.make(3);
    try {
      await world.run(program, "up");
      const state = await world.resources();
      const generated = state
        .filter((r) =>
          ["azure-native:resources:ResourceGroup", "azure-native:storage:StorageAccount"].includes(
            r.type,
          ),
        )
        .map((r) => String((r as StateResource & { outputs: { name: string } }).outputs.name));
      const mask = (text: string) =>
        generated
          .reduce((t, name) => t.split(name).join("<generated>"), text)
          .replace(/00000000-0000-4000-8000-[0-9a-f]{12}/g, "<guid>");
      const custom = new Set(state.filter((r) => r.custom).map((r) => r.urn));
      const perIdentity = [
        "azure-native:managedidentity:UserAssignedIdentity",
        "azure-native:managedidentity:FederatedIdentityCredential",
        "azure-native:authorization:RoleAssignment",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:core/v1:Namespace",
      ];
      return Object.fromEntries(
        state
          .filter((r) => perIdentity.includes(r.type))
          .map((r) => [
            `${r.type}::${nameOf(r.urn)}`,
            JSON.parse(
              mask(
                JSON.stringify({
                  inputs: r.inputs,
                  dependsOn: (r.dependencies ?? [])
                    .filter((d) => custom.has(d))
                    .map(nameOf)
                    .sort(),
                  provider: nameOf(r.provider?.slice(0, r.provider.lastIndexOf("::")) ?? ""),
                }),
              ),
            ) as unknown,
          ]),
      );
    } finally {
      world.dispose();
    }
  }

  it("sends the cloud what the stack program sends, with the same dependencies", async () => {
    process.env.WI_ENGINE_BIN = engineBin();
    const stack = await identityResources("stack");
    const control = await identityResources("control");
    // 3 identities with 6 ServiceAccounts and federated credentials, 3 role assignments, their
    // 3 namespaces and the webhook's.
    assert.equal(Object.keys(stack).length, 3 + 6 + 6 + 3 + 3 + 1);
    assert.deepEqual(control, stack);
  });
});
