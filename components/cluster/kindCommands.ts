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
  docker: "WI_DOCKER_BIN",
  privateKey: "WI_SA_KEY",
  publicKey: "WI_SA_PUB",
} as const;

/** The environment variable that carries a key file's content. */
export function keyFileEnv(file: KindKeyFile): string {
  return file.holds === "private" ? ENV.privateKey : ENV.publicKey;
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

/** The control-plane components that read the key files: the API server (it signs and verifies
 * tokens) and the controller manager (it signs legacy token Secrets). */
export const KEY_READERS = ["kube-apiserver", "kube-controller-manager"] as const;

function writeKeys(files: readonly KindKeyFile[]): string[] {
  // `>` rewrites a file in place: the node's bind mount follows the file's inode, so a file
  // replaced by a rename would leave the node reading the old one.
  return files.map((f) => `printf '%s' "$${keyFileEnv(f)}" > "${f.file}"`);
}

/** Writes the key files owner-only (umask 077: files 0600, directory 0700), before the cluster
 * exists. */
export function kindKeysCreateScript(files: readonly KindKeyFile[]): string {
  return [
    "set -eu",
    "umask 077",
    ...STATE_DIR_SCRIPT,
    'mkdir -p "$dir"',
    'chmod 700 "$dir"',
    'cd "$dir"',
    ...writeKeys(files),
    "",
  ].join("\n");
}

/**
 * A rotation step on a running cluster: rewrites the key files, then stops the containers of the
 * components that read them in the control-plane node; the kubelet starts them again with the
 * same flags and they read the new files. Waits until the API server is ready again.
 */
export function kindKeysUpdateScript(files: readonly KindKeyFile[]): string {
  return [
    "set -eu",
    "umask 077",
    ...STATE_DIR_SCRIPT,
    'cd "$dir"',
    ...writeKeys(files),
    `node="$${ENV.clusterName}-control-plane"`,
    "restarted=",
    `for c in ${KEY_READERS.join(" ")}; do`,
    `  ids=$("$${ENV.docker}" exec "$node" crictl ps -q --name "^$c\$")`,
    `  if [ -n "$ids" ]; then "$${ENV.docker}" exec "$node" crictl stop $ids >&2; restarted=1; fi`,
    "done",
    'if [ -n "$restarted" ]; then',
    `  server=$("$${ENV.kind}" get kubeconfig --name "$${ENV.clusterName}" | sed -n 's/^ *server: *//p')`,
    "  i=0",
    '  until [ "$(curl -sk "$server/readyz" || true)" = ok ]; do',
    "    i=$((i + 1))",
    '    if [ "$i" -ge 180 ]; then echo "kube-apiserver is not ready 180 s after the key update" >&2; exit 1; fi',
    "    sleep 1",
    "  done",
    "fi",
    "",
  ].join("\n");
}

/** Writes the config, creates the cluster from the key files already written, and prints only
 * the kubeconfig on stdout (kind's progress goes to stderr). */
export function kindCreateScript(files: readonly KindKeyFile[]): string {
  return [
    "set -eu",
    "umask 077",
    ...STATE_DIR_SCRIPT,
    'cd "$dir"',
    ...files.map(
      (f) =>
        `[ -s "${f.file}" ] || { echo "${f.file} is missing in $dir: the key command writes it" >&2; exit 1; }`,
    ),
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
