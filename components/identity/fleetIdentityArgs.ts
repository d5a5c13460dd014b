/**
 * One identity trusted by many clusters: the arguments, checked, each cluster's mechanism (a
 * federated credential per ServiceAccount under the cluster's issuer, or an AKS identity
 * binding), and the credential budget planned before anything is registered. Pure.
 */
import * as pulumi from "@pulumi/pulumi";

import {
  InvalidArgumentError,
  describeValue,
  requireKnownObject,
  requireIntegerInRange,
} from "../shared/errors";
import { canonicalIssuer } from "../issuer/issuerUrl";
import { validateDns1123Label } from "../shared/kubernetes";
import {
  IDENTITY_ARGS,
  ResolvedServiceAccount,
  ResolvedWorkloadIdentityArgs,
  TrustedServiceAccount,
  WorkloadIdentityArgs,
  resolveAudiences,
  resolveIdentity,
  resolveRoleAssignments,
  resolveServiceAccounts,
  resolveTokenExpiration,
} from "./workloadIdentityArgs";
import { MAX_FICS_PER_IDENTITY, fleetFicName } from "./workloadIdentityNames";

/** An AKS cluster that binds the identity (Microsoft.ContainerService identityBindings). */
export interface IdentityBindingTarget {
  resourceGroupName: pulumi.Input<string>;
  /** The managed cluster's Azure name. */
  clusterName: pulumi.Input<string>;
}

export interface FleetClusterArgs {
  /** A short name for the cluster, unique in the fleet: it leads its resources' and
   * credentials' names (a DNS label of at most 20 characters). */
  name: string;
  /** The ServiceAccounts of this cluster that may use the identity. */
  serviceAccounts: TrustedServiceAccount[];
  /** One federated credential per ServiceAccount under this issuer: kind (OidcIssuer), AKS
   * without bindings (its oidcIssuerProfile), OpenShift. */
  issuerUrl?: pulumi.Input<string>;
  /** Instead, an AKS identity binding: one AKS-managed credential for every cluster bound to
   * the identity, whatever the number of clusters and ServiceAccounts. */
  identityBinding?: IdentityBindingTarget;
  /** The cluster's Kubernetes provider: its ServiceAccounts (and a binding's RBAC) go there. */
  provider?: pulumi.ProviderResource;
  /** What this cluster's ServiceAccounts wait for, such as namespaces made by the caller. */
  serviceAccountDependsOn?: pulumi.Resource[];
}

export interface FleetIdentityArgs extends Pick<
  WorkloadIdentityArgs,
  | "resourceGroupName"
  | "location"
  | "identityName"
  | "existingIdentity"
  | "tenantId"
  | "audiences"
  | "tokenExpirationSeconds"
  | "roleAssignments"
  | "tags"
> {
  /** Every cluster whose workloads use the identity, and how. */
  clusters: FleetClusterArgs[];
  /** Federated credentials the identity has that this component does not write (another
   * stack's, made by hand), counted in its 20. Default 0. */
  otherCredentials?: number;
}

export type FleetMechanism = "federatedCredential" | "identityBinding";

export interface ResolvedFleetCluster {
  name: string;
  mechanism: FleetMechanism;
  serviceAccounts: (ResolvedServiceAccount & { ficName: string })[];
  /** The credentials it writes on the identity (a binding's one is shared: see credentials). */
  credentials: number;
}

export interface ResolvedFleetIdentityArgs extends Omit<
  ResolvedWorkloadIdentityArgs,
  "serviceAccounts" | "createNamespaces"
> {
  clusters: ResolvedFleetCluster[];
  /** Every credential the identity will have: the FICs, one for all bindings, the others. */
  credentials: number;
}

const FLEET_ARGS = ["clusters", "otherCredentials", ...IDENTITY_ARGS, "roleAssignments", "tags"];
const CLUSTER_ARGS = [
  "name",
  "serviceAccounts",
  "issuerUrl",
  "identityBinding",
  "provider",
  "serviceAccountDependsOn",
];
/** Cluster names lead resource and credential names: kept short. */
const MAX_CLUSTER_NAME = 20;

/** An identity binding's cluster: its resource group and Azure name, both given. */
function checkBindingTarget(target: unknown, field: string): void {
  const b = requireKnownObject(
    target,
    `${field}.identityBinding`,
    ["resourceGroupName", "clusterName"],
    "{ resourceGroupName, clusterName }",
  );
  const what = { resourceGroupName: "resource group", clusterName: "Azure name" } as const;
  for (const k of ["resourceGroupName", "clusterName"] as const) {
    if (b[k] === undefined || b[k] === "") {
      throw new InvalidArgumentError(
        `${field}.identityBinding.${k}`,
        describeValue(b[k]),
        `expected the AKS cluster's ${what[k]}`,
      );
    }
  }
}

/** One cluster: its name, its mechanism (exactly one of issuerUrl, identityBinding) and
 * ServiceAccounts, with fleet-wide credential names. */
