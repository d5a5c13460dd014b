/**
 * The programs in examples/ run under the simulated cloud as `pulumi up` would run them: they
 * import the package by name (its built declarations are type-checked with the project), and the
 * trust chain they build holds together.
 */
import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

import { BUILTIN_ROLES } from "../components/identity/roles";
import { ANNOTATION, USE_LABEL } from "../components/identity/workloadIdentityNames";
import { SimulatedCloud, unwrapSecrets } from "../testing/simulator";
import { settled, simulator } from "./helpers";

async function run(sim: SimulatedCloud, example: string): Promise<Record<string, unknown>> {
  sim.reset();
  await pulumi.runtime.runInPulumiStack(() =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    Promise.resolve(require(`../examples/${example}/index`) as Record<string, unknown>),
  );
  await settled(sim);
  const stack = sim.one("pulumi:pulumi:Stack");
  return unwrapSecrets(sim.registeredOutputs.get(stack.urn) ?? {}) as Record<string, unknown>;
}

const count = (sim: SimulatedCloud, type: string) => sim.byType(type).length;

describe("examples/kind: a consumer program with all four components", function () {
  this.timeout(120_000);
  const sim = simulator();
  let outputs: Record<string, unknown>;
  before(async () => (outputs = await run(sim, "kind")));

  it("builds the issuer, the kind cluster, the webhook and the identity", () => {
    for (const type of ["OidcIssuer", "KindOrAksCluster", "Webhook", "WorkloadIdentity"]) {
      assert.equal(count(sim, `azure-wi:index:${type}`), 1, type);
    }
    // The kind cluster and its keys.
    assert.equal(count(sim, "command:local:Command"), 2);
  });

  it("trusts the ServiceAccount under the issuer the cluster signs with, byte for byte", () => {
    const fic = sim.one("azure-native:managedidentity:FederatedIdentityCredential");
    assert.equal(fic.inputs.issuer, outputs.issuerUrl);
    assert.equal(fic.inputs.subject, "system:serviceaccount:apps:blob-reader");
    const kindConfig = String(
      (sim.one("command:local:Command", "dev-kind").inputs.environment as Record<string, unknown>)
        .WI_KIND_CONFIG,
    );
    assert.ok(kindConfig.includes(`value: ${String(outputs.issuerUrl)}`));
  });

  it("runs the workload with the identity's label and ServiceAccount, after the webhook", () => {
    const deployment = sim.one("kubernetes:apps/v1:Deployment");
    const { template } = deployment.inputs.spec as {
      template: {
        metadata: { labels: Record<string, string> };
        spec: { serviceAccountName: string };
      };
    };
    assert.equal(template.metadata.labels[USE_LABEL], "true");
    assert.equal(template.spec.serviceAccountName, "blob-reader");
    const release = sim.one("kubernetes:helm.sh/v3:Release");
    assert.ok(deployment.dependencies.includes(release.urn));
    const sa = sim.one("kubernetes:core/v1:ServiceAccount");
    const annotations = (sa.inputs.metadata as { annotations: Record<string, string> }).annotations;
    assert.equal(annotations[ANNOTATION.clientId], outputs.clientId);
  });
});

describe("examples/aks-external-secrets: External Secrets reading Key Vault", function () {
  this.timeout(120_000);
  const sim = simulator();
  let outputs: Record<string, unknown>;
  before(async () => (outputs = await run(sim, "aks-external-secrets")));

  it("grants the identity Key Vault Secrets User on the vault", () => {
    const vault = sim.one("azure-native:keyvault:Vault");
    const grant = sim.one("azure-native:authorization:RoleAssignment");
    assert.equal(grant.inputs.scope, vault.outputs.id);
    assert.match(
      String(grant.inputs.roleDefinitionId),
      new RegExp(`/roleDefinitions/${BUILTIN_ROLES["Key Vault Secrets User"]}$`),
    );
    assert.equal(grant.inputs.principalType, "ServicePrincipal");
  });

  it("federates the store's ServiceAccount under AKS's issuer", () => {
    const fic = sim.one("azure-native:managedidentity:FederatedIdentityCredential");
    assert.equal(fic.inputs.issuer, outputs.issuerUrl);
    assert.match(String(outputs.issuerUrl), /\.oic\.prod-aks\.azure\.com\/.*\/$/);
    assert.equal(fic.inputs.subject, "system:serviceaccount:external-secrets:external-secrets-kv");
  });

  it("points a ClusterSecretStore at the vault with workload identity auth", () => {
    const store = sim.one("kubernetes:external-secrets.io/v1:ClusterSecretStore");
    const azurekv = (store.inputs.spec as { provider: { azurekv: Record<string, unknown> } })
      .provider.azurekv;
    assert.equal(azurekv.authType, "WorkloadIdentity");
    assert.equal(azurekv.vaultUrl, outputs.vaultUri);
    assert.deepEqual(azurekv.serviceAccountRef, {
      name: "external-secrets-kv",
      namespace: "external-secrets",
    });
    const sa = sim.one("kubernetes:core/v1:ServiceAccount");
    const annotations = (sa.inputs.metadata as { annotations: Record<string, string> }).annotations;
    assert.equal(annotations[ANNOTATION.clientId], outputs.clientId);
    const operator = sim.one("kubernetes:helm.sh/v3:Release");
    assert.equal(operator.inputs.chart, "external-secrets");
    assert.ok(store.dependencies.includes(operator.urn));
  });
});

describe("examples/many-clusters: one identity for a kind and two AKS clusters", function () {
  this.timeout(120_000);
  const sim = simulator();
  let outputs: Record<string, unknown>;
  before(async () => (outputs = await run(sim, "many-clusters")));

  it("makes one identity, a credential for each FIC cluster and a binding for the third", () => {
    assert.equal(count(sim, "azure-native:managedidentity:UserAssignedIdentity"), 1);
    assert.equal(count(sim, "azure-native:managedidentity:FederatedIdentityCredential"), 2);
    assert.equal(count(sim, "azure-native:containerservice:IdentityBinding"), 1);
    assert.equal(outputs.credentialCount, 3);
  });

  it("trusts each cluster under the issuer that cluster has", () => {
    const fleet = outputs.fleet as Record<string, { mechanism: string; issuer: string }>;
    const aks = sim
      .byType("azure-native:containerservice:ManagedCluster")
      .find((c) => c.name === "prod-a-aks");
    const issuers = sim
      .byType("azure-native:managedidentity:FederatedIdentityCredential")
      .map((f) => f.inputs.issuer);
    assert.deepEqual(issuers, [
      fleet.dev.issuer,
      (aks?.outputs.oidcIssuerProfile as { issuerURL: string }).issuerURL,
    ]);
    assert.match(fleet["prod-b"].issuer, /^https:\/\/ib\.oic\.prod-aks\.azure\.com\//);
    assert.deepEqual((outputs.prodBPod as { annotations: unknown }).annotations, {
      "azure.workload.identity/use-identity-binding": "true",
    });
  });
});
