/**
 * Bad input, across the components and the stack config, in one table: each case must throw an
 * InvalidArgumentError that names the field (or config key), and register nothing at all, not
 * even the component.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";

import * as pulumi from "@pulumi/pulumi";

import { KindOrAksCluster, OidcIssuer, Webhook, WorkloadIdentity } from "../components";
import { parseStackConfig } from "../stacks/config";
import { deployStack } from "../stacks/deploy";
import { SIMULATED } from "../testing/simulator";
import { engineConfig, expectRejected, fixture, simulator } from "./helpers";

type Case = [what: string, field: string, build: () => unknown, pattern?: RegExp];

const ISSUER = "https://oidcab12cd34.z6.web.core.windows.net/";
const VAULT = `/subscriptions/${SIMULATED.subscriptionId}/resourceGroups/apps-rg/providers/Microsoft.KeyVault/vaults/apps-kv`;
const IDENTITY = `/subscriptions/${SIMULATED.subscriptionId}/resourceGroups/apps-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/apps-mi`;

/** An encrypted PKCS#8 private key, as `openssl pkcs8 -topk8 -v2 aes256` writes one. */
const ENCRYPTED_KEY = crypto
  .createPrivateKey(fixture("signing.key"))
  .export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "p" })
  .toString();
const WI_A = { name: "wi-a", namespace: "apps", serviceAccount: "a" };

// KindOrAksCluster
/** Arguments as a JavaScript caller (or a cast) can pass them, past what the types refuse: the
 * components check them at run time too. test/types.test.ts checks that the types refuse them. */
const untyped = (args: object): never => args as never;
const key = () => ({
  privateKeyPem: pulumi.secret(fixture("signing.key")),
  publicKeyPem: fixture("signing.pub"),
});
const kind = { flavor: "kind" as const, issuerUrl: ISSUER, signingKey: key() };
const aks = { flavor: "aks" as const, resourceGroupName: "rg" };

// WorkloadIdentity
const base = {
  issuerUrl: ISSUER,
  resourceGroupName: "rg",
  serviceAccounts: [{ namespace: "apps", name: "reader" }],
};
const make = (over: object) => () => new WorkloadIdentity("wi-test", { ...base, ...over });
const many = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ namespace: "apps", name: `sa-${i}` }));

// Webhook
const tenant = SIMULATED.tenantId;

