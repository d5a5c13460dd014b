/**
 * One identity, many clusters: an identity allowed to read blobs, used by a Kind cluster (a
 * federated credential per ServiceAccount under the cluster's own issuer), an AKS cluster the
 * same way, and a second AKS cluster through an AKS identity binding (one AKS-managed
 * credential for every bound cluster). The identity's 20-credential budget is counted across
 * all three before anything is made.
 *
 * `clusters` (config, default all three) lists the clusters to serve: removing one from it
 * removes exactly that cluster's credentials or binding; the identity stays.
 * See examples/README.md for how to run it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as resources from "@pulumi/azure-native/resources";
import {
  FleetClusterArgs,
  FleetIdentity,
  KindOrAksCluster,
  OidcIssuer,
  Webhook,
} from "pulumi-azure-workload-identity";

const config = new pulumi.Config();
const location = config.get("location") ?? "westeurope";
const served = config.getObject<string[]>("clusters") ?? ["dev", "prod-a", "prod-b"];
const namespace = "payments";
const serviceAccounts = [{ namespace, name: "blob-reader" }];

const group = new resources.ResourceGroup("fleet", { location });
const tenantId = authorization.getClientConfigOutput().tenantId;

/** The namespace the ServiceAccounts go into, in one cluster. */
function appNamespace(name: string, cluster: KindOrAksCluster): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(
    `${name}-${namespace}`,
    { metadata: { name: namespace } },
    { provider: cluster.provider },
  );
}

// Kind: our own issuer, the cluster signing under it, and the webhook (AKS runs it as an add-on).
const issuer = new OidcIssuer("oidc", { resourceGroupName: group.name, location });
const dev = new KindOrAksCluster("dev", {
  flavor: "kind",
  issuerUrl: issuer.apiServerIssuerUrl,
  signingKey: { privateKeyPem: issuer.privateKeyPem, publicKeyPem: issuer.publicKeyPem },
});
new Webhook("webhook", { azureTenantId: tenantId }, { providers: { kubernetes: dev.provider } });

// Two AKS clusters with their managed issuers and workload identity.
const aks = (name: string) =>
  new KindOrAksCluster(name, {
    flavor: "aks",
    resourceGroupName: group.name,
    location,
    nodeCount: 1,
  });
const prodA = aks("prod-a");
const prodB = aks("prod-b");

// How each cluster trusts the identity.
const clusters: Record<string, FleetClusterArgs> = {
  dev: {
    name: "dev",
    issuerUrl: issuer.issuerUrl,
    serviceAccounts,
    provider: dev.provider,
    serviceAccountDependsOn: [appNamespace("dev", dev)],
  },
  "prod-a": {
    name: "prod-a",
    issuerUrl: prodA.issuerUrl,
    serviceAccounts,
    provider: prodA.provider,
    serviceAccountDependsOn: [appNamespace("prod-a", prodA)],
  },
  "prod-b": {
    name: "prod-b",
    identityBinding: { resourceGroupName: group.name, clusterName: prodB.clusterName },
    serviceAccounts,
    provider: prodB.provider,
    serviceAccountDependsOn: [appNamespace("prod-b", prodB)],
  },
};

const reader = new FleetIdentity("blob-reader", {
  resourceGroupName: group.name,
  location,
  clusters: served.map((name) => clusters[name]),
  roleAssignments: [{ scope: group.id, role: "Storage Blob Data Reader" }],
});

export const clientId = reader.clientId;
export const identityId = reader.identityId;
/** Each cluster's mechanism, the issuer its tokens are trusted under, its credentials. */
export const fleet = reader.clusters;
export const credentialCount = reader.credentialCount;
/** What a pod in prod-b needs: the label, the binding annotation, the ServiceAccount. */
export const prodBPod = served.includes("prod-b") ? reader.podIdentity("prod-b") : undefined;
