import * as assert from "node:assert/strict";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { FleetIdentity, WorkloadIdentity } from "../components";
import {
  FleetClusterArgs,
  FleetIdentityArgs,
  resolveFleetIdentityArgs,
} from "../components/identity/fleetIdentityArgs";
import { InvalidArgumentError } from "../components/shared/errors";
import { SIMULATED } from "../testing/simulator";
import { settled, simulator, valueOf } from "./helpers";

const FIC = "azure-native:managedidentity:FederatedIdentityCredential";
const BINDING = "azure-native:containerservice:IdentityBinding";
const SA = "kubernetes:core/v1:ServiceAccount";
const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
const ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding";
const KIND_ISSUER = "https://oidcab12cd34.z6.web.core.windows.net/";
const AKS_ISSUER = "https://westeurope.oic.prod-aks.azure.com/tenant/issuer-a/";

const sas = (n: number, ns = "apps") =>
  Array.from({ length: n }, (_, i) => ({ namespace: ns, name: `sa-${i}` }));

function fleet(clusters: FleetClusterArgs[], extra: Partial<FleetIdentityArgs> = {}) {
  return { resourceGroupName: "platform", clusters, ...extra };
}

/** The InvalidArgumentError a resolve throws: its field and the whole message. */
function refusal(args: FleetIdentityArgs): { field: string; message: string } {
  try {
    resolveFleetIdentityArgs("payments", args);
  } catch (err) {
    assert.ok(err instanceof InvalidArgumentError, String(err));
    return { field: err.field, message: err.message };
  }
  assert.fail("accepted");
}

describe("FleetIdentity's arguments and credential budget (pure)", () => {
  const kind = { name: "dev-kind", issuerUrl: KIND_ISSUER, serviceAccounts: sas(3) };
  const binding = {
    name: "prod-b",
    identityBinding: { resourceGroupName: "prod", clusterName: "prod-b" },
    serviceAccounts: sas(30),
  };

  it("counts a credential per ServiceAccount of each FIC cluster and one for all bindings", () => {
    const plan = resolveFleetIdentityArgs(
      "payments",
      fleet([
        kind,
        binding,
        {
          ...binding,
          name: "prod-c",
          identityBinding: { resourceGroupName: "p", clusterName: "c" },
        },
      ]),
    );
    assert.equal(plan.credentials, 3 + 1);
    assert.deepEqual(
      plan.clusters.map((c) => [c.name, c.mechanism, c.credentials]),
      [
        ["dev-kind", "federatedCredential", 3],
        ["prod-b", "identityBinding", 0],
        ["prod-c", "identityBinding", 0],
      ],
    );
  });

  it("names each cluster's credentials apart: one ServiceAccount name in two clusters", () => {
    const plan = resolveFleetIdentityArgs(
      "payments",
      fleet([kind, { ...kind, name: "prod-aks", issuerUrl: AKS_ISSUER }]),
    );
    const [a, b] = plan.clusters.map((c) => c.serviceAccounts[0].ficName);
    assert.notEqual(a, b);
    assert.match(a, /^dev-kind-apps-sa-0-[0-9a-f]{10}$/);
  });

  it("refuses the 21st credential, naming the identity's clusters and the ways out", () => {
    const { field, message } = refusal(
      fleet([
        kind,
        { ...kind, name: "prod-aks", issuerUrl: AKS_ISSUER, serviceAccounts: sas(17, "b") },
        binding,
      ]),
    );
    assert.equal(field, "clusters");
    assert.match(
      message,
      /21 federated credentials \(dev-kind 3, prod-aks 17, identity bindings 1 \(prod-b\)\)/,
    );
    assert.match(
      message,
      /at most 20, Entra's limit per identity: bind AKS clusters through identityBinding/,
    );
    assert.doesNotMatch(message, /\n/);
  });

  it("counts the credentials made elsewhere", () => {
    assert.equal(
      resolveFleetIdentityArgs("payments", fleet([kind], { otherCredentials: 17 })).credentials,
      20,
    );
    assert.match(refusal(fleet([kind], { otherCredentials: 18 })).message, /made elsewhere 18/);
    assert.equal(refusal(fleet([kind], { otherCredentials: -1 })).field, "otherCredentials");
  });

  const cases: [string, FleetIdentityArgs, string, RegExp][] = [
    ["no clusters", fleet([]), "clusters", /expected a non-empty list/],
    [
      "neither mechanism",
      fleet([{ name: "a", serviceAccounts: sas(1) }]),
      "clusters[0]",
      /neither issuerUrl nor identityBinding/,
    ],
    [
      "both mechanisms",
      fleet([{ ...kind, identityBinding: binding.identityBinding }]),
      "clusters[0]",
      /both issuerUrl and identityBinding/,
    ],
    [
      "a cluster name that is no label",
      fleet([{ ...kind, name: "Dev_Kind" }]),
      "clusters[0].name",
      /DNS-1123/,
    ],
    [
      "a cluster name over 20 characters",
      fleet([{ ...kind, name: "a".repeat(21) }]),
      "clusters[0].name",
      /./,
    ],
    [
      "a cluster twice",
      fleet([kind, { ...kind, issuerUrl: AKS_ISSUER }]),
      "clusters[1].name",
      /has that name already/,
    ],
    [
      "an issuer that is not https",
      fleet([{ ...kind, issuerUrl: "http://issuer.example/" }]),
      "clusters[0].issuerUrl",
      /./,
    ],
    [
      "a binding without its cluster's name",
      fleet([{ ...binding, identityBinding: { resourceGroupName: "prod", clusterName: "" } }]),
      "clusters[0].identityBinding.clusterName",
      /expected the AKS cluster's/,
    ],
    [
      "one subject twice under one issuer (two kind clusters signing with one key)",
      fleet([kind, { ...kind, name: "dev-kind-2" }]),
      "clusters[1].serviceAccounts",
      /apps\/sa-0 under https:\/\/oidcab12cd34/,
    ],
    [
      "no ServiceAccounts",
      fleet([{ ...kind, serviceAccounts: [] }]),
      "clusters[0].serviceAccounts",
      /at least one/,
    ],
    [
      "an unknown cluster field",
      fleet([{ ...kind, issuer: KIND_ISSUER } as never]),
      "clusters[0].issuer",
      /issuerUrl/,
    ],
  ];
  for (const [what, args, field, message] of cases) {
    it(`refuses ${what}, naming ${field}`, () => {
      const got = refusal(args);
      assert.equal(got.field, field);
      assert.match(got.message, message);
    });
  }
});

