/**
 * The package as another team's program gets it: `npm pack`, then an install into a scratch
 * project that pins a newer `@pulumi/pulumi` than this repository's. The consumer must end up
 * with one copy of the SDK (two copies break Pulumi's Output and Resource checks), type-check
 * examples/kind/index.ts against the installed declarations, and run it under Pulumi's mocks.
 * Needs the npm registry (CI has it); slow, so it runs in `npm run test:integration`.
 */
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as ts from "typescript";

import { LocalCloud, engineBin } from "../harness/localCloud";

const ROOT = path.resolve(__dirname, "..", "..");
/** A current SDK release, newer than the project's own pin (package.json devDependencies). */
const CONSUMER_SDK = "3.270.0";

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

describe("the packed package in a consumer with a newer SDK", function () {
  this.timeout(900_000);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "wi-consumer-"));
  let installLog = "";

  before(() => {
    const packed = JSON.parse(
      sh("npm", ["pack", "--json", "--pack-destination", scratch], ROOT),
    ) as { filename: string }[];
    const tarball = path.join(scratch, packed[0].filename);
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

  it("runs the kind example under Pulumi's mocks with the consumer's SDK", () => {
    // The project's simulated cloud, compiled into the consumer so that it loads the consumer's
    // @pulumi/pulumi, as the package does.
    for (const module of ["simulator", "simulatedAzure"]) {
      fs.writeFileSync(
        path.join(scratch, `${module}.js`),
        ts.transpileModule(fs.readFileSync(path.join(ROOT, "testing", `${module}.ts`), "utf8"), {
          compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
        }).outputText,
      );
    }
    fs.writeFileSync(
      path.join(scratch, "run.js"),
      [
        'const pulumi = require("@pulumi/pulumi");',
        'const { installSimulator } = require("./simulator");',
        'const sim = installSimulator({ project: "wi-kind-example", stack: "dev" });',
        'pulumi.runtime.runInPulumiStack(() => Promise.resolve(require("./out/index.js")))',
        "  .then(() => sim.settled())",
        "  .then(() => console.log(JSON.stringify({",
        "    types: sim.resources.map((r) => r.type),",
        '    sdk: require("@pulumi/pulumi/package.json").version,',
        '    library: require.resolve("pulumi-azure-workload-identity"),',
        "  })));",
      ].join("\n"),
    );
    const result = JSON.parse(sh(process.execPath, ["run.js"], scratch)) as {
      types: string[];
      sdk: string;
      library: string;
    };
    assert.equal(result.sdk, CONSUMER_SDK);
    assert.ok(result.library.startsWith(path.join(scratch, "node_modules")));
    for (const type of ["OidcIssuer", "KindOrAksCluster", "Webhook", "WorkloadIdentity"]) {
      assert.ok(result.types.includes(`azure-wi:index:${type}`), type);
    }
    assert.ok(result.types.includes("azure-native:managedidentity:FederatedIdentityCredential"));
    assert.ok(result.types.includes("kubernetes:apps/v1:Deployment"));
  });

  it("guards a program's own OidcIssuer through the real engine: a published key never changes", () => {
    // The consumer's program, with the consumer's SDK and the installed package: an issuer
    // alone, its key size from the command line. No code of its own reads any ledger.
    fs.writeFileSync(
      path.join(scratch, "guard.js"),
      [
        'const { LocalWorkspace, PulumiCommand } = require("@pulumi/pulumi/automation");',
        'const { OidcIssuer } = require("pulumi-azure-workload-identity");',
        "const [bits, engine] = [Number(process.argv[2]), process.argv[3]];",
        'const program = async () => ({ kid: new OidcIssuer("oidc", { rsaBits: bits }).keyId });',
        "(async () => {",
        "  const pulumiCommand = await PulumiCommand.get({ root: engine, skipVersionCheck: true });",
        "  const stack = await LocalWorkspace.createOrSelectStack(",
        '    { stackName: "dev", projectName: "consumer", program },',
        "    { envVars: { ...process.env }, pulumiCommand },",
        "  );",
        '  await stack.setConfig("azure-native:location", { value: "westeurope" });',
        "  try {",
        "    const up = await stack.up();",
        "    console.log(JSON.stringify({ ok: true, kid: up.outputs.kid.value }));",
        "  } catch (err) {",
        "    console.log(JSON.stringify({ ok: false, error: String(err.message) }));",
        "  }",
        "})();",
      ].join("\n"),
    );
    const cloud = new LocalCloud();
    try {
      const run = (bits: number) =>
        JSON.parse(
          execFileSync(process.execPath, ["guard.js", String(bits), path.dirname(engineBin())], {
            cwd: scratch,
            encoding: "utf8",
            env: { ...process.env, ...cloud.env() },
          }),
        ) as { ok: boolean; kid?: string; error?: string };
      const first = run(2048);
      assert.ok(first.ok, JSON.stringify(first));
      const changed = run(4096);
      assert.equal(changed.ok, false, "a new key size for the published key is refused");
      assert.match(
        changed.error!,
        /error: rsaBits: 4096 bits is not valid; key "initial" was published as a 2048-bit generated key \(kid [-\w]+\); a published key never changes/,
      );
      assert.deepEqual(run(2048), first, "the key is the one published");
    } finally {
      cloud.dispose();
    }
  });
});
