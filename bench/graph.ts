/**
 * The least time a deployment can take, from the dependency graph it registered: each cloud
 * resource costs what `costOf` says (providers and components cost nothing), and
 * - no ordering beats the longest chain of real dependencies (a resource starts when what it
 *   depends on, its provider and, for `up`, its parent's start are done; a component finishes
 *   with its last child; `destroy` walks the same edges backwards);
 * - no ordering beats the total work spread over the engine's parallelism (`--parallel`).
 * Pure.
 */

/** What the bound needs of a resource: the engine's state (`pulumi stack export`) has it. */
export interface GraphNode {
  urn: string;
  type: string;
  custom: boolean;
  parent?: string;
  dependencies?: string[];
  /** `urn::id` of its provider instance. */
  provider?: string;
}

/** The URN part of a provider reference (`urn::id`). */
function providerUrn(ref: string | undefined): string | undefined {
  const i = ref?.lastIndexOf("::") ?? -1;
  return ref && i > 0 ? ref.slice(0, i) : undefined;
}

const costs = (r: GraphNode) => r.custom && !r.type.startsWith("pulumi:providers:");

/** What must be done before the resource starts: its dependencies and its provider. */
function before(r: GraphNode): string[] {
  const provider = providerUrn(r.provider);
  return [...(r.dependencies ?? []), ...(provider ? [provider] : [])];
}

/** `compute` memoised per URN, refusing a dependency cycle. */
function memoised(compute: (urn: string) => number): (urn: string) => number {
  const known = new Map<string, number>();
  const visiting = new Set<string>();
  return (urn) => {
    const value = known.get(urn);
    if (value !== undefined) return value;
    if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
    visiting.add(urn);
    const computed = compute(urn);
    visiting.delete(urn);
    known.set(urn, computed);
    return computed;
  };
}

/** The longest chain of `up`: creates in dependency order. */
export function criticalPath(nodes: GraphNode[], costOf: (r: GraphNode) => number): number {
  const byUrn = new Map(nodes.map((r) => [r.urn, r]));
  const children = new Map<string, GraphNode[]>();
  for (const r of nodes) {
    if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  }
  // The SDK registers a child only once its parent is registered, so a child never starts
  // before its parent does (a component's dependsOn holds all of its children back).
  const startOf: (urn: string) => number = memoised((urn) => {
    const r = byUrn.get(urn);
    if (!r) return 0;
    return Math.max(0, r.parent ? startOf(r.parent) : 0, ...before(r).map(finishOf));
  });
  const finishOf: (urn: string) => number = memoised((urn) => {
    const r = byUrn.get(urn);
    if (!r) return 0;
    const start = startOf(urn);
    // A component is done when its children are; nothing waits on a component before that.
    return r.custom
      ? start + (costs(r) ? costOf(r) : 0)
      : Math.max(start, ...(children.get(urn) ?? []).map((c) => finishOf(c.urn)));
  });
  return Math.max(0, ...nodes.map((r) => finishOf(r.urn)));
}

/** The longest chain of `destroy`: a resource goes once everything that needs it has gone. */
export function criticalPathOfDestroy(
  nodes: GraphNode[],
  costOf: (r: GraphNode) => number,
): number {
  const dependents = new Map<string, string[]>();
  const add = (of: string, urn: string) => dependents.set(of, [...(dependents.get(of) ?? []), urn]);
  for (const r of nodes) {
    for (const d of before(r)) add(d, r.urn);
    if (r.parent) add(r.parent, r.urn);
  }
  const byUrn = new Map(nodes.map((r) => [r.urn, r]));
  const finishOf: (urn: string) => number = memoised((urn) => {
    const r = byUrn.get(urn);
    if (!r) return 0;
    const start = Math.max(0, ...(dependents.get(urn) ?? []).map(finishOf));
    return start + (costs(r) ? costOf(r) : 0);
  });
  return Math.max(0, ...nodes.map((r) => finishOf(r.urn)));
}

export interface Bound {
  /** The longest chain of real dependencies. */
  chainMs: number;
  /** Every operation's time added up. */
  workMs: number;
  parallelism: number;
  /** max(chain, work / parallelism): no engine running `parallelism` operations at once beats it. */
  boundMs: number;
}

export function deploymentBound(
  nodes: GraphNode[],
  costOf: (r: GraphNode) => number,
  parallelism: number,
  operation: "up" | "destroy" = "up",
): Bound {
  const chainMs =
    operation === "up" ? criticalPath(nodes, costOf) : criticalPathOfDestroy(nodes, costOf);
  const workMs = nodes.filter(costs).reduce((sum, r) => sum + costOf(r), 0);
  return { chainMs, workMs, parallelism, boundMs: Math.max(chainMs, workMs / parallelism) };
}
