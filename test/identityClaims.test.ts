/**
 * One Azure identity, one writer of its federated credentials: two stack entries, or two
 * components of one program, that reach the same identity are refused before anything is
 * registered, naming both.
 */
import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

import { WorkloadIdentity } from "../components";
import { parseStackConfig } from "../stacks/config";
import { settled, simulator } from "./helpers";

const ID =
  "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/shared";
const existing = (resourceId: string) => ({
  resourceId,
  clientId: "11111111-1111-1111-1111-111111111111",
});
const entry = (name: string, extra: Record<string, unknown>) => ({
  name,
  namespace: "apps",
  serviceAccount: name,
  ...extra,
});

describe("one identity, one writer: the stack config", () => {
  const parse = (identities: unknown[], extra: Record<string, string> = {}) =>
    parseStackConfig({ flavor: "kind", identities: JSON.stringify(identities), ...extra }, "dev");

  it("refuses two entries with one existing identity, whatever the letter case", () => {
    assert.throws(
      () =>
        parse([
          entry("wi-a", { existingIdentity: existing(ID) }),
          entry("wi-b", {
            existingIdentity: existing(ID.replace("/ids/", "/IDS/").replace("/shared", "/SHARED")),
          }),
        ]),
      {
        message:
          /^identities\[1\]\.existingIdentity\.resourceId \(identity wi-b\): ".*SHARED" is not valid; identity wi-a \(identities\[0\]\) already writes federated credentials to this Azure identity; Azure refuses concurrent credential writes on one identity \(HTTP 409\) and counts its 20 credentials across both/,
      },
    );
  });

  it("refuses an existing identity that is one the stack creates in its resource group", () => {
    assert.throws(
      () =>
        parse([entry("shared", {}), entry("wi-b", { existingIdentity: existing(ID) })], {
          resourceGroupName: "IDS",
        }),
      {
        message:
          /^identities\[1\]\.existingIdentity\.resourceId \(identity wi-b\): .* identity shared \(identities\[0\]\) already writes/,
      },
    );
    // In another resource group, the same name is another identity.
    assert.equal(
      parse([entry("shared", {}), entry("wi-b", { existingIdentity: existing(ID) })], {
        resourceGroupName: "platform",
      }).identities.length,
      2,
    );
  });

  it("refuses an OpenShift identity that is one of the identities", () => {
    const request = {
      apiVersion: "cloudcredential.openshift.io/v1",
      kind: "CredentialsRequest",
      metadata: { name: "ingress", namespace: "openshift-cloud-credential-operator" },
      spec: {
        providerSpec: {
          apiVersion: "cloudcredential.openshift.io/v1",
          kind: "AzureProviderSpec",
          roleBindings: [{ role: "Contributor" }],
        },
        secretRef: { name: "cloud-credentials", namespace: "openshift-ingress-operator" },
        serviceAccountNames: ["ingress-operator"],
      },
    };
    assert.throws(
      () =>
        parse([entry("wi-dev-openshift-ingress-operator-cloud-credentials", {})], {
          openshiftCredentialsRequests: JSON.stringify([request]),
        }),
      {
        message:
          /^openshiftCredentialsRequests\[0\] \(CredentialsRequest .*ingress\): "wi-dev-openshift-ingress-operator-cloud-credentials" is not valid; identity wi-dev-openshift-ingress-operator-cloud-credentials \(identities\[0\]\) already writes/,
      },
    );
  });
});

describe("one identity, one writer: components of one program", () => {
  const sim = simulator();
  const args = (extra: object) => ({
    issuerUrl: "https://issuer.example/",
    serviceAccounts: [{ namespace: "apps", name: "a", create: false }],
    ...extra,
  });

  it("refuses a second WorkloadIdentity on an existing identity, registering nothing of it", async () => {
    sim.reset();
    await pulumi.runtime.runInPulumiStack(async () => {
      new WorkloadIdentity("first", args({ existingIdentity: existing(ID) }));
      await settled(sim);
      const before = sim.resources.length;
      assert.throws(
        () =>
          new WorkloadIdentity(
            "second",
            args({ existingIdentity: existing(ID.replace("shared", "SHARED")) }),
          ),
        {
          message:
            /^existingIdentity\.resourceId \(WorkloadIdentity second\): ".*SHARED" is not valid; WorkloadIdentity first already writes federated credentials/,
        },
      );
      await settled(sim);
      assert.equal(sim.resources.length, before);
    });
  });

  it("refuses a second WorkloadIdentity creating the same identity in the same group", async () => {
    sim.reset();
    await pulumi.runtime.runInPulumiStack(() => {
      new WorkloadIdentity("reader", args({ resourceGroupName: "rg" }));
      assert.throws(
        () =>
          new WorkloadIdentity("other", args({ resourceGroupName: "RG", identityName: "Reader" })),
        {
          message:
            /^identityName \(WorkloadIdentity other\): "Reader" is not valid; WorkloadIdentity reader already writes/,
        },
      );
      return Promise.resolve({});
    });
    // A new deployment (a new stack resource) starts with no claims.
    await pulumi.runtime.runInPulumiStack(() => {
      new WorkloadIdentity("reader", args({ resourceGroupName: "rg" }));
      return Promise.resolve({});
    });
    await settled(sim);
  });
});
