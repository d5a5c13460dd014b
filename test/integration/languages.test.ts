/**
 * The components from other Pulumi languages, through the component provider of the packed
 * package: examples/yaml deploys through the real CLI, engine and YAML language host against the
 * local cloud and Azurite, held to the TypeScript stack's trust chain; `pulumi package get-schema` lists the
 * components; `pulumi package gen-sdk` generates Go, Python and .NET SDKs, and the Go SDK and the
 * Go example of docs/languages.md build against the engine's sdk/v3. See docs/languages.md for
 * what is real here and what is stood in for.
 */
import * as assert from "node:assert/strict";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

import { Stack } from "@pulumi/pulumi/automation";

import { up } from "../harness/day2";
import { LiveCloud } from "../harness/liveCloud";
import { ROOT, engineBin } from "../harness/localCloud";
import { packPackage } from "../harness/packed";
import { checkTrustChain, outputsOf, stateOf } from "../harness/trustChain";

const execFileAsync = promisify(execFile);
const PROJECT = "wi-yaml-example";
const COMPONENTS = [
  "KindOrAksCluster",
  "OidcIssuer",
  "OpenShiftCredentials",
  "Webhook",
  "WorkloadIdentity",
];

/** The code blocks of one language in docs/languages.md. */
function docBlocks(language: string): string[] {
  const docs = fs.readFileSync(path.join(ROOT, "docs", "languages.md"), "utf8");
  return [...docs.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map(
    (m) => m[1],
  );
}

interface Schema {
  name: string;
  version: string;
  logoUrl?: string;
  resources: Record<
    string,
    {
      isComponent: boolean;
      description: string;
      inputProperties: Record<string, { description?: string; secret?: boolean }>;
      properties: Record<string, { description?: string; secret?: boolean }>;
    }
  >;
}

describe("the components from other languages, through the packed package's provider", function () {
  this.timeout(1_800_000);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "wi-languages-"));
  const program = path.join(scratch, "yaml");
  const pluginDir = path.join(program, "node_modules", "pulumi-azure-workload-identity", "bin");
  // Azure with its storage data plane (Azurite): the issuer writes its documents with Entra auth
  // from inside the component provider, as it does by default.
  let cloud: LiveCloud;
  let stack: Stack;
  const cli = (args: string[], cwd = scratch) =>
    spawnSync(path.join(engineBin(), "pulumi"), args, {
      cwd,
      encoding: "utf8",
      env: { ...process.env, ...cloud.env() },
    });

  before(async () => {
    cloud = await LiveCloud.create({
      controlPlane: false,
      env: { LOCALCLOUD_FIC_PROPAGATION_MS: "0" },
    });
    await cloud.serve();
    fs.mkdirSync(program);
    const tarball = packPackage(scratch);
    fs.writeFileSync(
      path.join(program, "package.json"),
      JSON.stringify({
        name: "yaml-program",
        private: true,
        dependencies: { "pulumi-azure-workload-identity": `file:${tarball}` },
      }),
    );
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=warn"], {
      cwd: program,
      stdio: ["ignore", "pipe", "pipe"],
    });
    fs.copyFileSync(
      path.join(ROOT, "examples", "yaml", "Pulumi.yaml"),
      path.join(program, "Pulumi.yaml"),
    );
  });
  after(async () => {
    await cloud?.shutdown();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("deploys examples/yaml: the trust chain holds, a second preview plans nothing", async () => {
    stack = await cloud.programStack("dev", program);
    await up(stack, "the YAML program");
    await checkTrustChain(cloud, stack, "kind", PROJECT);
    const types = stateOf(cloud, stack, PROJECT).resources.map((r) => r.type);
    for (const c of ["OidcIssuer", "KindOrAksCluster", "WorkloadIdentity", "Webhook"]) {
      assert.ok(types.includes(`azure-wi:index:${c}`), `${c} in the state`);
    }
    const webhook = cloud
      .objects("kubernetes")
      .find((o) => o.type === "kubernetes:helm.sh/v3:Release");
    assert.ok(webhook, "the webhook's release is installed in the cluster");
  });

  it("trusts one more ServiceAccount when the program lists it: one more FIC, same identity", async () => {
    const file = path.join(program, "Pulumi.yaml");
    const before = await outputsOf(stack);
    const text = fs.readFileSync(file, "utf8");
    const listed = "        - namespace: apps\n          name: blob-reader\n";
    assert.ok(text.includes(listed));
    fs.writeFileSync(
      file,
      text.replace(listed, `${listed}        - namespace: apps\n          name: blob-writer\n`),
    );
    await up(stack, "a second ServiceAccount");
    await checkTrustChain(cloud, stack, "kind", PROJECT);
    const after = await outputsOf(stack);
    assert.deepEqual(after.identities, {
      "blob-reader": {
        clientId: (before.identities as Record<string, { clientId: string }>)["blob-reader"]
          .clientId,
        serviceAccounts: ["apps/blob-reader", "apps/blob-writer"],
      },
    });
    const fics = cloud
      .objects("azure")
      .filter((o) => o.type === "azure-native:managedidentity:FederatedIdentityCredential");
    assert.deepEqual(fics.map((f) => f.state.subject).sort(), [
      "system:serviceaccount:apps:blob-reader",
      "system:serviceaccount:apps:blob-writer",
    ]);
  });

  it("refuses a bad argument in one line, as TypeScript does, and creates nothing", () => {
    const bad = path.join(scratch, "bad");
    fs.mkdirSync(bad);
    fs.symlinkSync(path.join(program, "node_modules"), path.join(bad, "node_modules"));
    fs.writeFileSync(
      path.join(bad, "Pulumi.yaml"),
      [
        "name: wi-yaml-bad",
        "runtime: yaml",
        "packages:",
        "  azure-wi: ./node_modules/pulumi-azure-workload-identity/bin",
        "resources:",
        "  oidc:",
        "    type: azure-wi:index:OidcIssuer",
        "    properties:",
        "      rsaBits: 1000",
        "",
      ].join("\n"),
    );
    assert.equal(cli(["stack", "init", "dev"], bad).status, 0);
    const cloudKeys = () => cloud.objects("azure").map((o) => o.key);
    const before = cloudKeys();
    const run = cli(["up", "--yes", "--skip-preview"], bad);
    assert.notEqual(run.status, 0);
    const out = run.stdout + run.stderr;
    assert.match(
      out,
      /\n\s*error: azure-wi:index:OidcIssuer resource 'oidc' has a problem: rsaBits: 1000 is not valid; expected a whole number from 2048 to 8192\n/,
    );
    assert.doesNotMatch(out, /\n\s+at /, "no stack trace");
    assert.deepEqual(cloudKeys(), before, "nothing created");
  });

  it("lists the components in `pulumi package get-schema`, documented, typed, secrets marked", () => {
    const run = cli(["package", "get-schema", path.join(pluginDir, "pulumi-resource-azure-wi")]);
    assert.equal(run.status, 0, run.stderr);
    const schema = JSON.parse(run.stdout) as Schema;
    const own = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    assert.equal(schema.name, "azure-wi");
    assert.equal(schema.version, own.version);
    assert.deepEqual(
      Object.keys(schema.resources).sort(),
      COMPONENTS.map((c) => `azure-wi:index:${c}`),
    );
    for (const [token, r] of Object.entries(schema.resources)) {
      assert.ok(r.isComponent && r.description.length > 0, token);
      for (const [name, p] of [
        ...Object.entries(r.inputProperties),
        ...Object.entries(r.properties),
      ]) {
        assert.ok(p.description, `${token}.${name} is documented`);
      }
    }
    const issuer = schema.resources["azure-wi:index:OidcIssuer"];
    assert.equal(issuer.properties.privateKeyPem.secret, true);
    assert.equal(issuer.inputProperties.signingPrivateKeyPem.secret, true);
    assert.equal(
      schema.resources["azure-wi:index:KindOrAksCluster"].properties.kubeconfig.secret,
      true,
    );
    assert.equal(issuer.properties.issuerUrl.secret, undefined);
  });

  it("generates Go, Python and .NET SDKs; the Go SDK and the docs' Go example build", async () => {
    const schemaRun = cli([
      "package",
      "get-schema",
      path.join(pluginDir, "pulumi-resource-azure-wi"),
    ]);
    assert.equal(schemaRun.status, 0, schemaRun.stderr);
    // .NET's generator fetches the package logo over HTTP (Pulumi's generic one when the schema
    // names none), and there is no internet here: the schema given to it names one on loopback.
    const logo = http.createServer((_, res) => res.end(Buffer.from("89504e470d0a1a0a", "hex")));
    await new Promise<void>((resolve) => logo.listen(0, "127.0.0.1", resolve));
    const schemaFile = path.join(scratch, "schema.json");
    const schema = JSON.parse(schemaRun.stdout) as Schema;
    schema.logoUrl = `http://127.0.0.1:${(logo.address() as { port: number }).port}/logo.png`;
    fs.writeFileSync(schemaFile, JSON.stringify(schema));
    try {
      for (const language of ["go", "python", "dotnet"]) {
        // Not spawnSync: the logo server answers from this process's event loop.
        await execFileAsync(
          path.join(engineBin(), "pulumi"),
          ["package", "gen-sdk", schemaFile, "--language", language, "--out", "sdk"],
          { cwd: scratch, env: { ...process.env, ...cloud.env() } },
        ).catch((err: Error & { stdout?: string; stderr?: string }) => {
          throw new Error(`gen-sdk ${language}: ${err.message}\n${err.stdout}${err.stderr}`);
        });
      }
    } finally {
      logo.close();
    }
    const sdk = path.join(scratch, "sdk");
    assert.ok(fs.existsSync(path.join(sdk, "dotnet", "OidcIssuer.cs")));
    assert.ok(fs.existsSync(path.join(sdk, "python", "pulumi_azure_wi", "oidc_issuer.py")));

    // The Go SDK as `pulumi package add` links it: a module of its own, which the program's
    // go.mod replaces; the program is the docs' example.
    const goSdk = path.join(sdk, "go", "azure-wi");
    const engineSdk = fs
      .readFileSync(path.join(ROOT, "localcloud", "go.mod"), "utf8")
      .match(/github\.com\/pulumi\/pulumi\/sdk\/v3 (v\S+)/)![1];
    fs.writeFileSync(
      path.join(goSdk, "go.mod"),
      `module pulumi-azure-workload-identity/sdk/go/azure-wi\n\ngo 1.24\n\nrequire github.com/pulumi/pulumi/sdk/v3 ${engineSdk}\n`,
    );
    const goProgram = path.join(scratch, "go-program");
    fs.mkdirSync(goProgram);
    const [example] = docBlocks("go");
    fs.writeFileSync(path.join(goProgram, "main.go"), example);
    fs.writeFileSync(
      path.join(goProgram, "go.mod"),
      [
        "module go-program",
        "",
        "go 1.24",
        "",
        `require github.com/pulumi/pulumi/sdk/v3 ${engineSdk}`,
        "require pulumi-azure-workload-identity/sdk/go/azure-wi v0.0.0",
        `replace pulumi-azure-workload-identity/sdk/go/azure-wi => ${goSdk}`,
        "",
      ].join("\n"),
    );
    const go = (args: string[]) =>
      execFileSync("go", args, {
        cwd: goProgram,
        encoding: "utf8",
        // -trimpath as the engine's build compiled the same sdk/v3: cold, Go's build cache then
        // has most of what this builds (without it, the SDK compiled anew took minutes).
        env: {
          ...process.env,
          GOFLAGS: "-mod=mod -trimpath",
          GONOSUMDB: "github.com/pulumi/pulumi",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
    go(["mod", "tidy"]);
    go(["vet", ".", "pulumi-azure-workload-identity/sdk/go/azure-wi"]);
    go(["build", "-o", path.join(scratch, "go-program.bin"), "."]);

    // Python: byte-compiled, the SDK and the docs' example (the `pulumi` package that would let
    // them import is not installable here).
    const [pyExample] = docBlocks("python");
    fs.writeFileSync(path.join(sdk, "python", "example.py"), pyExample);
    execFileSync("python3", ["-m", "compileall", "-q", "."], { cwd: path.join(sdk, "python") });
  });

  it("destroys everything the YAML program made", async () => {
    await stack.destroy();
    const left = ["azure", "kubernetes", "clusters"].flatMap((area) =>
      cloud.objects(area).map((o) => o.key),
    );
    assert.deepEqual(left, []);
  });
});
