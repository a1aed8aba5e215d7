import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BUNDLED_RECORDING } from '../src/cli/project-paths.js';
import { backtestThroughput } from './backtest-throughput.js';
import type { Figure } from './measure.js';
import { esdbCatchUpThroughput } from './esdb-catch-up.js';
import { projectionRebuildThroughput } from './projection-rebuild.js';
import { sqliteAppendThroughput } from './sqlite-append.js';
import { pairsLatency } from './pairs-latency.js';

/**
 * `npm run bench`: every speed figure, each beside its in-run baseline and
 * beside the committed reference run (bench/reference.json). Pass
 * `--update-reference` to record this run as the new reference.
 */
const REFERENCE = fileURLToPath(new URL('./reference.json', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 3);

const reference: Record<string, number> = existsSync(REFERENCE) ? (JSON.parse(readFileSync(REFERENCE, 'utf8')).figures as Record<string, number>) : {};

const figures: Figure[] = [
  ...(await backtestThroughput(BUNDLED_RECORDING, runs)),
  ...(await sqliteAppendThroughput(runs)),
  ...(await projectionRebuildThroughput(runs)),
  ...(await esdbCatchUpThroughput(runs)),
  ...(await pairsLatency(BUNDLED_RECORDING, runs)),
];

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`bench: median of ${runs} runs, node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`);
console.log(`data: ${BUNDLED_RECORDING}\n`);
const rows = figures.map((f) => {
  const vsBaseline = f.baseline ? `${(f.value / f.baseline.value).toFixed(2)}x of ${f.baseline.name}` : '';
  const ref = reference[f.name];
  const vsReference = ref ? `${(f.value / ref).toFixed(2)}x of reference (${fmt(ref)})` : 'no reference yet';
  return [f.name, `${fmt(f.value)} ${f.unit}`, vsBaseline, vsReference];
});
const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  |  '));

if (process.argv.includes('--update-reference')) {
  const out = { recorded: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? '?', runs, figures: Object.fromEntries(figures.map((f) => [f.name, Math.round(f.value)])) };
  writeFileSync(REFERENCE, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nreference updated: ${REFERENCE}`);
}
