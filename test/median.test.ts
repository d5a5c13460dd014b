/** The bench's reduction of repeated runs to the median one. */
import * as assert from "node:assert/strict";

import { byCell, medianRun } from "../bench/median";

describe("medianRun", () => {
  const run = (name: string, ms: number) => ({ name, ms });
  const ms = (r: { ms: number }) => r.ms;

  it("keeps the whole run whose measure is the median, with the spread", () => {
    const m = medianRun([run("a", 30), run("b", 10), run("c", 20)], ms);
    assert.deepEqual(m, { name: "c", ms: 20, spread: { runs: 3, minMs: 10, maxMs: 30 } });
  });

  it("takes the lower middle run of an even count, a run that happened", () => {
    assert.equal(medianRun([run("a", 40), run("b", 10), run("c", 30), run("d", 20)], ms).name, "d");
  });

  it("is the run itself when there is one", () => {
    assert.deepEqual(medianRun([run("a", 5)], ms), {
      name: "a",
      ms: 5,
      spread: { runs: 1, minMs: 5, maxMs: 5 },
    });
  });

  it("refuses no runs", () => {
    assert.throws(() => medianRun([], ms), /no runs/);
  });
});

describe("byCell", () => {
  it("groups runs by cell in the order cells first appear", () => {
    const runs = [
      { cell: "up", i: 1 },
      { cell: "preview", i: 2 },
      { cell: "up", i: 3 },
    ];
    assert.deepEqual(
      byCell(runs, (r) => r.cell).map((c) => c.map((r) => r.i)),
      [[1, 3], [2]],
    );
  });
});
