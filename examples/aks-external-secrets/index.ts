/**
 * AKS with its managed issuer, a Key Vault, and the External Secrets operator reading that vault
 * with workload identity: an identity granted "Key Vault Secrets User" on the vault, trusted by a
 * ServiceAccount that a ClusterSecretStore names in its `serviceAccountRef`. External Secrets
 * requests tokens for that ServiceAccount itself, so its own pods need no mutation. As in the AKS
 * walkthrough among the design documents, with Pulumi instead of Terraform.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as resources from "@pulumi/azure-native/resources";
import { KindOrAksCluster, WorkloadIdentity } from "pulumi-azure-workload-identity";

const config = new pulumi.Config();
const location = config.get("location") ?? "westeurope";
// Pin the operator's chart to the release you have tested.
const chartVersion = config.get("externalSecretsChartVersion") ?? "2.4.1";
const namespace = "external-secrets";
const storeAccount = "external-secrets-kv";

const group = new resources.ResourceGroup("secrets", { location });
const { tenantId } = authorization.getClientConfigOutput();

// The AKS add-on runs the webhook and AKS serves the issuer: no OidcIssuer or Webhook here.
const cluster = new KindOrAksCluster("aks", {
  flavor: "aks",
  resourceGroupName: group.name,
  location,
  nodeCount: 2,
});

// A vault that grants access by Azure RBAC role assignments (not access policies).
const vault = new keyvault.Vault("vault", {
  resourceGroupName: group.name,
  location,
  properties: {
    tenantId,
    sku: { family: "A", name: "standard" },
    enableRbacAuthorization: true,
  },
});

// The identity External Secrets signs in as, trusted by one ServiceAccount it creates and
// annotates with the identity's client and tenant ids.
const reader = new WorkloadIdentity(
  "external-secrets",
  {
    issuerUrl: cluster.issuerUrl,
    resourceGroupName: group.name,
    location,
    serviceAccounts: [{ namespace, name: storeAccount }],
    createNamespaces: true,
    roleAssignments: [{ scope: vault.id, role: "Key Vault Secrets User" }],
  },
  { providers: { kubernetes: cluster.provider } },
);

// The operator and its CRDs, into the namespace the identity's ServiceAccount lives in.
const operator = new k8s.helm.v3.Release(
  "external-secrets",
  {
    name: "external-secrets",
    chart: "external-secrets",
    version: chartVersion,
    repositoryOpts: { repo: "https://charts.external-secrets.io" },
    namespace,
    values: { installCRDs: true },
    atomic: true,
  },
  { provider: cluster.provider, dependsOn: reader.serviceAccountResources },
);

// The store every namespace can use: Key Vault, authenticated as the identity through the
// annotated ServiceAccount.
const store = new k8s.apiextensions.CustomResource(
  "azure-key-vault",
  {
    apiVersion: "external-secrets.io/v1",
    kind: "ClusterSecretStore",
    metadata: { name: "azure-key-vault" },
    spec: {
      provider: {
        azurekv: {
          authType: "WorkloadIdentity",
          vaultUrl: vault.properties.vaultUri,
          serviceAccountRef: { name: storeAccount, namespace },
        },
      },
    },
  },
  { provider: cluster.provider, dependsOn: [operator, ...reader.serviceAccountResources] },
);

export const issuerUrl = cluster.issuerUrl;
export const vaultUri = vault.properties.vaultUri;
export const clientId = reader.clientId;
export const clusterSecretStore = store.metadata.name;
export const kubeconfig = cluster.kubeconfig;
