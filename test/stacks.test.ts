/**
 * Each stack's program under mocks, with its real stack file: the strings that must match do
 * match, to the byte, across the whole composition.
 */
import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

import { ISSUER_DOCUMENT_TYPE } from "../components/issuer/issuerDocumentSpec";
import { StackConfig, parseStackConfig, projectConfig } from "../stacks/config";
import { deployStack } from "../stacks/deploy";
import { SimulatedCloud, SimulatedResource, isSecretValue } from "../testing/simulator";
import { readStackFiles } from "../cli/stackFiles";
import { apiServerFlag, settled, simulator } from "./helpers";

const FIC = "azure-native:managedidentity:FederatedIdentityCredential";
const UAI = "azure-native:managedidentity:UserAssignedIdentity";
const SA = "kubernetes:core/v1:ServiceAccount";

const configOf = (stack: string, over: Partial<StackConfig> = {}): StackConfig => ({
  ...parseStackConfig(
    projectConfig(readStackFiles(stack).config, "azure-workload-identity"),
    stack,
  ),
  // Real 4096-bit keys are generated in the plan; 2048 keeps this suite quick.
  ...(stack === "dev" ? { signingKeyBits: 2048 } : {}),
  ...over,
});

async function run(sim: SimulatedCloud, cfg: StackConfig): Promise<Record<string, unknown>> {
  sim.reset();
  const outputs = (await pulumi.runtime.runInPulumiStack(() =>
    Promise.resolve(deployStack(cfg)),
  )) as Record<string, unknown>;
  await settled(sim);
  return outputs;
}

interface Meta {
  name: string;
  namespace: string;
  annotations: Record<string, string>;
}
const meta = (r: SimulatedResource) => r.inputs.metadata as Meta;

/** A document of the issuer as it is written: with Entra auth, or with the account key. */
function written(sim: SimulatedCloud, blobName: string): string {
  const doc = sim.byType(ISSUER_DOCUMENT_TYPE).find((d) => d.inputs.blobName === blobName);
  if (doc) return String(doc.inputs.content);
  const blob = sim.byType("azure-native:storage:Blob").find((b) => b.inputs.blobName === blobName);
  assert.ok(blob, `no document ${blobName}`);
  return (blob.inputs.source as { text: string }).text;
}

function checkIdentities(sim: SimulatedCloud, cfg: StackConfig, issuer: string): void {
  const fics = sim.byType(FIC);
  assert.equal(
    fics.length,
    cfg.identities.reduce((n, i) => n + i.serviceAccounts.length, 0),
  );
  for (const f of fics) {
    assert.equal(
      Buffer.compare(Buffer.from(String(f.inputs.issuer)), Buffer.from(issuer)),
      0,
      `${f.name} issuer`,
    );
  }

  // Every FIC subject names a ServiceAccount the stack creates or the config declares external.
  const created = new Set(
    sim.byType(SA).map((s) => `system:serviceaccount:${meta(s).namespace}:${meta(s).name}`),
  );
  const external = new Set(
    cfg.identities.flatMap((i) =>
      i.serviceAccounts
        .filter((s) => !s.create)
        .map((s) => `system:serviceaccount:${s.namespace}:${s.name}`),
    ),
  );
  for (const f of fics) {
    const subject = String(f.inputs.subject);
    assert.ok(
      created.has(subject) !== external.has(subject),
      `${subject} is created xor declared external`,
    );
  }

  // Each ServiceAccount's client-id annotation is its identity's client id.
  const components = new Map(sim.byType("azure-wi:index:WorkloadIdentity").map((c) => [c.urn, c]));
  for (const sa of sim.byType(SA)) {
    const identity = sim.byType(UAI).find((u) => u.parent === sa.parent);
    assert.ok(identity && components.has(sa.parent), `${sa.name} belongs to an identity`);
    assert.equal(
      meta(sa).annotations["azure.workload.identity/client-id"],
      identity.outputs.clientId,
    );
  }
}

