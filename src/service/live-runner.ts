import { summariseLog } from '../../projections/log-summary.js';
import type { PairSummary } from '../../projections/pair-projection.js';
import type { Clock } from '../clock/clock.js';
import type { EngineConfig } from '../config/engine-config.js';
import { StrategyParamsSchema } from '../config/strategy-params.js';
import { pairIdOf, pairStreamOf } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import type { EventStore } from '../store/event-store.js';
import type { MarketSpec, Venue } from '../venues/venue.js';
import type { InspectionEvent, Observer } from 'xstate';
import type { ResolvedPair } from '../config/engine-config.js';
import { SupervisedControl } from './supervised-control.js';
import type { ServiceControl } from './service-control.js';
import { Supervisor, type ServiceObserver } from './supervisor.js';

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

export interface LiveServiceOptions extends Omit<LiveRunOptions, 'signal'> {
  /** Latency histograms (the HTTP metrics). */
  readonly observer?: ServiceObserver;
  /** XState inspection of every actor (mm run --inspect). */
  readonly inspect?: Observer<InspectionEvent>;
  /** Aborted when the stop begins: no order leaves from that moment. Call stop() after. */
  readonly stopSignal?: AbortSignal;
}

export interface RunningLiveService {
  /** What the HTTP API, the dashboard and the metrics use. */
  readonly control: ServiceControl;
  /** Cancel and confirm every order, record PairStopped, close the venue. Idempotent. */
  stop(reason?: string): Promise<{ readonly pairs: Record<string, PairSummary> }>;
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
 * Live trading as a service: one supervised pair actor per symbol on a real
 * venue (ccxt), market rules loaded from the exchange, parameters from the
 * config entry of (venue id, venue symbol) or the defaults. A crashing pair is
 * cancelled, recorded and restarted like in paper trading; each pair rebuilds
 * from its stream and reconciles with the exchange before it quotes. Events
 * say `mode: 'live'`.
 */
export async function startLiveService(opts: LiveServiceOptions): Promise<RunningLiveService> {
  const { venue, logger } = opts;
  let markets: readonly MarketSpec[];
  try {
    markets = await venue.markets();
  } catch (err) {
    await venue.close();
    throw new VenueUnavailableError(`${venue.id}: cannot load markets, nothing was sent: ${(err as Error).message}`);
  }
  const pairs: ResolvedPair[] = [];
  for (const symbol of opts.symbols) {
    const market = findMarket(markets, symbol);
    if (!market) {
      await venue.close();
      throw new UnknownSymbolError(`--symbols: ${venue.id} has no market "${symbol}" (loaded ${markets.length} markets)`);
    }
    const entry = opts.config.pairs.find((p) => p.venue === venue.id && p.symbol === market.symbol);
    if (entry?.group !== undefined) {
      // One exchange per live process: a group needs its other venues in the same process (backtests do that today).
      logger.warn({ symbol: market.symbol, group: entry.group }, 'pair groups are not applied in live trading yet: this pair trades under its own limits only');
    }
    const pairId = pairIdOf(venue.id, `${market.base}/${market.quote}`);
    pairs.push({ pairId, stream: pairStreamOf(pairId), market, params: entry?.params ?? opts.config.defaults });
  }
  let control: SupervisedControl | null = null;
  const supervisor = new Supervisor({
    store: opts.store,
    clock: opts.clock,
    logger,
    instanceId: opts.instanceId,
    mode: 'live',
    onAppended: (pairId, events) => control?.onAppended(pairId, events),
    onPairChanged: (pairId) => control?.onPairChanged(pairId),
    ...(opts.observer ? { observer: opts.observer } : {}),
    ...(opts.inspect ? { inspect: opts.inspect } : {}),
  });
  const freeze = () => supervisor.freezeOrders();
  if (opts.stopSignal?.aborted) freeze();
  else opts.stopSignal?.addEventListener('abort', freeze, { once: true });
  control = new SupervisedControl({ supervisor, store: opts.store, logger, instanceId: opts.instanceId, clock: opts.clock });

  let stopped: Promise<{ readonly pairs: Record<string, PairSummary> }> | null = null;
  const stop = (reason = 'service shutdown') => {
    stopped ??= (async () => {
      supervisor.freezeOrders();
      try {
        await supervisor.stopAll(reason);
      } finally {
        control?.close();
        await venue.close();
      }
      const byStream = new Map(supervisor.all().map((s) => [s.pairId, s.runtime.state]));
      return { pairs: summariseLog(byStream) };
    })();
    return stopped;
  };
  try {
    for (const p of pairs) await supervisor.add(p, venue);
    // The exchange-side cancel-all timer, where the venue has one (a no-op where the exchange does not).
    const dms = venue as Venue & { startDeadMansSwitch?: () => Promise<void> };
    if (typeof dms.startDeadMansSwitch === 'function') await dms.startDeadMansSwitch();
  } catch (err) {
    await stop('start failed');
    throw err;
  }
  return { control, stop };
}

/** Live trading until `signal`, then every pair stops (cancel, confirm, record) and the venue closes. */
export async function runLive(opts: LiveRunOptions): Promise<{ readonly pairs: Record<string, PairSummary> }> {
  const service = await startLiveService({ ...opts, stopSignal: opts.signal });
  if (!opts.signal.aborted) await new Promise<void>((resolve) => opts.signal.addEventListener('abort', () => resolve(), { once: true }));
  return service.stop('service shutdown');
}