/** A stack config case: the program as index.ts runs it, from the engine's raw config. */
const STACK_CONFIG: [what: string, key: string, over: Record<string, string>, pattern?: RegExp][] =
  [
    ["an unknown flavor", "flavor", { flavor: "eks" }, /"eks"/],
    ["a location with spaces", "location", { location: "West Europe" }],
    ["an invalid resource group", "resourceGroupName", { resourceGroupName: "bad/name" }],
    ["an uppercase cluster name", "clusterName", { clusterName: "Dev" }],
    ["a kind version without patch", "kubernetesVersion", { kubernetesVersion: "1.34" }],
    ["a non-numeric worker count", "kindWorkerCount", { kindWorkerCount: "two" }, /"two"/],
    ["too many workers", "kindWorkerCount", { kindWorkerCount: "11" }],
    [
      "an AKS node count on kind",
      "aksNodeCount",
      { aksNodeCount: "3" },
      /not used with flavor "kind"/,
    ],
    [
      "a kind option on AKS",
      "issuerHosting",
      { flavor: "aks", issuerHosting: "publicContainer" },
      /not used with flavor "aks"/,
    ],
    [
      "a rotation key on AKS",
      "additionalPublicKeys",
      { flavor: "aks", additionalPublicKeys: JSON.stringify([fixture("rotated.pub")]) },
    ],
    ["zero AKS nodes", "aksNodeCount", { flavor: "aks", aksNodeCount: "0" }],
    ["an invalid VM size", "aksVmSize", { flavor: "aks", aksVmSize: "huge" }],
    ["an unknown hosting", "issuerHosting", { issuerHosting: "cdn" }],
    ["a storage prefix with capitals", "storageAccountPrefix", { storageAccountPrefix: "OIDC" }],
    [
      "shared keys that are not a boolean",
      "storageSharedKeyAccess",
      { storageSharedKeyAccess: "yes" },
      /"yes"/,
    ],
    [
      "an existing account without its resource group",
      "storageAccountResourceGroup",
      { storageAccountName: "centraloidc" },
      /set it beside storageAccountName/,
    ],
    [
      "an existing account's resource group without its name",
      "storageAccountName",
      { storageAccountResourceGroup: "storage-rg" },
      /set it beside storageAccountResourceGroup/,
    ],
    [
      "an existing account's name with a hyphen",
      "storageAccountName",
      { storageAccountName: "central-oidc", storageAccountResourceGroup: "storage-rg" },
      /"central-oidc" is not valid; expected a storage account name/,
    ],
    [
      "an existing account with shared keys",
      "storageSharedKeyAccess",
      {
        storageAccountName: "centraloidc",
        storageAccountResourceGroup: "storage-rg",
        storageSharedKeyAccess: "true",
      },
      /not used with storageAccountName/,
    ],
    [
      "an existing account on AKS",
      "storageAccountName",
      { flavor: "aks", storageAccountName: "centraloidc", storageAccountResourceGroup: "rg" },
      /not used with flavor "aks"/,
    ],
    ["a 1024-bit key", "signingKeyBits", { signingKeyBits: "1024" }, /2048 to 8192/],
    [
      "a public key without its private half",
      "signingPrivateKeyPem",
      { signingPublicKeyPem: fixture("signing.pub") },
    ],
    ["a private key without its public half", "signingPublicKeyPem", { signingPrivateKeyPem: "x" }],
    [
      "key bits beside a brought key",
      "signingKeyBits",
      {
        signingPublicKeyPem: fixture("signing.pub"),
        signingPrivateKeyPem: "x",
        signingKeyBits: "2048",
      },
    ],
    [
      "a malformed signing public key",
      "signingPublicKeyPem",
      { signingPublicKeyPem: "nope", signingPrivateKeyPem: "x" },
    ],
    ["rotation keys that are not a list", "additionalPublicKeys", { additionalPublicKeys: "{" }],
    [
      "an EC rotation key",
      "additionalPublicKeys[0]",
      { additionalPublicKeys: JSON.stringify([fixture("ec-p256.pub")]) },
    ],
    [
      "a rotation key listed twice",
      "additionalPublicKeys[1]",
      { additionalPublicKeys: JSON.stringify([fixture("rotated.pub"), fixture("rotated.pub")]) },
      /same key as additionalPublicKeys\[0\]/,
    ],
    ["an exact chart version missing", "webhookChartVersion", { webhookChartVersion: "latest" }],
    [
      "a chart repository over plain http",
      "webhookRepository",
      { webhookRepository: "http://charts.example" },
    ],
    ["zero webhook replicas", "webhookReplicaCount", { webhookReplicaCount: "0" }],
    ["an unknown log level", "webhookLogLevel", { webhookLogLevel: "loud" }],
    [
      "a token expiration under an hour",
      "tokenExpirationSeconds",
      { tokenExpirationSeconds: "600" },
    ],
    ["a non-boolean demo switch", "demoWorkload", { demoWorkload: "yes" }],
    ["a demo without identities", "demoWorkload", { demoWorkload: "true" }],
    ["an invalid demo image", "demoImage", { demoImage: "Not An Image" }],
    ["an invalid node image", "kindNodeImage", { kindNodeImage: "kindest/node v1" }],
    ["identities that are not a list", "identities", { identities: '{"name":"x"}' }],
    [
      "an identity without a name",
      "identities[0].name",
      { identities: '[{"namespace":"a","serviceAccount":"b"}]' },
    ],
    [
      "two identities with one name",
      "identities[1].name",
      {
        identities:
          '[{"name":"abc","namespace":"a","serviceAccount":"b"},{"name":"ABC","namespace":"a","serviceAccount":"c"}]',
      },
    ],
    [
      "an identity with a bad namespace",
      "identities[0].namespace",
      { identities: '[{"name":"abc","namespace":"A","serviceAccount":"b"}]' },
    ],
    [
      "an identity without a service account",
      "identities[0].serviceAccount",
      { identities: '[{"name":"abc","namespace":"a"}]' },
    ],
    [
      "both account forms",
      "identities[0].serviceAccounts",
      { identities: '[{"name":"abc","namespace":"a","serviceAccount":"b","serviceAccounts":[]}]' },
    ],
    [
      "an empty account list",
      "identities[0].serviceAccounts",
      { identities: '[{"name":"abc","serviceAccounts":[]}]' },
    ],
    [
      "a non-boolean create",
      "identities[0].serviceAccounts[0].create",
      {
        identities:
          '[{"name":"abc","serviceAccounts":[{"namespace":"a","name":"b","create":"no"}]}]',
      },
    ],
    [
      "a role without scope",
      "identities[0].roleAssignments[0].scope",
      {
        identities:
          '[{"name":"abc","namespace":"a","serviceAccount":"b","roleAssignments":[{"role":"Reader"}]}]',
      },
    ],
    [
      "a misspelt identity field",
      "identities[0].roleAssignment",
      { identities: '[{"name":"abc","namespace":"a","serviceAccount":"b","roleAssignment":[]}]' },
    ],
    ["an unknown key", "flavour", { flavour: "kind" }, /not shown/],
    [
      "two identities creating one ServiceAccount",
      "identities[1].serviceAccounts[0]",
      {
        identities: JSON.stringify([
          { name: "wi-a", namespace: "apps", serviceAccount: "shared" },
          { name: "wi-b", serviceAccounts: [{ namespace: "apps", name: "shared" }] },
        ]),
      },
      /^identities\[1\]\.serviceAccounts\[0\] \(identity wi-b\): "apps\/shared" is not valid; identity wi-a \(identities\[0\]\) already creates it; .* create: false$/,
    ],
    [
      "an unknown role, in the second identity",
      "identities[1].roleAssignments[0].role",
      {
        identities: JSON.stringify([
          { name: "wi-a", namespace: "a", serviceAccount: "a" },
          {
            name: "wi-b",
            namespace: "b",
            serviceAccount: "b",
            roleAssignments: [{ scope: VAULT, role: "Key Vault Secret Reader" }],
          },
        ]),
      },
      /^identities\[1\]\.roleAssignments\[0\]\.role \(identity wi-b\): "Key Vault Secret Reader"/,
    ],
    [
      "a relative scope",
      "identities[0].roleAssignments[0].scope",
      {
        identities: JSON.stringify([
          {
            name: "wi-a",
            namespace: "a",
            serviceAccount: "a",
            roleAssignments: [{ scope: "resourceGroups/apps-rg", role: "Reader" }],
          },
        ]),
      },
      /\(identity wi-a\)/,
    ],
    [
      "the same role twice on one scope",
      "identities[0].roleAssignments[1]",
      {
        identities: JSON.stringify([
          {
            name: "wi-a",
            namespace: "a",
            serviceAccount: "a",
            roleAssignments: [
              { scope: VAULT, role: "Key Vault Secrets User" },
              { scope: VAULT, role: "4633458b-17de-408a-b874-0445c86b69e6" },
            ],
          },
        ]),
      },
    ],
    [
      "an existing identity with a client id that is no GUID",
      "identities[0].existingIdentity.clientId",
      {
        identities: JSON.stringify([
          {
            name: "wi-a",
            existingIdentity: { resourceId: IDENTITY, clientId: "my-client" },
            namespace: "a",
            serviceAccount: "a",
          },
        ]),
      },
      /expected a GUID/,
    ],
    [
      "an existing identity whose resource id is not an identity's",
      "identities[0].existingIdentity.resourceId",
      {
        identities: JSON.stringify([
          {
            name: "wi-a",
            existingIdentity: {
              resourceId: VAULT,
              clientId: "00000000-0000-4000-8000-0000000000c1",
            },
            namespace: "a",
            serviceAccount: "a",
          },
        ]),
      },
      /\(identity wi-a\)/,
    ],
    [
      "an existing identity granted roles without its principal id",
      "identities[0].existingIdentity.principalId",
      {
        identities: JSON.stringify([
          {
            name: "wi-a",
            existingIdentity: {
              resourceId: `/subscriptions/${SIMULATED.subscriptionId}/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/wi-a`,
              clientId: "00000000-0000-4000-8000-0000000000c1",
            },
            namespace: "a",
            serviceAccount: "a",
            roleAssignments: [{ scope: VAULT, role: "Reader" }],
          },
        ]),
      },
    ],
    [
      "an unknown field of an existing identity",
      "identities[0].existingIdentity.objectId",
      {
        identities: JSON.stringify([
          {
            name: "wi-a",
            existingIdentity: { objectId: "x" },
            namespace: "a",
            serviceAccount: "a",
          },
        ]),
      },
    ],
    [
      "an OpenShift CredentialsRequest without ServiceAccounts",
      "openshiftCredentialsRequests[0].spec.serviceAccountNames",
      {
        openshiftCredentialsRequests: JSON.stringify([
          {
            kind: "CredentialsRequest",
            metadata: { name: "r", namespace: "ns" },
            spec: {
              providerSpec: { kind: "AzureProviderSpec", roleBindings: [{ role: "Contributor" }] },
              secretRef: { name: "s", namespace: "ns" },
            },
          },
        ]),
      },
      /\(CredentialsRequest ns\/r\)/,
    ],
    ["a relative OpenShift role scope", "openshiftRoleScope", { openshiftRoleScope: "my-rg" }],
    [
      "a CAPZ identity that is not in identities",
      "capzIdentity",
      { capzIdentity: "wi-nobody" },
      /"wi-nobody"/,
    ],
    ["a CAPZ namespace without capzIdentity", "capzNamespace", { capzNamespace: "capz" }],
    [
      "a CAPZ identity whose name cannot name a Kubernetes object",
      "capzIdentity",
      {
        identities: '[{"name":"wi_capz","namespace":"a","serviceAccount":"b"}]',
        capzIdentity: "wi_capz",
      },
      /DNS-1123/,
    ],
    [
      "a CAPZ allowed namespace that is not a DNS label",
      "capzAllowedNamespaces[0]",
      {
        identities: '[{"name":"wi-abc","namespace":"a","serviceAccount":"b"}]',
        capzIdentity: "wi-abc",
        capzAllowedNamespaces: '["Team_A"]',
      },
    ],
    [
      "a CAPZ workload cluster key Secret on AKS",
      "capzWorkloadClusterName",
      {
        flavor: "aks",
        identities: '[{"name":"wi-abc","namespace":"a","serviceAccount":"b"}]',
        capzIdentity: "wi-abc",
        capzWorkloadClusterName: "w1",
      },
      /AKS keeps its signing keys/,
    ],
    [
      "21 ServiceAccounts on one identity (Entra's limit is 20 credentials)",
      "identities[0].serviceAccounts",
      {
        identities: JSON.stringify([
          {
            name: "wi-a",
            serviceAccounts: Array.from({ length: 21 }, (_, i) => ({
              namespace: "a",
              name: `s${i}`,
            })),
          },
        ]),
      },
      /at most 20/,
    ],
    // What a new user tried on 2026-12-05 and the table did not hold (issue 22).
    [
      "a brought private key that is encrypted",
      "signingPrivateKeyPem",
      {
        signingKeyBits: "",
        signingPublicKeyPem: fixture("signing.pub"),
        signingPrivateKeyPem: ENCRYPTED_KEY,
      },
      /an encrypted private key \(not shown\) is not valid; expected it unencrypted: decrypt it/,
    ],
    [
      "a public key given as the private half",
      "signingPrivateKeyPem",
      {
        signingKeyBits: "",
        signingPublicKeyPem: fixture("signing.pub"),
        signingPrivateKeyPem: fixture("signing.pub"),
      },
      /a public key is not valid/,
    ],
    [
      "a private half of another pair",
      "signingPrivateKeyPem",
      {
        signingKeyBits: "",
        signingPublicKeyPem: fixture("rotated.pub"),
        signingPrivateKeyPem: fixture("signing.key"),
      },
      /does not match signingPublicKeyPem is not valid; expected the private half of signingPublicKeyPem/,
    ],
    [
      "signingKeys as a map",
      "signingKeys",
      { signingKeyBits: "", signingKeys: '{"initial":{}}', signingKey: "initial" },
      /not a map/,
    ],
    [
      "a mistyped field of a ServiceAccount",
      "identities[0].serviceAccounts[0].creat",
      {
        identities: JSON.stringify([
          { name: "wi-a", serviceAccounts: [{ namespace: "a", name: "b", creat: false }] },
        ]),
      },
      /\(identity wi-a\): false is not valid; unknown field; did you mean create\?/,
    ],
    [
      "a scope whose subscription is no GUID",
      "identities[0].roleAssignments[0].scope",
      {
        identities: JSON.stringify([
          {
            ...WI_A,
            roleAssignments: [{ scope: "/subscriptions/prod/resourceGroups/rg", role: "Reader" }],
          },
        ]),
      },
      /\(identity wi-a\): .* is not valid; the subscription is not a GUID/,
    ],
    [
      "a scope with a trailing slash",
      "identities[0].roleAssignments[0].scope",
      {
        identities: JSON.stringify([
          { ...WI_A, roleAssignments: [{ scope: `${VAULT}/`, role: "Reader" }] },
        ]),
      },
      /it ends with \//,
    ],
    [
      "a scope with resourceGroups and no name",
      "identities[0].roleAssignments[0].scope",
      {
        identities: JSON.stringify([
          {
            ...WI_A,
            roleAssignments: [
              {
                scope: `/subscriptions/${SIMULATED.subscriptionId}/resourceGroups`,
                role: "Reader",
              },
            ],
          },
        ]),
      },
      /resourceGroups has no name after it/,
    ],
    [
      "creating the default ServiceAccount",
      "identities[0].serviceAccount",
      {
        identities: JSON.stringify([
          { name: "wi-a", namespace: "apps", serviceAccount: "default" },
        ]),
      },
      /every namespace has its default ServiceAccount/,
    ],
    [
      "a namespace written as a number",
      "identities[0].namespace",
      { identities: JSON.stringify([{ name: "wi-a", namespace: 123, serviceAccount: "a" }]) },
      /\(identity wi-a\): 123 is not valid; expected a DNS-1123 label as a string, not a number \(quote it in YAML\)/,
    ],
    [
      "an existing identity's resource id of something else",
      "identities[0].existingIdentity.resourceId",
      {
        identities: JSON.stringify([
          {
            ...WI_A,
            existingIdentity: {
              resourceId: VAULT,
              clientId: "00000000-0000-4000-8000-0000000000c1",
            },
          },
        ]),
      },
      /\(identity wi-a\)/,
    ],
    [
      "AKS's version 1.30 written without quotes (YAML reads 1.3)",
      "kubernetesVersion",
      { flavor: "aks", kubernetesVersion: "1.3" },
      /1\.30 written without quotes reaches the program as 1\.3: quote it/,
    ],
    [
      "a kind node image of another version than kubernetesVersion",
      "kindNodeImage",
      { kubernetesVersion: "1.36.1", kindNodeImage: "kindest/node:v1.35.0" },
      /its tag says Kubernetes 1\.35\.0 where kubernetesVersion says 1\.36\.1/,
    ],
    [
      "an OpenShift request with more ServiceAccounts than one identity can trust",
      "openshiftCredentialsRequests[0].spec.serviceAccountNames",
      {
        openshiftCredentialsRequests: JSON.stringify([
          {
            apiVersion: "cloudcredential.openshift.io/v1",
            kind: "CredentialsRequest",
            metadata: { name: "many", namespace: "openshift-cloud-credential-operator" },
            spec: {
              providerSpec: {
                apiVersion: "cloudcredential.openshift.io/v1",
                kind: "AzureProviderSpec",
                roleBindings: [{ role: "Reader" }],
              },
              secretRef: { name: "creds", namespace: "openshift-many" },
              serviceAccountNames: Array.from({ length: 21 }, (_, i) => `sa-${i}`),
            },
          },
        ]),
      },
      /21 ServiceAccounts is not valid; expected at most 20/,
    ],
  ];