describe("the dev stack (kind)", () => {
  const sim = simulator();
  let outputs: Record<string, unknown>;
  let cfg: StackConfig;

  before(async () => {
    cfg = configOf("dev");
    outputs = await run(sim, cfg);
  });

  it("uses one issuer string for the API server, the discovery document and every FIC", () => {
    const issuer = String(outputs.issuerUrl);
    assert.match(issuer, /^https:\/\/oidc[a-z0-9]{8}\.z6\.web\.core\.windows\.net\/$/);

    assert.equal(apiServerFlag(String(outputs.kindConfig), "service-account-issuer"), issuer);

    const doc = JSON.parse(written(sim, ".well-known/openid-configuration")) as {
      issuer: string;
      jwks_uri: string;
    };
    assert.equal(doc.issuer, issuer);
    assert.equal(doc.jwks_uri, outputs.jwksUri);

    checkIdentities(sim, cfg, issuer);
  });

  it("passes the shared-key policy: the account refuses the key, the deployer writes with Entra", () => {
    const [account] = sim.byType("azure-native:storage:StorageAccount");
    assert.equal(account.inputs.allowSharedKeyAccess, false);
    assert.equal(account.inputs.allowBlobPublicAccess, false);
    assert.deepEqual(sim.byType("azure-native:storage:Blob"), [], "nothing uses the account key");
    const grants = sim
      .byType("azure-native:authorization:RoleAssignment")
      .filter((r) => r.name === "oidc-document-writer");
    assert.equal(grants.length, 1);
    assert.equal(grants[0].inputs.principalId, sim.signedIn?.principalId);
    assert.equal(grants[0].inputs.scope, account.outputs.id);
  });

  it("lets credentials and identities go ahead of the kind cluster", () => {
    const kind = sim.one("command:local:Command", "cluster-kind").urn;
    for (const r of [...sim.byType(FIC), ...sim.byType(UAI)]) {
      assert.ok(!r.dependencies.includes(kind), `${r.name} must not wait for the cluster`);
    }
  });

  it("publishes the key the cluster signs with", () => {
    const jwks = JSON.parse(written(sim, "openid/v1/jwks")) as {
      keys: { kid: string }[];
    };
    assert.deepEqual(
      jwks.keys.map((k) => k.kid),
      [outputs.keyId],
    );
    const env = sim.one("command:local:Command", "cluster-kind-keys").inputs.environment as Record<
      string,
      string
    >;
    assert.equal(env.WI_SA_PUB, sim.one("tls:index/privateKey:PrivateKey").outputs.publicKeyPem);
  });

  it("installs the webhook with the tenant and creates each namespace once", () => {
    const release = sim.one("kubernetes:helm.sh/v3:Release");
    assert.equal(
      (release.inputs.values as Record<string, unknown>).azureTenantID,
      outputs.tenantId,
    );
    assert.deepEqual(
      sim
        .byType("kubernetes:core/v1:Namespace")
        .map((n) => meta(n).name)
        .sort(),
      ["apps", "azure-workload-identity-system"],
    );
  });

  it("exports what a user needs next, the kubeconfig as a secret", () => {
    const raw = sim.registeredOutputs.get(sim.one("pulumi:pulumi:Stack").urn) ?? {};
    assert.deepEqual(Object.keys(raw).sort(), [
      "clusterName",
      "flavor",
      "identities",
      "issuerUrl",
      "jwksUri",
      "keyId",
      "keyRotation",
      "kindConfig",
      "kubeconfig",
      "resourceGroupName",
      "signingKeys",
      "signingPublicKeyPem",
      "storageAccountName",
      "tenantId",
      "webhookNamespace",
    ]);
    assert.ok(isSecretValue(raw.kubeconfig));
    const identities = outputs.identities as Record<
      string,
      { clientId: string; serviceAccounts: string[] }
    >;
    assert.deepEqual(Object.keys(identities), ["wi-dev-secrets-reader", "wi-dev-blob-writer"]);
    assert.deepEqual(identities["wi-dev-blob-writer"].serviceAccounts, [
      "apps/blob-writer",
      "jobs/nightly-export",
    ]);
    assert.equal(
      identities["wi-dev-secrets-reader"].clientId,
      sim.byType(UAI).find((u) => u.inputs.resourceName === "wi-dev-secrets-reader")?.outputs
        .clientId,
    );
  });

  it("runs no demo pod unless asked", () => {
    assert.equal(sim.byType("kubernetes:core/v1:Pod").length, 0);
  });

  // Last: these run the stack again.
  it("publishes in the account storageAccountName names: no account, website or grant of its own", async () => {
    const file = readStackFiles("dev").config;
    const parsed = parseStackConfig(
      projectConfig(
        {
          ...file,
          "azure-workload-identity:storageAccountName": "centraloidc",
          "azure-workload-identity:storageAccountResourceGroup": "storage-rg",
        },
        "azure-workload-identity",
      ),
      "dev",
    );
    assert.deepEqual(parsed.existingStorageAccount, {
      name: "centraloidc",
      resourceGroupName: "storage-rg",
    });
    const again = await run(sim, {
      ...configOf("dev"),
      existingStorageAccount: parsed.existingStorageAccount,
    });
    for (const t of [
      "azure-native:storage:StorageAccount",
      "azure-native:storage:StorageAccountStaticWebsite",
    ]) {
      assert.deepEqual(sim.byType(t), [], t);
    }
    assert.ok(!sim.resources.some((r) => r.name === "oidc-document-writer"));
    assert.equal(again.issuerUrl, `https://centraloidc.z6.web.core.windows.net/`);
    assert.equal(sim.byType(ISSUER_DOCUMENT_TYPE).length, 2);
    checkIdentities(sim, configOf("dev"), String(again.issuerUrl));
  });

  it("keeps the account key with storageSharedKeyAccess: true, and azure-native writes with it", async () => {
    const again = await run(sim, configOf("dev", { storageSharedKeyAccess: true }));
    const [account] = sim.byType("azure-native:storage:StorageAccount");
    assert.equal(account.inputs.allowSharedKeyAccess, true);
    assert.deepEqual(sim.byType(ISSUER_DOCUMENT_TYPE), []);
    assert.deepEqual(
      sim
        .byType("azure-native:authorization:RoleAssignment")
        .filter((r) => r.name === "oidc-document-writer"),
      [],
    );
    const doc = JSON.parse(written(sim, ".well-known/openid-configuration")) as { issuer: string };
    assert.equal(apiServerFlag(String(again.kindConfig), "service-account-issuer"), doc.issuer);
  });
});

