/** The benchmark's deployment bound, on graphs small enough to work out by hand. */
import * as assert from "node:assert/strict";

import {
  GraphNode,
  criticalPath,
  criticalPathOfDestroy,
  deleteWaves,
  deploymentBound,
  destroyWaves,
  realisedChain,
} from "../bench/graph";

const STACK = "urn:stack";

/** A cloud resource under the stack unless told otherwise. */
const resource = (urn: string, over: Partial<GraphNode> = {}): GraphNode => ({
  urn,
  type: "azure-native:managedidentity:UserAssignedIdentity",
  custom: true,
  parent: STACK,
  dependencies: [],
  ...over,
});
const each100 = () => 100;

const stack = resource(STACK, { custom: false, type: "pulumi:pulumi:Stack", parent: "" });

describe("criticalPath", () => {
  it("counts a chain link by link and parallel branches once", () => {
    const graph = [
      stack,
      resource("a"),
      resource("b", { dependencies: ["a"] }),
      resource("c", { dependencies: ["b"] }),
      resource("d", { dependencies: ["a"] }),
      resource("e"),
    ];
    assert.equal(criticalPath(graph, each100), 300);
  });

  it("makes a resource wait for its provider, which costs nothing itself", () => {
    const graph = [
      stack,
      resource("cluster"),
      resource("k8s", { type: "pulumi:providers:kubernetes", dependencies: ["cluster"] }),
      resource("sa", { type: "kubernetes:core/v1:ServiceAccount", provider: "k8s::id-1" }),
    ];
    assert.equal(criticalPath(graph, each100), 200);
  });

  it("finishes a component with its last child, and holds back what depends on it", () => {
    const graph = [
      stack,
      resource("comp", { custom: false, type: "azure-wi:index:OidcIssuer" }),
      resource("x", { parent: "comp" }),
      resource("y", { parent: "comp", dependencies: ["x"] }),
      resource("after", { dependencies: ["comp"] }),
    ];
    assert.equal(criticalPath(graph, each100), 300);
  });

  it("starts a child no earlier than its parent", () => {
    const graph = [
      stack,
      resource("first"),
      resource("comp", {
        custom: false,
        type: "azure-wi:index:WorkloadIdentity",
        dependencies: ["first"],
      }),
      resource("child", { parent: "comp" }),
    ];
    assert.equal(criticalPath(graph, each100), 200);
  });

  it("refuses a cycle", () => {
    const graph = [
      stack,
      resource("a", { dependencies: ["b"] }),
      resource("b", { dependencies: ["a"] }),
    ];
    assert.throws(() => criticalPath(graph, each100), /dependency cycle/);
  });

  it("prices each resource by its own cost", () => {
    const graph = [
      stack,
      resource("slow", { type: "command:local:Command" }),
      resource("fast", { dependencies: ["slow"] }),
      resource("other"),
    ];
    const cost = (r: GraphNode) => (r.type === "command:local:Command" ? 1000 : 10);
    assert.equal(criticalPath(graph, cost), 1010);
  });
});

describe("criticalPathOfDestroy", () => {
  it("deletes a resource only after what depends on it, its children and provider users", () => {
    const graph = [
      stack,
      resource("cluster"),
      resource("k8s", { type: "pulumi:providers:kubernetes", dependencies: ["cluster"] }),
      resource("comp", { custom: false, type: "azure-wi:index:WorkloadIdentity" }),
      resource("sa", {
        type: "kubernetes:core/v1:ServiceAccount",
        parent: "comp",
        provider: "k8s::id-1",
      }),
      resource("fic", { parent: "comp" }),
      resource("fic2", { parent: "comp", dependencies: ["fic"] }),
    ];
    // sa, then (provider free) cluster: 200; fic2 then fic: 200.
    assert.equal(criticalPathOfDestroy(graph, each100), 200);
  });
});

describe("deploymentBound", () => {
  it("is the chain when the parallelism covers the work, the work spread thin otherwise", () => {
    const graph = [stack, ...Array.from({ length: 10 }, (_, i) => resource(`r${i}`))];
    assert.deepEqual(deploymentBound(graph, each100, 10), {
      chainMs: 100,
      workMs: 1000,
      parallelism: 10,
      boundMs: 100,
    });
    assert.equal(deploymentBound(graph, each100, 4).boundMs, 250);
  });

  it("does not count providers or components as work", () => {
    const graph = [
      stack,
      resource("k8s", { type: "pulumi:providers:kubernetes" }),
      resource("comp", { custom: false, type: "azure-wi:index:Webhook" }),
      resource("a", { parent: "comp" }),
    ];
    assert.equal(deploymentBound(graph, each100, 1, "destroy").workMs, 100);
  });

  it("counts nothing for a retained resource's destroy, and its whole create", () => {
    const graph = [
      stack,
      resource("account"),
      resource("jwks", { dependencies: ["account"], retainOnDelete: true }),
    ];
    assert.deepEqual(
      [deploymentBound(graph, each100, 1).chainMs, deploymentBound(graph, each100, 1).workMs],
      [200, 200],
    );
    const destroy = deploymentBound(graph, each100, 1, "destroy");
    assert.deepEqual([destroy.chainMs, destroy.workMs, destroy.wavesMs], [100, 100, 100]);
  });
});

