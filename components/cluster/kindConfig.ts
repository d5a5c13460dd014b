/**
 * The Kind cluster configuration that makes kube-apiserver sign service-account tokens with our
 * key under our issuer. Pure: rendered from plain values, parsed back in tests.
 */
import * as crypto from "node:crypto";

import * as YAML from "yaml";

import { jwksUri } from "../issuer/issuerUrl";
import { KubernetesVersion } from "../shared/kubernetes";

/** Where kubeadm expects the service-account keys inside the control-plane node. */
export const NODE_PKI = "/etc/kubernetes/pki";
export const SA_PUBLIC_KEY = `${NODE_PKI}/sa.pub`;
export const SA_PRIVATE_KEY = `${NODE_PKI}/sa.key`;

/** The first Kubernetes minor for which kind renders kubeadm v1beta4 (list-style extraArgs;
 * kind PR #4173). Before it, kind writes v1beta3 (map-style extraArgs). */
export const FIRST_V1BETA4_MINOR = 36;

export type KubeadmShape = "v1beta3" | "v1beta4";

export function kubeadmShape(version: KubernetesVersion): KubeadmShape {
  return version.minor >= FIRST_V1BETA4_MINOR ? "v1beta4" : "v1beta3";
}

/** One key file: written on the host by the key script, mounted into the control plane. */
export interface KindKeyFile {
  /** File name inside the cluster's key folder (the scripts' working directory). */
  file: string;
  /** Path inside the control-plane node. */
  containerPath: string;
  /** The signing key's private half, or every public key the API server accepts. */
  holds: "private" | "public";
}

/**
 * The two key files, whatever the rotation phase: `sa.key` (the signing key) and `sa.pub` (every
 * accepted public key, the signing key's first; kube-apiserver reads every key in the file).
 * The API server's flags never change, so a rotation changes file contents only and the running
 * cluster takes it with a restart of the components that read them (kindKeysUpdateScript).
 */
export const KIND_KEY_FILES: readonly KindKeyFile[] = [
  { file: "sa.pub", containerPath: SA_PUBLIC_KEY, holds: "public" },
  { file: "sa.key", containerPath: SA_PRIVATE_KEY, holds: "private" },
];

export interface KindConfigInput {
  issuerUrl: string;
  version: KubernetesVersion;
  nodeImage: string;
  workerCount: number;
}

type Flag = [name: string, value: string];

function extraArgs(
  shape: KubeadmShape,
  flags: Flag[],
): Record<string, string> | { name: string; value: string }[] {
  return shape === "v1beta4"
    ? flags.map(([name, value]) => ({ name, value }))
    : Object.fromEntries(flags);
}

/**
 * The kubeadm ClusterConfiguration merge patch, as an object (tests read it back from the YAML).
 * It holds each flag once: kind (v0.33, pkg/internal/patch) merges v1beta4 extraArgs lists by
 * name, so a second `service-account-key-file` in a merge patch would overwrite the first, and the
 * API server would lose the key it signs with. Every accepted key is in one file instead.
 */
export function kubeadmPatch(input: KindConfigInput): Record<string, unknown> {
  const shape = kubeadmShape(input.version);
  const apiServer: Flag[] = [
    ["service-account-issuer", input.issuerUrl],
    // Without it kube-apiserver's own discovery document names https://<its address>/openid/v1/jwks;
    // with it, the document it serves is byte for byte the one the issuer publishes.
    ["service-account-jwks-uri", jwksUri(input.issuerUrl)],
    ["service-account-key-file", SA_PUBLIC_KEY],
    ["service-account-signing-key-file", SA_PRIVATE_KEY],
  ];
  const controllerManager: Flag[] = [
    // Kind versions that merge lists wholesale instead of by name would drop the one flag kind
    // itself sets on the controller manager; repeating it keeps it either way.
    ...(shape === "v1beta4" ? [["enable-hostpath-provisioner", "true"] as Flag] : []),
    ["service-account-private-key-file", SA_PRIVATE_KEY],
  ];
  // No apiVersion: kind matches a patch by kind (and by apiVersion only when given), so the patch
  // can never be skipped silently because kind chose another kubeadm API version.
  return {
    kind: "ClusterConfiguration",
    apiServer: { extraArgs: extraArgs(shape, apiServer) },
    controllerManager: { extraArgs: extraArgs(shape, controllerManager) },
  };
}

/** Renders the kind `Cluster` configuration as YAML. */
export function renderKindConfig(input: KindConfigInput): string {
  const controlPlane = {
    role: "control-plane",
    image: input.nodeImage,
    extraMounts: KIND_KEY_FILES.map((f) => ({
      // Relative: the create script runs kind in the key folder, wherever that is, so the
      // configuration (kept in state) does not depend on the machine or the checkout.
      hostPath: f.file,
      containerPath: f.containerPath,
      readOnly: true,
    })),
    kubeadmConfigPatches: [YAML.stringify(kubeadmPatch(input), { lineWidth: 0 })],
  };
  const workers = Array.from({ length: input.workerCount }, () => ({
    role: "worker",
    image: input.nodeImage,
  }));
  const doc = {
    kind: "Cluster",
    apiVersion: "kind.x-k8s.io/v1alpha4",
    nodes: [controlPlane, ...workers],
  };
  return YAML.stringify(doc, { lineWidth: 0 });
}

/**
 * The name kind gives the cluster: the configured name and a short hash of what the cluster is
 * made from (its configuration; not its keys, which change in a running cluster). kind cannot
 * change a running cluster's configuration, so a new one makes a new cluster; under a new name it
 * is created before the old one is deleted, and the Kubernetes provider and everything in the
 * cluster move over to it while the old cluster still answers their deletes.
 */
export function kindClusterName(base: string, parts: string[]): string {
  const digest = crypto.createHash("sha256").update(parts.join("\u0000")).digest("hex");
  return `${base}-${digest.slice(0, 6)}`;
}
