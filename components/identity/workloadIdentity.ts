import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as managedidentity from "@pulumi/azure-native/managedidentity";

import { withOwner } from "../shared/errors";
import { canonicalIssuer } from "../issuer/issuerUrl";
import { namespacesToCreate } from "../shared/kubernetes";
import { splitKubernetesProvider } from "../shared/providers";
import { RoleAssignmentOutput } from "./roles";
import {
  ResolvedWorkloadIdentityArgs,
  WorkloadIdentityArgs,
  resolveWorkloadIdentityArgs,
} from "./workloadIdentityArgs";
import {
  annotatedServiceAccounts,
  assignRoles,
  claimIdentity,
  userAssignedIdentity,
} from "./identityParts";
import { PodIdentity, chooseServiceAccount, podIdentityFor } from "./workloadIdentityNames";

/**
 * An Entra identity that pods of a cluster can use: a user-assigned managed identity (created or
 * given), one federated credential per trusted ServiceAccount, the annotated ServiceAccounts, and
 * role assignments for its principal.
 */
export class WorkloadIdentity extends pulumi.ComponentResource {
  /** The identity's client id: the ServiceAccounts' `azure.workload.identity/client-id`. */
  public readonly clientId: pulumi.Output<string>;
  /** The identity's principal (object) id, which roles are granted to. */
  public readonly principalId: pulumi.Output<string>;
  /** The tenant the ServiceAccounts are annotated with. */
  public readonly tenantId: pulumi.Output<string>;
  /** The identity's Azure resource id. */
  public readonly identityId: pulumi.Output<string>;
  /** `namespace/name` of every ServiceAccount this identity trusts (created or not). */
  public readonly serviceAccounts: pulumi.Output<string[]>;
  /** The ServiceAccounts it created, for `dependsOn`. */
  public readonly serviceAccountResources: k8s.core.v1.ServiceAccount[];
  /** The FIC names, in creation order. */
  public readonly federatedCredentialNames: pulumi.Output<string[]>;
  /** The role assignments made: where, and which role definition (what `doctor` checks). */
  public readonly roleAssignments: pulumi.Output<RoleAssignmentOutput[]>;
  private readonly componentName: string;
  private readonly trusted: { namespace: string; name: string; create: boolean }[];

  constructor(name: string, args: WorkloadIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    const cfg = withOwner(`WorkloadIdentity ${name}`, "", () => {
      const resolved = resolveWorkloadIdentityArgs(name, args);
      claimIdentity(`WorkloadIdentity ${name}`, args, resolved.identityName);
      return resolved;
    });
    const { kubernetes, rest } = splitKubernetesProvider(opts);
    super("azure-wi:index:WorkloadIdentity", name, {}, rest);
    this.componentName = name;
    this.trusted = cfg.serviceAccounts;

    const identity = userAssignedIdentity(this, name, cfg, args);
    this.clientId = identity.clientId;
    this.principalId = identity.principalId;
    this.identityId = identity.identityId;
    this.tenantId = identity.tenantId;
    this.federatedCredentials(name, cfg, args, identity);
    this.serviceAccountResources = this.kubernetesObjects(name, cfg, args, kubernetes);
    this.roleAssignments = assignRoles(this, name, this.principalId, cfg.roleAssignments);
    this.serviceAccounts = pulumi.output(
      cfg.serviceAccounts.map((sa) => `${sa.namespace}/${sa.name}`),
    );
    // The names are ours (cfg), known before anything exists.
    this.federatedCredentialNames = pulumi.output(cfg.serviceAccounts.map((sa) => sa.ficName));
    this.registerOutputs({
      clientId: this.clientId,
      principalId: this.principalId,
      tenantId: this.tenantId,
      identityId: this.identityId,
      serviceAccounts: this.serviceAccounts,
      federatedCredentialNames: this.federatedCredentialNames,
      roleAssignments: this.roleAssignments,
    });
  }

  /**
   * One FIC per ServiceAccount. Azure refuses concurrent FIC writes under one identity (HTTP
   * 409, ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity;
   * pulumi-azure-native #4343): they are chained. Other identities still go in parallel.
   */
  private federatedCredentials(
    name: string,
    cfg: ResolvedWorkloadIdentityArgs,
    args: WorkloadIdentityArgs,
    identity: { resourceGroupName: pulumi.Input<string>; name: pulumi.Input<string> },
  ): void {
    const issuer = pulumi.output(args.issuerUrl).apply((u) => canonicalIssuer(u, "issuerUrl"));
    let previous: managedidentity.FederatedIdentityCredential | undefined;
    for (const sa of cfg.serviceAccounts) {
      previous = new managedidentity.FederatedIdentityCredential(
        `${name}-fic-${sa.key}`,
        {
          resourceName: identity.name,
          resourceGroupName: identity.resourceGroupName,
          federatedIdentityCredentialResourceName: sa.ficName,
          issuer,
          subject: sa.subject,
          audiences: cfg.audiences,
        },
        { parent: this, dependsOn: previous ? [previous] : [] },
      );
    }
  }

  /** The namespaces it creates (createNamespaces) and the annotated ServiceAccounts. */
  private kubernetesObjects(
    name: string,
    cfg: ResolvedWorkloadIdentityArgs,
    args: WorkloadIdentityArgs,
    kubernetes: pulumi.ProviderResource | undefined,
  ): k8s.core.v1.ServiceAccount[] {
    const namespaces = new Map<string, k8s.core.v1.Namespace>();
    if (cfg.createNamespaces) {
      for (const ns of namespacesToCreate(
        cfg.serviceAccounts.filter((s) => s.create).map((s) => s.namespace),
      )) {
        namespaces.set(
          ns,
          new k8s.core.v1.Namespace(
            `${name}-ns-${ns}`,
            { metadata: { name: ns } },
            { parent: this, provider: kubernetes },
          ),
        );
      }
    }
    return annotatedServiceAccounts(this, name, this, cfg.serviceAccounts, {
      tokenExpirationSeconds: cfg.tokenExpirationSeconds,
      provider: kubernetes,
      dependsOn: (sa) => [
        ...(args.serviceAccountDependsOn ?? []),
        ...(namespaces.has(sa.namespace) ? [namespaces.get(sa.namespace)!] : []),
      ],
    });
  }

  /**
   * The pod label and ServiceAccount a pod needs to use this identity: for the given trusted
   * ServiceAccount, or the first one this identity created.
   */
  podIdentity(serviceAccount?: { namespace: string; name: string }): PodIdentity {
    return podIdentityFor(
      chooseServiceAccount(this.trusted, serviceAccount, this.componentName, "by this identity"),
    );
  }
}
