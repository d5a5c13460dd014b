/**
 * The Kind cluster configuration that makes kube-apiserver sign service-account tokens with our
 * key under our issuer. Pure: rendered from plain values, parsed back in tests.
 */
import * as crypto from "node:crypto";

import * as YAML from "yaml";

import { jwksUri } from "./issuer";
import { KubernetesVersion } from "./kubernetes";

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

/** One key file: written on the host by the create script, mounted into the control plane. */
export interface KindKeyFile {
  /** File name inside the cluster's key folder (the create script's working directory). */
  file: string;
  /** Path inside the control-plane node. */
  containerPath: string;
  /** Which PEM(s) it holds. */
  holds: "private" | "public" | "public+extras" | { extra: number };
}

/**
 * Which key files the cluster needs. kube-apiserver accepts a repeated
 * `--service-account-key-file`, and a key file may hold several PEM keys:
 * - v1beta4 (list-style args): one file per extra key, each its own flag entry;
 * - v1beta3 (a map holds a flag once): the extra keys are appended to `sa.pub` itself.
 */
export function kindKeyFiles(shape: KubeadmShape, extraKeyCount: number): KindKeyFile[] {
  const files: KindKeyFile[] = [
    {
      file: "sa.pub",
      containerPath: SA_PUBLIC_KEY,
      holds: shape === "v1beta3" && extraKeyCount > 0 ? "public+extras" : "public",
    },
    { file: "sa.key", containerPath: SA_PRIVATE_KEY, holds: "private" },
  ];
  if (shape === "v1beta4") {
    for (let i = 0; i < extraKeyCount; i++) {
      files.push({
        file: `sa-extra-${i}.pub`,
        containerPath: `${NODE_PKI}/sa-extra-${i}.pub`,
        holds: { extra: i },
      });
    }
  }
  return files;
}

export interface KindConfigInput {
  issuerUrl: string;
  version: KubernetesVersion;
  nodeImage: string;
  workerCount: number;
  extraKeyCount: number;
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
 * API server would lose the key it signs with. Extra key files go in {@link kubeadmJsonPatches}.
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

/** A kind RFC 6902 patch: which document it applies to and its operations. */
export interface KindJsonPatch {
  group: string;
  version: string;
  kind: string;
  /** The operations, as YAML. */
  patch: string;
}

/**
 * v1beta4 only: one more `service-account-key-file` per rotation key, appended to the API
 * server's list. Kind applies RFC 6902 patches after merge patches, and `add` at `/-` appends, so
 * these repeat the flag instead of overwriting it. (v1beta3's map cannot repeat a flag; there the
 * rotation keys share sa.pub, see {@link kindKeyFiles}.)
 */
export function kubeadmJsonPatches(input: KindConfigInput): KindJsonPatch[] {
  const shape = kubeadmShape(input.version);
  const extras = kindKeyFiles(shape, input.extraKeyCount).filter(
    (f) => typeof f.holds === "object",
  );
  if (shape !== "v1beta4" || extras.length === 0) return [];
  const ops = extras.map((f) => ({
    op: "add",
    path: "/apiServer/extraArgs/-",
    value: { name: "service-account-key-file", value: f.containerPath },
  }));
  return [
    {
      group: "kubeadm.k8s.io",
      version: "v1beta4",
      kind: "ClusterConfiguration",
      patch: YAML.stringify(ops, { lineWidth: 0 }),
    },
  ];
}

/** Renders the kind `Cluster` configuration as YAML. */
export function renderKindConfig(input: KindConfigInput): string {
  const shape = kubeadmShape(input.version);
  const jsonPatches = kubeadmJsonPatches(input);
  const controlPlane = {
    role: "control-plane",
    image: input.nodeImage,
    extraMounts: kindKeyFiles(shape, input.extraKeyCount).map((f) => ({
      // Relative: the create script runs kind in the key folder, wherever that is, so the
      // configuration (kept in state) does not depend on the machine or the checkout.
      hostPath: f.file,
      containerPath: f.containerPath,
      readOnly: true,
    })),
    kubeadmConfigPatches: [YAML.stringify(kubeadmPatch(input), { lineWidth: 0 })],
    ...(jsonPatches.length > 0 ? { kubeadmConfigPatchesJSON6902: jsonPatches } : {}),
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
 * The name kind gives the cluster: the configured name and a short hash of everything the
 * cluster is made from (the configuration and the public keys). kind cannot change a running
 * cluster, so any such change makes a new one; under a new name it is created before the old one
 * is deleted, and the Kubernetes provider and everything in the cluster move over to it while the
 * old cluster still answers their deletes.
 */
export function kindClusterName(base: string, parts: string[]): string {
  const digest = crypto.createHash("sha256").update(parts.join("\u0000")).digest("hex");
  return `${base}-${digest.slice(0, 6)}`;
}
