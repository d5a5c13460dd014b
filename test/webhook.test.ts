import * as assert from "node:assert/strict";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { Webhook } from "../components";
import { SIMULATED } from "../testing/simulator";
import { settled, simulator, valueOf } from "./helpers";

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
