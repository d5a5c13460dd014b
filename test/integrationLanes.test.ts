/**
 * `npm test` runs the integration suites in lanes, side by side (`test:integration:lanes`), each
 * lane a mocha process that leaves out by `--ignore` what the others run. The lanes are split by
 * measured time, so a suite moves between them; this keeps every suite in exactly one.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

describe("the integration lanes", () => {
  const scripts = (
    JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  const lanes = [...scripts["test:integration:lanes"].matchAll(/npm:(test:integration:\w+)/g)].map(
    (m) => m[1],
  );
  const suites = fs
    .readdirSync(path.join(ROOT, "test", "integration"))
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => `test/integration/${f}`);

  it("run every integration suite once, in one lane", () => {
    assert.ok(lanes.length >= 2, `lanes: ${lanes.join(", ")}`);
    for (const suite of suites) {
      const runs = lanes.filter((lane) => {
        const ignored = [...scripts[lane].matchAll(/--ignore '([^']+)'/g)].map((m) => m[1]);
        return !ignored.some((glob) => path.matchesGlob(suite, glob));
      });
      assert.equal(runs.length, 1, `${suite} runs in ${runs.join(", ") || "no lane"}`);
    }
  });
});