function resolveCluster(given: unknown, field: string): ResolvedFleetCluster {
  const c = requireKnownObject(
    given,
    field,
    CLUSTER_ARGS,
    "{ name, serviceAccounts, issuerUrl | identityBinding, provider }",
  ) as unknown as FleetClusterArgs;
  const name = validateDns1123Label(c.name, `${field}.name`, MAX_CLUSTER_NAME);
  if ((c.issuerUrl === undefined) === (c.identityBinding === undefined)) {
    throw new InvalidArgumentError(
      field,
      c.issuerUrl === undefined
        ? "neither issuerUrl nor identityBinding"
        : "both issuerUrl and identityBinding",
      "expected one: issuerUrl (a federated credential per ServiceAccount) or identityBinding (AKS)",
    );
  }
  if (typeof c.issuerUrl === "string") canonicalIssuer(c.issuerUrl, `${field}.issuerUrl`);
  if (c.identityBinding !== undefined) checkBindingTarget(c.identityBinding, field);
  const mechanism: FleetMechanism = c.identityBinding ? "identityBinding" : "federatedCredential";
  const serviceAccounts = resolveServiceAccounts(
    c.serviceAccounts,
    `${field}.serviceAccounts`,
    false,
  );
  if (serviceAccounts.length === 0) {
    throw new InvalidArgumentError(
      `${field}.serviceAccounts`,
      "[]",
      "expected at least one { namespace, name }",
    );
  }
  return {
    name,
    mechanism,
    serviceAccounts: serviceAccounts.map((sa) => ({
      ...sa,
      ficName: fleetFicName(name, sa.namespace, sa.name),
    })),
    credentials: mechanism === "federatedCredential" ? serviceAccounts.length : 0,
  };
}

/**
 * The identity's credentials across the fleet: one per ServiceAccount of each FIC cluster, one
 * for all its identity bindings, and those made elsewhere. Past 20 it throws, naming the
 * clusters and the ways out.
 */
export function planCredentials(
  clusters: ResolvedFleetCluster[],
  otherCredentials: number,
): number {
  const bindings = clusters.filter((c) => c.mechanism === "identityBinding");
  const total =
    clusters.reduce((n, c) => n + c.credentials, 0) + (bindings.length ? 1 : 0) + otherCredentials;
  if (total <= MAX_FICS_PER_IDENTITY) return total;
  const parts = [
    ...clusters.filter((c) => c.credentials).map((c) => `${c.name} ${c.credentials}`),
    ...(bindings.length ? [`identity bindings 1 (${bindings.map((c) => c.name).join(", ")})`] : []),
    ...(otherCredentials ? [`made elsewhere ${otherCredentials}`] : []),
  ];
  throw new InvalidArgumentError(
    "clusters",
    `${total} federated credentials (${parts.join(", ")})`,
    `expected at most ${MAX_FICS_PER_IDENTITY}, Entra's limit per identity: bind AKS clusters through identityBinding (one credential for all of them), or give some ServiceAccounts a second identity`,
  );
}

/** Two clusters under one issuer (two kind clusters signing with one OidcIssuer's key) cannot
 * both trust one subject: Azure refuses a second credential with the same issuer and subject. */
function checkSharedIssuers(clusters: FleetClusterArgs[]): void {
  const subjects = new Map<string, number>();
  clusters.forEach((c, i) => {
    if (typeof c.issuerUrl !== "string") return;
    const issuer = canonicalIssuer(c.issuerUrl, `clusters[${i}].issuerUrl`);
    for (const sa of c.serviceAccounts) {
      const key = `${issuer}\n${sa.namespace}/${sa.name}`;
      const twin = subjects.get(key);
      if (twin !== undefined) {
        throw new InvalidArgumentError(
          `clusters[${i}].serviceAccounts`,
          `${sa.namespace}/${sa.name} under ${issuer}`,
          `clusters[${twin}] trusts it under the same issuer already; a token of either cluster is the same to Entra: trust it once`,
        );
      }
      subjects.set(key, i);
    }
  });
}

/** Every argument checked and the budget planned, before anything is registered. */
export function resolveFleetIdentityArgs(
  name: string,
  args: FleetIdentityArgs,
): ResolvedFleetIdentityArgs {
  requireKnownObject(
    args,
    "",
    FLEET_ARGS,
    "FleetIdentityArgs: { clusters, resourceGroupName, ... }",
  );
  const identityName = args.identityName ?? name;
  const existing = resolveIdentity(args, identityName);
  if (!Array.isArray(args.clusters) || args.clusters.length === 0) {
    throw new InvalidArgumentError(
      "clusters",
      describeValue(args.clusters),
      "expected a non-empty list of { name, serviceAccounts, issuerUrl | identityBinding }",
    );
  }
  const seen = new Map<string, number>();
  const clusters = args.clusters.map((c, i) => {
    const resolved = resolveCluster(c, `clusters[${i}]`);
    const twin = seen.get(resolved.name);
    if (twin !== undefined) {
      throw new InvalidArgumentError(
        `clusters[${i}].name`,
        JSON.stringify(resolved.name),
        `clusters[${twin}] has that name already; each cluster once`,
      );
    }
    seen.set(resolved.name, i);
    return resolved;
  });
  checkSharedIssuers(args.clusters);
  const other =
    args.otherCredentials === undefined
      ? 0
      : requireIntegerInRange(args.otherCredentials, "otherCredentials", 0, MAX_FICS_PER_IDENTITY);
  return {
    identityName,
    existing,
    clusters,
    credentials: planCredentials(clusters, other),
    audiences: resolveAudiences(args.audiences),
    tokenExpirationSeconds: resolveTokenExpiration(args.tokenExpirationSeconds),
    roleAssignments: resolveRoleAssignments(args.roleAssignments),
  };
}
