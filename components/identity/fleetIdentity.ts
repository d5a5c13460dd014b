import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as managedidentity from "@pulumi/azure-native/managedidentity";

import { withOwner } from "../shared/errors";
import { canonicalIssuer } from "../issuer/issuerUrl";
import {
  FleetClusterArgs,
  FleetIdentityArgs,
  FleetMechanism,
  ResolvedFleetCluster,
  ResolvedFleetIdentityArgs,
  resolveFleetIdentityArgs,
} from "./fleetIdentityArgs";
import {
  IdentityRefs,
  annotatedServiceAccounts,
  assignRoles,
  claimIdentity,
  userAssignedIdentity,
} from "./identityParts";
import { RoleAssignmentOutput } from "./roles";
import {
  IDENTITY_BINDING_CREDENTIAL,
  IDENTITY_BINDING_RBAC,
  PodIdentity,
  USE_IDENTITY_BINDING_ANNOTATION,
  chooseServiceAccount,
  podIdentityFor,
} from "./workloadIdentityNames";

/** What one cluster of the fleet got: its mechanism, the issuer its tokens are trusted under,
 * its ServiceAccounts and the credentials written for it. */
export interface FleetClusterOutput {
  mechanism: FleetMechanism;
  issuer: string;
  serviceAccounts: string[];
  /** The FICs it owns; for a binding, the AKS-managed one it shares with the other bindings. */
  federatedCredentialNames: string[];
}

/** A pod's identity on a cluster bound through an identity binding: also an annotation. */
export interface FleetPodIdentity extends PodIdentity {
  annotations: Record<string, string>;
}

/**
 * One Entra identity used by workloads in many clusters: the user-assigned identity (created or
 * given) and its role assignments once, and for each cluster either a federated credential per
 * ServiceAccount under the cluster's issuer, or an AKS identity binding with the RBAC that lets
 * the named ServiceAccounts use it; the annotated ServiceAccounts in every cluster. The
 * identity's 20-credential budget is counted across clusters before anything is registered.
 */
export class FleetIdentity extends pulumi.ComponentResource {
  public readonly clientId: pulumi.Output<string>;
  public readonly principalId: pulumi.Output<string>;
  public readonly tenantId: pulumi.Output<string>;
  public readonly identityId: pulumi.Output<string>;
  /** Each cluster's part, by the cluster's name. */
  public readonly clusters: pulumi.Output<Record<string, FleetClusterOutput>>;
  /** The credentials the identity will have across the fleet (planned; at most 20). */
  public readonly credentialCount: number;
  public readonly roleAssignments: pulumi.Output<RoleAssignmentOutput[]>;
  /** The ServiceAccounts it created, by cluster, for `dependsOn`. */
  public readonly serviceAccountResources: Record<string, k8s.core.v1.ServiceAccount[]>;
  private readonly plan: ResolvedFleetIdentityArgs;
  private readonly componentName: string;

  constructor(name: string, args: FleetIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    const cfg = withOwner(`FleetIdentity ${name}`, "", () => {
      const resolved = resolveFleetIdentityArgs(name, args);
      claimIdentity(`FleetIdentity ${name}`, args, resolved.identityName);
      return resolved;
    });
    super("azure-wi:index:FleetIdentity", name, {}, opts);
    this.plan = cfg;
    this.componentName = name;
    this.credentialCount = cfg.credentials;

    const identity = userAssignedIdentity(this, name, cfg, args);
    this.clientId = identity.clientId;
    this.principalId = identity.principalId;
    this.identityId = identity.identityId;
    this.tenantId = identity.tenantId;
    this.roleAssignments = assignRoles(this, name, this.principalId, cfg.roleAssignments);

    const { outputs, serviceAccounts } = this.trustClusters(name, args, identity);
    this.serviceAccountResources = serviceAccounts;
    this.clusters = pulumi.all(outputs);
    this.registerOutputs({
      clientId: this.clientId,
      identityId: this.identityId,
      clusters: this.clusters,
    });
  }

