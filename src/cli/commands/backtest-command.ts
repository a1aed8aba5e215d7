import { runBacktest } from '../../backtest/backtest-runner.js';
import { loadEngineConfig } from '../../config/engine-config.js';
import { createLogger } from '../../log/logger.js';
import { FILL_MODELS, type FillModel, type SimulatedVenueSettings } from '../../venues/simulated-venue.js';
import { UsageError } from '../errors.js';
import { openEmptyStore } from '../open-store.js';
import { printPairTable } from '../print-summary.js';

export interface BacktestCommandOptions {
  readonly data: string;
  readonly store?: string;
  readonly config?: string;
  readonly json?: boolean;
  readonly logLevel?: string;
  /** `queue` (default) or `through`. */
  readonly fillModel?: string;
  /** `<order-ms>[,<feed-ms>]`, default `0,0`. */
  readonly latency?: string;
  /** Only with `--market synthetic`. */
  readonly compare?: string;
  /** Multi-venue: `binance,binance2` feeds the recording to two simulated venues. */
  readonly venues?: string;
}

/** `--venues a,b`: simulated venue ids the recording is delivered to (each its own orders, fills and inventory). */
export function parseVenueIds(value: string | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const ids = value.split(',').map((s) => s.trim());
  const bad = ids.find((id) => !/^[a-z0-9][a-z0-9_-]*$/i.test(id));
  if (bad !== undefined) throw new UsageError(`--venues must be comma-separated venue ids (letters, digits, - and _), e.g. binance,binance2; got "${value}"`);
  if (new Set(ids).size !== ids.length) throw new UsageError(`--venues names a venue twice: "${value}"`);
  return ids;
}

/**
 * The simulated venue's settings from `--fill-model` and `--latency`
 * (`mm backtest` and `mm run`). `--latency 20,5`: orders take effect 20 ms
 * after they are sent and are answered 20 ms later; market data and fills
 * reach the pairs 5 ms after the venue saw them. One number is the order
 * latency alone.
 */
export function parseVenueSettings(opts: { readonly fillModel?: string; readonly latency?: string }): Required<SimulatedVenueSettings> {
  const fillModel = opts.fillModel ?? 'queue';
  if (!(FILL_MODELS as readonly string[]).includes(fillModel)) throw new UsageError(`--fill-model must be one of ${FILL_MODELS.join(', ')}, got "${fillModel}"`);
  const parts = (opts.latency ?? '0').split(',');
  if (parts.length > 2) throw new UsageError(`--latency must be <order-ms>[,<feed-ms>], got "${opts.latency ?? ''}"`);
  const [order = '0', feed = '0'] = parts.map((p) => p.trim());
  const ms = (value: string, what: string): number => {
    const n = value === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`--latency: the ${what} latency must be a number of ms >= 0, got "${value}"`);
    return n;
  };
  return { fillModel: fillModel as FillModel, orderLatencyMs: ms(order, 'order'), feedLatencyMs: ms(feed, 'feed') };
}

export const describeVenueSettings = (v: Required<SimulatedVenueSettings>): string =>
  `fill model ${v.fillModel}, order latency ${v.orderLatencyMs} ms, feed latency ${v.feedLatencyMs} ms`;

export async function backtestCommand(opts: BacktestCommandOptions): Promise<void> {
  if (opts.compare !== undefined) throw new UsageError('--compare runs on the synthetic market only: add --market synthetic (and drop --data)');
  const venue = parseVenueSettings(opts);
  const venueIds = parseVenueIds(opts.venues);
  const logger = createLogger({ level: opts.logLevel ?? (opts.json ? 'warn' : 'info') });
  const config = await loadEngineConfig(opts.config);
  const store = await openEmptyStore(opts.store ?? 'memory:');
  const started = performance.now();
  try {
    const result = await runBacktest({ dataPath: opts.data, store, config, logger, venue, ...(venueIds ? { venueIds } : {}) });
    const seconds = (performance.now() - started) / 1000;
    logger.info({ events: result.events, seconds: Number(seconds.toFixed(3)), eventsPerSecond: Math.round(result.events / seconds), venue }, 'backtest finished');
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ events: result.events, pairs: result.pairs })}\n`);
    } else {
      process.stdout.write(`backtest of ${opts.data}: ${result.events} market events in ${seconds.toFixed(2)} s (${describeVenueSettings(venue)})\n`);
      printPairTable(result.pairs);
    }
  } finally {
    await store.close();
  }
}