describe("FleetIdentity (one identity: kind by FIC, AKS by FIC, AKS by identity binding)", () => {
  const sim = simulator();
  let wi: FleetIdentity;
  const kube = (n: string) => new k8s.Provider(n, { kubeconfig: "apiVersion: v1\nkind: Config\n" });

  before(async () => {
    sim.reset();
    wi = new FleetIdentity(
      "payments",
      fleet(
        [
          {
            name: "dev-kind",
            issuerUrl: KIND_ISSUER,
            serviceAccounts: sas(2),
            provider: kube("k1"),
          },
          { name: "prod-a", issuerUrl: AKS_ISSUER, serviceAccounts: sas(1), provider: kube("k2") },
          {
            name: "prod-b",
            identityBinding: { resourceGroupName: "prod", clusterName: "prod-b" },
            serviceAccounts: [...sas(1), { namespace: "jobs", name: "batch", create: false }],
            provider: kube("k3"),
          },
        ],
        {
          roleAssignments: [
            { scope: `/subscriptions/${SIMULATED.subscriptionId}`, role: "Reader" },
          ],
        },
      ),
    );
    await valueOf(wi.clusters);
    await settled(sim);
  });

  it("makes the identity and its roles once, and plans 4 credentials", () => {
    assert.equal(sim.byType("azure-native:managedidentity:UserAssignedIdentity").length, 1);
    assert.equal(sim.byType("azure-native:authorization:RoleAssignment").length, 1);
    assert.equal(wi.credentialCount, 4);
  });

  it("trusts each FIC cluster's ServiceAccounts under that cluster's issuer, byte for byte", () => {
    const fics = sim.byType(FIC).map((f) => [f.inputs.issuer, f.inputs.subject]);
    assert.deepEqual(fics, [
      [KIND_ISSUER, "system:serviceaccount:apps:sa-0"],
      [KIND_ISSUER, "system:serviceaccount:apps:sa-1"],
      [AKS_ISSUER, "system:serviceaccount:apps:sa-0"],
    ]);
  });

  it("writes every credential in one chain, the binding (AKS writes one) last", () => {
    const chain = [...sim.byType(FIC), sim.one(BINDING)];
    for (let i = 1; i < chain.length; i++) {
      assert.ok(chain[i].dependencies.includes(chain[i - 1].urn), chain[i].name);
    }
  });

  it("binds the identity to the AKS cluster, and lets exactly its ServiceAccounts use it", async () => {
    const binding = sim.one(BINDING);
    assert.deepEqual(binding.inputs.properties, {
      managedIdentity: { resourceId: await valueOf(wi.identityId) },
    });
    const clientId = await valueOf(wi.clientId);
    assert.deepEqual((sim.one(ROLE).inputs as { rules: unknown }).rules, [
      {
        apiGroups: ["cid.wi.aks.azure.com"],
        resources: [clientId],
        verbs: ["use-managed-identity"],
      },
    ]);
    assert.deepEqual((sim.one(ROLE_BINDING).inputs as { subjects: unknown }).subjects, [
      { kind: "ServiceAccount", name: "sa-0", namespace: "apps" },
      { kind: "ServiceAccount", name: "batch", namespace: "jobs" },
    ]);
  });

  it("annotates the ServiceAccounts it creates in every cluster", async () => {
    const clientId = await valueOf(wi.clientId);
    const made = sim.byType(SA);
    assert.equal(made.length, 4);
    for (const sa of made) {
      const metadata = sa.inputs.metadata as { annotations: Record<string, string> };
      assert.equal(metadata.annotations["azure.workload.identity/client-id"], clientId);
    }
  });

  it("reports each cluster's mechanism and the issuer its tokens are trusted under", async () => {
    const clusters = await valueOf(wi.clusters);
    const clientId = await valueOf(wi.clientId);
    assert.equal(clusters["dev-kind"].issuer, KIND_ISSUER);
    assert.deepEqual(clusters["prod-b"], {
      mechanism: "identityBinding",
      issuer: `https://ib.oic.prod-aks.azure.com/${SIMULATED.tenantId}/${clientId}`,
      serviceAccounts: ["apps/sa-0", "jobs/batch"],
      federatedCredentialNames: ["aks-identity-binding"],
    });
  });

  it("tells a pod on a bound cluster to use the binding", () => {
    assert.deepEqual(wi.podIdentity("prod-b").annotations, {
      "azure.workload.identity/use-identity-binding": "true",
    });
    assert.deepEqual(wi.podIdentity("dev-kind").annotations, {});
    assert.throws(() => wi.podIdentity("nowhere"), /no cluster "nowhere"/);
    assert.throws(
      () => wi.podIdentity("dev-kind", { namespace: "jobs", name: "batch" }),
      /^Error: payments: jobs\/batch is not trusted in cluster dev-kind$/,
    );
  });
});

