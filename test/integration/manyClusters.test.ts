/**
 * One identity, three clusters, through the real Pulumi CLI and engine against the local cloud
 * and Azurite:
 * examples/many-clusters deploys a Kind cluster and an AKS cluster trusted by federated
 * credentials and a second AKS cluster bound through an AKS identity binding. Each cluster's
 * part is checked in the cloud, byte for byte against the issuers the clusters have; removing a
 * cluster from the fleet removes exactly its credential or binding and keeps the identity; an
 * Azure Policy Deny refuses a credential; a 21st credential is refused before anything is
 * registered; destroy leaves nothing.
 */
import * as assert from "node:assert/strict";

import { PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { FleetIdentity } from "pulumi-azure-workload-identity";

import { LiveCloud } from "../harness/liveCloud";
import { CloudObject } from "../harness/localCloud";
import { up } from "../harness/day2";

const EXAMPLE = require.resolve("../../examples/many-clusters/index");

/** The example as `pulumi up` runs it: its module evaluated afresh each time. */
const example: PulumiFn = () => {
  delete require.cache[EXAMPLE];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return Promise.resolve(require(EXAMPLE) as Record<string, unknown>);
};

interface FleetOutput {
  mechanism: string;
  issuer: string;
  serviceAccounts: string[];
  federatedCredentialNames: string[];
}

const FIC = "azure-native:managedidentity:FederatedIdentityCredential";
const BINDING = "azure-native:containerservice:IdentityBinding";
const IDENTITY = "azure-native:managedidentity:UserAssignedIdentity";
const AKS = "azure-native:containerservice:ManagedCluster";

describe("examples/many-clusters: one identity, a kind and two AKS clusters", function () {
  this.timeout(900_000);
  // Azure with its storage data plane (Azurite): the example's issuer writes its documents with
  // Entra auth, as it does by default.
  let cloud: LiveCloud;
  let stack: Stack;
  const azure = (type: string): CloudObject[] =>
    cloud.objects("azure").filter((o) => o.type === type);
  const outputs = async () =>
    Object.fromEntries(
      Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value as unknown]),
    ) as { clientId: string; identityId: string; fleet: Record<string, FleetOutput> };

  before(async () => {
    cloud = await LiveCloud.create({
      controlPlane: false,
      env: { LOCALCLOUD_FIC_PROPAGATION_MS: "0" },
    });
    await cloud.serve();
    stack = await cloud.stack("fleet", cloud.checkout("fleet"), example);
  });
  after(async () => cloud?.shutdown());

  it("deploys each cluster's mechanism, trusted under the issuer that cluster has", async () => {
    await up(stack, "the fleet");
    const { identityId, fleet } = await outputs();
    assert.equal(azure(IDENTITY).length, 1);
    const fics = azure(FIC).filter((f) => f.key.startsWith(`${identityId}/`));
    const byIssuer = new Map(fics.map((f) => [f.state.issuer, f]));
    assert.equal(fics.length, 3, fics.map((f) => f.key).join(", "));
    // kind: the issuer the OidcIssuer publishes; prod-a: the issuer AKS gave the cluster.
    assert.equal(fleet.dev.mechanism, "federatedCredential");
    assert.equal(
      byIssuer.get(fleet.dev.issuer)?.state.subject,
      "system:serviceaccount:payments:blob-reader",
    );
    const prodA = azure(AKS).find(
      (c) => c.state.name === "prod-a" || String(c.key).endsWith("/prod-a"),
    );
    const aksIssuer = (prodA?.state.oidcIssuerProfile as { issuerURL: string }).issuerURL;
    assert.equal(fleet["prod-a"].issuer, aksIssuer);
    assert.ok(byIssuer.has(aksIssuer));
    // prod-b: one binding, and the credential AKS wrote under the binding's issuer.
    const [binding] = azure(BINDING);
    assert.match(binding.key, /\/managedClusters\/prod-b[^/]*\/identityBindings\/blob-reader$/);
    const bindingIssuer = (binding.state.properties as { oidcIssuer: { oidcIssuerUrl: string } })
      .oidcIssuer.oidcIssuerUrl;
    assert.equal(fleet["prod-b"].mechanism, "identityBinding");
    assert.equal(fleet["prod-b"].issuer, bindingIssuer);
    assert.equal(
      byIssuer.get(bindingIssuer)?.key,
      `${identityId}/federatedIdentityCredentials/aks-identity-binding`,
    );
  });

  it("lets exactly the bound cluster's ServiceAccount use the identity there", async () => {
    const { clientId } = await outputs();
    const kube = cloud.objects("kubernetes");
    const roles = kube.filter((o) => o.type.endsWith(":ClusterRole"));
    assert.equal(roles.length, 1);
    assert.deepEqual(roles[0].state.rules, [
      {
        apiGroups: ["cid.wi.aks.azure.com"],
        resources: [clientId],
        verbs: ["use-managed-identity"],
      },
    ]);
    const [binding] = kube.filter((o) => o.type.endsWith(":ClusterRoleBinding"));
    assert.deepEqual(binding.state.subjects, [
      { kind: "ServiceAccount", name: "blob-reader", namespace: "payments" },
    ]);
    const accounts = kube.filter((o) => o.type === "kubernetes:core/v1:ServiceAccount");
    assert.equal(accounts.length, 3, "one annotated ServiceAccount per cluster");
  });

  it("removes exactly a cluster's credential, then its binding; the identity stays", async () => {
    const before = await outputs();
    await stack.setConfig("clusters", { value: JSON.stringify(["dev", "prod-b"]) });
    await up(stack, "prod-a leaves the fleet");
    const after = await outputs();
    assert.equal(after.clientId, before.clientId);
    assert.deepEqual(Object.keys(after.fleet), ["dev", "prod-b"]);
    const issuers = azure(FIC).map((f) => f.state.issuer);
    assert.deepEqual(
      issuers.sort(),
      [before.fleet.dev.issuer, before.fleet["prod-b"].issuer].sort(),
    );

    await stack.setConfig("clusters", { value: JSON.stringify(["dev"]) });
    await up(stack, "prod-b leaves the fleet");
    assert.equal(azure(BINDING).length, 0);
    assert.equal(
      cloud.objects("kubernetes").filter((o) => o.type.endsWith(":ClusterRole")).length,
      0,
    );
    // AKS leaves its credential when the last binding goes, as Azure documents.
    assert.equal(azure(FIC).length, 2);
    assert.equal((await outputs()).clientId, before.clientId);
  });

  it("a Deny of the allowed-issuer policy refuses a cluster's credential, as Resource Manager does", async () => {
    // Federated credentials allowed, but not from AKS: prod-a's issuer is refused.
    cloud.assignIssuerPolicy("no AKS issuers", { effect: "Deny", allowFederatedCredentials: true });
    await stack.setConfig("clusters", { value: JSON.stringify(["dev", "prod-a"]) });
    const log: string[] = [];
    await assert.rejects(stack.up({ onOutput: (o) => log.push(o) }));
    assert.match(
      log.join(""),
      /RESPONSE 403: 403 Forbidden\s+ERROR CODE: RequestDisallowedByPolicy/,
    );
    cloud.assignIssuerPolicy("no AKS issuers", undefined);
    await up(stack, "prod-a back, the policy lifted");
    assert.equal((await outputs()).fleet["prod-a"].mechanism, "federatedCredential");
  });

  it("refuses a 21st credential before anything is registered", async () => {
    const wide = await cloud.stack("wide", cloud.checkout("wide"), () => {
      new FleetIdentity("wide", {
        resourceGroupName: "nowhere",
        clusters: [
          {
            name: "dev",
            issuerUrl: "https://issuer.example/",
            serviceAccounts: Array.from({ length: 21 }, (_, i) => ({
              namespace: "a",
              name: `sa-${i}`,
            })),
          },
        ],
      });
      return Promise.resolve({});
    });
    const log: string[] = [];
    await assert.rejects(wide.up({ onOutput: (o) => log.push(o) }));
    const text = log.join("");
    assert.match(
      text,
      /clusters \(FleetIdentity wide\): 21 federated credentials \(dev 21\) is not valid/,
    );
    assert.doesNotMatch(text, /^\s+at .+:\d+:\d+\)?$/m, "a stack trace in the output");
    const state = (await wide.exportStack()).deployment as { resources?: unknown[] };
    assert.ok((state.resources ?? []).length <= 1, "only the stack itself, if anything");
  });

  it("destroys everything, the credential AKS wrote included", async () => {
    await stack.destroy();
    assert.deepEqual(
      cloud.objects("azure").map((o) => o.key),
      [],
    );
  });
});
