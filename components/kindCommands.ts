/**
 * The shell scripts `@pulumi/command` runs to create and delete the Kind cluster. Pure: they
 * read everything from environment variables, so no value (and no secret) is ever spliced into
 * a command line, a log line, or the script text kept in state.
 */
import { KindKeyFile } from "./kindConfig";

export const ENV = {
  clusterName: "WI_KIND_CLUSTER_NAME",
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

const GUARD_DIR = `case "$${ENV.stateDir}" in /?*/?*) ;; *) echo "refusing state directory '$${ENV.stateDir}'" >&2; exit 1 ;; esac`;

/**
 * Writes the key files owner-only (umask 077: files 0600, directory 0700), writes the config,
 * creates the cluster, and prints only the kubeconfig on stdout (kind's progress goes to stderr).
 */
export function kindCreateScript(files: KindKeyFile[]): string {
  const writes = files.map((f) => `printf '%s' "$${keyFileEnv(f)}" > "$${ENV.stateDir}/${f.file}"`);
  return [
    "set -eu",
    "umask 077",
    GUARD_DIR,
    `mkdir -p "$${ENV.stateDir}"`,
    `chmod 700 "$${ENV.stateDir}"`,
    ...writes,
    `printf '%s' "$${ENV.config}" > "$${ENV.stateDir}/kind.yaml"`,
    `"$${ENV.kind}" create cluster --name "$${ENV.clusterName}" --config "$${ENV.stateDir}/kind.yaml" --kubeconfig "$${ENV.stateDir}/kubeconfig" --wait 5m >&2`,
    `"$${ENV.kind}" get kubeconfig --name "$${ENV.clusterName}"`,
    "",
  ].join("\n");
}

/** Deletes the cluster, then the state directory with the keys and kubeconfig in it. */
export function kindDeleteScript(): string {
  return [
    "set -eu",
    GUARD_DIR,
    `"$${ENV.kind}" delete cluster --name "$${ENV.clusterName}" >&2`,
    `rm -rf -- "$${ENV.stateDir}"`,
    "",
  ].join("\n");
}
