/**
 * The stack program run the way `pulumi up` runs it: Pulumi's own entry point with Pulumi.yaml's
 * runtime options and tsconfig.json, in a process of its own, against a gRPC engine
 * (test/harness/grpcEngine.ts). Catches what the in-process mocks cannot: the project's runtime
 * settings, the program's export, and values and secrets as the wire carries them.
 */
import * as assert from "node:assert/strict";

import { ProgramFailed, runAsPulumiUp } from "./harness/entryPoint";
import { SimulatedCloud, isSecretValue, unwrapSecrets } from "../testing/simulator";

describe("the program under Pulumi's entry point and a gRPC engine", function () {
  this.timeout(120_000);
  let cloud: SimulatedCloud | undefined;

  before(async () => {
    // Identity 0 trusts one ServiceAccount and identity 1 two (bench/fleet.ts).
    await runAsPulumiUp({ identities: 2, inspect: (c) => (cloud = c) });
  });

  const count = (type: string) => cloud!.resources.filter((r) => r.type === type).length;
  const stackOutputs = () => {
    const stack = cloud!.resources.find((r) => r.type === "pulumi:pulumi:Stack")!;
    return cloud!.registeredOutputs.get(stack.urn)!;
  };

  it("registers the kind stack's components and one credential per ServiceAccount", () => {
    assert.equal(count("pulumi:pulumi:Stack"), 1);
    assert.equal(count("azure-wi:index:OidcIssuer"), 1);
    assert.equal(count("azure-wi:index:KindOrAksCluster"), 1);
    assert.equal(count("azure-wi:index:Webhook"), 1);
    assert.equal(count("azure-wi:index:WorkloadIdentity"), 2);
    assert.equal(count("kubernetes:core/v1:ServiceAccount"), 3);
    assert.equal(count("azure-native:managedidentity:FederatedIdentityCredential"), 3);
  });

  it("gives every credential the issuer the stack reports, byte for byte", () => {
    const issuerUrl = unwrapSecrets(stackOutputs().issuerUrl);
    assert.match(String(issuerUrl), /^https:\/\/[a-z0-9]+\.z6\.web\.core\.windows\.net\/$/);
    for (const fic of cloud!.resources.filter(
      (r) => r.type === "azure-native:managedidentity:FederatedIdentityCredential",
    )) {
      assert.equal(fic.inputs.issuer, issuerUrl);
    }
  });

  it("keeps the kubeconfig a secret on the wire", () => {
    assert.ok(isSecretValue(stackOutputs().kubeconfig));
  });
});

describe("a config error under Pulumi's entry point", function () {
  this.timeout(120_000);

  const failure = async (config: Record<string, string>): Promise<ProgramFailed> => {
    try {
      await runAsPulumiUp({ identities: 1, config });
    } catch (err) {
      if (err instanceof ProgramFailed) return err;
      throw err;
    }
    return assert.fail("the program accepted the bad config");
  };

  it("reaches the user as one plain line naming the key, the value and what is allowed", async () => {
    const { code, problems } = await failure({ kindWorkerCount: "eleven" });
    assert.notEqual(code, 0);
    assert.deepEqual(problems, [
      'kindWorkerCount: "eleven" is not valid; expected a whole number from 0 to 10',
    ]);
  });

  it("names the identity's field, and registers nothing", async () => {
    const identities = JSON.stringify([{ name: "wi-a", namespace: "Apps", serviceAccount: "x" }]);
    let registered: string[] = [];
    try {
      await runAsPulumiUp({
        identities: 1,
        config: { identities },
        inspect: (c) => (registered = c.resources.map((r) => r.type)),
      });
    } catch (err) {
      assert.ok(err instanceof ProgramFailed);
      assert.equal(err.problems.length, 1);
      assert.match(
        err.problems[0],
        /^identities\[0\]\.namespace \(identity wi-a\): "Apps" is not valid; expected /,
      );
      assert.doesNotMatch(err.problems[0], /\u001b|\n|\bat /);
    }
    assert.deepEqual(registered, ["pulumi:pulumi:Stack"]);
  });
});
