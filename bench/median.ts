/**
 * Repeated runs of one bench cell reduced to one: the run whose measure is the median (for an
 * even count, the lower of the middle two, so the figure is a run that happened), with the spread
 * of the measure across the runs beside it.
 */
export interface Spread {
  runs: number;
  minMs: number;
  maxMs: number;
}

export function medianRun<T>(runs: T[], measure: (run: T) => number): T & { spread: Spread } {
  if (runs.length === 0) throw new Error("medianRun: no runs");
  const sorted = [...runs].sort((a, b) => measure(a) - measure(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return {
    ...median,
    spread: {
      runs: runs.length,
      minMs: measure(sorted[0]),
      maxMs: measure(sorted[sorted.length - 1]),
    },
  };
}

/** Groups runs by a cell's key, keeping the order in which cells first appear. */
export function byCell<T>(runs: T[], key: (run: T) => string): T[][] {
  const cells = new Map<string, T[]>();
  for (const run of runs) {
    const k = key(run);
    const cell = cells.get(k);
    if (cell) cell.push(run);
    else cells.set(k, [run]);
  }
  return [...cells.values()];
}
