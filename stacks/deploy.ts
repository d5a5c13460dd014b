/**
 * What a stack deploys, composed from the components according to its typed config:
 * - kind: resource group, OidcIssuer, Kind cluster signing with its key, Webhook, identities;
 * - aks: resource group, AKS with its managed issuer (the add-on runs the webhook), identities.
 * `index.ts` calls this with the parsed config; tests and the offline plan call it too.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";

import { capzManifests } from "../components/capz/capzManifests";
import { OpenShiftCredentials } from "../components/openshift/openShiftCredentials";
import { RoleAssignmentOutput } from "../components/identity/roles";
import { WorkloadIdentity } from "../components/identity/workloadIdentity";
import { StackConfig } from "./config";
import { demoPodSpec } from "./demo";
import { FixedPart, deployFixedPart } from "./fixedPart";
import { DeployOptions, RotationOutputs } from "./issuerKeys";

export { deployFixedPart } from "./fixedPart";
export type { FixedPart } from "./fixedPart";
export type { DeployOptions } from "./issuerKeys";

export interface IdentityOutputs {
  clientId: pulumi.Output<string>;
  principalId: pulumi.Output<string>;
  /** The identity's Azure resource id: where `doctor` reads its federated credentials. */
  identityId: pulumi.Output<string>;
  serviceAccounts: pulumi.Output<string[]>;
  roleAssignments: pulumi.Output<RoleAssignmentOutput[]>;
}

export interface StackOutputs extends RotationOutputs {
  flavor: string;
  issuerUrl: pulumi.Output<string>;
  kubeconfig: pulumi.Output<string>;
  clusterName: pulumi.Output<string>;
  resourceGroupName: pulumi.Output<string>;
  tenantId: pulumi.Output<string>;
  identities: Record<string, IdentityOutputs>;
  /** kind only */
  jwksUri?: pulumi.Output<string>;
  keyId?: pulumi.Output<string>;
  /** The signing key's public half: what a rotation keeps publishing for a while. */
  signingPublicKeyPem?: pulumi.Output<string>;
  storageAccountName?: pulumi.Output<string>;
  kindConfig?: pulumi.Output<string>;
  webhookNamespace?: pulumi.Output<string>;
  demoPod?: pulumi.Output<string>;
  /** OpenShift: the Secret manifests for the CredentialsRequests, and the Authentication. */
  openshiftSecrets?: pulumi.Output<string[]>;
  openshiftAuthentication?: pulumi.Output<string>;
  /** Cluster API: the AzureClusterIdentity, and the workload cluster's key Secret (a secret). */
  capzAzureClusterIdentity?: pulumi.Output<string>;
  capzServiceAccountKeySecret?: pulumi.Output<string>;
}

/** Resolves on the event loop's next turn, after pending I/O and timers have had their go. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One WorkloadIdentity per `identities` entry, on the fixed part. */
async function deployIdentities(cfg: StackConfig, fixed: FixedPart): Promise<WorkloadIdentity[]> {
  const created: WorkloadIdentity[] = [];
  for (const id of cfg.identities) {
    // Constructing resources is synchronous CPU work, and none of them reaches the engine until
    // the event loop turns: built in one go, 100 identities held the resource group, the first
    // link of the longest chain, back for seconds. One turn per identity lets what is already
    // registered go out, and answers come back, while the rest is built (npm run bench).
    await nextTurn();
    created.push(
      new WorkloadIdentity(
        id.name,
        {
          issuerUrl: fixed.identityIssuerUrl,
          ...(id.existingIdentity
            ? { existingIdentity: id.existingIdentity, tenantId: fixed.tenantId }
            : { resourceGroupName: fixed.resourceGroupName, location: cfg.location }),
          serviceAccounts: id.serviceAccounts,
          tokenExpirationSeconds: cfg.tokenExpirationSeconds,
          roleAssignments: id.roleAssignments,
          serviceAccountDependsOn: [
            ...new Set(
              id.serviceAccounts
                .filter((s) => s.create)
                .map((s) => fixed.namespaces.get(s.namespace)),
            ),
          ].filter((ns) => ns !== undefined),
        },
        { providers: { kubernetes: fixed.cluster.provider } },
      ),
    );
  }
  return created;
}

