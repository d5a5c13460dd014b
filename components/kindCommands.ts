/**
 * The shell scripts `@pulumi/command` runs to create and delete the Kind cluster. Pure: they
 * read everything from environment variables, so no value (and no secret) is ever spliced into
 * a command line, a log line, or the script text kept in state.
 *
 * Nothing in them depends on where the checkout lives: the key folder is found at run time (by
 * default under the user's state home), and the kind configuration names the key files
 * relative to it (kind resolves a relative `hostPath` against its working directory). A stack
 * run from another clone of the repository therefore plans no change.
 */
import { KindKeyFile } from "./kindConfig";

export const ENV = {
  clusterName: "WI_KIND_CLUSTER_NAME",
  /** Set only when the caller chose the folder; otherwise the script derives it. */
  stateDir: "WI_KIND_DIR",
  config: "WI_KIND_CONFIG",
  kind: "WI_KIND_BIN",
  privateKey: "WI_SA_KEY",
  publicKey: "WI_SA_PUB",
  extraKey: (i: number) => `WI_SA_EXTRA_${i}`,
} as const;

/** The environment variable that carries a key file's content. */
export function keyFileEnv(file: KindKeyFile): string {
  if (file.holds === "private") return ENV.privateKey;
  if (typeof file.holds === "object") return ENV.extraKey(file.holds.extra);
  return ENV.publicKey;
}

/** Joins PEM blocks into one key file (kube-apiserver reads every key in a file). */
export function joinPem(pems: string[]): string {
  return pems.map((p) => (p.endsWith("\n") ? p : `${p}\n`)).join("");
}

/**
 * The folder of one kind cluster's keys, config and kubeconfig: the one given, or
 * `$XDG_STATE_HOME/azure-workload-identity/kind/<cluster>` (`~/.local/state/...` by default).
 * The cluster's name is unique on the machine (kind's own rule), so the folder is too.
 */
export const STATE_DIR_SCRIPT = [
  `dir="\${${ENV.stateDir}:-\${XDG_STATE_HOME:-$HOME/.local/state}/azure-workload-identity/kind/$${ENV.clusterName}}"`,
  `case "$dir" in /?*/?*) ;; *) echo "refusing state directory '$dir'" >&2; exit 1 ;; esac`,
];

/**
 * Writes the key files owner-only (umask 077: files 0600, directory 0700), writes the config,
 * creates the cluster, and prints only the kubeconfig on stdout (kind's progress goes to stderr).
 */
export function kindCreateScript(files: KindKeyFile[]): string {
  const writes = files.map((f) => `printf '%s' "$${keyFileEnv(f)}" > "${f.file}"`);
  return [
    "set -eu",
    "umask 077",
    ...STATE_DIR_SCRIPT,
    'mkdir -p "$dir"',
    'chmod 700 "$dir"',
    'cd "$dir"',
    ...writes,
    `printf '%s' "$${ENV.config}" > kind.yaml`,
    `"$${ENV.kind}" create cluster --name "$${ENV.clusterName}" --config kind.yaml --kubeconfig kubeconfig --wait 5m >&2`,
    `"$${ENV.kind}" get kubeconfig --name "$${ENV.clusterName}"`,
    "",
  ].join("\n");
}

/** Deletes the cluster, then the state directory with the keys and kubeconfig in it. */
export function kindDeleteScript(): string {
  return [
    "set -eu",
    ...STATE_DIR_SCRIPT,
    `"$${ENV.kind}" delete cluster --name "$${ENV.clusterName}" >&2`,
    'rm -rf -- "$dir"',
    "",
  ].join("\n");
}
