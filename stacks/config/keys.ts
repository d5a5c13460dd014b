/**
 * Every stack config key: its type, default and meaning. Pulumi.yaml declares the same keys
 * (type, description, default); a test keeps the two equal.
 */
import { WEBHOOK_REPOSITORY } from "../../components/webhook/webhookValues";
import type { StackConfig } from "./index";

/**
 * One key: its type, default and meaning. Pulumi.yaml declares every key of a type it can
 * express (string, integer, boolean, list of strings) with the same default; an empty string
 * means "not set". Two keys are read but not declared there: `identities` (a list of objects,
 * which Pulumi.yaml cannot type) and the secret `signingPrivateKeyPem` (no default possible).
 */
export interface KeySpec {
  type: "string" | "integer" | "boolean" | "string-list" | "object-list";
  default: string | number | boolean | unknown[] | undefined;
  description: string;
  secret?: boolean;
}

/** Every config key: the StackConfig fields read as they are, the secret half of a brought key,
 * and the keys the `capz` settings and an existing storage account are read from. */
export type ConfigKey =
  | Exclude<keyof StackConfig, "capz" | "declaredKeys" | "warnings" | "existingStorageAccount">
  | "storageAccountName"
  | "storageAccountResourceGroup"
  | "signingPrivateKeyPem"
  | "signingKeys"
  | "signingKey"
  | "capzIdentity"
  | "capzNamespace"
  | "capzAllowedNamespaces"
  | "capzWorkloadClusterName";