describe("the aks stack", () => {
  const sim = simulator();
  let outputs: Record<string, unknown>;
  let cfg: StackConfig;

  before(async () => {
    cfg = configOf("aks");
    outputs = await run(sim, cfg);
  });

  it("takes the issuer from AKS and gives it to every FIC unchanged", () => {
    const aks = sim.one("azure-native:containerservice:ManagedCluster");
    const issuer = (aks.outputs.oidcIssuerProfile as { issuerURL: string }).issuerURL;
    assert.equal(outputs.issuerUrl, issuer);
    checkIdentities(sim, cfg, issuer);
  });

  it("creates no issuer, no kind cluster and no webhook (the add-on runs it)", () => {
    for (const t of [
      "azure-native:storage:StorageAccount",
      "command:local:Command",
      "kubernetes:helm.sh/v3:Release",
      "tls:index/privateKey:PrivateKey",
    ]) {
      assert.equal(sim.byType(t).length, 0, t);
    }
    assert.equal(outputs.kindConfig, undefined);
  });
});

describe("the demo workload", () => {
  const sim = simulator();

  it("is a labelled pod with the identity's ServiceAccount, created after the webhook", async () => {
    const outputs = await run(sim, configOf("dev", { demoWorkload: true }));
    const pod = sim.one("kubernetes:core/v1:Pod");
    const spec = pod.inputs.spec as {
      serviceAccountName: string;
      containers: { image: string; args: string[] }[];
    };
    assert.deepEqual(meta(pod).name, "wi-demo");
    assert.equal(meta(pod).namespace, "apps");
    assert.equal(
      (pod.inputs.metadata as { labels: Record<string, string> }).labels[
        "azure.workload.identity/use"
      ],
      "true",
    );
    assert.equal(spec.serviceAccountName, "secrets-reader");
    assert.match(spec.containers[0].args[0], /\$AZURE_FEDERATED_TOKEN_FILE/);
    assert.ok(
      pod.dependencies.includes(sim.one("kubernetes:helm.sh/v3:Release").urn),
      "after the webhook",
    );
    const sa = sim.byType(SA).find((s) => meta(s).name === "secrets-reader");
    assert.ok(sa && pod.dependencies.includes(sa.urn), "after its ServiceAccount");
    assert.equal(outputs.demoPod, "apps/wi-demo");
  });
});

describe("ServiceAccounts in built-in namespaces", () => {
  const sim = simulator();

  it("are created without creating the namespace, which every cluster has", async () => {
    const cfg = configOf("aks", {
      identities: [
        {
          name: "wi-aks-default",
          serviceAccounts: [
            { namespace: "default", name: "app", create: true },
            { namespace: "kube-system", name: "operator", create: true },
            { namespace: "apps", name: "app", create: true },
          ],
          roleAssignments: [],
        },
      ],
    });
    await run(sim, cfg);
    assert.deepEqual(
      sim.byType("kubernetes:core/v1:Namespace").map((n) => meta(n).name),
      ["apps"],
    );
    const sas = sim.byType(SA);
    assert.deepEqual(
      sas.map((s) => `${meta(s).namespace}/${meta(s).name}`),
      ["default/app", "kube-system/operator", "apps/app"],
    );
    // The identity's ServiceAccounts wait for the namespace it needs created.
    assert.ok(sas[2].dependencies.includes(sim.one("kubernetes:core/v1:Namespace").urn));
  });
});
