/**
 * The package as another team's program gets it: `npm pack`, then an install into a scratch
 * project with the newest `@pulumi/pulumi` the registry offers. The consumer must end up with
 * one copy of the SDK (two copies break Pulumi's Output and Resource checks), type-check
 * examples/kind/index.ts against the installed declarations, plan it offline with the package's
 * command line, test it with the package's simulated cloud as docs/components.md shows, and
 * deploy an issuer of its own through the real engine, which finds the package's provider plugin
 * as the kind example's Pulumi.yaml names it.
 * Needs the npm registry (CI has it); slow, so it runs in `npm run test:integration`.
 */
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as ts from "typescript";

import { LiveCloud } from "../harness/liveCloud";
import { engineBin } from "../harness/localCloud";
import { packPackage } from "../harness/packed";
import { document } from "../harness/trustChain";

const ROOT = path.resolve(__dirname, "..", "..");
/** The newest SDK the registry offers, as a consumer starting today gets it. */
const CONSUMER_SDK = execFileSync("npm", ["view", "@pulumi/pulumi", "version"], {
  encoding: "utf8",
}).trim();

const sh = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** Every installed copy of a package: its package.json paths below node_modules. */
function copiesOf(dir: string, name: string): string[] {
  const found: string[] = [];
  const walk = (modules: string) => {
    if (!fs.existsSync(modules)) return;
    for (const entry of fs.readdirSync(modules)) {
      const scoped = entry.startsWith("@")
        ? fs.readdirSync(path.join(modules, entry)).map((e) => `${entry}/${e}`)
        : [entry];
      for (const pkg of scoped) {
        const pkgDir = path.join(modules, pkg);
        if (pkg === name) found.push(path.join(pkgDir, "package.json"));
        walk(path.join(pkgDir, "node_modules"));
      }
    }
  };
  walk(path.join(dir, "node_modules"));
  return found;
}

