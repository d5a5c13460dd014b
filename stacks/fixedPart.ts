/**
 * What a stack deploys before its identities, and what they are built on: the key guard, the
 * resource group, the issuer and cluster (kind) or the cluster alone (AKS), the webhook (kind),
 * and the identities' namespaces, registered in that order. The benchmark's control
 * (bench/control.ts) builds its flat identities on the same part.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as resources from "@pulumi/azure-native/resources";

import { KindOrAksCluster } from "../components/cluster/kindOrAksCluster";
import { OidcIssuer } from "../components/issuer/oidcIssuer";
import { OidcIssuerArgs } from "../components/issuer/oidcIssuerArgs";
import { namespacesToCreate } from "../components/shared/kubernetes";
import { Webhook } from "../components/webhook/webhook";
import { StackConfig } from "./config";
import {
  DeployOptions,
  ISSUER,
  RotationOutputs,
  checkIssuerKeys,
  issuerKeyArgs,
  rotationStackOutputs,
} from "./issuerKeys";

export interface FixedPart {
  tenantId: pulumi.Output<string>;
  resourceGroupName: pulumi.Output<string>;
  /** kind only */
  issuer: OidcIssuer | undefined;
  cluster: KindOrAksCluster;
  /** kind only: on AKS the workload identity add-on runs it */
  webhook: Webhook | undefined;
  rotationOutputs: RotationOutputs;
  /**
   * The issuer the cluster signs under, byte for byte, as federated credentials take it: on kind
   * the OidcIssuer's (FICs need not wait for the cluster itself), on AKS the cluster's own.
   */
  identityIssuerUrl: pulumi.Output<string>;
  /** The namespaces of the ServiceAccounts the identities create, once each. */
  namespaces: Map<string, k8s.core.v1.Namespace>;
}

/** Kind: the issuer, and the cluster that signs with its key under its URL. */
function kindWithIssuer(
  cfg: StackConfig,
  keyArgs: OidcIssuerArgs,
  resourceGroupName: pulumi.Output<string>,
) {
  const where: OidcIssuerArgs = cfg.existingStorageAccount
    ? { existingStorageAccount: cfg.existingStorageAccount }
    : {
        resourceGroupName,
        location: cfg.location,
        sharedKeyAccess: cfg.storageSharedKeyAccess,
        accountNamePrefix: cfg.storageAccountPrefix,
      };
  const issuer = new OidcIssuer(ISSUER, {
    ...where,
    hosting: cfg.issuerHosting,
    ...keyArgs,
  } as OidcIssuerArgs);
  const cluster = new KindOrAksCluster("cluster", {
    flavor: "kind",
    clusterName: cfg.clusterName,
    kubernetesVersion: cfg.kubernetesVersion,
    nodeImage: cfg.kindNodeImage,
    workerCount: cfg.kindWorkerCount,
    issuerUrl: issuer.apiServerIssuerUrl,
    signingKey: { privateKeyPem: issuer.privateKeyPem, publicKeyPem: issuer.publicKeyPem },
    additionalPublicKeysPem: issuer.additionalPublicKeysPem,
  });
  return { issuer, cluster };
}

/** AKS, with its own managed issuer. */
function aksCluster(cfg: StackConfig, resourceGroupName: pulumi.Output<string>) {
  return new KindOrAksCluster("cluster", {
    flavor: "aks",
    clusterName: cfg.clusterName,
    kubernetesVersion: cfg.kubernetesVersion,
    resourceGroupName,
    location: cfg.location,
    nodeCount: cfg.aksNodeCount,
    vmSize: cfg.aksVmSize,
  });
}

/** Namespaces of the ServiceAccounts the stack creates, once each across all identities. */
function identityNamespaces(cfg: StackConfig, cluster: KindOrAksCluster) {
  const namespaces = new Map<string, k8s.core.v1.Namespace>();
  const wanted = cfg.identities.flatMap((id) =>
    id.serviceAccounts.filter((s) => s.create).map((s) => s.namespace),
  );
  for (const ns of namespacesToCreate(wanted)) {
    namespaces.set(
      ns,
      new k8s.core.v1.Namespace(
        `ns-${ns}`,
        { metadata: { name: ns } },
        { provider: cluster.provider },
      ),
    );
  }
  return namespaces;
}

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

  const { issuer, cluster } =
    cfg.flavor === "kind"
      ? kindWithIssuer(cfg, keyArgs, resourceGroupName)
      : { issuer: undefined, cluster: aksCluster(cfg, resourceGroupName) };
  // On kind the webhook comes from its chart; on AKS the workload identity add-on runs it.
  const webhook =
    cfg.flavor === "kind"
      ? new Webhook(
          "webhook",
          {
            azureTenantId: tenantId,
            chartVersion: cfg.webhookChartVersion,
            repository: cfg.webhookRepository,
            replicaCount: cfg.webhookReplicaCount,
            logLevel: cfg.webhookLogLevel,
          },
          { providers: { kubernetes: cluster.provider } },
        )
      : undefined;
  return {
    tenantId,
    resourceGroupName,
    issuer,
    cluster,
    webhook,
    rotationOutputs: issuer ? rotationStackOutputs(issuer) : {},
    identityIssuerUrl: issuer?.issuerUrl ?? cluster.issuerUrl,
    namespaces: identityNamespaces(cfg, cluster),
  };
}
