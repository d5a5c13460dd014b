/**
 * The component types refuse wrong argument combinations at compile time: test/types/wrongArgs.ts
 * must fail to compile with an error on exactly its lines marked `// refused`, and on no other.
 * Compiled against the built declarations (`npm test` builds first), as a consumer sees them.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";

import * as ts from "typescript";

const FILE = path.join(__dirname, "types", "wrongArgs.ts");

describe("the component types", function () {
  this.timeout(120_000);

  it("refuse every wrong combination, and only those", () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      path.join(__dirname, "..", "tsconfig.json"),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) =>
          assert.fail(ts.flattenDiagnosticMessageText(d.messageText, " ")),
      },
    )!;
    const program = ts.createProgram([FILE], { ...config.options, noEmit: true });
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
