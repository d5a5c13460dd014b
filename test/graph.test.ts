/** The benchmark's critical path, on graphs small enough to work out by hand. */
import * as assert from "node:assert/strict";

import { criticalPath } from "../bench/graph";
import { recordOf } from "./helpers";

const STACK = "urn:stack";

/** A cloud resource under the stack unless told otherwise. */
const resource = (urn: string, over: Parameters<typeof recordOf>[1] = {}) =>
  recordOf(urn, {
    type: "azure-native:managedidentity:UserAssignedIdentity",
    parent: STACK,
    ...over,
  });

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
    assert.equal(criticalPath(graph, 100), 300);
  });

  it("makes a resource wait for its provider, which costs nothing itself", () => {
    const graph = [
      stack,
      resource("cluster"),
      resource("k8s", { type: "pulumi:providers:kubernetes", dependencies: ["cluster"] }),
      resource("sa", { type: "kubernetes:core/v1:ServiceAccount", provider: "k8s::id-1" }),
    ];
    assert.equal(criticalPath(graph, 100), 200);
  });

  it("finishes a component with its last child, and holds back what depends on it", () => {
    const graph = [
      stack,
      resource("comp", { custom: false, type: "azure-wi:index:OidcIssuer" }),
      resource("x", { parent: "comp" }),
      resource("y", { parent: "comp", dependencies: ["x"] }),
      resource("after", { dependencies: ["comp"] }),
    ];
    assert.equal(criticalPath(graph, 100), 300);
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
    assert.equal(criticalPath(graph, 100), 200);
  });

  it("refuses a cycle", () => {
    const graph = [
      stack,
      resource("a", { dependencies: ["b"] }),
      resource("b", { dependencies: ["a"] }),
    ];
    assert.throws(() => criticalPath(graph, 100), /dependency cycle/);
  });
});