describe("FleetIdentity refusals before anything is registered", () => {
  const sim = simulator();
  beforeEach(() => sim.reset());

  it("a 21st credential registers nothing", async () => {
    assert.throws(
      () =>
        new FleetIdentity(
          "payments",
          fleet([{ name: "dev-kind", issuerUrl: KIND_ISSUER, serviceAccounts: sas(21) }]),
        ),
      /clusters \(FleetIdentity payments\): 21 federated credentials \(dev-kind 21\)/,
    );
    await settled(sim);
    assert.equal(sim.resources.length, 0);
  });

  it("a WorkloadIdentity writing to the same identity in the same program", async () => {
    await pulumi.runtime.runInPulumiStack(() => {
      new FleetIdentity(
        "payments",
        fleet([{ name: "dev-kind", issuerUrl: KIND_ISSUER, serviceAccounts: sas(1) }]),
      );
      assert.throws(
        () =>
          new WorkloadIdentity("other", {
            issuerUrl: AKS_ISSUER,
            resourceGroupName: "platform",
            identityName: "payments",
            serviceAccounts: sas(1),
          }),
        /FleetIdentity payments already writes federated credentials to this Azure identity/,
      );
      return Promise.resolve();
    });
  });
});

describe("FleetIdentity in a cluster stack (an identity a platform stack made)", () => {
  const sim = simulator();
  const existing = `/subscriptions/${SIMULATED.subscriptionId}/resourceGroups/platform/providers/Microsoft.ManagedIdentity/userAssignedIdentities/blob-reader`;

  it("makes no identity, binds the given one, and counts the platform's credentials", async () => {
    sim.reset();
    const wi = new FleetIdentity("blob-reader", {
      existingIdentity: {
        resourceId: existing,
        clientId: pulumi.output("6b4d5b4f-0000-4000-8000-000000000001"),
      },
      tenantId: SIMULATED.tenantId,
      clusters: [
        {
          name: "prod-b",
          identityBinding: { resourceGroupName: "prod", clusterName: "prod-b" },
          serviceAccounts: sas(1),
        },
      ],
      otherCredentials: 4,
    });
    await valueOf(wi.clusters);
    await settled(sim);
    assert.equal(sim.byType("azure-native:managedidentity:UserAssignedIdentity").length, 0);
    assert.deepEqual(sim.one(BINDING).inputs.properties, {
      managedIdentity: { resourceId: existing },
    });
    assert.equal(sim.one(BINDING).inputs.identityBindingName, "blob-reader");
    assert.equal(wi.credentialCount, 5);
  });
});
