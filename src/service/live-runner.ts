import { summariseLog } from '../../projections/log-summary.js';
import type { PairSummary } from '../../projections/pair-projection.js';
import type { Clock } from '../clock/clock.js';
import type { EngineConfig } from '../config/engine-config.js';
import { pairIdOf, pairStreamOf } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import type { EventStore } from '../store/event-store.js';
import type { MarketSpec, Venue } from '../venues/venue.js';
import type { InspectionEvent, Observer } from 'xstate';
import type { Subscription } from 'rxjs';
import { exactMid } from '../../machines/pair-guards.js';
import type { ResolvedPair } from '../config/engine-config.js';
import { SupervisedControl } from './supervised-control.js';
import type { ServiceControl } from './service-control.js';
import { Supervisor, type ServiceObserver } from './supervisor.js';
import { GroupCoordinator } from './multi-venue/group-coordinator.js';
import { SupervisedGroupMember } from './multi-venue/supervised-group-member.js';
import type { RecordedEvent } from '../../events/envelope.js';

/** One exchange's venue and its symbols: unified (BTC/USDT) or venue (BTCUSDT). */
export interface LiveVenueSymbols {
  readonly venue: Venue;
  readonly symbols: readonly string[];
}

export interface LiveRunOptions {
  /** One venue per exchange (venue ids distinct); every venue closes on stop. */
  readonly venues: readonly LiveVenueSymbols[];
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
  /** Cancel and confirm every order, record PairStopped, close every venue. Idempotent. */
  stop(reason?: string): Promise<{ readonly pairs: Record<string, PairSummary> }>;
}

export class UnknownSymbolError extends Error {
  override readonly name = 'UnknownSymbolError';
}

/** The venue could not be reached at start (markets not loaded): nothing was sent. */
export class VenueUnavailableError extends Error {
  override readonly name = 'VenueUnavailableError';
}

/** By venue symbol, or unified; a contract's settle suffix (BTC/USDT:USDT) is not in MarketSpec, and one venue trades one market type. */
const findMarket = (markets: readonly MarketSpec[], symbol: string): MarketSpec | undefined =>
  markets.find((m) => m.symbol === symbol) ?? markets.find((m) => `${m.base}/${m.quote}` === symbol.replace(/:[A-Z0-9]+$/, ''));

const closeAll = async (venues: readonly LiveVenueSymbols[], logger: Logger): Promise<void> => {
  for (const { venue } of venues) {
    try {
      await venue.close();
    } catch (err) {
      logger.warn({ err, venue: venue.id }, 'closing the venue failed');
    }
  }
};

/**
 * Live trading as a service: one supervised pair actor per (exchange,
 * symbol) on real venues (ccxt), market rules loaded from each exchange,
 * parameters from the config entry of (venue id, venue symbol) or the
 * defaults. A crashing pair is cancelled, recorded and restarted like in
 * paper trading; each pair rebuilds from its stream and reconciles with the
 * exchange before it quotes. Events say `mode: 'live'`.
 *
 * Pair groups apply as in the trading session: members join one
 * GroupCoordinator, and since live there is no drain loop, a member's append
 * schedules one publish on a microtask. The group's total then reaches every
 * member as a queued input, behind whatever it was already given, so a
 * member's own inputs are never reordered.
 */