const TABLE: Record<string, Case[]> = {
  OidcIssuer: [
    [
      "sharedKeyAccess that is not a boolean",
      "sharedKeyAccess",
      () => new OidcIssuer("x", { sharedKeyAccess: "no" as never }),
      /"no".*true or false/,
    ],
    [
      "a documentWriter while shared keys write the documents",
      "documentWriter",
      () =>
        new OidcIssuer("x", {
          sharedKeyAccess: true,
          documentWriter: {
            principalId: "0f0e0d0c-0b0a-4909-8807-060504030201",
            principalType: "User",
          },
        }),
      /sharedKeyAccess: false/,
    ],
    [
      "an existing account that is not { name, resourceGroupName }",
      "existingStorageAccount.id",
      () => new OidcIssuer("x", { existingStorageAccount: { id: "/subscriptions/x" } as never }),
      /"\/subscriptions\/x"/,
    ],
    [
      "an existing account's name with capitals",
      "existingStorageAccount.name",
      () =>
        new OidcIssuer("x", {
          existingStorageAccount: { name: "CentralOidc", resourceGroupName: "storage-rg" },
        }),
      /"CentralOidc" is not valid; expected a storage account name: 3 to 24 lowercase letters and digits/,
    ],
    [
      "an existing account's resource group with a slash",
      "existingStorageAccount.resourceGroupName",
      () =>
        new OidcIssuer("x", {
          existingStorageAccount: { name: "centraloidc", resourceGroupName: "a/b" },
        }),
      /"a\/b"/,
    ],
    [
      "a location beside an existing account",
      "location",
      () =>
        new OidcIssuer("x", {
          existingStorageAccount: { name: "centraloidc", resourceGroupName: "storage-rg" },
          location: "westeurope",
        }),
      /not used with existingStorageAccount: the issuer makes no resource group, account or role assignment there/,
    ],
    [
      "a documentWriter beside an existing account",
      "documentWriter",
      () =>
        new OidcIssuer("x", {
          existingStorageAccount: { name: "centraloidc", resourceGroupName: "storage-rg" },
          documentWriter: {
            principalId: "0f0e0d0c-0b0a-4909-8807-060504030201",
            principalType: "User",
          },
        }),
      /not used with existingStorageAccount/,
    ],
    [
      "shared keys in an existing account",
      "sharedKeyAccess",
      () =>
        new OidcIssuer("x", {
          existingStorageAccount: { name: "centraloidc", resourceGroupName: "storage-rg" },
          sharedKeyAccess: true,
        }),
      /true is not valid; not used with existingStorageAccount: the documents are written with Entra auth/,
    ],
    [
      "a documentWriter whose principalId is not an object id",
      "documentWriter.principalId",
      () =>
        new OidcIssuer("x", {
          sharedKeyAccess: false,
          documentWriter: { principalId: "me@example.com", principalType: "User" },
        }),
      /"me@example.com"/,
    ],
    [
      "a documentWriter of an unknown principal type",
      "documentWriter.principalType",
      () =>
        new OidcIssuer("x", {
          sharedKeyAccess: false,
          documentWriter: {
            principalId: "0f0e0d0c-0b0a-4909-8807-060504030201",
            principalType: "App" as never,
          },
        }),
      /"App".*ServicePrincipal/,
    ],
    [
      "an unknown hosting",
      "hosting",
      () => new OidcIssuer("x", { hosting: "ftp" as never }),
      /"ftp"/,
    ],
    [
      "a prefix with capitals",
      "accountNamePrefix",
      () => new OidcIssuer("x", { accountNamePrefix: "Oidc" }),
      /"Oidc"/,
    ],
    [
      "a prefix with a hyphen",
      "accountNamePrefix",
      () => new OidcIssuer("x", { accountNamePrefix: "my-oidc" }),
    ],
    [
      "a prefix too long",
      "accountNamePrefix",
      () => new OidcIssuer("x", { accountNamePrefix: "a".repeat(17) }),
    ],
    ["an empty prefix", "accountNamePrefix", () => new OidcIssuer("x", { accountNamePrefix: "" })],
    ["a key under 2048 bits", "rsaBits", () => new OidcIssuer("x", { rsaBits: 1024 }), /1024/],
    ["a fractional key size", "rsaBits", () => new OidcIssuer("x", { rsaBits: 2048.5 })],
    [
      "a container name with a static website",
      "containerName",
      () => new OidcIssuer("x", untyped({ containerName: "oidc" })),
    ],
    [
      "an invalid container name",
      "containerName",
      () => new OidcIssuer("x", { hosting: "publicContainer", containerName: "Bad_Name" }),
    ],
    [
      "a malformed public key",
      "signingKey.publicKeyPem",
      () =>
        new OidcIssuer("x", {
          signingKey: { privateKeyPem: pulumi.secret("x"), publicKeyPem: "not a pem" },
        }),
    ],
    [
      "an EC signing key",
      "signingKey.publicKeyPem",
      () =>
        new OidcIssuer("x", {
          signingKey: { privateKeyPem: pulumi.secret("x"), publicKeyPem: fixture("ec-p256.pub") },
        }),
      /ec key/,
    ],
    [
      "a 1024-bit signing key",
      "signingKey.publicKeyPem",
      () =>
        new OidcIssuer("x", {
          signingKey: { privateKeyPem: pulumi.secret("x"), publicKeyPem: fixture("weak-1024.pub") },
        }),
      /1024/,
    ],
    [
      "a plain private key that is not PEM",
      "signingKey.privateKeyPem",
      () =>
        new OidcIssuer("x", {
          signingKey: { privateKeyPem: "hunter2", publicKeyPem: fixture("signing.pub") },
        }),
      /not shown/,
    ],
    [
      "a private key that does not match its public key",
      "signingKey.privateKeyPem",
      () =>
        new OidcIssuer("x", {
          signingKey: {
            privateKeyPem: fixture("rotated.key"),
            publicKeyPem: fixture("signing.pub"),
          },
        }),
      /does not match/,
    ],
    [
      "rsaBits beside a brought key",
      "rsaBits",
      () =>
        new OidcIssuer(
          "x",
          untyped({
            rsaBits: 4096,
            signingKey: {
              privateKeyPem: fixture("signing.key"),
              publicKeyPem: fixture("signing.pub"),
            },
          }),
        ),
    ],
    [
      "a malformed extra public key",
      "additionalPublicKeysPem[1]",
      () =>
        new OidcIssuer("x", {
          additionalPublicKeysPem: [fixture("rotated.pub"), "-----BEGIN PUBLIC KEY-----\n"],
        }),
    ],
    [
      "the signing key again as an extra key",
      "additionalPublicKeysPem[0]",
      () =>
        new OidcIssuer("x", {
          signingKey: {
            privateKeyPem: fixture("signing.key"),
            publicKeyPem: fixture("signing.pub"),
          },
          additionalPublicKeysPem: [fixture("signing.pub")],
        }),
      /same key as signingKey.publicKeyPem/,
    ],
    [
      "an extra key list that is not a list",
      "additionalPublicKeysPem",
      () => new OidcIssuer("x", { additionalPublicKeysPem: "pem" as never }),
    ],
  ],
  KindOrAksCluster: [
    [
      "an unknown flavor",
      "flavor",
      () => new KindOrAksCluster("c", untyped({ flavor: "k3s" })),
      /"k3s"/,
    ],
    ["a missing flavor", "flavor", () => new KindOrAksCluster("c", {} as never)],
    [
      "kind without an issuer",
      "issuerUrl",
      () => new KindOrAksCluster("c", untyped({ flavor: "kind", signingKey: key() })),
    ],
    [
      "kind without keys",
      "signingKey",
      () => new KindOrAksCluster("c", untyped({ flavor: "kind", issuerUrl: ISSUER })),
    ],
    [
      "kind without a private key",
      "signingKey.privateKeyPem",
      () =>
        new KindOrAksCluster("c", {
          ...kind,
          signingKey: { publicKeyPem: fixture("signing.pub") } as never,
        }),
    ],
    [
      "kind with an http issuer",
      "issuerUrl",
      () => new KindOrAksCluster("c", { ...kind, issuerUrl: "http://x/" }),
      /http:/,
    ],
    [
      "kind with an EC key",
      "signingKey.publicKeyPem",
      () =>
        new KindOrAksCluster("c", {
          ...kind,
          signingKey: { privateKeyPem: pulumi.secret("x"), publicKeyPem: fixture("ec-p256.pub") },
        }),
    ],
    [
      "kind with a bad rotation key",
      "additionalPublicKeysPem[0]",
      () =>
        new KindOrAksCluster("c", { ...kind, additionalPublicKeysPem: [fixture("weak-1024.pub")] }),
    ],
    [
      "kind with its signing key again as a rotation key",
      "additionalPublicKeysPem[0]",
      () =>
        new KindOrAksCluster("c", { ...kind, additionalPublicKeysPem: [fixture("signing.pub")] }),
      /same key as signingKey.publicKeyPem/,
    ],
    [
      "kind with an uppercase name",
      "clusterName",
      () => new KindOrAksCluster("c", { ...kind, clusterName: "Dev" }),
      /"Dev"/,
    ],
    [
      "kind with a name too long",
      "clusterName",
      () => new KindOrAksCluster("c", { ...kind, clusterName: "a".repeat(41) }),
    ],
    [
      "kind with a version without patch",
      "kubernetesVersion",
      () => new KindOrAksCluster("c", { ...kind, kubernetesVersion: "1.34" }),
    ],
    [
      "kind with a nonsense version",
      "kubernetesVersion",
      () => new KindOrAksCluster("c", { ...kind, kubernetesVersion: "latest" }),
      /"latest"/,
    ],
    [
      "kind with a negative worker count",
      "workerCount",
      () => new KindOrAksCluster("c", { ...kind, workerCount: -1 }),
    ],
    [
      "kind with a relative state dir",
      "stateDir",
      () => new KindOrAksCluster("c", { ...kind, stateDir: "state" }),
    ],
    [
      "kind with / as state dir",
      "stateDir",
      () => new KindOrAksCluster("c", { ...kind, stateDir: "/" }),
    ],
    [
      "kind with an AKS node count",
      "nodeCount",
      () => new KindOrAksCluster("c", untyped({ ...kind, nodeCount: 3 })),
      /3/,
    ],
    [
      "kind with an AKS resource group",
      "resourceGroupName",
      () => new KindOrAksCluster("c", untyped({ ...kind, resourceGroupName: "rg" })),
    ],
    [
      "AKS given an issuer",
      "issuerUrl",
      () => new KindOrAksCluster("c", untyped({ ...aks, issuerUrl: ISSUER })),
      /managed issuer/,
    ],
    [
      "AKS given keys",
      "signingKey",
      () => new KindOrAksCluster("c", untyped({ ...aks, signingKey: key() })),
      /a signing key/,
    ],
    [
      "AKS given rotation keys",
      "additionalPublicKeysPem",
      () =>
        new KindOrAksCluster(
          "c",
          untyped({ ...aks, additionalPublicKeysPem: [fixture("rotated.pub")] }),
        ),
    ],
    [
      "AKS given a node image",
      "nodeImage",
      () => new KindOrAksCluster("c", untyped({ ...aks, nodeImage: "kindest/node:v1.34.0" })),
    ],
    [
      "AKS without a resource group",
      "resourceGroupName",
      () => new KindOrAksCluster("c", untyped({ flavor: "aks" })),
    ],
    [
      "AKS with an invalid name",
      "clusterName",
      () => new KindOrAksCluster("c", { ...aks, clusterName: "-bad" }),
    ],
    [
      "AKS with an invalid version",
      "kubernetesVersion",
      () => new KindOrAksCluster("c", { ...aks, kubernetesVersion: "2.0" }),
    ],
    ["AKS with zero nodes", "nodeCount", () => new KindOrAksCluster("c", { ...aks, nodeCount: 0 })],
    [
      "AKS with an invalid VM size",
      "vmSize",
      () => new KindOrAksCluster("c", { ...aks, vmSize: "big" }),
    ],
  ],
  WorkloadIdentity: [
    ["a non-https issuer", "issuerUrl", make({ issuerUrl: "http://issuer.example.com/" }), /https/],
    ["an issuer with a query", "issuerUrl", make({ issuerUrl: "https://issuer.example.com/?a=b" })],
    ["no issuer", "issuerUrl", make({ issuerUrl: undefined })],
    [
      "an uppercase namespace",
      "serviceAccounts[0].namespace",
      make({ serviceAccounts: [{ namespace: "Apps", name: "reader" }] }),
      /"Apps"/,
    ],
    [
      "a namespace with a dot",
      "serviceAccounts[0].namespace",
      make({ serviceAccounts: [{ namespace: "a.b", name: "reader" }] }),
    ],
    [
      "a name ending in a hyphen",
      "serviceAccounts[1].name",
      make({
        serviceAccounts: [
          { namespace: "a", name: "ok" },
          { namespace: "a", name: "bad-" },
        ],
      }),
    ],
    [
      "an empty name",
      "serviceAccounts[0].name",
      make({ serviceAccounts: [{ namespace: "a", name: "" }] }),
    ],
    [
      "a namespace over 63 characters",
      "serviceAccounts[0].namespace",
      make({ serviceAccounts: [{ namespace: "n".repeat(64), name: "a" }] }),
    ],
    [
      "a duplicate subject",
      "serviceAccounts[1]",
      make({
        serviceAccounts: [
          { namespace: "a", name: "b" },
          { namespace: "a", name: "b", create: false },
        ],
      }),
      /system:serviceaccount:a:b/,
    ],
    [
      "21 service accounts on one identity",
      "serviceAccounts",
      make({ serviceAccounts: many(21) }),
      /21 service accounts.*at most 20/,
    ],
    [
      "a token expiration under an hour",
      "tokenExpirationSeconds",
      make({ tokenExpirationSeconds: 3599 }),
      /3599.*3600 to 86400/,
    ],
    [
      "a token expiration over a day",
      "tokenExpirationSeconds",
      make({ tokenExpirationSeconds: 86401 }),
    ],
    ["two audiences", "audiences", make({ audiences: ["api://AzureADTokenExchange", "other"] })],
    [
      "an unknown role",
      "roleAssignments[0].role",
      make({ roleAssignments: [{ scope: VAULT, role: "Vault Wizard" }] }),
      /"Vault Wizard"/,
    ],
    [
      "a relative scope",
      "roleAssignments[0].scope",
      make({ roleAssignments: [{ scope: "apps-kv", role: "Reader" }] }),
    ],
    [
      "the same role twice on a scope",
      "roleAssignments[1]",
      make({
        roleAssignments: [
          { scope: VAULT, role: "Reader" },
          { scope: VAULT, role: "acdd72a7-3385-48ef-bd42-f606fba81ae7" },
        ],
      }),
    ],
    ["an invalid identity name", "identityName", make({ identityName: "x" })],
    [
      "no resource group for a created identity",
      "resourceGroupName",
      make({ resourceGroupName: undefined }),
    ],
    [
      "a malformed existing identity id",
      "existingIdentity.resourceId",
      make({
        resourceGroupName: undefined,
        existingIdentity: {
          resourceId: "/subscriptions/x/ci-runner",
          clientId: "c",
          principalId: "p",
        },
      }),
    ],
    [
      "an identity name beside an existing identity",
      "identityName",
      make({
        identityName: "named",
        existingIdentity: { resourceId: "", clientId: "c", principalId: "p" },
      }),
    ],
  ],
  Webhook: [
    ["no tenant", "azureTenantId", () => new Webhook("w", {} as never)],
    [
      "an empty tenant",
      "azureTenantId",
      () => new Webhook("w", { azureTenantId: "" }),
      /"" is not valid/,
    ],
    [
      "a tenant that is not a GUID",
      "azureTenantId",
      () => new Webhook("w", { azureTenantId: "contoso.onmicrosoft.com" }),
      /contoso/,
    ],
    [
      "values that set the tenant",
      "values.azureTenantID",
      () => new Webhook("w", { azureTenantId: tenant, values: { azureTenantID: "" } }),
      /typed option/,
    ],
    [
      "values that set the replica count",
      "values.replicaCount",
      () => new Webhook("w", { azureTenantId: tenant, values: { replicaCount: 0 } }),
    ],
    [
      "values that are a list",
      "values",
      () => new Webhook("w", { azureTenantId: tenant, values: [] as never }),
    ],
    [
      "zero replicas",
      "replicaCount",
      () => new Webhook("w", { azureTenantId: tenant, replicaCount: 0 }),
    ],
    [
      "an unknown log level",
      "logLevel",
      () => new Webhook("w", { azureTenantId: tenant, logLevel: "verbose" as never }),
      /"verbose"/,
    ],
    [
      "an unknown cloud",
      "azureEnvironment",
      () => new Webhook("w", { azureTenantId: tenant, azureEnvironment: "Mars" as never }),
    ],
    [
      "a version range",
      "chartVersion",
      () => new Webhook("w", { azureTenantId: tenant, chartVersion: "^1.6" }),
    ],
    [
      "an http repository",
      "repository",
      () => new Webhook("w", { azureTenantId: tenant, repository: "http://charts.example.com" }),
    ],
    [
      "an invalid namespace",
      "namespace",
      () => new Webhook("w", { azureTenantId: tenant, namespace: "Azure_WI" }),
    ],
  ],
  "stack config": STACK_CONFIG.map(([what, key, over, pattern]): Case => [
    what,
    key,
    () => deployStack(parseStackConfig(engineConfig(over), "qa")),
    pattern,
  ]),
};

describe("bad input is refused before anything is registered", () => {
  const sim = simulator();
  beforeEach(() => sim.reset());

  it("covers at least 40 invalid inputs", () => {
    assert.ok(Object.values(TABLE).flat().length >= 40);
  });

  for (const [area, cases] of Object.entries(TABLE)) {
    describe(area, () => {
      for (const [what, field, build, pattern] of cases) {
        it(`refuses ${what}, naming ${field}`, () => expectRejected(sim, field, build, pattern));
      }
    });
  }
});