describe("destroyWaves", () => {
  const slowFast = (r: GraphNode) => (r.urn === "x" || r.urn === "w" ? 100 : 10);

  it("waits for a whole wave where the chains alone would overlap", () => {
    // Chains y > x and w > z take 110 each; the engine deletes {y, w}, then {x, z}.
    const graph = [
      stack,
      resource("x"),
      resource("y", { dependencies: ["x"] }),
      resource("z"),
      resource("w", { dependencies: ["z"] }),
    ];
    assert.equal(criticalPathOfDestroy(graph, slowFast), 110);
    assert.equal(destroyWaves(graph, slowFast, 8), 200);
    assert.equal(deploymentBound(graph, slowFast, 8, "destroy").wavesMs, 200);
  });

  it("spreads a wave's work over the parallelism", () => {
    const graph = [stack, ...Array.from({ length: 10 }, (_, i) => resource(`r${i}`))];
    assert.equal(destroyWaves(graph, each100, 4), 250);
    assert.equal(destroyWaves(graph, each100, 1000), 100);
  });

  it("puts a resource past its provider and parent, and past the children of a component it depends on", () => {
    const graph = [
      stack,
      resource("cluster"),
      resource("k8s", { type: "pulumi:providers:kubernetes", dependencies: ["cluster"] }),
      resource("comp", { custom: false, type: "azure-wi:index:WorkloadIdentity" }),
      resource("id", { parent: "comp" }),
      resource("sa", { parent: "comp", provider: "k8s::id-1", dependencies: ["id"] }),
      resource("after", { dependencies: ["comp"] }),
    ];
    // Without the children rule "after" would go with id.
    assert.deepEqual(
      deleteWaves(graph).map((w) => w.map((r) => r.urn)),
      [["after"], ["sa"], ["k8s", "id"], ["cluster", "comp"], [STACK]],
    );
    assert.equal(destroyWaves(graph, each100, 8), 400);
  });
});

describe("realisedChain", () => {
  const op = (urn: string, start: number, end: number) => ({ urn, start, end });
  const links = (chain: ReturnType<typeof realisedChain>) =>
    chain.map((l) => `${l.urn}+${l.waitMs}`).join(" < ");

  it("walks back from the last operation through the dependency that ended last", () => {
    const graph = [
      stack,
      resource("a"),
      resource("b"),
      resource("c", { dependencies: ["a", "b"] }),
      resource("d"),
    ];
    const ops = [op("a", 0, 100), op("b", 10, 150), op("c", 170, 270), op("d", 5, 50)];
    // c waited for b (ended later than a) 20 ms; b waited for nothing.
    assert.equal(links(realisedChain(graph, ops)), "c+20 < b+0");
  });

  it("follows a component to its children's operations, and a parent to what it waited for", () => {
    const graph = [
      stack,
      resource("cluster"),
      resource("k8s", { type: "pulumi:providers:kubernetes", dependencies: ["cluster"] }),
      resource("wi", { custom: false, type: "azure-wi:index:WorkloadIdentity" }),
      resource("identity", { parent: "wi" }),
      resource("fic", { parent: "wi", dependencies: ["identity"] }),
      resource("sa", { provider: "k8s::id", dependencies: ["wi"] }),
      resource("webhook", {
        custom: false,
        type: "azure-wi:index:Webhook",
        dependencies: ["cluster"],
      }),
      resource("release", { parent: "webhook" }),
    ];
    const ops = [
      op("cluster", 0, 300),
      op("identity", 0, 100),
      op("fic", 130, 230),
      op("sa", 330, 340),
      op("release", 310, 400),
    ];
    // release waited for its parent's dependency (cluster); sa for the provider's cluster and
    // the component's fic: both chains are walked from the operation that ended last.
    assert.equal(links(realisedChain(graph, ops)), "release+10 < cluster+0");
    assert.equal(
      links(
        realisedChain(
          graph,
          ops.filter((o) => o.urn !== "release"),
        ),
      ),
      "sa+30 < cluster+0",
    );
    assert.equal(
      links(
        realisedChain(graph, [op("identity", 0, 100), op("fic", 130, 230), op("sa", 250, 260)]),
      ),
      "sa+20 < fic+30 < identity+0",
    );
  });

  it("is empty without operations", () => {
    assert.deepEqual(realisedChain([stack, resource("a")], []), []);
  });
});
