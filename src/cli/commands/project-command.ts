import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ProjectionRunner, type ProjectionRunResult } from '../../../projections/projection-runner.js';
import { pairSummaryFromRows, rowsByStream } from '../../../projections/read-models.js';
import { diffReadModels, rebuildReadModelsFrom, type ReadModelComparison } from '../../../projections/rebuild.js';
import type { StoredReadModels } from '../../../projections/read-model-store.js';
import type { PairSummary } from '../../../projections/pair-projection.js';
import { createLogger } from '../../log/logger.js';
import { readAllPages } from '../../store/read-all-pages.js';
import { openReadModelStore, readStoredReadModels } from '../../store/sqlite-read-model-store.js';
import { InvalidStoreUrlError, parseStoreUrl } from '../../store/store-url.js';
import { UsageError } from '../errors.js';
import { openExistingStore } from '../open-store.js';
import { printPairTable } from '../print-summary.js';

export interface ProjectCommandOptions {
  readonly store: string;
  /** `sqlite:<path>` of the read models; created when absent. */
  readonly readModels: string;
  readonly follow?: boolean;
  /** Most events per commit while catching up (default 500). */
  readonly batchSize?: string | number;
  readonly logLevel?: string;
}

/**
 * `mm project`: bring the read models up to date with the log, exactly once.
 * Without --follow it stops at the log's head as it was at start; with
 * --follow it stays live until SIGINT/SIGTERM. Either signal ends the run
 * after the commit in hand, so the checkpoint always matches the rows.
 */
export async function projectCommand(opts: ProjectCommandOptions): Promise<ProjectionRunResult> {
  const batchSize = opts.batchSize === undefined ? undefined : parseBatchSize(opts.batchSize);
  const readModelsPath = readModelsPathOf(opts.readModels);
  refuseSameFile(opts.store, readModelsPath);
  // Quiet for a one-off catch-up (stdout says what happened); a follower is a service, so it logs.
  const logger = createLogger({ level: opts.logLevel ?? process.env.LOG_LEVEL ?? (opts.follow ? 'info' : 'warn') });
  const events = await openExistingStore(opts.store);
  try {
    const readModels = await openReadModelStore(opts.readModels);
    try {
      const runner = new ProjectionRunner({
        events,
        readModels,
        ...(batchSize === undefined ? {} : { batchSize }),
        onCommit: (c) => logger.debug({ checkpoint: c.checkpoint, events: c.events, streams: c.streams }, 'read models committed'),
      });
      const stop = (signal: string) => () => {
        logger.info({ signal }, 'stopping after the commit in hand');
        runner.stop();
      };
      const onSigint = stop('SIGINT');
      const onSigterm = stop('SIGTERM');
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigterm);
      let result: ProjectionRunResult;
      try {
        logger.info({ store: opts.store, readModels: opts.readModels, follow: Boolean(opts.follow) }, 'projecting');
        result = await runner.run({ follow: Boolean(opts.follow) });
      } finally {
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigterm);
      }
      const stored = await readModels.readAll();
      const head = result.head === null ? '' : ` (log head ${result.head})`;
      process.stdout.write(`projected ${result.events} events into ${readModelsPath} in ${result.commits} commits: checkpoint ${result.from} -> ${result.checkpoint}${head}, ${result.reason}\n`);
      printPairTable(summariesOf(stored));
      return result;
    } finally {
      await readModels.close();
    }
  } finally {
    await events.close();
  }
}

export interface RebuildCommandOptions {
  readonly store: string;
  /** Required; optional in the type because `mm replay` shares its options with --verify and --pair. */
  readonly readModels?: string;
  readonly json?: boolean;
  /** Other `mm replay` modes: refused alongside --rebuild. */
  readonly verify?: boolean;
  readonly pair?: string;
  readonly at?: string;
}

/**
 * `mm replay --rebuild`: recompute the read models from zero in memory and
 * compare them, value for value, with the stored ones as of their checkpoint.
 * Prints the differences; sets exit code 1 when there is any. A checkpoint
 * behind the log's head is reported, not counted as a difference.
 */
