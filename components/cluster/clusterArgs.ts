import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";

import {
  InvalidArgumentError,
  describeValue,
  requireIntegerInRange,
  requireKnownObject,
  requireMatch,
  requireOneOf,
} from "../shared/errors";
import { checkAksVersion, checkKindVersion } from "./clusterVersions";
import { canonicalIssuer } from "../issuer/issuerUrl";
import { keyId, parsePublicKeyList, parseRsaPrivateKey, parseRsaPublicKey } from "../issuer/keys";
import {
  KubernetesVersion,
  parseKubernetesVersion,
  validateDns1123Label,
} from "../shared/kubernetes";

export type ClusterFlavor = "kind" | "aks";
export const FLAVORS: readonly ClusterFlavor[] = ["kind", "aks"];

/** Kind v0.33.0's default node image, pinned by digest as kind recommends; used when neither a
 * Kubernetes version nor an image is given. */
export const DEFAULT_KIND_KUBERNETES_VERSION = "1.37.0";
export const DEFAULT_KIND_NODE_IMAGE =
  "kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5";
export const DEFAULT_AKS_NODE_COUNT = 2;
export const DEFAULT_AKS_VM_SIZE = "Standard_D2s_v5";

/** What both flavors take. */
interface ClusterArgsBase {
  /** Cluster name (default: the component name). */
  clusterName?: string;
  /** Kind: the node image's version (default 1.37.0, kind v0.33's); AKS: the control plane's
   * (default: AKS's). */
  kubernetesVersion?: string;
}

/** A Kind cluster on this machine that signs tokens with the given key under the given issuer. */
export interface KindClusterArgs extends ClusterArgsBase {
  /** Plain, because it decides which resources exist. */
  flavor: "kind";
  /** The canonical issuer the API server stamps into tokens: OidcIssuer.apiServerIssuerUrl (the
   * same string as issuerUrl, without waiting for the documents; see there why). */
  issuerUrl: pulumi.Input<string>;
  /** The signing key pair (OidcIssuer.privateKeyPem / publicKeyPem). */
  signingKey: {
    /** PEM private key the API server signs with; a secret. */
    privateKeyPem: pulumi.Input<string>;
    /** Its PEM public key, which the API server also verifies with. */
    publicKeyPem: pulumi.Input<string>;
  };
  /** Public keys the API server accepts besides the signing key's (OidcIssuer's
   * additionalPublicKeysPem during a rotation). A change updates the running cluster. */
  additionalPublicKeysPem?: pulumi.Input<pulumi.Input<string>[]>;
  /** Node image (default `kindest/node:v<kubernetesVersion>`). */
  nodeImage?: string;
  /** Worker nodes beside the control plane (default 0). */
  workerCount?: number;
  /** Where the key files, config and kubeconfig live on this machine (default
   * `$XDG_STATE_HOME/azure-workload-identity/kind/<kind cluster name>`, that is
   * `~/.local/state/...`). Removed on destroy. */
  stateDir?: string;
  /** The kind binary (default `kind` on PATH). */
  kindBinary?: string;
  /** The container CLI kind's nodes run under, for a key update's restart (default `docker`). */
  dockerBinary?: string;

  // AKS only.
  resourceGroupName?: never;
  location?: never;
  nodeCount?: never;
  vmSize?: never;
  tags?: never;
}

/** AKS with its managed OIDC issuer and the workload identity add-on. */
export interface AksClusterArgs extends ClusterArgsBase {
  flavor: "aks";
  /** AKS only: the resource group of the managed cluster. */
  resourceGroupName: pulumi.Input<string>;
  /** AKS only: its Azure region (default: the Azure provider's). */
  location?: pulumi.Input<string>;
  /** AKS only: the system node pool size (default 2). */
  nodeCount?: number;
  /** AKS only: the system node pool's VM size (default Standard_D2s_v5). */
  vmSize?: string;
  /** AKS only: tags for the managed cluster. */
  tags?: Record<string, string>;

  // Kind only: AKS runs its own issuer and signing keys.
  issuerUrl?: never;
  signingKey?: never;
  additionalPublicKeysPem?: never;
  nodeImage?: never;
  workerCount?: never;
  stateDir?: never;
  kindBinary?: never;
  dockerBinary?: never;
}

/** `flavor: "kind"` or `flavor: "aks"`, each with only its own fields (checked at run time too,
 * for JavaScript callers). */
export type KindOrAksClusterArgs = KindClusterArgs | AksClusterArgs;

