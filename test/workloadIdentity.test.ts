import * as assert from "node:assert/strict";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { WorkloadIdentity, ficName } from "../components";
import { MAX_FIC_NAME_LENGTH } from "../components/identity/workloadIdentityNames";
import { SIMULATED, SimulatedResource } from "../testing/simulator";
import { settled, simulator, valueOf } from "./helpers";

const UAI = "azure-native:managedidentity:UserAssignedIdentity";
const FIC = "azure-native:managedidentity:FederatedIdentityCredential";
const SA = "kubernetes:core/v1:ServiceAccount";
const NS = "kubernetes:core/v1:Namespace";
const RA = "azure-native:authorization:RoleAssignment";
const ISSUER = "https://oidcab12cd34.z6.web.core.windows.net/";
const VAULT = `/subscriptions/${SIMULATED.subscriptionId}/resourceGroups/apps-rg/providers/Microsoft.KeyVault/vaults/apps-kv`;
const OTHER_SUB = "11111111-2222-4333-8444-555555555555";
const BUCKET = `/subscriptions/${OTHER_SUB}/resourceGroups/data/providers/Microsoft.Storage/storageAccounts/data01`;

function provider() {
  return new k8s.Provider("test-k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
}

const ficsOf = (sim: { byType(t: string): SimulatedResource[] }, parent: SimulatedResource) =>
  sim.byType(FIC).filter((f) => f.parent === parent.urn);

describe("WorkloadIdentity (created identity, many service accounts)", () => {
  const sim = simulator();
  let wi: WorkloadIdentity;

  before(async () => {
    sim.reset();
    wi = new WorkloadIdentity(
      "reader",
      {
        issuerUrl: ISSUER,
        resourceGroupName: "apps-rg",
        location: "westeurope",
        serviceAccounts: [
          { namespace: "apps", name: "reader" },
          { namespace: "apps", name: "reader-batch" },
          { namespace: "jobs", name: "external", create: false },
        ],
        tokenExpirationSeconds: 7200,
        createNamespaces: true,
        roleAssignments: [
          { scope: VAULT, role: "Key Vault Secrets User" },
          { scope: BUCKET, role: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1" },
        ],
      },
      { providers: { kubernetes: provider() } },
    );
    await valueOf(wi.federatedCredentialNames);
    await settled(sim);
  });

  it("creates one user-assigned identity", () => {
    assert.deepEqual(sim.one(UAI).inputs, {
      resourceName: "reader",
      resourceGroupName: "apps-rg",
      location: "westeurope",
    });
  });

  it("creates one FIC per trusted service account, issuer byte-equal to the given one", () => {
    const fics = sim.byType(FIC);
    assert.equal(fics.length, 3);
    assert.deepEqual(
      fics.map((f) => f.inputs.subject),
      [
        "system:serviceaccount:apps:reader",
        "system:serviceaccount:apps:reader-batch",
        "system:serviceaccount:jobs:external",
      ],
    );
    for (const f of fics) {
      assert.equal(f.inputs.issuer, ISSUER);
      assert.equal(Buffer.compare(Buffer.from(String(f.inputs.issuer)), Buffer.from(ISSUER)), 0);
      assert.deepEqual(f.inputs.audiences, ["api://AzureADTokenExchange"]);
      assert.equal(f.inputs.resourceName, sim.one(UAI).outputs.name);
      assert.equal(f.inputs.resourceGroupName, "apps-rg");
      const [, , ns, name] = String(f.inputs.subject).split(":");
      assert.equal(f.inputs.federatedIdentityCredentialResourceName, ficName(ns, name));
      assert.ok(
        String(f.inputs.federatedIdentityCredentialResourceName).length <= MAX_FIC_NAME_LENGTH,
      );
    }
  });

  it("chains the FICs of one identity strictly one after another", () => {
    const [a, b, c] = sim.byType(FIC);
    assert.ok(
      !a.dependencies.some((d) => d.includes("FederatedIdentityCredential")),
      "the first waits for no FIC",
    );
    assert.ok(b.dependencies.includes(a.urn), "the second waits for the first");
    assert.ok(c.dependencies.includes(b.urn), "the third waits for the second");
    assert.ok(
      b.startedMs >= a.endedMs && c.startedMs >= b.endedMs,
      "registration order follows the chain",
    );
  });

  it("creates and annotates only the service accounts it owns, with the identity's client id", () => {
    const clientId = String(sim.one(UAI).outputs.clientId);
    const sas = sim.byType(SA);
    assert.deepEqual(
      sas.map((s) => (s.inputs.metadata as { namespace: string; name: string }).name),
      ["reader", "reader-batch"],
    );
    for (const s of sas) {
      const md = s.inputs.metadata as { namespace: string; annotations: Record<string, string> };
      assert.equal(md.namespace, "apps");
      assert.deepEqual(md.annotations, {
        "azure.workload.identity/client-id": clientId,
        "azure.workload.identity/tenant-id": SIMULATED.tenantId,
        "azure.workload.identity/service-account-token-expiration": "7200",
      });
      assert.match(
        s.options.provider,
        /test-k8s/,
        "service accounts go through the caller's provider",
      );
    }
  });

  it("creates the namespace of created accounts, first", () => {
    const ns = sim.one(NS);
    assert.deepEqual(ns.inputs.metadata, { name: "apps" });
    for (const s of sim.byType(SA)) assert.ok(s.dependencies.includes(ns.urn));
  });

  it("grants roles to the identity's principal as a ServicePrincipal", () => {
    const principalId = String(sim.one(UAI).outputs.principalId);
    const ras = sim.byType(RA).map((r) => r.inputs);
    assert.deepEqual(
      ras.map((r) => [r.scope, r.roleDefinitionId, r.principalId, r.principalType]),
      [
        [
          VAULT,
          `/subscriptions/${SIMULATED.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`,
          principalId,
          "ServicePrincipal",
        ],
        [
          BUCKET,
          `/subscriptions/${OTHER_SUB}/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1`,
          principalId,
          "ServicePrincipal",
        ],
      ],
    );
  });

  it("exposes the ids, the accounts and the pod helper", async () => {
    const uai = sim.one(UAI).outputs;
    assert.equal(await valueOf(wi.clientId), uai.clientId);
    assert.equal(await valueOf(wi.principalId), uai.principalId);
    assert.equal(await valueOf(wi.tenantId), SIMULATED.tenantId);
    assert.equal(await valueOf(wi.identityId), uai.id);
    assert.deepEqual(await valueOf(wi.serviceAccounts), [
      "apps/reader",
      "apps/reader-batch",
      "jobs/external",
    ]);
    assert.deepEqual(wi.podIdentity(), {
      labels: { "azure.workload.identity/use": "true" },
      serviceAccountName: "reader",
      namespace: "apps",
    });
    assert.equal(
      wi.podIdentity({ namespace: "jobs", name: "external" }).serviceAccountName,
      "external",
    );
    assert.throws(() => wi.podIdentity({ namespace: "apps", name: "stranger" }), /not trusted/);
  });
});

describe("WorkloadIdentity (two identities)", () => {
  const sim = simulator();
  before(async () => {
    sim.reset();
    const opts = { providers: { kubernetes: provider() } };
    // Many-to-one: both identities trust apps/shared; only the first creates and annotates it.
    const a = new WorkloadIdentity(
      "alpha",
      {
        issuerUrl: ISSUER,
        resourceGroupName: "rg",
        serviceAccounts: [
          { namespace: "apps", name: "shared" },
          { namespace: "apps", name: "a2" },
        ],
      },
      opts,
    );
    const b = new WorkloadIdentity(
      "beta",
      {
        issuerUrl: ISSUER,
        resourceGroupName: "rg",
        serviceAccounts: [
          { namespace: "apps", name: "shared", create: false },
          { namespace: "apps", name: "b2" },
        ],
      },
      opts,
    );
    await Promise.all([valueOf(a.federatedCredentialNames), valueOf(b.federatedCredentialNames)]);
    await settled(sim);
  });

  it("chains within each identity but never across them", () => {
    const [alpha, beta] = ["alpha", "beta"].map((n) =>
      sim.one("azure-wi:index:WorkloadIdentity", n),
    );
    const fa = ficsOf(sim, alpha);
    const fb = ficsOf(sim, beta);
    assert.equal(fa.length, 2);
    assert.equal(fb.length, 2);
    assert.ok(fa[1].dependencies.includes(fa[0].urn));
    assert.ok(fb[1].dependencies.includes(fb[0].urn));
    for (const f of fb)
      for (const g of fa)
        assert.ok(!f.dependencies.includes(g.urn), "beta must not wait for alpha");
    for (const f of fa)
      for (const g of fb)
        assert.ok(!f.dependencies.includes(g.urn), "alpha must not wait for beta");
  });

  it("trusts a shared service account from both identities, annotating it once", () => {
    const shared = sim
      .byType(FIC)
      .filter((f) => f.inputs.subject === "system:serviceaccount:apps:shared");
    assert.equal(shared.length, 2);
    assert.notEqual(shared[0].inputs.resourceName, shared[1].inputs.resourceName);
    const created = sim
      .byType(SA)
      .filter((s) => (s.inputs.metadata as { name: string }).name === "shared");
    assert.equal(created.length, 1);
    const alphaClient = sim.byType(UAI).find((u) => u.name === "alpha-identity")?.outputs.clientId;
    assert.equal(
      (created[0].inputs.metadata as { annotations: Record<string, string> }).annotations[
        "azure.workload.identity/client-id"
      ],
      alphaClient,
    );
  });
});

describe("WorkloadIdentity and a cluster that is not there yet", () => {
  const sim = simulator();

  it("creates the Azure identity and credentials without waiting for the Kubernetes provider", async () => {
    sim.reset();
    // A provider whose kubeconfig arrives only when the test lets it, as a new cluster's arrives
    // late. (A timer for it made this test depend on the machine's load: on a busy machine the
    // credentials' chain could outlast the timer and the test failed, with nothing waiting.)
    let arrive!: (kubeconfig: string) => void;
    const late = new Promise<string>((resolve) => (arrive = resolve));
    const slow = new k8s.Provider("late-k8s", { kubeconfig: pulumi.output(late) });
    const wi = new WorkloadIdentity(
      "early",
      {
        issuerUrl: ISSUER,
        resourceGroupName: "rg",
        serviceAccounts: [{ namespace: "apps", name: "early" }],
      },
      { providers: { kubernetes: slow } },
    );
    // Without the kubeconfig, everything that does not need the cluster is made, and only that.
    await settled(sim);
    for (const t of [UAI, FIC]) {
      const made = sim.byType(t);
      assert.ok(made.length === 1 && made[0].endedMs > 0, `${t} must not wait for the cluster`);
    }
    assert.deepEqual(
      [...sim.byType("pulumi:providers:kubernetes"), ...sim.byType(SA)].map((r) => r.type),
      [],
      "the provider and the ServiceAccount wait for the kubeconfig",
    );
    arrive("apiVersion: v1\nkind: Config\n");
    await valueOf(wi.serviceAccountResources[0].metadata.name);
    await settled(sim);
    const provider = sim.one("pulumi:providers:kubernetes");
    assert.ok(
      sim.one(SA).startedMs >= provider.endedMs,
      "the ServiceAccount waits for the cluster",
    );
    assert.match(sim.one(SA).options.provider, /late-k8s/);
  });
});

describe("WorkloadIdentity with createNamespaces", () => {
  const sim = simulator();

  it("creates each namespace once and never a built-in one", async () => {
    sim.reset();
    const wi = new WorkloadIdentity(
      "ns-test",
      {
        issuerUrl: ISSUER,
        resourceGroupName: "rg",
        createNamespaces: true,
        serviceAccounts: [
          { namespace: "default", name: "a" },
          { namespace: "team", name: "b" },
          { namespace: "team", name: "c" },
          { namespace: "elsewhere", name: "d", create: false },
        ],
      },
      { providers: { kubernetes: provider() } },
    );
    await valueOf(wi.federatedCredentialNames);
    await settled(sim);
    assert.deepEqual(
      sim.byType(NS).map((n) => (n.inputs.metadata as { name: string }).name),
      ["team"],
    );
  });
});

describe("WorkloadIdentity (existing identity)", () => {
  const sim = simulator();
  const id = `/subscriptions/${SIMULATED.subscriptionId}/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ci-runner`;

  it("adds FICs to it, annotating with its client id and the caller's tenant", async () => {
    sim.reset();
    const wi = new WorkloadIdentity(
      "ci",
      {
        issuerUrl: ISSUER,
        existingIdentity: {
          resourceId: id,
          clientId: "aaaaaaaa-0000-4000-8000-000000000001",
          principalId: "bbbbbbbb-0000-4000-8000-000000000002",
        },
        serviceAccounts: [{ namespace: "ci", name: "runner" }],
      },
      { providers: { kubernetes: provider() } },
    );
    assert.equal(await valueOf(wi.tenantId), SIMULATED.tenantId);
    await valueOf(wi.federatedCredentialNames);
    await settled(sim);
    assert.equal(sim.byType(UAI).length, 0);
    const fic = sim.one(FIC).inputs;
    assert.equal(fic.resourceName, "ci-runner");
    assert.equal(fic.resourceGroupName, "identities");
    const annotations = (sim.one(SA).inputs.metadata as { annotations: Record<string, string> })
      .annotations;
    assert.equal(
      annotations["azure.workload.identity/client-id"],
      "aaaaaaaa-0000-4000-8000-000000000001",
    );
    assert.ok(sim.invokes.some((i) => i.token === "azure-native:authorization:getClientConfig"));
    assert.equal(await valueOf(wi.identityId), id);
  });
});

describe("ficName", () => {
  it("is deterministic and distinct where the readable part is ambiguous", () => {
    assert.equal(ficName("a-b", "c"), ficName("a-b", "c"));
    assert.notEqual(ficName("a-b", "c"), ficName("a", "b-c"));
    assert.match(ficName("apps", "reader"), /^apps-reader-[0-9a-f]{10}$/);
  });

  it("stays within 120 characters for the longest names", () => {
    const name = ficName("n".repeat(63), "s".repeat(253));
    assert.ok(name.length <= 120, String(name.length));
    assert.notEqual(name, ficName("n".repeat(63), `${"s".repeat(252)}t`));
  });
});
