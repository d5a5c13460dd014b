/**
 * Which kubeconfig the doctor reads, and how a list of them merges: as kubectl (client-go) does
 * it, so that the doctor talks to the cluster `kubectl` would. Pure: paths and parsed files in,
 * a decision out.
 */
import * as os from "node:os";
import * as path from "node:path";

/** Where the cluster's access comes from. */
export type KubeconfigSource =
  { kind: "files"; files: string[] } | { kind: "in-cluster" } | { kind: "none"; looked: string[] };

/**
 * kubectl's order: `--kubeconfig` (one file), else every file of `$KUBECONFIG` (a path list)
 * that exists, else `~/.kube/config` when it exists, else the pod's own ServiceAccount when run
 * in a cluster.
 */
export function kubeconfigSource(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
  exists: (file: string) => boolean,
): KubeconfigSource {
  if (explicit !== undefined) return { kind: "files", files: [explicit] };
  const listed = (env.KUBECONFIG ?? "").split(path.delimiter).filter((f) => f !== "");
  if (listed.length > 0) {
    // As client-go: a listed file that does not exist is skipped; $KUBECONFIG still rules.
    const files = listed.filter(exists);
    return files.length > 0 ? { kind: "files", files } : { kind: "none", looked: listed };
  }
  const home = path.join(env.HOME ?? os.homedir(), ".kube", "config");
  if (exists(home)) return { kind: "files", files: [home] };
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) return { kind: "in-cluster" };
  return { kind: "none", looked: ["--kubeconfig", "$KUBECONFIG", home, "in-cluster"] };
}

/** The parts of a parsed kubeconfig file that merge. */
export interface KubeconfigParts<C extends { name: string }, U extends { name: string }, X> {
  clusters: C[];
  users: U[];
  contexts: (X & { name: string })[];
  currentContext: string;
}

/**
 * Merges kubeconfig files in order as client-go does: for each name, the first file that
 * defines it wins, and so does the first current-context that is set. (client-node's own
 * loadFromDefault lets a later file's current-context win and throws on a name two files share.)
 */
export function mergeKubeconfigs<C extends { name: string }, U extends { name: string }, X>(
  files: KubeconfigParts<C, U, X>[],
): KubeconfigParts<C, U, X> {
  const firstByName = <T extends { name: string }>(lists: T[][]): T[] => {
    const seen = new Map<string, T>();
    for (const item of lists.flat()) if (!seen.has(item.name)) seen.set(item.name, item);
    return [...seen.values()];
  };
  return {
    clusters: firstByName(files.map((f) => f.clusters)),
    users: firstByName(files.map((f) => f.users)),
    contexts: firstByName(files.map((f) => f.contexts)),
    currentContext: files.map((f) => f.currentContext).find((c) => c) ?? "",
  };
}