const KIND_ONLY = [
  "issuerUrl",
  "signingKey",
  "additionalPublicKeysPem",
  "nodeImage",
  "workerCount",
  "stateDir",
  "kindBinary",
  "dockerBinary",
] as const;
const AKS_ONLY = ["resourceGroupName", "location", "nodeCount", "vmSize", "tags"] as const;

export interface ResolvedKind {
  flavor: "kind";
  clusterName: string;
  version: KubernetesVersion;
  nodeImage: string;
  /** What may be wrong but cannot be known offline (a version newer than kind's images). */
  warnings: string[];
  workerCount: number;
  /** Undefined: the create script derives it (see kindCommands.ts). */
  stateDir: string | undefined;
  kindBinary: string;
  dockerBinary: string;
  issuerUrl: pulumi.Input<string>;
  privateKeyPem: pulumi.Input<string>;
  publicKeyPem: pulumi.Input<string>;
  additionalPublicKeysPem: pulumi.Input<pulumi.Input<string>[]>;
}

export interface ResolvedAks {
  flavor: "aks";
  clusterName: string;
  kubernetesVersion: string | undefined;
  resourceGroupName: pulumi.Input<string>;
  nodeCount: number;
  vmSize: string;
}

function rejectForeign(
  args: KindOrAksClusterArgs,
  fields: readonly string[],
  flavor: ClusterFlavor,
): void {
  for (const field of fields) {
    const value = (args as unknown as Record<string, unknown>)[field];
    if (value !== undefined) {
      throw new InvalidArgumentError(
        field,
        field === "signingKey"
          ? "a signing key"
          : describeValue(pulumi.Output.isInstance(value) ? "<Output>" : value),
        flavor === "aks"
          ? "not used by AKS, which runs its own managed issuer and signing keys; omit it"
          : 'only used with flavor "aks"; omit it for kind',
      );
    }
  }
}

/** A container image reference, such as a kind node image. */
export function validateImageReference(value: unknown, field: string): string {
  return requireMatch(
    value,
    field,
    /^[a-z0-9][a-z0-9._/:@-]*$/i,
    "expected an image reference such as kindest/node:v1.37.0",
  );
}

/** An Azure VM size name. */
export function validateVmSize(value: unknown, field: string): string {
  return requireMatch(
    value,
    field,
    /^Standard_[A-Za-z0-9_]+$/,
    "expected an Azure VM size such as Standard_D2s_v5",
  );
}

/** Validates the arguments for the chosen flavor and applies defaults. */
export function resolveClusterArgs(
  name: string,
  args: KindOrAksClusterArgs,
): ResolvedKind | ResolvedAks {
  requireKnownObject(
    args,
    "",
    ["flavor", "clusterName", "kubernetesVersion", ...KIND_ONLY, ...AKS_ONLY],
    "an object with a flavor",
  );
  const flavor = requireOneOf(args.flavor, "flavor", FLAVORS);
  if (flavor === "kind") {
    rejectForeign(args, AKS_ONLY, "kind");
    return resolveKind(name, args as KindClusterArgs);
  }
  rejectForeign(args, KIND_ONLY, "aks");
  return resolveAks(name, args as AksClusterArgs);
}

/** The node image's Kubernetes version and the image, checked against each other. */
function kindVersion(args: KindClusterArgs) {
  const version = parseKubernetesVersion(
    args.kubernetesVersion ?? DEFAULT_KIND_KUBERNETES_VERSION,
    "kubernetesVersion",
    true,
  );
  if (args.nodeImage !== undefined) validateImageReference(args.nodeImage, "nodeImage");
  const warning =
    args.kubernetesVersion === undefined
      ? undefined
      : checkKindVersion(version, args.nodeImage, {
          version: "kubernetesVersion",
          image: "nodeImage",
        });
  const nodeImage =
    args.nodeImage ??
    (args.kubernetesVersion === undefined
      ? DEFAULT_KIND_NODE_IMAGE
      : `kindest/node:v${version.text}`);
  return { version, nodeImage, warnings: warning ? [warning] : [] };
}

