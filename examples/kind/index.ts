/**
 * A consumer program on Kind that uses all four components: an OIDC issuer in Azure Storage, a
 * Kind cluster signing under it, the webhook, and an identity (allowed to read blobs) that a
 * Deployment signs in as.
 * See examples/README.md for how to run it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as resources from "@pulumi/azure-native/resources";
import {
  KindOrAksCluster,
  OidcIssuer,
  Webhook,
  WorkloadIdentity,
} from "pulumi-azure-workload-identity";

const config = new pulumi.Config();
const location = config.get("location") ?? "westeurope";

const group = new resources.ResourceGroup("platform", { location });

// The issuer: a generated 4096-bit key (a secret in state) and the two public documents.
const issuer = new OidcIssuer("oidc", { resourceGroupName: group.name, location });

// The cluster signs every service-account token with that key, under that issuer.
const cluster = new KindOrAksCluster("dev", {
  flavor: "kind",
  issuerUrl: issuer.apiServerIssuerUrl,
  signingKey: { privateKeyPem: issuer.privateKeyPem, publicKeyPem: issuer.publicKeyPem },
});
const inCluster = { providers: { kubernetes: cluster.provider } };

const tenantId = authorization.getClientConfigOutput().tenantId;
const webhook = new Webhook("webhook", { azureTenantId: tenantId }, inCluster);

// An identity trusted by one ServiceAccount, allowed to read blobs in the resource group.
const reader = new WorkloadIdentity(
  "blob-reader",
  {
    // The issuer's URL, the same string the cluster signs under: the Azure side need not wait
    // for the cluster.
    issuerUrl: issuer.issuerUrl,
    resourceGroupName: group.name,
    location,
    serviceAccounts: [{ namespace: "apps", name: "blob-reader" }],
    createNamespaces: true,
    roleAssignments: [{ scope: group.id, role: "Storage Blob Data Reader" }],
  },
  inCluster,
);

// A workload using it: the label and ServiceAccount come from the identity, and it waits for
// the webhook, which mutates only pods created after it runs (azure-workload-identity #540).
const pod = reader.podIdentity();
new k8s.apps.v1.Deployment(
  "blob-reader",
  {
    metadata: { namespace: pod.namespace, name: "blob-reader" },
    spec: {
      selector: { matchLabels: { app: "blob-reader" } },
      template: {
        metadata: { labels: { app: "blob-reader", ...pod.labels } },
        spec: {
          serviceAccountName: pod.serviceAccountName,
          containers: [
            {
              name: "azure-cli",
              image: "mcr.microsoft.com/azure-cli:2.67.0",
              command: ["/bin/sh", "-c"],
              // The webhook sets these variables and projects the token file.
              args: [
                'az login --service-principal -u "$AZURE_CLIENT_ID" -t "$AZURE_TENANT_ID" ' +
                  '--federated-token "$(cat "$AZURE_FEDERATED_TOKEN_FILE")" --allow-no-subscriptions ' +
                  '--output none && echo "signed in as $AZURE_CLIENT_ID"; sleep infinity',
              ],
            },
          ],
        },
      },
    },
  },
  { provider: cluster.provider, dependsOn: [...webhook.ready, ...reader.serviceAccountResources] },
);

export const issuerUrl = issuer.issuerUrl;
export const clientId = reader.clientId;
export const kubeconfig = cluster.kubeconfig;