/** OpenShift's operators: what `ccoctl azure create-all` makes for their CredentialsRequests. */
function openshiftOutputs(cfg: StackConfig, fixed: FixedPart): Partial<StackOutputs> {
  if (cfg.openshiftCredentialsRequests.length === 0) return {};
  const openshift = new OpenShiftCredentials("openshift", {
    issuerUrl: fixed.identityIssuerUrl,
    credentialsRequests: cfg.openshiftCredentialsRequests,
    resourceGroupName: fixed.resourceGroupName,
    location: cfg.location,
    roleScope:
      cfg.openshiftRoleScope ??
      pulumi.interpolate`/subscriptions/${authorization.getClientConfigOutput().subscriptionId}/resourceGroups/${fixed.resourceGroupName}`,
    namePrefix: cfg.clusterName,
  });
  return {
    openshiftSecrets: openshift.secretManifests,
    openshiftAuthentication: openshift.authenticationManifest,
  };
}

/** Cluster API: an AzureClusterIdentity for one identity, and a workload cluster's key Secret. */
function capzOutputs(
  cfg: StackConfig,
  fixed: FixedPart,
  created: WorkloadIdentity[],
): Partial<StackOutputs> {
  if (!cfg.capz) return {};
  const capz = cfg.capz;
  const id = created[cfg.identities.findIndex((i) => i.name === capz.identity)];
  const manifests = capzManifests({
    clientId: id.clientId,
    tenantId: id.tenantId,
    identityName: capz.identity.toLowerCase(),
    namespace: capz.namespace,
    allowedNamespaces: capz.allowedNamespaces,
    workloadCluster:
      capz.workloadClusterName !== undefined && fixed.issuer
        ? {
            name: capz.workloadClusterName,
            publicKeyPem: fixed.issuer.publicKeyPem,
            privateKeyPem: fixed.issuer.privateKeyPem,
          }
        : undefined,
  });
  return {
    capzAzureClusterIdentity: manifests.azureClusterIdentity,
    ...(manifests.serviceAccountKeySecret
      ? { capzServiceAccountKeySecret: manifests.serviceAccountKeySecret }
      : {}),
  };
}

/** The demo pod, with the first identity whose ServiceAccount the stack creates. */
function demoOutputs(
  cfg: StackConfig,
  fixed: FixedPart,
  created: WorkloadIdentity[],
): Partial<StackOutputs> {
  if (!cfg.demoWorkload) return {};
  const wi = created.find((_, i) => cfg.identities[i].serviceAccounts.some((s) => s.create))!;
  const demo = new k8s.core.v1.Pod("demo", demoPodSpec(wi.podIdentity(), cfg.demoImage), {
    provider: fixed.cluster.provider,
    // Pods created before the webhook is ready are not mutated (azure-workload-identity #540).
    dependsOn: [...(fixed.webhook?.ready ?? []), ...wi.serviceAccountResources],
  });
  return { demoPod: pulumi.interpolate`${demo.metadata.namespace}/${demo.metadata.name}` };
}

/** The outputs of the issuer (kind) and the cluster. */
function issuerOutputs(fixed: FixedPart): Partial<StackOutputs> {
  const { issuer, cluster, webhook } = fixed;
  return {
    ...(issuer
      ? {
          jwksUri: issuer.jwksUri,
          keyId: issuer.keyId,
          signingPublicKeyPem: issuer.publicKeyPem,
          storageAccountName: issuer.storageAccountName,
          kindConfig: cluster.kindConfig,
        }
      : {}),
    ...fixed.rotationOutputs,
    ...(webhook ? { webhookNamespace: webhook.namespace } : {}),
  };
}

export async function deployStack(
  cfg: StackConfig,
  options: DeployOptions = {},
): Promise<StackOutputs> {
  const fixed = await deployFixedPart(cfg, options);
  const created = await deployIdentities(cfg, fixed);
  const identities: Record<string, IdentityOutputs> = Object.fromEntries(
    created.map((wi, i) => [
      cfg.identities[i].name,
      {
        clientId: wi.clientId,
        principalId: wi.principalId,
        identityId: wi.identityId,
        serviceAccounts: wi.serviceAccounts,
        roleAssignments: wi.roleAssignments,
      },
    ]),
  );
  return {
    flavor: cfg.flavor,
    issuerUrl: fixed.cluster.issuerUrl,
    kubeconfig: fixed.cluster.kubeconfig,
    clusterName: fixed.cluster.clusterName,
    resourceGroupName: fixed.resourceGroupName,
    tenantId: fixed.tenantId,
    identities,
    ...issuerOutputs(fixed),
    ...capzOutputs(cfg, fixed, created),
    ...openshiftOutputs(cfg, fixed),
    ...demoOutputs(cfg, fixed, created),
  };
}