export const CONFIG_KEYS: Record<ConfigKey, KeySpec> = {
  flavor: {
    type: "string",
    default: "kind",
    description:
      "Cluster flavor: kind (self-hosted issuer, webhook via Helm) or aks (managed issuer, webhook add-on).",
  },
  location: {
    type: "string",
    default: "westeurope",
    description: "Azure region for the resource group, storage account, identities and AKS.",
  },
  resourceGroupName: {
    type: "string",
    default: "",
    description: "Use this existing resource group instead of creating one.",
  },
  clusterName: { type: "string", default: "", description: "Cluster name (empty: wi-<stack>)." },
  kubernetesVersion: {
    type: "string",
    default: "",
    description:
      "Kind: node image version (empty: 1.37.0, kind v0.33's default). AKS: control plane version (empty: AKS's default).",
  },
  kindNodeImage: {
    type: "string",
    default: "",
    description: "Kind node image (empty: kindest/node:v<kubernetesVersion>).",
  },
  kindWorkerCount: {
    type: "integer",
    default: 0,
    description: "Kind worker nodes beside the control plane.",
  },
  aksNodeCount: { type: "integer", default: 2, description: "AKS system node pool size." },
  aksVmSize: {
    type: "string",
    default: "Standard_D2s_v5",
    description: "AKS system node pool VM size.",
  },
  issuerHosting: {
    type: "string",
    default: "staticWebsite",
    description: "How the OIDC documents are served (kind): staticWebsite or publicContainer.",
  },
  storageSharedKeyAccess: {
    type: "boolean",
    default: false,
    description:
      "Let the issuer's storage account take its account key (kind): the documents are then written with it, not with your Entra sign-in (which Azure Policy may require).",
  },
  storageAccountName: {
    type: "string",
    default: "",
    description:
      "Publish the issuer in this existing storage account instead of making one (kind; with storageAccountResourceGroup): its owners enable its static website and grant you Storage Blob Data Contributor on it.",
  },
  storageAccountResourceGroup: {
    type: "string",
    default: "",
    description: "The resource group of storageAccountName.",
  },
  storageAccountPrefix: {
    type: "string",
    default: "oidc",
    description:
      "1 to 16 lowercase letters and digits; a random suffix completes the storage account name.",
  },
  signingKeyBits: {
    type: "integer",
    default: 4096,
    description: "Size of the generated RSA signing key (kind), at least 2048.",
  },
  signingPublicKeyPem: {
    type: "string",
    default: "",
    description:
      "Bring your own signing key (kind): its PEM public key; set signingPrivateKeyPem as a secret too.",
  },
  signingPrivateKeyPem: {
    type: "string",
    default: undefined,
    secret: true,
    description: "The PEM private key matching signingPublicKeyPem (set with --secret).",
  },
  additionalPublicKeys: {
    type: "string-list",
    default: [],
    description:
      "PEM public keys published and accepted beside a single signing key (with signingKeys, declare them there).",
  },
  signingKeys: {
    type: "object-list",
    default: [],
    description:
      "Declared keys (kind), every one published and accepted: [{ name, bits? } (generated) | { name, publicKeyPem } (brought)]. Without it: one generated key named initial.",
  },
  signingKey: {
    type: "string",
    default: "",
    description: "The name of the declared key that signs (kind; required with signingKeys).",
  },
  allowEarlyKeyRetirement: {
    type: "boolean",
    default: false,
    description:
      "Let a key leave signingKeys sooner than 24 hours after it stopped signing (tokens it signed then fail).",
  },
  resetKeyLedger: {
    type: "boolean",
    default: false,
    description:
      "For one up, when the previous deployment's key ledger cannot be read: start a new one from the declared keys (refused when the ledger reads fine).",
  },
  webhookChartVersion: {
    type: "string",
    default: "1.6.0",
    description: "workload-identity-webhook chart version (kind).",
  },
  webhookRepository: {
    type: "string",
    default: WEBHOOK_REPOSITORY,
    description:
      "The chart repository the webhook chart is installed from, https:// or oci:// (kind; a mirror where the public one is not reachable).",
  },
  webhookReplicaCount: { type: "integer", default: 2, description: "Webhook replicas (kind)." },
  webhookLogLevel: {
    type: "string",
    default: "info",
    description: "Webhook log level: info, debug, trace or all (kind).",
  },
  tokenExpirationSeconds: {
    type: "integer",
    default: 3600,
    description:
      "Token lifetime annotation on every ServiceAccount, 3600 to 86400 seconds (the webhook's default is 3600).",
  },
  identities: {
    type: "object-list",
    default: [],
    description:
      "Workload identities: [{ name, namespace, serviceAccount | serviceAccounts: [{ namespace, name, create }], roleAssignments: [{ scope, role }] }].",
  },
  demoWorkload: {
    type: "boolean",
    default: false,
    description: "Run an Azure CLI pod that logs in with the first identity.",
  },
  demoImage: {
    type: "string",
    default: "mcr.microsoft.com/azure-cli:2.67.0",
    description: "Image of the demo pod.",
  },
  openshiftCredentialsRequests: {
    type: "object-list",
    default: [],
    description:
      "OpenShift: Azure CredentialsRequest objects; each gets an identity, FICs (audience openshift), its roles, and a Secret manifest (stack output openshiftSecrets).",
  },
  openshiftRoleScope: {
    type: "string",
    default: "",
    description:
      "OpenShift: where the CredentialsRequests' roles are granted (empty: the stack's resource group).",
  },
  capzIdentity: {
    type: "string",
    default: "",
    description:
      "Cluster API: render an AzureClusterIdentity (type WorkloadIdentity) for this identity of `identities` (empty: none).",
  },
  capzNamespace: {
    type: "string",
    default: "default",
    description: "Cluster API: namespace of the AzureClusterIdentity and the key Secret.",
  },
  capzAllowedNamespaces: {
    type: "string-list",
    default: [],
    description:
      'Cluster API: namespaces whose AzureClusters may use the identity ([]: only its own; ["*"]: all).',
  },
  capzWorkloadClusterName: {
    type: "string",
    default: "",
    description:
      "Cluster API (kind): render the <name>-sa Secret with the issuer's signing key pair for this workload cluster (empty: none).",
  },
};

/** A default as the engine hands it to the program once Pulumi.yaml supplies it. */
export function rawDefault(key: ConfigKey): string | undefined {
  const d = CONFIG_KEYS[key].default;
  if (d === undefined || typeof d === "string") return d;
  return typeof d === "object" ? JSON.stringify(d) : String(d);
}
