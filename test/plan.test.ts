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
import { apiServerFlag, fixture } from "./helpers";

const ROOT = path.resolve(__dirname, "..");

function runPlan(args: string[]) {
  return spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", "cli/main.ts", "plan", ...args],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
    },
  );
}

/** A value as outputs.json and the tables show it, without the "(simulated)" mark. */
const unmark = (value: string) => value.replace(/ \(simulated\)$/, "");

function readAll(dir: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .filter((f) => f !== ".offline-plan")
      .map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]),
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
        "access-map.md",
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

    it("draws the access map: issuer, cluster, each trusted ServiceAccount, identity and role", () => {
      const map = files["access-map.md"];
      const mermaid = /```mermaid\n([\s\S]*?)```/.exec(map)?.[1] ?? "";
      assert.match(mermaid, /^flowchart LR\n/);
      const outputs = JSON.parse(files["outputs.json"]) as { issuerUrl: string };
      assert.ok(mermaid.includes(`issuer ${outputs.issuerUrl}`), mermaid);
      for (const sa of ["apps/secrets-reader", "apps/blob-writer", "jobs/nightly-export"]) {
        assert.ok(mermaid.includes(`ServiceAccount ${sa}`), sa);
      }
      assert.match(mermaid, /-->\|federated credential\| id\d+\n/);
      assert.match(mermaid, /-->\|Key Vault Secrets User\|/);
      assert.doesNotMatch(mermaid, /FAIL|linkStyle/);
    });

    it("labels itself simulated, and prints the tree", () => {
      assert.match(stdout, /Simulated: nothing was created/);
      assert.match(stdout, /azure-wi:index:OidcIssuer {2}oidc/);
      assert.match(stdout, /clientId: "[0-9a-f-]{36}" {2}\(simulated\)/);
      assert.match(files["README.md"], /Simulated/);
    });

    it("shows one issuer everywhere: kind config, discovery document, FIC table, outputs", () => {
      const outputs = JSON.parse(files["outputs.json"]) as Record<string, unknown>;
      assert.match(String(outputs.issuerUrl), / \(simulated\)$/);
      const issuer = unmark(String(outputs.issuerUrl));
      assert.equal(apiServerFlag(files["kind-config.yaml"], "service-account-issuer"), issuer);
      assert.equal(
        (JSON.parse(files["openid-configuration.json"]) as { issuer: string }).issuer,
        issuer,
      );
      const rows = files["federated-credentials.md"].trim().split("\n").slice(2);
      assert.equal(rows.length, 3);
      for (const row of rows) assert.equal(row.split(" | ")[2], `${issuer} (simulated)`);
    });

    it("marks every invented value, and uses ids no real tenant has", () => {
      assert.doesNotMatch(Object.values(files).join("\n"), /72f988bf/);
      const sas = files["serviceaccounts.yaml"];
      for (const line of sas.split("\n").filter((l) => /client-id|tenant-id/.test(l))) {
        assert.match(line, /: 00000000-0000-4000-8000-[0-9a-f]{12} # simulated$/);
      }
      const outputs = JSON.parse(files["outputs.json"]) as Record<string, string>;
      assert.match(outputs.tenantId, /^00000000-0000-4000-8000-[0-9a-f]{12} \(simulated\)$/);
      assert.equal(outputs.keyId.endsWith("(simulated)"), false, "the key id is real");
      assert.match(
        files["role-assignments.md"],
        /\| 00000000-0000-4000-8000-[0-9a-f]{12} \(simulated\) \|/,
      );
      assert.match(files["kind-config.yaml"], /# simulated/);
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
        unmark(outputs.identities["wi-dev-secrets-reader"].clientId),
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
        /^https:\/\/westeurope\.oic\.prod-aks\.azure\.com\/[0-9a-f-]{36}\/[0-9a-f-]{36}\/ \(simulated\)$/,
      );
      assert.match(files["issuer.md"], /AKS hosts this issuer/);
      for (const row of files["federated-credentials.md"].trim().split("\n").slice(2)) {
        assert.equal(row.split(" | ")[2], outputs.issuerUrl);
      }
    });
  });

  describe("mistakes", () => {
    /** A stack file of the test's own beside the real ones, removed afterwards. */
    const withStackFile = (stack: string, content: string, body: () => void) => {
      const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
      fs.writeFileSync(file, content);
      try {
        body();
      } finally {
        fs.rmSync(file, { force: true });
      }
    };
    const oneLine = (stderr: string) => {
      const lines = stderr.split("\n").filter((l) => l.trim() !== "" && !/^npm warn/.test(l));
      assert.equal(lines.length, 1, stderr);
      assert.doesNotMatch(lines[0], /\u001b|^\s+at /);
      return lines[0];
    };

    it("names the stacks it knows when given another", () => {
      const result = runPlan(["prod", "--out", path.join(tmp, "prod")]);
      assert.equal(result.status, 1);
      assert.match(
        oneLine(result.stderr),
        /^error: unknown stack "prod": there is no Pulumi\.prod\.yaml; stacks here: aks, dev$/,
      );
    });

    it("takes --out before the stack as well as after it", () => {
      const out = path.join(tmp, "out-first");
      const result = runPlan(["--out", out, "aks"]);
      assert.equal(result.status, 0, result.stderr);
      assert.ok(fs.existsSync(path.join(out, "outputs.json")));
    });

    it("prints its usage without a stack, or with an unknown option", () => {
      for (const args of [[], ["dev", "--dry"], ["dev", "--out"]]) {
        const result = runPlan(args);
        assert.equal(result.status, 2, args.join(" "));
        // One line saying what is wrong, then the command's usage, as every command answers.
        const [first, ...rest] = result.stderr.split("\n");
        assert.match(first, /^error: (no stack given|unknown option --dry|--out needs a value)/);
        assert.match(
          rest.join("\n"),
          /^usage: pulumi-azure-workload-identity plan \[options\] <stack>$/m,
        );
      }
    });

    it("names the file, line and column of a YAML syntax error", () => {
      withStackFile("yamlbroken", "config:\n  azure-workload-identity:flavor: [kind\n", () => {
        const result = runPlan(["yamlbroken", "--out", path.join(tmp, "yamlbroken")]);
        assert.equal(result.status, 1);
        assert.match(oneLine(result.stderr), /^error: Pulumi\.yamlbroken\.yaml:\d+:\d+: /);
      });
    });

    it("removes the previous plan before it reads the stack file, so a failed run leaves none", () => {
      const out = path.join(tmp, "stale");
      withStackFile("stale", "config:\n  azure-workload-identity:flavor: aks\n", () => {
        assert.equal(runPlan(["stale", "--out", out]).status, 0);
      });
      assert.ok(fs.existsSync(path.join(out, "outputs.json")));
      withStackFile("stale", "config:\n  azure-workload-identity:flavor: [aks\n", () => {
        assert.equal(runPlan(["stale", "--out", out]).status, 1);
      });
      assert.deepEqual(fs.existsSync(out) ? fs.readdirSync(out) : [], [], "the old plan is gone");
    });

    it("answers --help, and names a bad file, in one line", () => {
      const help = runPlan(["--help"]);
      assert.equal(help.status, 0);
      assert.match(help.stdout, /usage: pulumi-azure-workload-identity plan \[options\] <stack>/);
      const dir = runPlan(["dev", "--out", path.join(tmp, "d"), "--signing-key", tmp]);
      assert.equal(dir.status, 1);
      assert.match(
        oneLine(dir.stderr),
        /^error: --signing-key: .* is a directory; expected a file$/,
      );
    });

    it("refuses identities written outside config:, which Pulumi would ignore", () => {
      withStackFile(
        "outside",
        "config:\n  azure-workload-identity:flavor: aks\nidentities:\n  - name: x\n",
        () => {
          const result = runPlan(["outside", "--out", path.join(tmp, "outside")]);
          assert.equal(result.status, 1);
          assert.match(
            oneLine(result.stderr),
            /^error: Pulumi\.outside\.yaml: identities: a top-level key is not valid; .*indent it under config: as azure-workload-identity:identities/,
          );
        },
      );
    });

    it("explains how to plan a stack whose private key is encrypted, and then plans it", () => {
      const encrypted = [
        "config:",
        "  azure-workload-identity:flavor: kind",
        `  azure-workload-identity:signingPublicKeyPem: ${JSON.stringify(fixture("signing.pub"))}`,
        "  azure-workload-identity:signingPrivateKeyPem:",
        "    secure: v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBB",
        "",
      ].join("\n");
      withStackFile("rotated", encrypted, () => {
        const out = path.join(tmp, "rotated");
        const refused = runPlan(["rotated", "--out", out]);
        assert.equal(refused.status, 1);
        assert.match(
          oneLine(refused.stderr),
          /signingPrivateKeyPem encrypted, and the offline plan decrypts nothing; .*--signing-key <private key PEM>/,
        );
        const keyFile = path.join(tmp, "signing.key");
        fs.writeFileSync(keyFile, fixture("signing.key"), { mode: 0o600 });
        const planned = runPlan(["rotated", "--out", out, "--signing-key", keyFile]);
        assert.equal(planned.status, 0, planned.stderr);
        const outputs = JSON.parse(fs.readFileSync(path.join(out, "outputs.json"), "utf8")) as {
          keyId: string;
        };
        assert.equal(outputs.keyId, jsonWebKeySet([fixture("signing.pub")]).keys[0].kid);
        assert.doesNotMatch(planned.stdout, /PRIVATE KEY/);
        // A stack without an encrypted key has no use for one: refused, not ignored.
        const misused = runPlan([
          "dev",
          "--out",
          path.join(tmp, "misused"),
          "--signing-key",
          keyFile,
        ]);
        assert.equal(misused.status, 1);
        assert.match(
          oneLine(misused.stderr),
          /--signing-key is for a stack that holds signingPrivateKeyPem encrypted/,
        );
      });
    });

    it("leaves no earlier plan behind when a run fails", () => {
      const out = path.join(tmp, "stale");
      assert.equal(runPlan(["aks", "--out", out]).status, 0);
      withStackFile("aks2", "config:\n  azure-workload-identity:kindWorkerCount: lots\n", () => {
        fs.copyFileSync(path.join(ROOT, "Pulumi.aks.yaml"), path.join(ROOT, "Pulumi.aks2.yaml"));
        fs.appendFileSync(
          path.join(ROOT, "Pulumi.aks2.yaml"),
          '  azure-workload-identity:tokenExpirationSeconds: "12"\n',
        );
        const result = runPlan(["aks2", "--out", out]);
        assert.equal(result.status, 1);
        assert.match(oneLine(result.stderr), /^error: tokenExpirationSeconds: "12" is not valid/);
      });
      assert.deepEqual(fs.readdirSync(out), []);
    });

    it("writes the OpenShift and Cluster API manifests, and no private key", () => {
      const requests = YAML.parse(fixture("openshift/credentials-requests.yaml")) as unknown;
      const doc = new YAML.Document({
        config: {
          "azure-workload-identity:flavor": "kind",
          "azure-workload-identity:signingKeyBits": "2048",
          "azure-workload-identity:issuerHosting": "publicContainer",
          "azure-workload-identity:openshiftCredentialsRequests": requests,
          "azure-workload-identity:identities": [
            {
              name: "wi-capz",
              serviceAccounts: [{ namespace: "capz-system", name: "capz-manager", create: false }],
            },
          ],
          "azure-workload-identity:capzIdentity": "wi-capz",
          "azure-workload-identity:capzNamespace": "capz-system",
          "azure-workload-identity:capzWorkloadClusterName": "workload-1",
        },
      });
      withStackFile("ocp", doc.toString(), () => {
        const out = path.join(tmp, "ocp");
        const result = runPlan(["ocp", "--out", out]);
        assert.equal(result.status, 0, result.stderr);
        const files = readAll(out);
        const outputs = JSON.parse(files["outputs.json"]) as { issuerUrl: string };
        const secrets = YAML.parseAllDocuments(files["openshift-secrets.yaml"]).map(
          (d) => d.toJS() as { metadata: { name: string }; stringData: Record<string, string> },
        );
        assert.deepEqual(
          secrets.map((s) => s.metadata.name),
          ["installer-cloud-credentials", "cloud-credentials"],
        );
        assert.match(
          files["openshift-secrets.yaml"],
          /azure_client_id: 00000000-0000-4000-8000-[0-9a-f]{12} # simulated/,
        );
        const auth = YAML.parse(files["openshift-authentication.yaml"]) as {
          spec: { serviceAccountIssuer: string };
        };
        assert.equal(`${auth.spec.serviceAccountIssuer} (simulated)`, outputs.issuerUrl);
        for (const row of files["federated-credentials.md"].trim().split("\n").slice(2)) {
          if (row.includes("system:serviceaccount:openshift-"))
            assert.match(row, /\| openshift \|$/);
        }
        const capz = YAML.parse(files["capz-azureclusteridentity.yaml"]) as {
          spec: { type: string };
        };
        assert.equal(capz.spec.type, "WorkloadIdentity");
        const keySecret = YAML.parse(files["capz-service-account-secret.yaml"]) as {
          metadata: { name: string };
          data: Record<string, string>;
        };
        assert.equal(keySecret.metadata.name, "workload-1-sa");
        assert.equal(keySecret.data["tls.key"], "[secret]");
        const encodedKey = Buffer.from("-----BEGIN RSA PRIVATE").toString("base64").slice(0, 16);
        for (const [name, content] of Object.entries({ ...files, stdout: result.stdout })) {
          assert.ok(!content.includes("PRIVATE KEY"), `${name} holds a private key`);
          assert.ok(!content.includes(encodedKey), `${name} holds an encoded private key`);
        }
      });
    });

    it("refuses to write into a directory that holds something else", () => {
      const out = path.join(tmp, "foreign");
      fs.mkdirSync(out);
      fs.writeFileSync(path.join(out, "notes.txt"), "mine");
      const result = runPlan(["aks", "--out", out]);
      assert.equal(result.status, 1);
      assert.match(oneLine(result.stderr), /is not empty and holds no earlier plan/);
      assert.deepEqual(fs.readdirSync(out), ["notes.txt"]);
    });
  });
});
