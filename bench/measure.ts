/** Median of repeated timings: robust to one noisy run on a shared machine. */
export async function medianSeconds(runs: number, fn: () => Promise<void>): Promise<{ median: number; all: number[] }> {
  const all: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    all.push((performance.now() - t) / 1000);
  }
  const sorted = [...all].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? 0, all };
}

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** What the figure is compared with in the same run, e.g. the read-only floor. */
  readonly baseline?: { readonly name: string; readonly value: number };
}
