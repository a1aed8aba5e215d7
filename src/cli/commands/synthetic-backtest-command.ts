import { basename } from 'node:path';
import {
  compareSyntheticStrategies,
  runSyntheticBacktest,
  symmetricConfig,
  syntheticEngineConfig,
  type SyntheticBacktestResult,
} from '../../backtest/synthetic-runner.js';
import type { EngineConfig } from '../../config/engine-config.js';
import type { Logger } from '../../log/logger.js';
import type { EventStore } from '../../store/event-store.js';
import { loadEngineConfig } from '../../config/engine-config.js';
import { createLogger } from '../../log/logger.js';
import type { SyntheticMarketParamsInput } from '../../market-data/synthetic-market.js';
import { UsageError } from '../errors.js';
import { openEmptyStore } from '../open-store.js';

export interface SyntheticBacktestCommandOptions {
  readonly seed?: string;
  readonly paths?: string;
  readonly s0?: string;
  readonly sigma?: string;
  readonly dt?: string;
  readonly horizon?: string;
  readonly intensityA?: string;
  readonly intensityK?: string;
  readonly tick?: string;
  readonly timeUnitMs?: string;
  readonly store?: string;
  readonly config?: string;
  /** `symmetric` (the same parameters with the inventory rules off) or a second config file. */
  readonly compare?: string;
  readonly json?: boolean;
  readonly logLevel?: string;
}

function num(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`${option} must be a number, got "${value}"`);
  return n;
}

/** `mm backtest --market synthetic`: Monte Carlo paths of the Avellaneda–Stoikov market through the real pair actors. */
export async function syntheticBacktestCommand(opts: SyntheticBacktestCommandOptions): Promise<void> {
  const params: SyntheticMarketParamsInput = Object.fromEntries(
    Object.entries({
      s0: num(opts.s0, '--s0'),
      sigma: num(opts.sigma, '--sigma'),
      dt: num(opts.dt, '--dt'),
      T: num(opts.horizon, '--horizon'),
      A: num(opts.intensityA, '--intensity-a'),
      k: num(opts.intensityK, '--intensity-k'),
      tickSize: opts.tick,
      timeUnitMs: num(opts.timeUnitMs, '--time-unit-ms'),
    }).filter(([, v]) => v !== undefined),
  );
  const seed = num(opts.seed, '--seed') ?? 1;
  const paths = num(opts.paths, '--paths') ?? 20;
  const logger = createLogger({ level: opts.logLevel ?? (opts.json ? 'warn' : 'info') });
  const config = opts.config ? await loadEngineConfig(opts.config) : syntheticEngineConfig(params);
  const store = await openEmptyStore(opts.store ?? 'memory:');
  if (opts.compare !== undefined) {
    try {
      return await compare(opts, params, seed, paths, config, store, logger);
    } finally {
      await store.close();
    }
  }
  try {
    const r = await runSyntheticBacktest({ params, paths, seed, store, config, logger });
    const result = {
      market: r.market,
      seed: r.seed,
      paths: r.paths.length,
      netPnl: r.netPnl,
      position: r.position,
      meanQuotedSpread: r.meanQuotedSpread,
      meanFills: r.meanFills,
      inventoryRms: r.inventoryRms,
      perPath: r.paths.map(({ summary: _summary, ...p }) => p),
    };
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else {
      const f = (x: number) => x.toFixed(4);
      process.stdout.write(
        `synthetic Avellaneda–Stoikov market, ${r.paths.length} paths, seed ${r.seed}\n` +
          `final net PnL:     mean ${f(r.netPnl.mean)}  std ${f(r.netPnl.std)}\n` +
          `final inventory:   mean ${f(r.position.mean)}  std ${f(r.position.std)}\n` +
          `mean quoted spread ${r.meanQuotedSpread === null ? '-' : f(r.meanQuotedSpread)}; mean fills per path ${r.meanFills.toFixed(1)}\n`,
      );
    }
  } finally {
    await store.close();
  }
}

/** A stream-safe label from a config file name: `configs/as.yaml` -> `as`. */
const labelOf = (file: string): string => basename(file).replace(/\.(ya?ml|json)$/i, '').replace(/[^A-Za-z0-9_-]/g, '_') || 'other';

/** The figures one strategy gets across the paths. */
const figures = (r: SyntheticBacktestResult) => ({
  netPnl: r.netPnl,
  position: r.position,
  inventoryRms: r.inventoryRms,
  meanQuotedSpread: r.meanQuotedSpread,
  meanFills: r.meanFills,
});

/**
 * `--compare symmetric`: the configured (inventory-aware) strategy against the
 * same parameters with the inventory rules off, over the same seeded paths;
 * `--compare <file>`: against a second config.
 */
async function compare(
  opts: SyntheticBacktestCommandOptions,
  params: SyntheticMarketParamsInput,
  seed: number,
  paths: number,
  config: EngineConfig,
  store: EventStore,
  logger: Logger,
): Promise<void> {
  const against = opts.compare ?? 'symmetric';
  const other = against === 'symmetric' ? { label: 'symmetric', config: symmetricConfig(config) } : { label: labelOf(against), config: await loadEngineConfig(against) };
  const mine = { label: against === 'symmetric' ? 'inventory-aware' : opts.config ? labelOf(opts.config) : 'default', config };
  if (mine.label === other.label) other.label = `${other.label}-2`;
  const c = await compareSyntheticStrategies({ params, paths, seed, store, logger, strategies: [mine, other] });
  const [a, b] = c.runs;
  if (!a || !b) throw new Error('comparison ran fewer than two strategies');
  const result = {
    market: c.market,
    seed: c.seed,
    paths: c.paths,
    strategies: Object.fromEntries(c.runs.map((r) => [r.label, figures(r.result)])),
    /** How many times larger the spread of final inventories is under the second strategy than under the first. */
    inventoryStdRatio: a.result.position.std > 0 ? b.result.position.std / a.result.position.std : null,
    pnlStdRatio: a.result.netPnl.std > 0 ? b.result.netPnl.std / a.result.netPnl.std : null,
  };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const f = (x: number | null) => (x === null ? '-' : x.toFixed(4));
  const w = Math.max(...c.runs.map((r) => r.label.length), 8);
  const rows = c.runs.map(({ label, result: r }) =>
    `${label.padEnd(w)}  ${f(r.netPnl.mean).padStart(10)} ${f(r.netPnl.std).padStart(10)}  ${f(r.position.mean).padStart(9)} ${f(r.position.std).padStart(9)}  ${f(r.inventoryRms.mean).padStart(9)}  ${f(r.meanQuotedSpread).padStart(8)}  ${r.meanFills.toFixed(1).padStart(7)}`,
  );
  process.stdout.write(
    `synthetic Avellaneda–Stoikov market, ${c.paths} paths, seed ${c.seed}, same paths and fill draws for each strategy\n` +
      `${'strategy'.padEnd(w)}  ${'PnL mean'.padStart(10)} ${'PnL std'.padStart(10)}  ${'inv mean'.padStart(9)} ${'inv std'.padStart(9)}  ${'inv RMS'.padStart(9)}  ${'spread'.padStart(8)}  ${'fills'.padStart(7)}\n` +
      `${rows.join('\n')}\n` +
      `final inventory std: ${b.label} / ${a.label} = ${f(result.inventoryStdRatio)}; final PnL std ratio ${f(result.pnlStdRatio)}\n`,
  );
}
