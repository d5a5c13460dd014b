/**
 * The command line's answers that need nothing: `--help` (exit 0) and usage errors (exit 2, one
 * line naming the flag, then the usage) for every command, without loading the Pulumi SDK or
 * the clients (loading @pulumi/pulumi alone takes over a second).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

/** Runs the command line in a child; reports what it printed and which heavy modules it loaded. */
function run(args: string[]) {
  const probe = `
    const { main } = require("./cli/main");
    main(${JSON.stringify(args)}).then((code) => {
      const loaded = Object.keys(require.cache)
        .filter((f) => /node_modules[\\\\/](@pulumi[\\\\/]pulumi|@kubernetes|@azure)[\\\\/]/.test(f))
        .map((f) => f.split("node_modules").pop().split(/[\\\\/]/).slice(1, 3).join("/"));
      process.stderr.write("\\nLOADED " + JSON.stringify([...new Set(loaded)]) + "\\n");
      process.exitCode = code;
    });`;
  const child = spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", "-e", probe],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  );
  const [stderr, loaded] = child.stderr.split("\nLOADED ");
  return {
    status: child.status,
    stdout: child.stdout,
    stderr,
    loaded: JSON.parse(loaded) as string[],
  };
}

describe("the command line without the SDK", function () {
  this.timeout(60_000);
  const commands = [[], ["plan"], ["doctor"], ["migrate", "pod-identity"]];

  for (const words of commands) {
    it(`${words.join(" ") || "(no command)"} --help: the usage, exit 0, nothing heavy loaded`, () => {
      const r = run([...words, "--help"]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^usage: pulumi-azure-workload-identity/);
      assert.deepEqual(r.loaded, []);
    });
  }

  it("plan without a stack: one line listing the stacks, the usage, exit 2", () => {
    const r = run(["plan"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^error: no stack given \(stacks in .*: aks, dev\)\nusage: /);
    assert.deepEqual(r.loaded, []);
  });

  for (const words of commands.slice(1)) {
    it(`${words.join(" ")} --bogus=1: one line naming the flag, the usage, exit 2`, () => {
      const r = run([...words, "--bogus=1"]);
      assert.equal(r.status, 2);
      const [first, ...rest] = r.stderr.split("\n");
      assert.match(first, /^error: unknown option --bogus/);
      assert.match(rest.join("\n"), /^usage: pulumi-azure-workload-identity/m);
      assert.deepEqual(r.loaded, []);
    });
  }
});

describe("the doctor's modules", () => {
  it("load the Pulumi SDK's errors alone, not the whole SDK (over half a second of CPU per run)", () => {
    const probe = `
      for (const m of ["./cli/doctor/doctor", "./cli/doctor/target", "./cli/doctor/arm"]) require(m);
      const sdk = Object.keys(require.cache)
        .filter((f) => /node_modules[\\\\/]@pulumi[\\\\/]pulumi[\\\\/]/.test(f))
        .map((f) => f.split(/@pulumi[\\\\/]pulumi[\\\\/]/).pop().replace(/\\\\/g, "/"));
      process.stdout.write(JSON.stringify(sdk.sort()));`;
    const child = spawnSync(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", "-e", probe],
      { cwd: ROOT, encoding: "utf8" },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), ["errors.js", "utils.js"]);
  });
});
