/**
 * The component types refuse wrong argument combinations at compile time: test/types/wrongArgs.ts
 * must fail to compile with an error on exactly its lines marked `// refused`, and on no other.
 * Compiled against the built declarations (`npm test` builds first), as a consumer sees them.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import * as ts from "typescript";

const FILE = path.join(__dirname, "types", "wrongArgs.ts");

/** The compiler options of tsconfig.json: strict, noUnusedLocals and the rest. */
function projectOptions(): ts.CompilerOptions {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(__dirname, "..", "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) =>
        assert.fail(ts.flattenDiagnosticMessageText(d.messageText, " ")),
    },
  )!;
  return config.options;
}

describe("the component types", function () {
  this.timeout(120_000);

  it("refuse every wrong combination, and only those", () => {
    const program = ts.createProgram([FILE], { ...projectOptions(), noEmit: true });
    const source = program.getSourceFile(FILE)!;
    const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;

    const diagnostics = ts.getPreEmitDiagnostics(program, source);
    const refusedLines = new Set(diagnostics.map((d) => lineOf(d.start ?? 0)));
    const markedLines = new Set(
      source.text
        .split("\n")
        .map((text, i) => ({ text, line: i + 1 }))
        .filter(({ text }) => /^new .*\/\/ refused/.test(text))
        .map(({ line }) => line),
    );
    assert.ok(markedLines.size >= 15, "the file lists the wrong combinations");
    const unexpected = diagnostics
      .filter((d) => !markedLines.has(lineOf(d.start ?? 0)))
      .map(
        (d) =>
          `line ${lineOf(d.start ?? 0)}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`,
      );
    assert.deepEqual(unexpected, [], "errors on lines that must compile");
    const accepted = [...markedLines].filter((line) => !refusedLines.has(line));
    assert.deepEqual(accepted, [], "wrong combinations the types accept (line numbers)");
  });
});

describe("the TypeScript of the README and docs/", function () {
  this.timeout(120_000);

  it("compiles under the project's strict settings, as a consumer would paste it", () => {
    const root = path.join(__dirname, "..");
    const pages = [
      "README.md",
      ...fs.readdirSync(path.join(root, "docs")).map((f) => path.join("docs", f)),
    ].filter((f) => f.endsWith(".md"));
    const blocks = pages.flatMap((page) =>
      [...fs.readFileSync(path.join(root, page), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map(
        (m) => m[1],
      ),
    );
    assert.ok(blocks.length >= 3, `${blocks.length} blocks`);
    // Inside the repository, so that the package resolves by its own name to dist/.
    const dir = fs.mkdtempSync(path.join(__dirname, "types", ".readme-"));
    try {
      const files = blocks.map((code, i) => {
        const file = path.join(dir, `block${i}.ts`);
        fs.writeFileSync(file, code);
        return file;
      });
      const program = ts.createProgram(files, { ...projectOptions(), noEmit: true });
      const errors = ts
        .getPreEmitDiagnostics(program)
        .map(
          (d) =>
            `${path.basename(d.file?.fileName ?? "")}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`,
        );
      assert.deepEqual(errors, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
