import * as assert from "node:assert/strict";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { Webhook } from "../components";
import { SIMULATED } from "../scripts/simulator";
import { expectRejected, settled, simulator, valueOf } from "./helpers";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const NS = "kubernetes:core/v1:Namespace";

describe("Webhook", () => {
  const sim = simulator();
  let webhook: Webhook;

  before(async () => {
    sim.reset();
    const provider = new k8s.Provider("dev-k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
    webhook = new Webhook(
      "wi",
      {
        azureTenantId: pulumi.output(SIMULATED.tenantId),
        replicaCount: 3,
        logLevel: "debug",
        values: {
          podDisruptionBudget: { minAvailable: 2 },
          mutatingWebhookNamespaceSelector: { matchLabels: { wi: "on" } },
        },
      },
      { providers: { kubernetes: provider } },
    );
    await valueOf(webhook.releaseName);
    await settled(sim);
  });

  it("installs the pinned upstream chart into its own namespace", () => {
    const release = sim.one(RELEASE);
    assert.equal(release.inputs.chart, "workload-identity-webhook");
    assert.equal(release.inputs.version, "1.6.0");
    assert.deepEqual(release.inputs.repositoryOpts, {
      repo: "https://azure.github.io/azure-workload-identity/charts",
    });
    assert.equal(release.inputs.namespace, "azure-workload-identity-system");
    assert.equal(release.inputs.name, "workload-identity-webhook");
    assert.equal(release.inputs.atomic, true);
    assert.equal(release.inputs.skipAwait, false);
    assert.match(release.options.provider, /dev-k8s/);
  });

  it("creates the namespace first, under the restricted pod security profile", () => {
    const ns = sim.one(NS);
    assert.deepEqual(ns.inputs.metadata, {
      name: "azure-workload-identity-system",
      labels: { "pod-security.kubernetes.io/enforce": "restricted" },
    });
    assert.ok(sim.one(RELEASE).dependencies.includes(ns.urn));
  });

  it("sets the required tenant and the typed options, keeping the extra values", () => {
    assert.deepEqual(sim.one(RELEASE).inputs.values, {
      podDisruptionBudget: { minAvailable: 2 },
      mutatingWebhookNamespaceSelector: { matchLabels: { wi: "on" } },
      azureTenantID: SIMULATED.tenantId,
      azureEnvironment: "AzurePublicCloud",
      replicaCount: 3,
      logLevel: "debug",
    });
  });

  it("tells consumers what to wait for", async () => {
    assert.equal(webhook.ready.length, 1);
    assert.equal(await valueOf(webhook.namespace), "azure-workload-identity-system");
    assert.equal(await valueOf(webhook.chartVersion), "1.6.0");
  });

  it("lets the version and repository be overridden", async () => {
    sim.reset();
    new Webhook("mirror", {
      azureTenantId: SIMULATED.tenantId,
      chartVersion: "1.5.1",
      repository: "oci://registry.example.com/charts",
    });
    await settled(sim);
    assert.equal(sim.one(RELEASE).inputs.version, "1.5.1");
    assert.deepEqual(sim.one(RELEASE).inputs.repositoryOpts, {
      repo: "oci://registry.example.com/charts",
    });
  });
});

describe("Webhook bad input", () => {
  const sim = simulator();
  beforeEach(() => sim.reset());
  const tenant = SIMULATED.tenantId;
  const cases: [string, string, () => unknown, RegExp?][] = [
    ["no tenant", "azureTenantId", () => new Webhook("w", {} as never)],
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
  ];
  for (const [what, field, build, pattern] of cases) {
    it(`refuses ${what}, naming ${field}, registering nothing`, () =>
      expectRejected(sim, field, build, pattern));
  }
});
