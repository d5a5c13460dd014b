import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import * as YAML from "yaml";

import { InvalidArgumentError } from "../components/errors";
import { CONFIG_KEYS, parseStackConfig, projectConfig, rawDefault } from "../stacks/config";
import { readStackFiles } from "../scripts/stackFiles";
import { fixture } from "./helpers";

const PROJECT = "azure-workload-identity";
const SUB = "00000000-0000-0000-0000-000000000000";
const VAULT = `/subscriptions/${SUB}/resourceGroups/apps-rg/providers/Microsoft.KeyVault/vaults/apps-kv`;

const load = (stack: string) =>
  parseStackConfig(projectConfig(readStackFiles(stack).config, PROJECT), stack);
/** The raw config the engine would hand the program: Pulumi.yaml defaults plus `over`. */
const withDefaults = (over: Record<string, string>) => ({
  ...Object.fromEntries(
    Object.keys(CONFIG_KEYS)
      .map((k) => [k, rawDefault(k as keyof typeof CONFIG_KEYS)] as const)
      .filter(([k, v]) => v !== undefined && k !== "identities"),
  ),
  ...over,
});

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
    assert.deepEqual(undeclared.sort(), ["identities", "signingPrivateKeyPem"]);
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
    const cfg = parseStackConfig(withDefaults({}), "qa");
    assert.equal(cfg.resourceGroupName, undefined);
    assert.equal(cfg.kubernetesVersion, undefined);
    assert.equal(cfg.clusterName, "wi-qa");
  });

  it("accepts a brought key with its secret half", () => {
    const cfg = parseStackConfig(
      {
        signingPublicKeyPem: fixture("signing.pub"),
        signingPrivateKeyPem: "(secret)",
        additionalPublicKeys: JSON.stringify([fixture("rotated.pub")]),
      },
      "dev",
    );
    assert.equal(cfg.signingPublicKeyPem, fixture("signing.pub"));
    assert.equal(cfg.additionalPublicKeys.length, 1);
  });

  const bad: [string, string, Record<string, string>, RegExp?][] = [
    ["an unknown flavor", "flavor", { flavor: "eks" }, /"eks"/],
    ["a location with spaces", "location", { location: "West Europe" }],
    ["an invalid resource group", "resourceGroupName", { resourceGroupName: "bad/name" }],
    ["an uppercase cluster name", "clusterName", { clusterName: "Dev" }],
    ["a kind version without patch", "kubernetesVersion", { kubernetesVersion: "1.34" }],
    ["a non-numeric worker count", "kindWorkerCount", { kindWorkerCount: "two" }, /"two"/],
    ["too many workers", "kindWorkerCount", { kindWorkerCount: "11" }],
    [
      "an AKS node count on kind",
      "aksNodeCount",
      { aksNodeCount: "3" },
      /not used with flavor "kind"/,
    ],
    [
      "a kind option on AKS",
      "issuerHosting",
      { flavor: "aks", issuerHosting: "publicContainer" },
      /not used with flavor "aks"/,
    ],
    [
      "a rotation key on AKS",
      "additionalPublicKeys",
      { flavor: "aks", additionalPublicKeys: JSON.stringify([fixture("rotated.pub")]) },
    ],
    ["zero AKS nodes", "aksNodeCount", { flavor: "aks", aksNodeCount: "0" }],
    ["an invalid VM size", "aksVmSize", { flavor: "aks", aksVmSize: "huge" }],
    ["an unknown hosting", "issuerHosting", { issuerHosting: "cdn" }],
    ["a storage prefix with capitals", "storageAccountPrefix", { storageAccountPrefix: "OIDC" }],
    ["a 1024-bit key", "signingKeyBits", { signingKeyBits: "1024" }, /2048 to 8192/],
    [
      "a public key without its private half",
      "signingPrivateKeyPem",
      { signingPublicKeyPem: fixture("signing.pub") },
    ],
    ["a private key without its public half", "signingPublicKeyPem", { signingPrivateKeyPem: "x" }],
    [
      "key bits beside a brought key",
      "signingKeyBits",
      {
        signingPublicKeyPem: fixture("signing.pub"),
        signingPrivateKeyPem: "x",
        signingKeyBits: "2048",
      },
    ],
    [
      "a malformed signing public key",
      "signingPublicKeyPem",
      { signingPublicKeyPem: "nope", signingPrivateKeyPem: "x" },
    ],
    ["rotation keys that are not a list", "additionalPublicKeys", { additionalPublicKeys: "{" }],
    [
      "an EC rotation key",
      "additionalPublicKeys[0]",
      { additionalPublicKeys: JSON.stringify([fixture("ec-p256.pub")]) },
    ],
    ["an exact chart version missing", "webhookChartVersion", { webhookChartVersion: "latest" }],
    ["zero webhook replicas", "webhookReplicaCount", { webhookReplicaCount: "0" }],
    ["an unknown log level", "webhookLogLevel", { webhookLogLevel: "loud" }],
    [
      "a token expiration under an hour",
      "tokenExpirationSeconds",
      { tokenExpirationSeconds: "600" },
    ],
    ["a non-boolean demo switch", "demoWorkload", { demoWorkload: "yes" }],
    ["a demo without identities", "demoWorkload", { demoWorkload: "true" }],
    ["an invalid demo image", "demoImage", { demoImage: "Not An Image" }],
    ["an invalid node image", "kindNodeImage", { kindNodeImage: "kindest/node v1" }],
    ["identities that are not a list", "identities", { identities: '{"name":"x"}' }],
    [
      "an identity without a name",
      "identities[0].name",
      { identities: '[{"namespace":"a","serviceAccount":"b"}]' },
    ],
    [
      "two identities with one name",
      "identities[1].name",
      {
        identities:
          '[{"name":"abc","namespace":"a","serviceAccount":"b"},{"name":"ABC","namespace":"a","serviceAccount":"c"}]',
      },
    ],
    [
      "an identity with a bad namespace",
      "identities[0].namespace",
      { identities: '[{"name":"abc","namespace":"A","serviceAccount":"b"}]' },
    ],
    [
      "an identity without a service account",
      "identities[0].serviceAccount",
      { identities: '[{"name":"abc","namespace":"a"}]' },
    ],
    [
      "both account forms",
      "identities[0].serviceAccounts",
      { identities: '[{"name":"abc","namespace":"a","serviceAccount":"b","serviceAccounts":[]}]' },
    ],
    [
      "an empty account list",
      "identities[0].serviceAccounts",
      { identities: '[{"name":"abc","serviceAccounts":[]}]' },
    ],
    [
      "a non-boolean create",
      "identities[0].serviceAccounts[0].create",
      {
        identities:
          '[{"name":"abc","serviceAccounts":[{"namespace":"a","name":"b","create":"no"}]}]',
      },
    ],
    [
      "a role without scope",
      "identities[0].roleAssignments[0].scope",
      {
        identities:
          '[{"name":"abc","namespace":"a","serviceAccount":"b","roleAssignments":[{"role":"Reader"}]}]',
      },
    ],
    [
      "a misspelt identity field",
      "identities[0].roleAssignment",
      { identities: '[{"name":"abc","namespace":"a","serviceAccount":"b","roleAssignment":[]}]' },
    ],
    ["an unknown key", "flavour", { flavour: "kind" }, /not shown/],
  ];
  for (const [what, key, over, pattern] of bad) {
    it(`stops on ${what}, naming ${key}`, () => {
      assert.throws(
        () => parseStackConfig(withDefaults(over), "qa"),
        (e: unknown) => {
          assert.ok(e instanceof InvalidArgumentError, String(e));
          assert.equal(e.field, key);
          if (pattern) assert.match(e.message, pattern);
          return true;
        },
      );
    });
  }

  it("never echoes a secret set under a mistyped or misplaced key", () => {
    const cases: Record<string, string>[] = [
      { signingPrivateKey: "TOPSECRET" },
      { flavor: "aks", signingPrivateKeyPem: "TOPSECRET" },
    ];
    for (const raw of cases) {
      assert.throws(
        () => parseStackConfig(withDefaults(raw), "qa"),
        (e: Error) => !e.message.includes("TOPSECRET"),
      );
    }
  });
});