describe("the packed package in a consumer with the newest SDK", function () {
  this.timeout(900_000);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "wi-consumer-"));
  let installLog = "";

  before(() => {
    const tarball = packPackage(scratch);
    const own = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    fs.writeFileSync(
      path.join(scratch, "package.json"),
      JSON.stringify({
        name: "consumer",
        private: true,
        dependencies: {
          "@pulumi/pulumi": CONSUMER_SDK,
          "@pulumi/azure-native": own.dependencies["@pulumi/azure-native"],
          "@pulumi/kubernetes": own.dependencies["@pulumi/kubernetes"],
          "pulumi-azure-workload-identity": `file:${tarball}`,
          typescript: own.devDependencies.typescript,
          "@types/node": own.devDependencies["@types/node"],
          // What a consumer's own tests run on (docs/components.md#testing-your-program).
          mocha: own.devDependencies.mocha,
          "@types/mocha": own.devDependencies["@types/mocha"],
          "ts-node": own.devDependencies["ts-node"],
        },
      }),
    );
    installLog = sh("npm", ["install", "--no-audit", "--no-fund", "--loglevel=warn"], scratch);
  });

  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it("installs without running or asking for any script of the package", () => {
    assert.doesNotMatch(installLog, /pulumi-azure-workload-identity.*(install|prepare)/i);
    const installed = path.join(scratch, "node_modules", "pulumi-azure-workload-identity");
    assert.ok(fs.existsSync(path.join(installed, "dist", "components", "index.js")));
    assert.ok(fs.existsSync(path.join(installed, "LICENSE")));
    assert.ok(!fs.existsSync(path.join(installed, "components")), "no TypeScript sources");
    assert.ok(!fs.existsSync(path.join(installed, "test")));
  });

  it("leaves one copy of @pulumi/pulumi, the consumer's", () => {
    const copies = copiesOf(scratch, "@pulumi/pulumi");
    assert.equal(copies.length, 1, copies.join(", "));
    const { version } = JSON.parse(fs.readFileSync(copies[0], "utf8")) as { version: string };
    assert.equal(version, CONSUMER_SDK);
  });

  it("type-checks the kind example against the installed declarations", () => {
    fs.copyFileSync(
      path.join(ROOT, "examples", "kind", "index.ts"),
      path.join(scratch, "index.ts"),
    );
    const options: ts.CompilerOptions = {
      strict: true,
      noUnusedLocals: true,
      noUnusedParameters: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      esModuleInterop: true,
      types: ["node"],
      typeRoots: [path.join(scratch, "node_modules", "@types")],
      outDir: path.join(scratch, "out"),
    };
    const program = ts.createProgram([path.join(scratch, "index.ts")], options);
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, " "));
    assert.deepEqual(diagnostics, []);
    assert.equal(program.emit().emitSkipped, false);
  });

  it("ships the command line: npx pulumi-azure-workload-identity migrate pod-identity", () => {
    const out = path.join(scratch, "migration");
    const printed = sh(
      "npx",
      [
        "--no-install",
        "pulumi-azure-workload-identity",
        "migrate",
        "pod-identity",
        "--out",
        out,
        path.join(ROOT, "test", "fixtures", "pod-identity", "before-1.6.yaml"),
      ],
      scratch,
    );
    assert.match(printed, /1 identities, 1 ServiceAccounts: wrote /);
    assert.match(fs.readFileSync(path.join(out, "identities.yaml"), "utf8"), /billing-mi/);
  });

  it("ships the doctor, as a command and as functions", () => {
    const usage = spawnSync("npx", ["--no-install", "pulumi-azure-workload-identity", "doctor"], {
      cwd: scratch,
      encoding: "utf8",
    });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /^error: give --outputs, or --issuer and --identity$/m);
    const exported = sh(
      process.execPath,
      [
        "-e",
        'const d = require("pulumi-azure-workload-identity/doctor"); console.log([typeof d.doctor, typeof d.checkToken, typeof d.KubeClient].join(" "))',
      ],
      scratch,
    );
    assert.equal(exported.trim(), "function function function");
  });

  it("answers --help for every command, exit status 0", () => {
    for (const words of [[], ["plan"], ["doctor"], ["migrate", "pod-identity"]]) {
      const help = spawnSync(
        "npx",
        ["--no-install", "pulumi-azure-workload-identity", ...words, "--help"],
        {
          cwd: scratch,
          encoding: "utf8",
        },
      );
      assert.equal(help.status, 0, `${words.join(" ")}: ${help.stderr}`);
      assert.match(help.stdout, /^usage: pulumi-azure-workload-identity/, words.join(" "));
    }
  });

  it("plans the consumer's own program offline: npx pulumi-azure-workload-identity plan dev", () => {
    fs.copyFileSync(
      path.join(ROOT, "examples", "kind", "index.ts"),
      path.join(scratch, "index.ts"),
    );
    // A resource of a provider the package does not simulate, as a real program has them.
    fs.appendFileSync(
      path.join(scratch, "index.ts"),
      '\nnew pulumi.CustomResource("acme:dns:Record", "www", { name: "www", target: issuerUrl });\n',
    );
    fs.copyFileSync(
      path.join(ROOT, "examples", "kind", "Pulumi.yaml"),
      path.join(scratch, "Pulumi.yaml"),
    );
    fs.writeFileSync(
      path.join(scratch, "Pulumi.dev.yaml"),
      "config:\n  wi-kind-example:location: northeurope\n",
    );
    const printed = sh(
      "npx",
      ["--no-install", "pulumi-azure-workload-identity", "plan", "dev"],
      scratch,
    );
    assert.match(printed, /^Offline plan of stack "dev"\./);
    assert.match(printed, /\+ acme:dns:Record {2}www {2}\(not simulated/);
    assert.match(printed, /Not simulated \(listed with their inputs only\): acme:dns:Record/);
    const out = path.join(scratch, "plan", "dev");
    const fics = fs.readFileSync(path.join(out, "federated-credentials.md"), "utf8");
    assert.match(fics, /system:serviceaccount:apps:blob-reader/);
    assert.match(
      fs.readFileSync(path.join(out, "resources.txt"), "utf8"),
      /location: "northeurope"/,
    );
    const unknown = spawnSync(
      "npx",
      ["--no-install", "pulumi-azure-workload-identity", "plan", "prod"],
      {
        cwd: scratch,
        encoding: "utf8",
      },
    );
    assert.equal(unknown.status, 1);
    assert.equal(
      unknown.stderr.trim(),
      'error: unknown stack "prod": there is no Pulumi.prod.yaml; stacks here: dev',
    );
  });

  it("tests the consumer's program on the package's simulated cloud, as docs/components.md shows", () => {
    fs.copyFileSync(
      path.join(ROOT, "examples", "kind", "index.ts"),
      path.join(scratch, "index.ts"),
    );
    const docs = fs.readFileSync(path.join(ROOT, "docs", "components.md"), "utf8");
    const section = docs.slice(docs.indexOf("## Testing your program"));
    const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(example, "the docs' test");
    fs.writeFileSync(path.join(scratch, "program.test.ts"), example);
    // The tsconfig.json `pulumi new typescript` writes (node10 resolution: the package's
    // typesVersions map /testing and /doctor to their declarations), and a type-checked run.
    fs.writeFileSync(
      path.join(scratch, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          outDir: "bin",
          target: "es2020",
          module: "commonjs",
          moduleResolution: "node",
          sourceMap: true,
          experimentalDecorators: true,
          pretty: true,
          noFallthroughCasesInSwitch: true,
          noImplicitReturns: true,
          forceConsistentCasingInFileNames: true,
        },
        files: ["index.ts"],
      }),
    );
    const run = spawnSync(
      "npx",
      ["--no-install", "mocha", "-r", "ts-node/register", "program.test.ts"],
      { cwd: scratch, encoding: "utf8" },
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /2 passing/);
    const sdk = sh(
      process.execPath,
      ["-p", 'require("@pulumi/pulumi/package.json").version'],
      scratch,
    );
    assert.equal(sdk.trim(), CONSUMER_SDK);
  });

  it("deploys a program's own OidcIssuer through the real engine: the plugin found as the docs say, a published key never changes", async () => {
    // The consumer's program, with the consumer's SDK and the installed package: an issuer
    // alone, its key size from the command line, in the kind example's folder (its Pulumi.yaml
    // names the package's provider plugin, which writes the documents with Entra auth). No code
    // of its own reads any ledger.
    fs.copyFileSync(
      path.join(ROOT, "examples", "kind", "Pulumi.yaml"),
      path.join(scratch, "Pulumi.yaml"),
    );
    fs.writeFileSync(
      path.join(scratch, "guard.js"),
      [
        'const { LocalWorkspace, PulumiCommand } = require("@pulumi/pulumi/automation");',
        'const { OidcIssuer } = require("pulumi-azure-workload-identity");',
        "const [bits, engine] = [Number(process.argv[2]), process.argv[3]];",
        "const program = async () => {",
        '  const issuer = new OidcIssuer("oidc", { rsaBits: bits });',
        "  return { kid: issuer.keyId, issuerUrl: issuer.issuerUrl, jwks: issuer.jwks };",
        "};",
        "(async () => {",
        "  const pulumiCommand = await PulumiCommand.get({ root: engine, skipVersionCheck: true });",
        "  const stack = await LocalWorkspace.createOrSelectStack(",
        '    { stackName: "guard", projectName: "wi-kind-example", program },',
        "    { workDir: process.cwd(), envVars: { ...process.env }, pulumiCommand },",
        "  );",
        '  await stack.setConfig("azure-native:location", { value: "westeurope" });',
        "  try {",
        "    const up = await stack.up();",
        "    const out = Object.fromEntries(",
        "      Object.entries(up.outputs).map(([k, v]) => [k, v.value]),",
        "    );",
        "    console.log(JSON.stringify({ ok: true, ...out }));",
        "  } catch (err) {",
        "    console.log(JSON.stringify({ ok: false, error: String(err.message) }));",
        "  }",
        "})();",
      ].join("\n"),
    );
    // Azure with its storage data plane, the consumer signed in as the tests' service principal
    // (the environment of `pulumi up`, which the plugin inherits).
    const cloud = await LiveCloud.create({ controlPlane: false });
    try {
      await cloud.serve();
      const run = (bits: number) =>
        JSON.parse(
          execFileSync(process.execPath, ["guard.js", String(bits), path.dirname(engineBin())], {
            cwd: scratch,
            encoding: "utf8",
            env: { ...process.env, ...cloud.env() },
          }),
        ) as { ok: boolean; kid?: string; issuerUrl?: string; jwks?: string; error?: string };
      const first = run(2048);
      assert.ok(first.ok, JSON.stringify(first));
      const [account] = cloud
        .objects("azure")
        .filter((o) => o.type === "azure-native:storage:StorageAccount");
      assert.equal(account.state.allowSharedKeyAccess, false);
      assert.equal(await document(cloud, first.issuerUrl!, "openid/v1/jwks"), first.jwks);
      const changed = run(4096);
      assert.equal(changed.ok, false, "a new key size for the published key is refused");
      assert.match(
        changed.error!,
        /error: rsaBits: 4096 bits is not valid; key "initial" was published as a 2048-bit generated key \(kid [-\w]+\); a published key never changes/,
      );
      assert.deepEqual(run(2048), first, "the key is the one published");
    } finally {
      await cloud.shutdown();
    }
  });
});
