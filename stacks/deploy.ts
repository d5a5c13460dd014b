/**
 * What a stack deploys, composed from the components according to its typed config:
 * - kind: resource group, OidcIssuer, Kind cluster signing with its key, Webhook, identities;
 * - aks: resource group, AKS with its managed issuer (the add-on runs the webhook), identities.
 * `index.ts` calls this with the parsed config; tests and the offline plan call it too.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as resources from "@pulumi/azure-native/resources";

import { capzManifests } from "../components/capz/capzManifests";
import { KindOrAksCluster } from "../components/cluster/kindOrAksCluster";
import { namespacesToCreate } from "../components/shared/kubernetes";
import { OidcIssuer } from "../components/issuer/oidcIssuer";
import { OpenShiftCredentials } from "../components/openshift/openShiftCredentials";
import { OidcIssuerArgs } from "../components/issuer/oidcIssuerArgs";
import { RoleAssignmentOutput } from "../components/identity/roles";
import { KeyLedger, RotationPhase, describeRotation } from "../components/issuer/signingKeys";
import { Webhook } from "../components/webhook/webhook";
import { WorkloadIdentity } from "../components/identity/workloadIdentity";
import { CONFIG_KEY_FIELDS, StackConfig, configNamed } from "./config";
import { demoPodSpec } from "./demo";

export interface IdentityOutputs {
  clientId: pulumi.Output<string>;
  principalId: pulumi.Output<string>;
  /** The identity's Azure resource id: where `doctor` reads its federated credentials. */
  identityId: pulumi.Output<string>;
  serviceAccounts: pulumi.Output<string[]>;
  roleAssignments: pulumi.Output<RoleAssignmentOutput[]>;
}

