/**
 * Runs `npm run plan`'s script as a user would (a child process: it loads index.ts, the real
 * program, which runs once per process) and reads back what it wrote.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as YAML from "yaml";

import { jsonWebKeySet } from "../components";
import { apiServerFlag } from "./helpers";

const ROOT = path.resolve(__dirname, "..");

function runPlan(args: string[]) {
  return spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", "scripts/plan.ts", ...args],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
    },
  );
}

function readAll(dir: string): Record<string, string> {
  return Object.fromEntries(
    fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]),
  );
}

describe("npm run plan", function () {
  this.timeout(120000);
  let tmp: string;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wi-plan-"))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe("dev", () => {
    let files: Record<string, string>;
    let stdout: string;

    before(() => {
      const out = path.join(tmp, "dev");
      const result = runPlan(["dev", "--out", out]);
      assert.equal(result.status, 0, result.stderr);
      stdout = result.stdout;
      files = readAll(out);
    });

    it("writes the artifacts a reviewer reads", () => {
      assert.deepEqual(Object.keys(files).sort(), [
        "README.md",
        "federated-credentials.md",
        "jwks.json",
        "kind-config.yaml",
        "openid-configuration.json",
        "outputs.json",
        "resources.txt",
        "role-assignments.md",
        "serviceaccounts.yaml",
      ]);
    });

    it("labels itself simulated, and prints the tree", () => {
      assert.match(stdout, /Simulated: nothing was created/);
      assert.match(stdout, /azure-wi:index:OidcIssuer {2}oidc/);
      assert.match(stdout, /clientId: "[0-9a-f-]{36}" {2}\(simulated\)/);
      assert.match(files["README.md"], /Simulated/);
    });

    it("shows one issuer everywhere: kind config, discovery document, FIC table, outputs", () => {
      const outputs = JSON.parse(files["outputs.json"]) as Record<string, unknown>;
      const issuer = String(outputs.issuerUrl);
      assert.equal(apiServerFlag(files["kind-config.yaml"], "service-account-issuer"), issuer);
      assert.equal(
        (JSON.parse(files["openid-configuration.json"]) as { issuer: string }).issuer,
        issuer,
      );
      const rows = files["federated-credentials.md"].trim().split("\n").slice(2);
      assert.equal(rows.length, 3);
      for (const row of rows) assert.equal(row.split(" | ")[2], issuer);
    });

    it("publishes a JWKS with a real RSA 4096 key whose kid is the stack's keyId", () => {
      const jwks = JSON.parse(files["jwks.json"]) as ReturnType<typeof jsonWebKeySet>;
      const outputs = JSON.parse(files["outputs.json"]) as { keyId: string };
      assert.equal(jwks.keys.length, 1);
      assert.equal(jwks.keys[0].kid, outputs.keyId);
      assert.equal(Buffer.from(jwks.keys[0].n, "base64url").length, 512);
    });

    it("writes ServiceAccount manifests annotated with the identities' client ids", () => {
      const outputs = JSON.parse(files["outputs.json"]) as {
        identities: Record<string, { clientId: string }>;
      };
      const docs = YAML.parseAllDocuments(files["serviceaccounts.yaml"]).map(
        (d) =>
          d.toJS() as {
            kind: string;
            metadata: { name: string; annotations: Record<string, string> };
          },
      );
      assert.deepEqual(
        docs.map((d) => [d.kind, d.metadata.name]),
        [
          ["ServiceAccount", "secrets-reader"],
          ["ServiceAccount", "blob-writer"],
        ],
      );
      assert.equal(
        docs[0].metadata.annotations["azure.workload.identity/client-id"],
        outputs.identities["wi-dev-secrets-reader"].clientId,
      );
    });

    it("leaks no private key or kubeconfig, and keeps its files owner-only", () => {
      for (const [name, content] of Object.entries({ ...files, stdout })) {
        assert.ok(!content.includes("PRIVATE KEY"), `${name} holds a private key`);
        assert.ok(!content.includes("client-key-data"), `${name} holds a kubeconfig`);
      }
      assert.equal(
        (JSON.parse(files["outputs.json"]) as { kubeconfig: string }).kubeconfig,
        "[secret]",
      );
      for (const name of Object.keys(files)) {
        assert.equal(fs.statSync(path.join(tmp, "dev", name)).mode & 0o777, 0o600, name);
      }
    });
  });

  describe("aks", () => {
    it("plans AKS with its managed issuer, and no kind config or JWKS of ours", () => {
      const out = path.join(tmp, "aks");
      const result = runPlan(["aks", "--out", out]);
      assert.equal(result.status, 0, result.stderr);
      const files = readAll(out);
      assert.ok(!("kind-config.yaml" in files) && !("jwks.json" in files));
      const outputs = JSON.parse(files["outputs.json"]) as { issuerUrl: string; flavor: string };
      assert.equal(outputs.flavor, "aks");
      assert.match(
        outputs.issuerUrl,
        /^https:\/\/westeurope\.oic\.prod-aks\.azure\.com\/[0-9a-f-]{36}\/[0-9a-f-]{36}\/$/,
      );
      assert.match(files["issuer.md"], /AKS hosts this issuer/);
      for (const row of files["federated-credentials.md"].trim().split("\n").slice(2)) {
        assert.equal(row.split(" | ")[2], outputs.issuerUrl);
      }
    });
  });

  it("names the stacks it knows when given another", () => {
    const result = runPlan(["prod", "--out", path.join(tmp, "prod")]);
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /no stack file Pulumi\.prod\.yaml; stacks here: .*Pulumi\.aks\.yaml, Pulumi\.dev\.yaml/,
    );
  });

  it("prints its usage without a stack", () => {
    const result = runPlan([]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /usage: npm run plan -- <stack>/);
  });
});
