/**
 * Cluster API Provider Azure: the AzureClusterIdentity for an identity and the workload
 * cluster's `<cluster>-sa` key Secret, as the CAPZ workload identity proposal describes them;
 * the Secret stays a Pulumi secret from the component to the stack output and the plan.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";

import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

import {
  azureClusterIdentityManifest,
  capzManifests,
  serviceAccountKeySecretManifest,
} from "../components";
import { parseStackConfig, projectConfig } from "../stacks/config";
import { deployStack } from "../stacks/deploy";
import { readStackFiles } from "../cli/stackFiles";
import { isSecretValue } from "../testing/simulator";
import { fixture, settled, simulator, valueOf } from "./helpers";

const CLIENT = "00000000-0000-4000-8000-0000000000c1";
const TENANT = "00000000-0000-4000-8000-0000000000d1";

describe("CAPZ manifests", () => {
  it("AzureClusterIdentity of type WorkloadIdentity, with the namespaces that may use it", () => {
    const doc = (allowed?: string[] | "all") =>
      YAML.parse(
        azureClusterIdentityManifest({
          name: "capz-wi",
          namespace: "capz",
          clientId: CLIENT,
          tenantId: TENANT,
          allowedNamespaces: allowed,
        }),
      ) as { apiVersion: string; kind: string; spec: Record<string, unknown> };
    const own = doc();
    assert.equal(own.apiVersion, "infrastructure.cluster.x-k8s.io/v1beta1");
    assert.equal(own.kind, "AzureClusterIdentity");
    assert.deepEqual(own.spec, { type: "WorkloadIdentity", clientID: CLIENT, tenantID: TENANT });
    assert.deepEqual(doc(["team-a", "team-b"]).spec.allowedNamespaces, {
      list: ["team-a", "team-b"],
    });
    assert.deepEqual(doc("all").spec.allowedNamespaces, {});
    assert.throws(() => doc(["Team_A"]), /allowedNamespaces\[0\]/);
  });

  it("the <cluster>-sa Secret holds the pair: tls.crt the PKIX public key, tls.key the private key", () => {
    const manifest = YAML.parse(
      serviceAccountKeySecretManifest({
        clusterName: "workload-1",
        namespace: "capz",
        publicKeyPem: fixture("signing.pub"),
        privateKeyPem: fixture("signing.key"),
      }),
    ) as {
      metadata: { name: string; labels: Record<string, string> };
      type: string;
      data: Record<string, string>;
    };
    assert.equal(manifest.metadata.name, "workload-1-sa");
    assert.equal(manifest.metadata.labels["cluster.x-k8s.io/cluster-name"], "workload-1");
    assert.equal(manifest.type, "cluster.x-k8s.io/secret");
    const pub = Buffer.from(manifest.data["tls.crt"], "base64").toString();
    const key = Buffer.from(manifest.data["tls.key"], "base64").toString();
    assert.match(pub, /^-----BEGIN PUBLIC KEY-----/);
    const derived = crypto
      .createPublicKey(crypto.createPrivateKey(key))
      .export({ type: "spki", format: "pem" });
    assert.equal(derived, pub);
  });

  it("keeps the key Secret a Pulumi secret, and the identity manifest plain", async () => {
    simulator();
    const m = capzManifests({
      clientId: CLIENT,
      tenantId: TENANT,
      identityName: "capz-wi",
      namespace: "capz",
      workloadCluster: {
        name: "w1",
        publicKeyPem: fixture("signing.pub"),
        privateKeyPem: pulumi.secret(fixture("signing.key")),
      },
    });
    assert.equal(await pulumi.isSecret(m.serviceAccountKeySecret!), true);
    assert.equal(await pulumi.isSecret(m.azureClusterIdentity), false);
    assert.match(
      await valueOf(m.azureClusterIdentity),
      /clientID: 00000000-0000-4000-8000-0000000000c1/,
    );
  });

  it("the dev stack with capzIdentity outputs both, the Secret as a secret", async () => {
    const sim = simulator();
    const raw = {
      ...projectConfig(readStackFiles("dev").config, "azure-workload-identity"),
      signingKeyBits: "2048",
      capzIdentity: "wi-dev-blob-writer",
      capzNamespace: "capz-system",
      capzAllowedNamespaces: '["*"]',
      capzWorkloadClusterName: "workload-1",
    };
    await pulumi.runtime.runInPulumiStack(() =>
      Promise.resolve(deployStack(parseStackConfig(raw, "dev"))),
    );
    await settled(sim);
    const outputs = sim.registeredOutputs.get(sim.one("pulumi:pulumi:Stack").urn)!;
    assert.ok(isSecretValue(outputs.capzServiceAccountKeySecret));
    assert.equal(isSecretValue(outputs.capzAzureClusterIdentity), false);
    const identity = YAML.parse(String(outputs.capzAzureClusterIdentity)) as {
      metadata: { namespace: string };
      spec: { clientID: string; allowedNamespaces: unknown };
    };
    const blobWriter = sim
      .byType("azure-native:managedidentity:UserAssignedIdentity")
      .find((r) => r.inputs.resourceName === "wi-dev-blob-writer")!;
    assert.equal(identity.spec.clientID, blobWriter.outputs.clientId);
    assert.equal(identity.metadata.namespace, "capz-system");
    assert.deepEqual(identity.spec.allowedNamespaces, {});
  });
});