/** The issuer and key pair a kind cluster signs with, and the public keys it also accepts. */
function kindSigning(args: KindClusterArgs) {
  if (args.issuerUrl === undefined) {
    throw new InvalidArgumentError(
      "issuerUrl",
      "undefined",
      "a kind cluster needs the issuer it signs under (OidcIssuer.issuerUrl)",
    );
  }
  if (typeof args.issuerUrl === "string") canonicalIssuer(args.issuerUrl, "issuerUrl");
  const key = args.signingKey as KindClusterArgs["signingKey"] | undefined | null;
  if (
    key === undefined ||
    key === null ||
    key.privateKeyPem === undefined ||
    key.publicKeyPem === undefined
  ) {
    throw new InvalidArgumentError(
      key === undefined || key === null
        ? "signingKey"
        : key.privateKeyPem === undefined
          ? "signingKey.privateKeyPem"
          : "signingKey.publicKeyPem",
      "undefined",
      "a kind cluster needs the key pair it signs with (OidcIssuer.privateKeyPem and publicKeyPem)",
    );
  }
  if (typeof key.publicKeyPem === "string")
    parseRsaPublicKey(key.publicKeyPem, "signingKey.publicKeyPem");
  if (typeof key.privateKeyPem === "string")
    parseRsaPrivateKey(key.privateKeyPem, "signingKey.privateKeyPem");
  // Plain keys are checked now; keys that are outputs (generated ones) when they are known.
  const given = args.additionalPublicKeysPem ?? [];
  const extras =
    !Array.isArray(given) || given.some((k) => typeof k !== "string")
      ? given
      : parsePublicKeyList(
          given,
          "additionalPublicKeysPem",
          typeof key.publicKeyPem === "string"
            ? new Map([[keyId(key.publicKeyPem), "signingKey.publicKeyPem"]])
            : new Map<string, string>(),
        );
  return {
    issuerUrl: args.issuerUrl,
    privateKeyPem: key.privateKeyPem,
    publicKeyPem: key.publicKeyPem,
    additionalPublicKeysPem: extras,
  };
}

/** A command the cluster's scripts run: a name on PATH or a path. */
function commandName(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "") {
    throw new InvalidArgumentError(field, describeValue(value), "expected a command name or path");
  }
  return value;
}

function resolveKind(name: string, args: KindClusterArgs): ResolvedKind {
  // Kind names its node containers after the cluster; keep room for "-control-plane".
  const clusterName = validateDns1123Label(args.clusterName ?? name, "clusterName", 40);
  const stateDir = args.stateDir;
  if (
    stateDir !== undefined &&
    (typeof stateDir !== "string" ||
      !path.isAbsolute(stateDir) ||
      path.resolve(stateDir).split(path.sep).filter(Boolean).length < 2)
  ) {
    throw new InvalidArgumentError(
      "stateDir",
      describeValue(stateDir),
      "expected an absolute directory at least two levels below / (it is deleted on destroy)",
    );
  }
  return {
    flavor: "kind",
    clusterName,
    ...kindVersion(args),
    ...kindSigning(args),
    workerCount: requireIntegerInRange(args.workerCount ?? 0, "workerCount", 0, 10),
    stateDir: stateDir === undefined ? undefined : path.resolve(stateDir),
    kindBinary: commandName(args.kindBinary ?? "kind", "kindBinary"),
    dockerBinary: commandName(args.dockerBinary ?? "docker", "dockerBinary"),
  };
}

function resolveAks(name: string, args: AksClusterArgs): ResolvedAks {
  const clusterName = args.clusterName ?? name;
  if (
    typeof clusterName !== "string" ||
    !/^[a-zA-Z0-9](?:[a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?$/.test(clusterName)
  ) {
    throw new InvalidArgumentError(
      "clusterName",
      describeValue(clusterName),
      "expected 1 to 63 letters, digits, '-' and '_', starting and ending with a letter or digit",
    );
  }
  if (args.resourceGroupName === undefined) {
    throw new InvalidArgumentError(
      "resourceGroupName",
      "undefined",
      "an AKS cluster needs the resource group to live in",
    );
  }
  let kubernetesVersion: string | undefined;
  if (args.kubernetesVersion !== undefined) {
    const version = parseKubernetesVersion(args.kubernetesVersion);
    checkAksVersion(version, "kubernetesVersion", args.kubernetesVersion);
    kubernetesVersion = version.text;
  }
  const vmSize = args.vmSize ?? DEFAULT_AKS_VM_SIZE;
  validateVmSize(vmSize, "vmSize");
  return {
    flavor: "aks",
    clusterName,
    kubernetesVersion,
    resourceGroupName: args.resourceGroupName,
    nodeCount: requireIntegerInRange(args.nodeCount ?? DEFAULT_AKS_NODE_COUNT, "nodeCount", 1, 100),
    vmSize,
  };
}