export async function rebuildCommand(opts: RebuildCommandOptions): Promise<ReadModelComparison> {
  if (opts.readModels === undefined) throw new UsageError('--rebuild needs --read-models sqlite:<path>: the stored read models to compare with');
  if (opts.verify || opts.pair !== undefined || opts.at !== undefined) throw new UsageError('--rebuild compares the read models of the whole log; drop --verify, --pair and --at');
  const readModelsPath = readModelsPathOf(opts.readModels);
  if (!existsSync(readModelsPath)) throw new UsageError(`no read models at ${readModelsPath} (from --read-models ${opts.readModels}); run mm project first`);
  refuseSameFile(opts.store, readModelsPath);
  const events = await openExistingStore(opts.store);
  try {
    const stored = await readStoredReadModels(readModelsPath);
    const rebuilt = await rebuildReadModelsFrom(readAllPages(events), { upTo: stored.position });
    const comparison = diffReadModels(stored, rebuilt);
    const eventsBehind = rebuilt.seen - rebuilt.events;
    if (opts.json) {
      const out = { events: rebuilt.events, streams: rebuilt.streams, differences: comparison.differences, checkpoint: comparison.checkpoint, head: comparison.head, behind: comparison.behind, eventsBehind };
      process.stdout.write(`${JSON.stringify(out)}\n`);
    } else {
      process.stdout.write(`rebuilt ${rebuilt.events} events (${rebuilt.streams} pair streams) up to checkpoint ${comparison.checkpoint}; log head ${comparison.head}\n`);
      if (comparison.behind) process.stdout.write(`the checkpoint is ${eventsBehind} events behind the head (not a difference: run mm project to catch up)\n`);
      printDifferences(comparison);
    }
    if (comparison.differences.length > 0) {
      process.stderr.write(`mm: the stored read models differ from the rebuild in ${comparison.differences.length} value(s)\n`);
      process.exitCode = 1;
    }
    return comparison;
  } finally {
    await events.close();
  }
}

function printDifferences(comparison: ReadModelComparison): void {
  const shown = 100;
  if (comparison.differences.length === 0) {
    process.stdout.write('no differences: the stored read models equal the rebuild\n');
    return;
  }
  const rows = comparison.differences.slice(0, shown).map((d) => [d.stream, d.table, d.column, String(d.stored), String(d.rebuilt)]);
  const header = ['stream', 'table', 'column', 'stored', 'rebuilt'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(`${line(header)}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
  if (comparison.differences.length > shown) process.stdout.write(`... and ${comparison.differences.length - shown} more (--json lists them all)\n`);
}

/** Summaries keyed by symbol, or by stream when a symbol is not unique (or not yet known). */
function summariesOf(stored: StoredReadModels): Record<string, PairSummary> {
  const byStream = rowsByStream(stored.rows);
  const symbols = [...byStream.values()].map((r) => r.inventory.symbol);
  const out: Record<string, PairSummary> = {};
  for (const [stream, rows] of byStream) {
    const symbol = rows.inventory.symbol;
    out[symbol !== null && symbols.filter((s) => s === symbol).length === 1 ? symbol : stream] = pairSummaryFromRows(rows);
  }
  return out;
}

/** Read models live in their own SQLite file: `memory:` would vanish on exit, and the event store's file is refused. */
function readModelsPathOf(url: string): string {
  let parsed;
  try {
    parsed = parseStoreUrl(url);
  } catch (error) {
    if (error instanceof InvalidStoreUrlError) throw new UsageError(`invalid --read-models URL ${JSON.stringify(url)}: ${error.problem} (expected sqlite:<path>, sqlite:<path>?sync=normal or sqlite:///<absolute path>)`);
    throw error;
  }
  if (parsed.kind !== 'sqlite') throw new UsageError(`--read-models must be an sqlite: URL (read models in memory would be lost on exit), got ${url}`);
  return parsed.path;
}

function refuseSameFile(storeUrl: string, readModelsPath: string): void {
  let store;
  try {
    store = parseStoreUrl(storeUrl);
  } catch {
    return; // openExistingStore reports a bad --store URL.
  }
  if (store.kind === 'sqlite' && resolve(store.path) === resolve(readModelsPath)) {
    throw new UsageError(`--read-models names the event store's own file (${readModelsPath}); give the read models a file of their own`);
  }
}

function parseBatchSize(value: string | number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--batch-size must be a whole number >= 1, got "${String(value)}"`);
  return n;
}
