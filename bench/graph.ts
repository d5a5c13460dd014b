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
  /** Destroying it only drops it from state: no cloud operation. */
  retainOnDelete?: boolean;
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

/** Each parent's children's URNs, in state order. */
function childrenOf(nodes: GraphNode[]): Map<string, string[]> {
  const children = new Map<string, string[]>();
  for (const r of nodes) {
    if (!r.parent) continue;
    const list = children.get(r.parent);
    if (list) list.push(r.urn);
    else children.set(r.parent, [r.urn]);
  }
  return children;
}

/** `compute` memoised per URN, refusing a dependency cycle. */
function memoised<T>(compute: (urn: string) => T): (urn: string) => T {
  const known = new Map<string, T>();
  const visiting = new Set<string>();
  return (urn) => {
    if (known.has(urn)) return known.get(urn)!;
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
  const children = childrenOf(nodes);
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
      : Math.max(start, ...(children.get(urn) ?? []).map(finishOf));
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

/**
 * The waves in which the engine deletes a stack, first to last. It does not delete a resource as
 * soon as what needs it has gone (pulumi/pulumi, pkg/resource/deploy/step_generator.go,
 * ScheduleDeletes: "a conservative approximation of what deletions can safely occur in
 * parallel"): a resource's depth is one past the deepest of what it depends on (its
 * dependencies, provider and parent, and the children of a component it depends on that come
 * before it in the state), the deepest resources go first, and each wave starts once the one
 * before it has finished.
 */
export function deleteWaves(nodes: GraphNode[]): GraphNode[][] {
  const index = new Map(nodes.map((r, i) => [r.urn, i]));
  const byUrn = new Map(nodes.map((r) => [r.urn, r]));
  const children = childrenOf(nodes);
  const descendants: (urn: string) => string[] = memoised((urn) =>
    (children.get(urn) ?? []).flatMap((c) => [c, ...descendants(c)]),
  );
  const dependsOn = (r: GraphNode): string[] => {
    const own = index.get(r.urn)!;
    const direct = before(r).filter((u) => byUrn.has(u));
    // The children rule is for dependencies only, not for the parent.
    const ofComponents = direct
      .filter((u) => !byUrn.get(u)!.custom)
      .flatMap(descendants)
      .filter((u) => index.get(u)! < own);
    return [...direct, ...ofComponents, ...(r.parent && byUrn.has(r.parent) ? [r.parent] : [])];
  };
  const depth: (urn: string) => number = memoised(
    (urn) => 1 + Math.max(-1, ...dependsOn(byUrn.get(urn)!).map(depth)),
  );
  const waves: GraphNode[][] = [];
  for (const r of nodes) (waves[depth(r.urn)] ??= []).push(r);
  return waves.filter(Boolean).reverse();
}

/**
 * The least time `destroy` takes as the engine schedules it (deleteWaves): each wave takes at
 * least its slowest delete and its work over the parallelism.
 */
export function destroyWaves(
  nodes: GraphNode[],
  costOf: (r: GraphNode) => number,
  parallelism: number,
): number {
  let total = 0;
  for (const wave of deleteWaves(nodes)) {
    const costsOf = wave.filter(costs).map(costOf);
    const work = costsOf.reduce((sum, c) => sum + c, 0);
    total += Math.max(0, ...costsOf, work / parallelism);
  }
  return total;
}

export interface Bound {
  /** The longest chain of real dependencies. */
  chainMs: number;
  /** Every operation's time added up. */
  workMs: number;
  parallelism: number;
  /** max(chain, work / parallelism): no engine running `parallelism` operations at once beats it. */
  boundMs: number;
  /** destroy: the least time of the engine's waves (destroyWaves), at or above the bound. */
  wavesMs?: number;
}

export function deploymentBound(
  nodes: GraphNode[],
  costOf: (r: GraphNode) => number,
  parallelism: number,
  operation: "up" | "destroy" = "up",
): Bound {
  // A retained resource (the issuer's documents) costs its destroy nothing: no delete is sent.
  const cost =
    operation === "destroy" ? (r: GraphNode) => (r.retainOnDelete ? 0 : costOf(r)) : costOf;
  const chainMs =
    operation === "up" ? criticalPath(nodes, cost) : criticalPathOfDestroy(nodes, cost);
  const workMs = nodes.filter(costs).reduce((sum, r) => sum + cost(r), 0);
  return {
    chainMs,
    workMs,
    parallelism,
    boundMs: Math.max(chainMs, workMs / parallelism),
    ...(operation === "destroy" ? { wavesMs: destroyWaves(nodes, cost, parallelism) } : {}),
  };
}

/** A cloud operation as the local cloud logged it (milliseconds). */
export interface TimedOperation {
  urn: string;
  start: number;
  end: number;
}

/** One link of the chain a deployment really ran: its operation and how long it waited. */
export interface Link extends TimedOperation {
  /** From the end of what it waited for (the previous link) to its own start. */
  waitMs: number;
}

/**
 * The chain an `up` really ran, last operation first: from the operation that ended last, back
 * through the dependency that ended last before it, to one that waited for no operation. Its
 * operations' time plus the links' waits is the deployment: the waits are what the engine and
 * the program took between one resource being done and the next one starting. Dependencies on
 * components, providers and parents are followed to the operations they stand for.
 */
export function realisedChain(nodes: GraphNode[], ops: TimedOperation[]): Link[] {
  const byUrn = new Map(nodes.map((r) => [r.urn, r]));
  const opOf = new Map(ops.map((o) => [o.urn, o]));
  const children = childrenOf(nodes);
  // The operations a resource cannot start before: those of what it depends on (a component
  // stands for its children's), and those its parent waited for.
  const waitsFor: (urn: string) => TimedOperation[] = memoised((urn) => {
    const r = byUrn.get(urn);
    if (!r) return [];
    return [...before(r).flatMap(doneWith), ...(r.parent ? waitsFor(r.parent) : [])];
  });
  const doneWith: (urn: string) => TimedOperation[] = memoised((urn) => {
    const op = opOf.get(urn);
    if (op) return [op];
    const r = byUrn.get(urn);
    if (!r) return [];
    return r.custom ? waitsFor(urn) : (children.get(urn) ?? []).flatMap(doneWith);
  });
  const latest = (list: TimedOperation[]) =>
    list.reduce<TimedOperation | undefined>((a, b) => (a && a.end >= b.end ? a : b), undefined);
  const chain: Link[] = [];
  let current = latest(ops);
  while (current) {
    const previous = latest(waitsFor(current.urn).filter((o) => o.end <= current!.start));
    chain.push({ ...current, waitMs: previous ? current.start - previous.end : 0 });
    current = previous;
  }
  return chain;
}