  /**
   * Each cluster's trust (its FICs, or its binding and RBAC) and its annotated ServiceAccounts.
   * Every credential write on the identity, a binding's too (AKS writes its credential), is in
   * one chain: Azure refuses concurrent writes under one identity (HTTP 409,
   * ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity).
   */
  private trustClusters(name: string, args: FleetIdentityArgs, identity: IdentityRefs) {
    let previous: pulumi.Resource | undefined;
    const outputs: Record<string, pulumi.Output<FleetClusterOutput>> = {};
    const serviceAccounts: Record<string, k8s.core.v1.ServiceAccount[]> = {};
    this.plan.clusters.forEach((cluster, i) => {
      const given = args.clusters[i];
      const trust =
        cluster.mechanism === "federatedCredential"
          ? this.federatedCredentials(name, cluster, given, identity, previous)
          : this.identityBinding(name, cluster, given, identity, previous);
      previous = trust.last ?? previous;
      serviceAccounts[cluster.name] = annotatedServiceAccounts(
        this,
        `${name}-${cluster.name}`,
        identity,
        cluster.serviceAccounts,
        {
          tokenExpirationSeconds: this.plan.tokenExpirationSeconds,
          provider: given.provider,
          dependsOn: () => given.serviceAccountDependsOn ?? [],
        },
      );
      outputs[cluster.name] = pulumi.output(trust.issuer).apply((issuer) => ({
        mechanism: cluster.mechanism,
        issuer,
        serviceAccounts: cluster.serviceAccounts.map((sa) => `${sa.namespace}/${sa.name}`),
        federatedCredentialNames:
          cluster.mechanism === "federatedCredential"
            ? cluster.serviceAccounts.map((sa) => sa.ficName)
            : [IDENTITY_BINDING_CREDENTIAL],
      }));
    });
    return { outputs, serviceAccounts };
  }

  /** One FIC per ServiceAccount under the cluster's issuer, continuing the chain. */
  private federatedCredentials(
    name: string,
    cluster: ResolvedFleetCluster,
    given: FleetClusterArgs,
    identity: IdentityRefs,
    previous: pulumi.Resource | undefined,
  ) {
    const issuer = pulumi
      .output(given.issuerUrl!)
      .apply((u) => canonicalIssuer(u, `clusters.${cluster.name}.issuerUrl`));
    let last = previous;
    for (const sa of cluster.serviceAccounts) {
      last = new managedidentity.FederatedIdentityCredential(
        `${name}-${cluster.name}-fic-${sa.key}`,
        {
          resourceName: identity.name,
          resourceGroupName: identity.resourceGroupName,
          federatedIdentityCredentialResourceName: sa.ficName,
          issuer,
          subject: sa.subject,
          audiences: this.plan.audiences,
        },
        { parent: this, dependsOn: last ? [last] : [] },
      );
    }
    return { issuer, last };
  }

  /**
   * The AKS identity binding, and in the cluster the ClusterRole granting `use-managed-identity`
   * on the identity's client id to exactly the cluster's ServiceAccounts.
   */
  private identityBinding(
    name: string,
    cluster: ResolvedFleetCluster,
    given: FleetClusterArgs,
    identity: IdentityRefs,
    previous: pulumi.Resource | undefined,
  ) {
    const target = given.identityBinding!;
    const binding = new containerservice.IdentityBinding(
      `${name}-${cluster.name}-binding`,
      {
        resourceGroupName: target.resourceGroupName,
        resourceName: target.clusterName,
        // One binding per identity and cluster: the identity's Azure name names it.
        identityBindingName: this.plan.existing?.name ?? this.plan.identityName,
        properties: { managedIdentity: { resourceId: identity.identityId } },
      },
      { parent: this, dependsOn: previous ? [previous] : [] },
    );
    const role = new k8s.rbac.v1.ClusterRole(
      `${name}-${cluster.name}-use-identity`,
      {
        rules: [
          {
            apiGroups: [IDENTITY_BINDING_RBAC.apiGroup],
            resources: [identity.clientId],
            verbs: [IDENTITY_BINDING_RBAC.verb],
          },
        ],
      },
      { parent: this, provider: given.provider },
    );
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-${cluster.name}-use-identity`,
      {
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: role.metadata.name,
        },
        subjects: cluster.serviceAccounts.map((sa) => ({
          kind: "ServiceAccount",
          name: sa.name,
          namespace: sa.namespace,
        })),
      },
      { parent: this, provider: given.provider },
    );
    return { issuer: binding.properties.oidcIssuer.oidcIssuerUrl, last: binding };
  }

  /**
   * The label (and, through a binding, the annotation) and ServiceAccount a pod of `cluster`
   * needs to use this identity: for the given ServiceAccount, or the first one created there.
   */
  podIdentity(
    cluster: string,
    serviceAccount?: { namespace: string; name: string },
  ): FleetPodIdentity {
    const planned = this.plan.clusters.find((c) => c.name === cluster);
    if (!planned) {
      throw new Error(`${this.componentName}: no cluster ${JSON.stringify(cluster)} in this fleet`);
    }
    const chosen = chooseServiceAccount(
      planned.serviceAccounts,
      serviceAccount,
      this.componentName,
      `in cluster ${cluster}`,
    );
    return {
      ...podIdentityFor(chosen),
      annotations:
        planned.mechanism === "identityBinding"
          ? { [USE_IDENTITY_BINDING_ANNOTATION]: "true" }
          : {},
    };
  }
}
