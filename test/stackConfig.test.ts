import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import * as YAML from "yaml";

import { CONFIG_KEYS, parseStackConfig, projectConfig } from "../stacks/config";
import { readStackFiles } from "../cli/stackFiles";
import { engineConfig, fixture } from "./helpers";

const PROJECT = "azure-workload-identity";
const SUB = "00000000-0000-0000-0000-000000000000";
const VAULT = `/subscriptions/${SUB}/resourceGroups/apps-rg/providers/Microsoft.KeyVault/vaults/apps-kv`;

const load = (stack: string) =>
  parseStackConfig(projectConfig(readStackFiles(stack).config, PROJECT), stack);
describe("stack config", () => {
  it("declares every key in Pulumi.yaml with the parser's type, default and description", () => {
    const project = YAML.parse(
      fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8"),
    ) as {
      name: string;
      config: Record<
        string,
        { type: string; default: unknown; description: string; items?: { type: string } }
      >;
    };
    assert.equal(project.name, PROJECT);
    const undeclared = Object.entries(CONFIG_KEYS)
      .filter(([, spec]) => spec.type === "object-list" || spec.default === undefined)
      .map(([k]) => k);
    assert.deepEqual(undeclared.sort(), [
      "identities",
      "openshiftCredentialsRequests",
      "signingKeys",
      "signingPrivateKeyPem",
    ]);
    const declared = Object.keys(CONFIG_KEYS).filter((k) => !undeclared.includes(k));
    assert.deepEqual(Object.keys(project.config).sort(), declared.sort());
    for (const key of declared) {
      const spec = CONFIG_KEYS[key as keyof typeof CONFIG_KEYS];
      const decl = project.config[key];
      assert.equal(decl.type, spec.type === "string-list" ? "array" : spec.type, key);
      if (spec.type === "string-list") assert.deepEqual(decl.items, { type: "string" }, key);
      assert.deepEqual(decl.default, spec.default, key);
      assert.equal(decl.description, spec.description, key);
    }
  });

  it("parses the dev stack file", () => {
    const cfg = load("dev");
    assert.equal(cfg.flavor, "kind");
    assert.equal(cfg.clusterName, "wi-dev");
    assert.equal(cfg.signingKeyBits, 4096);
    assert.equal(cfg.issuerHosting, "staticWebsite");
    assert.equal(cfg.tokenExpirationSeconds, 3600);
    assert.equal(cfg.demoWorkload, false);
    assert.deepEqual(cfg.identities[0], {
      name: "wi-dev-secrets-reader",
      serviceAccounts: [{ namespace: "apps", name: "secrets-reader", create: true }],
      roleAssignments: [{ scope: VAULT, role: "Key Vault Secrets User" }],
    });
    assert.deepEqual(cfg.identities[1].serviceAccounts, [
      { namespace: "apps", name: "blob-writer", create: true },
      { namespace: "jobs", name: "nightly-export", create: false },
    ]);
  });

  it("parses the aks stack file, the kind-only defaults from Pulumi.yaml notwithstanding", () => {
    const cfg = load("aks");
    assert.equal(cfg.flavor, "aks");
    assert.equal(cfg.aksNodeCount, 2);
    assert.equal(cfg.aksVmSize, "Standard_D2s_v5");
    assert.equal(cfg.identities.length, 1);
  });

  it("treats empty strings as not set", () => {
    const cfg = parseStackConfig(engineConfig({}), "qa");
    assert.equal(cfg.resourceGroupName, undefined);
    assert.equal(cfg.kubernetesVersion, undefined);
    assert.equal(cfg.clusterName, "wi-qa");
  });

  it("accepts a brought key with its secret half", () => {
    const cfg = parseStackConfig(
      {
        signingPublicKeyPem: fixture("signing.pub"),
        signingPrivateKeyPem: fixture("signing.key"),
        additionalPublicKeys: JSON.stringify([fixture("rotated.pub")]),
      },
      "dev",
    );
    assert.equal(cfg.signingPublicKeyPem, fixture("signing.pub"));
    assert.equal(cfg.additionalPublicKeys.length, 1);
  });

  it("never echoes a secret set under a mistyped or misplaced key", () => {
    const cases: Record<string, string>[] = [
      { signingPrivateKey: "TOPSECRET" },
      { flavor: "aks", signingPrivateKeyPem: "TOPSECRET" },
    ];
    for (const raw of cases) {
      assert.throws(
        () => parseStackConfig(engineConfig(raw), "qa"),
        (e: Error) => !e.message.includes("TOPSECRET"),
      );
    }
  });
});

describe("the committed stack files", () => {
  it("hold config in the form the Pulumi CLI writes back, so `pulumi stack init` changes nothing", () => {
    // The CLI keeps every config value as a string: it rewrites `4096` as `"4096"` on its first
    // save. (test/integration/engine.test.ts runs the real `pulumi stack init` on them too.)
    for (const stack of ["dev", "aks"]) {
      const doc = YAML.parseDocument(
        fs.readFileSync(path.join(__dirname, "..", `Pulumi.${stack}.yaml`), "utf8"),
      );
      // Top-level values only: the CLI keeps lists and objects as they are written.
      for (const pair of (doc.get("config", true) as YAML.YAMLMap).items) {
        if (YAML.isScalar(pair.value)) {
          assert.equal(typeof pair.value.value, "string", `${stack}: ${String(pair.key)}`);
        }
      }
    }
  });
});

describe("what the stack config warns about, and what it refuses outside its keys", () => {
  it("warns about a region it does not know, naming the nearest", () => {
    const cfg = parseStackConfig(engineConfig({ location: "westeurpe" }), "qa");
    assert.deepEqual(cfg.warnings, [
      'location: "westeurpe" is not an Azure region this version knows; did you mean westeurope? (az account list-locations lists yours; a new region is fine)',
    ]);
    assert.deepEqual(parseStackConfig(engineConfig({}), "qa").warnings, []);
  });

  it("warns about a kind version newer than kind's node images, unless an image is given", () => {
    const cfg = parseStackConfig(engineConfig({ kubernetesVersion: "1.38.0" }), "qa");
    assert.match(
      cfg.warnings[0],
      /^kubernetesVersion: 1\.38\.0 is newer than kind v0\.33\.0's newest node image/,
    );
    const withImage = parseStackConfig(
      engineConfig({ kubernetesVersion: "1.38.0", kindNodeImage: "example.com/node:v1.38.0" }),
      "qa",
    );
    assert.deepEqual(withImage.warnings, []);
  });

  it("refuses a key under a misspelt project namespace, which would be ignored", () => {
    assert.throws(
      () =>
        projectConfig(
          { "azure-workload-identiy:identities": "[]", "azure-native:location": "westeurope" },
          "azure-workload-identity",
        ),
      {
        message:
          /^azure-workload-identiy:identities: a value \(not shown\) is not valid; not this project's \(azure-workload-identity\), so it would be ignored; did you mean azure-workload-identity:identities\?/,
      },
    );
  });

  it("names the unknown key it most likely meant", () => {
    assert.throws(() => parseStackConfig({ signingKeyBit: "2048" }, "qa"), {
      message:
        /^signingKeyBit: a value \(not shown\) is not valid; unknown config key; did you mean signingKeyBits\?$/,
    });
  });
});
