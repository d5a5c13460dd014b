/**
 * The deployment's critical path from the dependency graph the program registered: each custom
 * resource costs `latencyMs` (providers cost nothing), starts when everything it depends on has
 * finished, and a component finishes with its last child. Pure.
 */
import { SimulatedResource } from "../scripts/simulator";

/** The URN part of a provider reference (`urn::id`). */
function providerUrn(ref: string): string | undefined {
  const i = ref.lastIndexOf("::");
  return ref && i > 0 ? ref.slice(0, i) : undefined;
}

export function criticalPath(resources: SimulatedResource[], latencyMs: number): number {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const children = new Map<string, SimulatedResource[]>();
  for (const r of resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const finish = new Map<string, number>();
  const starts = new Map<string, number>();
  const visiting = new Set<string>();

  // The SDK registers a child only once its parent is registered, so a child never starts
  // before its parent does (a component's dependsOn holds all of its children back).
  const startOf = (urn: string): number => {
    const known = starts.get(urn);
    if (known !== undefined) return known;
    const r = byUrn.get(urn);
    if (!r) return 0;
    const deps = [...r.dependencies];
    const provider = providerUrn(r.options.provider);
    if (provider) deps.push(provider);
    const start = Math.max(0, startOf(r.parent), ...deps.map(finishOf));
    starts.set(urn, start);
    return start;
  };

  const finishOf = (urn: string): number => {
    const known = finish.get(urn);
    if (known !== undefined) return known;
    const r = byUrn.get(urn);
    if (!r) return 0;
    if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
    visiting.add(urn);
    const start = startOf(urn);
    const cost = r.custom && !r.type.startsWith("pulumi:providers:") ? latencyMs : 0;
    // A component is done when its children are; nothing waits on a component before that.
    const own = r.custom
      ? start + cost
      : Math.max(start, ...(children.get(urn) ?? []).map((c) => finishOf(c.urn)));
    visiting.delete(urn);
    finish.set(urn, own);
    return own;
  };
  return Math.max(0, ...resources.map((r) => finishOf(r.urn)));
}