export async function startLiveService(opts: LiveServiceOptions): Promise<RunningLiveService> {
  const { venues, logger } = opts;
  const ids = venues.map((v) => v.venue.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) {
    await closeAll(venues, logger);
    throw new Error(`--exchange: ${dup} is given twice`);
  }
  const pairs: { readonly resolved: ResolvedPair; readonly venue: Venue; readonly group: string | undefined }[] = [];
  for (const { venue, symbols } of venues) {
    let markets: readonly MarketSpec[];
    try {
      markets = await venue.markets();
    } catch (err) {
      await closeAll(venues, logger);
      throw new VenueUnavailableError(`${venue.id}: cannot load markets, nothing was sent: ${(err as Error).message}`);
    }
    for (const symbol of symbols) {
      const market = findMarket(markets, symbol);
      if (!market) {
        await closeAll(venues, logger);
        throw new UnknownSymbolError(`--symbols: ${venue.id} has no market "${symbol}" (loaded ${markets.length} markets)`);
      }
      const entry = opts.config.pairs.find((p) => p.venue === venue.id && p.symbol === market.symbol);
      const pairId = pairIdOf(venue.id, `${market.base}/${market.quote}`);
      if (pairs.some((p) => p.resolved.pairId === pairId)) {
        await closeAll(venues, logger);
        throw new UnknownSymbolError(`--symbols: "${symbol}" on ${venue.id} is the pair ${pairId}, which is already traded (one pair per base/quote per exchange)`);
      }
      pairs.push({ resolved: { pairId, stream: pairStreamOf(pairId), market, params: entry?.params ?? opts.config.defaults }, venue, group: entry?.group });
    }
  }
  let control: SupervisedControl | null = null;
  const groups = new GroupCoordinator(opts.config, logger, () => opts.clock.now());
  const groupMembers = new Map<string, SupervisedGroupMember>();
  let publishScheduled = false;
  const publishGroups = (): void => {
    publishScheduled = false;
    try {
      for (const member of groupMembers.values()) member.catchUp();
      groups.publish();
    } catch (err) {
      logger.error({ err }, 'pair group: publishing the group total failed');
    }
  };
  const onAppended = (pairId: string, events: readonly RecordedEvent[]): void => {
    control?.onAppended(pairId, events);
    // After the member's append returns (a microtask), never inside it: the total goes into each member's queue.
    const member = groupMembers.get(pairId);
    if (!member) return;
    if (!publishScheduled) {
      publishScheduled = true;
      queueMicrotask(publishGroups);
    }
  };
  const supervisor = new Supervisor({
    store: opts.store,
    clock: opts.clock,
    logger,
    instanceId: opts.instanceId,
    mode: 'live',
    onAppended,
    onPairChanged: (pairId) => control?.onPairChanged(pairId),
    ...(opts.observer ? { observer: opts.observer } : {}),
    ...(opts.inspect ? { inspect: opts.inspect } : {}),
  });
  // Members join before any starts: the first publish (on a member's PairStarted) reaches it before its first book.
  for (const { resolved, venue, group } of pairs) {
    if (group === undefined) continue;
    const member = new SupervisedGroupMember(supervisor, resolved.pairId, venue.id, resolved.params.allocation);
    groupMembers.set(resolved.pairId, member);
    groups.join(group, `${venue.id}:${resolved.market.symbol}`, member);
  }
  const freeze = () => supervisor.freezeOrders();
  if (opts.stopSignal?.aborted) freeze();
  else opts.stopSignal?.addEventListener('abort', freeze, { once: true });
  control = new SupervisedControl({ supervisor, store: opts.store, logger, instanceId: opts.instanceId, clock: opts.clock });

  /**
   * External-mid reference across exchanges (reference.source external-mid):
   * a pair whose params at start name another venue of this process gets
   * that venue's mid of the same venue symbol on every book, as in the
   * trading session (TradingSession.shareMid).
   */
  const midTaps: Subscription[] = [];
  const shareMids = (): void => {
    for (const { resolved, venue } of pairs) {
      const ref = resolved.params.reference;
      if (ref.source !== 'external-mid' || ref.externalVenue === undefined || ref.externalVenue === venue.id) continue;
      const source = venues.find((v) => v.venue.id === ref.externalVenue)?.venue;
      if (!source) {
        logger.warn({ pair: resolved.pairId, externalVenue: ref.externalVenue, venues: ids }, 'reference.externalVenue is not an exchange of this process: the pair gets no external mid');
        continue;
      }
      const symbol = resolved.market.symbol;
      midTaps.push(
        source.watchBook(symbol).subscribe({
          next: (event) => {
            if (event.kind !== 'book') return;
            const bid = event.bids[0];
            const ask = event.asks[0];
            if (!bid || !ask) return;
            const runtime = supervisor.get(resolved.pairId)?.runtime;
            if (runtime?.params.reference.externalVenue !== source.id) return;
            runtime.pushExternalMid(source.id, exactMid(bid.price, ask.price), event.ts);
          },
          error: (err: unknown) => logger.warn({ err, pair: resolved.pairId, externalVenue: source.id }, 'external mid feed failed: the pair keeps its last external mid'),
        }),
      );
      logger.info({ pair: resolved.pairId, externalVenue: source.id, symbol }, 'pair prices off the external mid of another exchange');
    }
  };

  let stopped: Promise<{ readonly pairs: Record<string, PairSummary> }> | null = null;
  const stop = (reason = 'service shutdown') => {
    stopped ??= (async () => {
      for (const tap of midTaps) tap.unsubscribe();
      supervisor.freezeOrders();
      try {
        await supervisor.stopAll(reason);
      } finally {
        control?.close();
        await closeAll(venues, logger);
      }
      const byStream = new Map(supervisor.all().map((s) => [s.pairId, s.runtime.state]));
      return { pairs: summariseLog(byStream) };
    })();
    return stopped;
  };
  try {
    for (const p of pairs) await supervisor.add(p.resolved, p.venue);
    // The exchange-side cancel-all timer, where the venue has one (a no-op where the exchange does not).
    for (const { venue } of venues) {
      const dms = venue as Venue & { startDeadMansSwitch?: () => Promise<void> };
      if (typeof dms.startDeadMansSwitch === 'function') await dms.startDeadMansSwitch();
    }
    shareMids();
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
