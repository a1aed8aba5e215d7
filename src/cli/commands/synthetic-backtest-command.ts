import { runSyntheticBacktest, syntheticEngineConfig } from '../../backtest/synthetic-runner.js';
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
