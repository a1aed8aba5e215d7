import { summariseLog } from '../../projections/log-summary.js';
import type { PairSummary } from '../../projections/pair-projection.js';
import type { Clock } from '../clock/clock.js';
import type { EngineConfig } from '../config/engine-config.js';
import { StrategyParamsSchema } from '../config/strategy-params.js';
import { pairIdOf, pairStreamOf } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import type { EventStore } from '../store/event-store.js';
import type { MarketSpec, Venue } from '../venues/venue.js';
import { PairRuntime } from './pair-runtime.js';

export interface LiveRunOptions {
  readonly venue: Venue;
  /** Unified (BTC/USDT) or venue (BTCUSDT) symbols. */
  readonly symbols: readonly string[];
  readonly store: EventStore;
  readonly config: EngineConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly instanceId: string;
  readonly signal: AbortSignal;
}

export class UnknownSymbolError extends Error {
  override readonly name = 'UnknownSymbolError';
}

/** The venue could not be reached at start (markets not loaded): nothing was sent. */
export class VenueUnavailableError extends Error {
  override readonly name = 'VenueUnavailableError';
}

const findMarket = (markets: readonly MarketSpec[], symbol: string): MarketSpec | undefined =>
  markets.find((m) => m.symbol === symbol || `${m.base}/${m.quote}` === symbol);

/**
 * Live trading: one pair actor per symbol on a real venue (ccxt), market
 * rules loaded from the exchange, parameters from the config entry of
 * (venue id, venue symbol) or the defaults. Runs until `signal`, then stops
 * every pair (cancel everything, wait for the confirmations, record the stop)
 * and closes the venue. Events say `mode: 'live'`.
 */
export async function runLive(opts: LiveRunOptions): Promise<{ readonly pairs: Record<string, PairSummary> }> {
  const { venue, logger } = opts;
  let markets: readonly MarketSpec[];
  try {
    markets = await venue.markets();
  } catch (err) {
    await venue.close();
    throw new VenueUnavailableError(`${venue.id}: cannot load markets, nothing was sent: ${(err as Error).message}`);
  }
  const runtimes: PairRuntime[] = [];
  try {
    for (const symbol of opts.symbols) {
      const market = findMarket(markets, symbol);
      if (!market) throw new UnknownSymbolError(`--symbols: ${venue.id} has no market "${symbol}" (loaded ${markets.length} markets)`);
      const entry = opts.config.pairs.find((p) => p.venue === venue.id && p.symbol === market.symbol);
      if (entry?.group !== undefined) {
        // One exchange per live process: a group needs its other venues in the same process (backtests do that today).
        logger.warn({ symbol: market.symbol, group: entry.group }, 'pair groups are not applied in live trading yet: this pair trades under its own limits only');
      }
      const pairId = pairIdOf(venue.id, `${market.base}/${market.quote}`);
      const runtime = new PairRuntime({
        pairId,
        stream: pairStreamOf(pairId),
        market,
        params: entry?.params ?? StrategyParamsSchema.parse({}),
        store: opts.store,
        venue,
        clock: opts.clock,
        logger,
        instanceId: opts.instanceId,
        mode: 'live',
      });
      runtimes.push(runtime);
      await runtime.start();
    }
    // The exchange-side cancel-all timer, where the venue has one (a no-op where the exchange does not).
    const dms = venue as Venue & { startDeadMansSwitch?: () => Promise<void> };
    if (typeof dms.startDeadMansSwitch === 'function') await dms.startDeadMansSwitch();
    if (!opts.signal.aborted) await new Promise<void>((resolve) => opts.signal.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    for (const r of runtimes) await r.stop('service shutdown');
    await venue.close();
  }
  const byStream = new Map(runtimes.map((r) => [r.state.pairId ?? '', r.state]));
  return { pairs: summariseLog(byStream) };
}
