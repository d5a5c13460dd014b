/**
 * How the offline plan finds a program on disk (cli/program.ts), as the Node.js language host
 * does, and what it refuses in one line: no Pulumi.yaml, another runtime, no entry, a broken
 * package.json, a second copy of the SDK.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { checkSameSdk, readProgram } from "../cli/program";

describe("the offline plan: finding the program", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "wi-program-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  };

  it("takes Pulumi.yaml's main, else package.json's main, else index.ts", () => {
    write("Pulumi.yaml", "name: p\nruntime:\n  name: nodejs\nmain: infra/\n");
    write("infra/index.ts", "");
    assert.equal(readProgram(dir).entry, path.join(dir, "infra", "index.ts"));
    write("Pulumi.yaml", "name: p\nruntime: nodejs\n");
    write("package.json", JSON.stringify({ main: "src/program.js" }));
    write("src/program.js", "");
    assert.equal(readProgram(dir).entry, path.join(dir, "src", "program.js"));
    fs.rmSync(path.join(dir, "package.json"));
    write("index.ts", "");
    assert.deepEqual(readProgram(dir), { dir, project: "p", entry: path.join(dir, "index.ts") });
  });

  it("refuses, in one line, what it cannot run", () => {
    assert.throws(() => readProgram(dir), {
      message: `${dir} holds no Pulumi.yaml: give the program's folder with --program (default: the current folder)`,
    });
    write("Pulumi.yaml", "name: p\nruntime: python\n");
    assert.throws(
      () => readProgram(dir),
      /runtime "python" is not planned offline; the plan runs Node\.js programs/,
    );
    write("Pulumi.yaml", "name: p\nruntime: nodejs\n");
    assert.throws(() => readProgram(dir), /the program's entry cannot be found at /);
    write("package.json", "{ main: ");
    assert.throws(() => readProgram(dir), /package\.json: not JSON/);
  });

  it("refuses a program that would load another copy of @pulumi/pulumi", () => {
    write(
      "node_modules/@pulumi/pulumi/package.json",
      JSON.stringify({ name: "@pulumi/pulumi", main: "index.js" }),
    );
    write("node_modules/@pulumi/pulumi/index.js", "");
    assert.throws(
      () => checkSameSdk({ dir, project: "p", entry: path.join(dir, "index.ts") }),
      /the program's @pulumi\/pulumi \(.*\) is not the one this package runs with .*so that npm keeps one copy/,
    );
    const here = path.resolve(__dirname, "..");
    assert.doesNotThrow(() =>
      checkSameSdk({ dir: here, project: "p", entry: path.join(here, "index.ts") }),
    );
  });
});