export interface StackOutputs {
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
  /** The key ledger: every declared key's kid and when it was published, signed, stopped. */
  signingKeys?: pulumi.Output<KeyLedger>;
  /** Where the rotation stands and what to do next. */
  keyRotation?: pulumi.Output<{ phase: RotationPhase; next: string }>;
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

/**
 * What a stack deploys before its identities, and what the identities are built on: the
 * benchmark's control (bench/control.ts) builds its flat identities on the same part.
 */
export interface FixedPart {
  tenantId: pulumi.Output<string>;
  resourceGroupName: pulumi.Output<string>;
  /** kind only */
  issuer: OidcIssuer | undefined;
  cluster: KindOrAksCluster;
  /** kind only: on AKS the workload identity add-on runs it */
  webhook: Webhook | undefined;
  rotationOutputs: Pick<StackOutputs, "signingKeys" | "keyRotation">;
  /**
   * The issuer the cluster signs under, byte for byte, as federated credentials take it: on kind
   * the OidcIssuer's (FICs need not wait for the cluster itself), on AKS the cluster's own.
   */
  identityIssuerUrl: pulumi.Output<string>;
  /** The namespaces of the ServiceAccounts the identities create, once each. */
  namespaces: Map<string, k8s.core.v1.Namespace>;
}

/** The stack's issuer: its name is in every URN under it, so it never changes. */
const ISSUER = "oidc";

export interface DeployOptions {
  /** The signing key's private half, when the config brings one (a secret). */
  signingPrivateKeyPem?: pulumi.Input<string>;
}

/** The issuer's key arguments from the config: declared keys, or a shorthand's one key. */
function issuerKeyArgs(cfg: StackConfig, options: DeployOptions): OidcIssuerArgs {
  const guard = {
    allowEarlyKeyRetirement: cfg.allowEarlyKeyRetirement,
    resetKeyLedger: cfg.resetKeyLedger,
  };
  return { ...guard, ...issuerKeys(cfg, options) };
}

function issuerKeys(cfg: StackConfig, options: DeployOptions): OidcIssuerArgs {
  if (cfg.declaredKeys !== undefined) {
    return {
      keys: cfg.declaredKeys.keys,
      signingKeyName: cfg.declaredKeys.signing,
      ...(options.signingPrivateKeyPem !== undefined
        ? { signingPrivateKeyPem: options.signingPrivateKeyPem }
        : {}),
    };
  }
  if (cfg.signingPublicKeyPem !== undefined) {
    return {
      signingKey: {
        publicKeyPem: cfg.signingPublicKeyPem,
        privateKeyPem: options.signingPrivateKeyPem!,
      },
      additionalPublicKeysPem: cfg.additionalPublicKeys,
    };
  }
  return { rsaBits: cfg.signingKeyBits, additionalPublicKeysPem: cfg.additionalPublicKeys };
}

/** The issuer's guard under the config's names: refuses before anything is registered. */
async function checkIssuerKeys(keyArgs: OidcIssuerArgs): Promise<void> {
  try {
    await OidcIssuer.checkKeys(ISSUER, keyArgs, undefined, { fields: CONFIG_KEY_FIELDS });
  } catch (err) {
    throw configNamed(err);
  }
}

/** The stack's outputs of the issuer's ledger, the next step in the config's words. */
function rotationStackOutputs(
  issuer: OidcIssuer,
): Pick<StackOutputs, "signingKeys" | "keyRotation"> {
  return {
    signingKeys: issuer.keyLedger,
    keyRotation: issuer.keyLedger.apply((l) => describeRotation(l, CONFIG_KEY_FIELDS)),
  };
}

/** Resolves on the event loop's next turn, after pending I/O and timers have had their go. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Everything but the identities: the key rotation check, resource group, issuer, cluster,
 * webhook and the identities' namespaces, each registered in that order.
 */
export async function deployFixedPart(
  cfg: StackConfig,
  options: DeployOptions = {},
): Promise<FixedPart> {
  // Before anything is registered: the key rotation step this up makes, against what the
  // issuer's previous deployment left (refused here when it would break tokens in flight).
  const keyArgs = issuerKeyArgs(cfg, options);
  if (cfg.flavor === "kind") await checkIssuerKeys(keyArgs);
  const tenantId = authorization.getClientConfigOutput().tenantId;
  const resourceGroupName =
    cfg.resourceGroupName !== undefined
      ? pulumi.output(cfg.resourceGroupName)
      : new resources.ResourceGroup("wi", { location: cfg.location }).name;

  let rotationOutputs: Pick<StackOutputs, "signingKeys" | "keyRotation"> = {};
  let issuer: OidcIssuer | undefined;
  let cluster: KindOrAksCluster;
  if (cfg.flavor === "kind") {
    issuer = new OidcIssuer(ISSUER, {
      resourceGroupName,
      location: cfg.location,
      hosting: cfg.issuerHosting,
      accountNamePrefix: cfg.storageAccountPrefix,
      ...keyArgs,
    });
    rotationOutputs = rotationStackOutputs(issuer);
    cluster = new KindOrAksCluster("cluster", {
      flavor: "kind",
      clusterName: cfg.clusterName,
      kubernetesVersion: cfg.kubernetesVersion,
      nodeImage: cfg.kindNodeImage,
      workerCount: cfg.kindWorkerCount,
      issuerUrl: issuer.apiServerIssuerUrl,
      signingKey: { privateKeyPem: issuer.privateKeyPem, publicKeyPem: issuer.publicKeyPem },
      additionalPublicKeysPem: issuer.additionalPublicKeysPem,
    });
  } else {
    cluster = new KindOrAksCluster("cluster", {
      flavor: "aks",
      clusterName: cfg.clusterName,
      kubernetesVersion: cfg.kubernetesVersion,
      resourceGroupName,
      location: cfg.location,
      nodeCount: cfg.aksNodeCount,
      vmSize: cfg.aksVmSize,
    });
  }
  // Components take the provider through `providers`, plain resources through `provider`.
  const k8sOpts = { providers: { kubernetes: cluster.provider } };
  const k8sProvider = { provider: cluster.provider };

  // On kind the webhook comes from its chart; on AKS the workload identity add-on runs it.
  const webhook =
    cfg.flavor === "kind"
      ? new Webhook(
          "webhook",
          {
            azureTenantId: tenantId,
            chartVersion: cfg.webhookChartVersion,
            replicaCount: cfg.webhookReplicaCount,
            logLevel: cfg.webhookLogLevel,
          },
          k8sOpts,
        )
      : undefined;

  // Namespaces of the ServiceAccounts the stack creates, once each across all identities.
  const namespaces = new Map<string, k8s.core.v1.Namespace>();
  const wanted = cfg.identities.flatMap((id) =>
    id.serviceAccounts.filter((s) => s.create).map((s) => s.namespace),
  );
  for (const ns of namespacesToCreate(wanted)) {
    namespaces.set(
      ns,
      new k8s.core.v1.Namespace(`ns-${ns}`, { metadata: { name: ns } }, k8sProvider),
    );
  }

  return {
    tenantId,
    resourceGroupName,
    issuer,
    cluster,
    webhook,
    rotationOutputs,
    identityIssuerUrl: issuer?.issuerUrl ?? cluster.issuerUrl,
    namespaces,
  };
}

export async function deployStack(
  cfg: StackConfig,
  options: DeployOptions = {},
): Promise<StackOutputs> {
  const {
    tenantId,
    resourceGroupName,
    issuer,
    cluster,
    webhook,
    rotationOutputs,
    identityIssuerUrl,
    namespaces,
  } = await deployFixedPart(cfg, options);
  const k8sOpts = { providers: { kubernetes: cluster.provider } };
  const k8sProvider = { provider: cluster.provider };

  const identities: Record<string, IdentityOutputs> = {};
  const created: WorkloadIdentity[] = [];
  for (const id of cfg.identities) {
    // Constructing resources is synchronous CPU work, and none of them reaches the engine until
    // the event loop turns: built in one go, 100 identities held the resource group, the first
    // link of the longest chain, back for seconds. One turn per identity lets what is already
    // registered go out, and answers come back, while the rest is built (npm run bench).
    await nextTurn();
    const wi = new WorkloadIdentity(
      id.name,
      {
        issuerUrl: identityIssuerUrl,
        ...(id.existingIdentity
          ? { existingIdentity: id.existingIdentity, tenantId }
          : { resourceGroupName, location: cfg.location }),
        serviceAccounts: id.serviceAccounts,
        tokenExpirationSeconds: cfg.tokenExpirationSeconds,
        roleAssignments: id.roleAssignments,
        serviceAccountDependsOn: [
          ...new Set(
            id.serviceAccounts.filter((s) => s.create).map((s) => namespaces.get(s.namespace)),
          ),
        ].filter((ns) => ns !== undefined),
      },
      k8sOpts,
    );
    created.push(wi);
    identities[id.name] = {
      clientId: wi.clientId,
      principalId: wi.principalId,
      identityId: wi.identityId,
      serviceAccounts: wi.serviceAccounts,
      roleAssignments: wi.roleAssignments,
    };
  }

  // OpenShift's operators: what `ccoctl azure create-all` makes for their CredentialsRequests.
  const openshift =
    cfg.openshiftCredentialsRequests.length > 0
      ? new OpenShiftCredentials("openshift", {
          issuerUrl: identityIssuerUrl,
          credentialsRequests: cfg.openshiftCredentialsRequests,
          resourceGroupName,
          location: cfg.location,
          roleScope:
            cfg.openshiftRoleScope ??
            pulumi.interpolate`/subscriptions/${authorization.getClientConfigOutput().subscriptionId}/resourceGroups/${resourceGroupName}`,
          namePrefix: cfg.clusterName,
        })
      : undefined;

  // Cluster API: an AzureClusterIdentity for one identity, and a workload cluster's key Secret.
  const capzId = cfg.capz
    ? created[cfg.identities.findIndex((i) => i.name === cfg.capz!.identity)]
    : undefined;
  const capz =
    cfg.capz && capzId
      ? capzManifests({
          clientId: capzId.clientId,
          tenantId: capzId.tenantId,
          identityName: cfg.capz.identity.toLowerCase(),
          namespace: cfg.capz.namespace,
          allowedNamespaces: cfg.capz.allowedNamespaces,
          workloadCluster:
            cfg.capz.workloadClusterName !== undefined && issuer
              ? {
                  name: cfg.capz.workloadClusterName,
                  publicKeyPem: issuer.publicKeyPem,
                  privateKeyPem: issuer.privateKeyPem,
                }
              : undefined,
        })
      : undefined;

  let demoPod: pulumi.Output<string> | undefined;
  if (cfg.demoWorkload) {
    const wi = created.find((_, i) => cfg.identities[i].serviceAccounts.some((s) => s.create))!;
    const pod = wi.podIdentity();
    const demo = new k8s.core.v1.Pod(
      "demo",
      demoPodSpec(pod, cfg.demoImage),
      // Pods created before the webhook is ready are not mutated (azure-workload-identity #540).
      { ...k8sProvider, dependsOn: [...(webhook?.ready ?? []), ...wi.serviceAccountResources] },
    );
    demoPod = pulumi.interpolate`${demo.metadata.namespace}/${demo.metadata.name}`;
  }

  return {
    flavor: cfg.flavor,
    issuerUrl: cluster.issuerUrl,
    kubeconfig: cluster.kubeconfig,
    clusterName: cluster.clusterName,
    resourceGroupName,
    tenantId,
    identities,
    ...(issuer
      ? {
          jwksUri: issuer.jwksUri,
          keyId: issuer.keyId,
          signingPublicKeyPem: issuer.publicKeyPem,
          storageAccountName: issuer.storageAccountName,
          kindConfig: cluster.kindConfig,
        }
      : {}),
    ...rotationOutputs,
    ...(webhook ? { webhookNamespace: webhook.namespace } : {}),
    ...(capz ? { capzAzureClusterIdentity: capz.azureClusterIdentity } : {}),
    ...(capz?.serviceAccountKeySecret
      ? { capzServiceAccountKeySecret: capz.serviceAccountKeySecret }
      : {}),
    ...(openshift
      ? {
          openshiftSecrets: openshift.secretManifests,
          openshiftAuthentication: openshift.authenticationManifest,
        }
      : {}),
    ...(demoPod ? { demoPod } : {}),
  };
}
