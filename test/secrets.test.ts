/**
 * No private key or kubeconfig anywhere a user, a log or plain state could see it: every input
 * of every registered resource, every output the engine would store in the clear, every
 * component's registered outputs and the stack outputs, for both stacks, with a generated key, a
 * brought key, a rotation key and the demo pod.
 */
import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

import { StackConfig, parseStackConfig, projectConfig } from "../stacks/config";
import { deployStack } from "../stacks/deploy";
import { SimulatedCloud, isSecretValue, plainStrings } from "../testing/simulator";
import { readStackFiles } from "../cli/stackFiles";
import { fixture, recordOf, settled, simulator } from "./helpers";

/** Text that must never be seen outside a secret. */
function secretMarkers(): [string, RegExp][] {
  const body = (pem: string) => pem.split("\n").slice(1, 3).join("");
  return [
    ["a PEM private key", /PRIVATE KEY-----/],
    ["a kubeconfig's client key", /client-key-data/],
    [
      "the brought private key's body",
      new RegExp(body(fixture("signing.key")).slice(0, 40).replace(/[+/]/g, "\\$&")),
    ],
    ["a base64-encoded private key", /LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVkt/],
  ];
}

function leaks(sim: SimulatedCloud): string[] {
  const found: string[] = [];
  const check = (where: string, value: unknown) => {
    for (const [path, text] of plainStrings(value)) {
      for (const [what, marker] of secretMarkers()) {
        if (marker.test(text)) found.push(`${where}.${path}: ${what}`);
      }
    }
  };
  for (const r of sim.resources) {
    check(`${r.type}/${r.name} inputs`, r.raw);
    if (r.custom) {
      // What the engine stores in the clear: outputs not listed as additional secret outputs.
      const stored = Object.fromEntries(
        Object.entries(r.outputs).filter(([k]) => !r.options.additionalSecretOutputs.includes(k)),
      );
      check(`${r.type}/${r.name} outputs`, stored);
    }
  }
  for (const [urn, outputs] of sim.registeredOutputs)
    check(`${urn.split("::").pop()} registered outputs`, outputs);
  return found;
}

const base = (stack: string): StackConfig =>
  parseStackConfig(projectConfig(readStackFiles(stack).config, "azure-workload-identity"), stack);

async function deploy(
  sim: SimulatedCloud,
  cfg: StackConfig,
  signingPrivateKeyPem?: pulumi.Input<string>,
) {
  sim.reset();
  await pulumi.runtime.runInPulumiStack(() =>
    Promise.resolve(deployStack(cfg, { signingPrivateKeyPem })),
  );
  await settled(sim);
}

describe("secrets stay secret", () => {
  const sim = simulator();

  it("finds a leak when there is one (the check itself works)", () => {
    const planted = new SimulatedCloud();
    planted.resources.push({
      ...recordOf("urn:pulumi:test::p::test:index:Thing::thing"),
      raw: { data: fixture("signing.key") },
    });
    assert.ok(leaks(planted).length > 0);
    const hidden = new SimulatedCloud();
    hidden.resources.push({
      ...recordOf("urn:pulumi:test::p::test:index:Thing::thing"),
      raw: {
        data: {
          "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
          value: fixture("signing.key"),
        },
      },
    });
    assert.deepEqual(leaks(hidden), []);
  });

  it("dev, generated key, demo pod: nothing leaks", async () => {
    await deploy(sim, { ...base("dev"), signingKeyBits: 2048, demoWorkload: true });
    assert.ok(sim.resources.length > 20);
    assert.deepEqual(leaks(sim), []);
    const stack = sim.registeredOutputs.get(sim.one("pulumi:pulumi:Stack").urn) ?? {};
    assert.ok(isSecretValue(stack.kubeconfig));
  });

  it("dev, brought key and a rotation key: nothing leaks", async () => {
    await deploy(
      sim,
      {
        ...base("dev"),
        signingPublicKeyPem: fixture("signing.pub"),
        additionalPublicKeys: [fixture("rotated.pub")],
      },
      pulumi.secret(fixture("signing.key")),
    );
    assert.deepEqual(leaks(sim), []);
    // The brought key did reach the cluster, as a secret.
    const env = sim.one("command:local:Command", "cluster-kind-keys").raw.environment as Record<
      string,
      unknown
    >;
    assert.ok(isSecretValue(env.WI_SA_KEY));
  });

  it("aks: nothing leaks", async () => {
    await deploy(sim, base("aks"));
    assert.deepEqual(leaks(sim), []);
  });
});
