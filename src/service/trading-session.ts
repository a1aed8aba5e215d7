import { summariseLog } from '../../projections/log-summary.js';
import type { PairSummary } from '../../projections/pair-projection.js';
import type { Clock } from '../clock/clock.js';
import type { EngineConfig } from '../config/engine-config.js';
import type { Logger } from '../log/logger.js';
import type { MarketEvent } from '../market-data/market-event.js';
import type { EventStore } from '../store/event-store.js';
import { SimulatedVenue, type SimulatedVenueSettings } from '../venues/simulated-venue.js';
import type { InspectionEvent, Observer } from 'xstate';
import type { RecordedEvent } from '../../events/envelope.js';
import type { RestartPolicy } from '../../machines/supervisor-machine.js';
import type { PairRuntime, RunMode } from './pair-runtime.js';
import { Supervisor, type ServiceObserver } from './supervisor.js';
import { GroupCoordinator, resolveMirroredPair } from './multi-venue/group-coordinator.js';
import { SupervisedGroupMember } from './multi-venue/supervised-group-member.js';
import { exactMid } from '../../machines/pair-guards.js';

export interface TradingSessionOptions {
  readonly store: EventStore;
  readonly config: EngineConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly instanceId: string;
  readonly mode: Exclude<RunMode, 'live'>;
  /** Fill model and latencies of the simulated venues (simulated-venue.ts). Default: queue model, no latency. */
  readonly venue?: SimulatedVenueSettings;
  /**
   * Backtests: moves virtual time forward (VirtualClock.advanceTo), so the
   * session can step through the venues' delayed actions. Without it (paper
   * trading on the wall clock) time moves by itself.
   */
  readonly advanceClock?: (time: number) => void;
  /** Restart policy of crashed pairs (machines/supervisor-machine.ts). */
  readonly restartPolicy?: Partial<RestartPolicy>;
  readonly onAppended?: (pairId: string, events: readonly RecordedEvent[]) => void;
  readonly onPairChanged?: (pairId: string) => void;
  readonly observer?: ServiceObserver;
  /** Venue order/trade id prefix of the simulated venues (see SimulatedVenueOptions.idPrefix). */
  readonly venueIdPrefix?: string;
  readonly inspect?: Observer<InspectionEvent>;
  /**
   * Multi-venue on one recording: every market event is delivered to each of
   * these simulated venue ids (e.g. `['binance', 'binance2']`), each with its
   * own orders, fills and inventory. A venue id with no market rules of its
   * own takes the recording venue's. Default: the recording's own venue ids.
   */
  readonly venueIds?: readonly string[];
}

/**
 * Replayed market data in, pair actors trading on simulated venues out. The
 * same session runs backtests (virtual clock, as fast as possible) and paper
 * trading (wall clock, paced). A pair starts on its first market event.
 *
 * With order latency a pair waits for the venue's reply, which comes only when
 * the clock reaches it; so "settled" means every pair is idle or waiting for
 * the venue, and in backtests `advanceTo` steps virtual time through every
 * delayed venue action (an order taking effect, a reply, a delayed delivery)
 * up to the next data time, settling at each, so the pairs react at the time
 * they would have.
 */
export class TradingSession {
  private readonly venues = new Map<string, SimulatedVenue>();
  /** venue:symbol -> pair id; the runtimes are the supervisor's (a crashed pair gets a new one). */
  private readonly pairs = new Map<string, string>();
  private readonly ignored = new Set<string>();
  private stopping = false;
  readonly supervisor: Supervisor;
  /** Pair groups (multi-venue): one total position limit across venues. */
  private readonly groups: GroupCoordinator;
  marketEvents = 0;

  constructor(private readonly opts: TradingSessionOptions) {
    this.groups = new GroupCoordinator(opts.config, opts.logger, () => opts.clock.now());
    this.supervisor = new Supervisor({
      store: opts.store,
      clock: opts.clock,
      logger: opts.logger,
      instanceId: opts.instanceId,
      mode: opts.mode,
      ...(opts.restartPolicy ? { policy: opts.restartPolicy } : {}),
      ...(opts.onAppended ? { onAppended: opts.onAppended } : {}),
      ...(opts.onPairChanged ? { onPairChanged: opts.onPairChanged } : {}),
      ...(opts.observer ? { observer: opts.observer } : {}),
      ...(opts.inspect ? { inspect: opts.inspect } : {}),
    });
  }

  /** Start the configured pairs now (the service), instead of on their first market event. */
  async startConfiguredPairs(): Promise<void> {
    for (const p of this.opts.config.pairs) if (!this.pairs.has(`${p.venue}:${p.symbol}`)) await this.startPair(p.venue, p.venue, p.symbol);
  }

  /** Deliver one market event and wait until every pair has handled its consequences. */
  async feed(event: MarketEvent): Promise<void> {
    if (this.stopping) return;
    const ids = this.opts.venueIds;
    if (!ids || ids.length === 0) return this.feedVenue(event, event.venue);
    for (const id of ids) await this.feedVenue(id === event.venue ? event : { ...event, venue: id }, event.venue);
  }

  private async feedVenue(event: MarketEvent, sourceVenue: string): Promise<void> {
    if (this.stopping) return;
    const key = `${event.venue}:${event.symbol}`;
    if (!this.pairs.has(key)) {
      if (this.ignored.has(key)) return;
      if (!this.wants(event.venue, event.symbol)) {
        this.ignored.add(key);
        this.opts.logger.info({ venue: event.venue, symbol: event.symbol }, 'market data for a pair not in the config: ignored');
        return;
      }
      await this.startPair(event.venue, sourceVenue, event.symbol);
    }
    this.marketEvents++;
    this.venueFor(event.venue, event.symbol).onMarketEvent(event);
    this.shareMid(event);
    await this.drain();
  }

  /** Resolves once every pair has handled what it was given, or is waiting for a reply from its venue. */
  async drain(): Promise<void> {
    for (const [key, pairId] of this.pairs) await this.settled(key, this.supervisor.drain(pairId));
    // A group's total moved: its members learn it before anything else happens (they requote on their next book).
    if (this.groups.active && this.groups.publish() > 0) {
      for (const [key, pairId] of this.pairs) await this.settled(key, this.supervisor.drain(pairId));
    }
  }

  /**
   * Backtests: move virtual time to `time`, stopping at every delayed venue
   * action due on the way and letting the pairs react there. Without
   * `advanceClock` it only drains.
   */
  async advanceTo(time: number): Promise<void> {
    const advance = this.opts.advanceClock;
    if (advance) {
      for (let due = this.nextDue(); due !== undefined && due <= time; due = this.nextDue()) {
        advance(due);
        await this.drain();
      }
      advance(time);
    }
    await this.drain();
  }

  /** Stop every pair: cancel its orders, record the stop. Nothing is sent afterwards. */
  async stop(reason: string): Promise<void> {
    this.stopping = true;
    // Before waiting for anything: no order leaves from here on.
    this.supervisor.freezeOrders();
    await this.drain();
    await this.untilDone(this.supervisor.stopAll(reason));
    for (const venue of this.venues.values()) venue.close();
  }

  /** Clock time of the next delayed action of any venue. */
  private nextDue(): number | undefined {
    let next: number | undefined;
    for (const venue of this.venues.values()) {
      const due = venue.nextDue();
      if (due !== undefined && (next === undefined || due < next)) next = due;
    }
    return next;
  }

  /**
   * Waits for `work` of one pair, or until that pair waits for a reply from its
   * venue: only the clock can bring the reply, so waiting longer would never
   * end in a backtest. Whatever the pair can still do without the reply (a
   * runtime that keeps handling inputs while a call is out) is let finish
   * first: with an in-process store (memory, SQLite) it completes within one
   * macrotask turn.
   */
  private async settled(key: string, work: Promise<void>): Promise<void> {
    const [venueId = '', symbol = ''] = splitKey(key);
    const venue = this.venues.get(venueId);
    if (!venue || venue.orderLatencyMs === 0) return work;
    let done = false;
    const tracked = work.then(() => {
      done = true;
    });
    const blocked = venue.blocked(symbol);
    try {
      await Promise.race([tracked, blocked.promise]);
    } finally {
      blocked.dispose();
    }
    if (!done) await macrotaskTurn();
  }

  /** Waits for `done`, moving virtual time through the venues' delayed actions while it depends on them. */
  private async untilDone(done: Promise<void>): Promise<void> {
    const advance = this.opts.advanceClock;
    if (!advance) return done;
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    for (;;) {
      await this.drain();
      await Promise.resolve();
      if (finished) return;
      const due = this.nextDue();
      if (due === undefined) return done;
      advance(due);
    }
  }

  /** Per-pair summaries, keyed exactly as a replay of the log keys them. */
  summaries(): Record<string, PairSummary> {
    return summariseLog(new Map([...this.runtimes()].map(([key, pair]) => [key, pair.state])));
  }

  /** Current runtime of each pair, keyed venue:symbol. */
  runtimes(): ReadonlyMap<string, PairRuntime> {
    const out = new Map<string, PairRuntime>();
    for (const [key, pairId] of this.pairs) {
      const slot = this.supervisor.get(pairId);
      if (slot) out.set(key, slot.runtime);
    }
    return out;
  }

  /** A book of one venue is the reference of the pairs that price off it (reference.source external-mid, reference.externalVenue). */
  private shareMid(event: MarketEvent): void {
    if (event.kind !== 'book') return;
    const bid = event.bids[0];
    const ask = event.asks[0];
    if (!bid || !ask) return;
    for (const slot of this.supervisor.all()) {
      const ref = slot.runtime.params.reference;
      if (ref.source !== 'external-mid' || ref.externalVenue !== event.venue) continue;
      if (slot.venue.id === event.venue || slot.resolved.market.symbol !== event.symbol) continue;
      slot.runtime.pushExternalMid(event.venue, exactMid(bid.price, ask.price), event.ts);
    }
  }

  private wants(venue: string, symbol: string): boolean {
    const configured = this.opts.config.pairs;
    return configured.length === 0 || configured.some((p) => p.venue === venue && p.symbol === symbol);
  }

  private venueFor(venueId: string, symbol: string): SimulatedVenue {
    const venue = this.venues.get(venueId);
    if (!venue) throw new Error(`no simulated venue ${venueId} for ${symbol}`);
    return venue;
  }

  private async startPair(venueId: string, sourceVenue: string, symbol: string): Promise<void> {
    const resolved = resolveMirroredPair(this.opts.config, venueId, sourceVenue, symbol);
    let venue = this.venues.get(venueId);
    if (!venue) {
      venue = new SimulatedVenue({ ...this.opts.venue, id: venueId, markets: [resolved.market], clock: this.opts.clock, ...(this.opts.venueIdPrefix ? { idPrefix: this.opts.venueIdPrefix } : {}) });
      this.venues.set(venueId, venue);
    } else {
      venue.addMarket(resolved.market);
    }
    const key = `${venueId}:${symbol}`;
    this.pairs.set(key, resolved.pairId);
    await this.settled(key, this.supervisor.add(resolved, venue).then(() => undefined));
    // A group member learns the group's total before its first book, so no decision of it is made without the limit.
    const group = this.groups.groupOf(venueId, symbol);
    if (group !== undefined) {
      const pairId = resolved.pairId;
      this.groups.join(group, key, new SupervisedGroupMember(this.supervisor, pairId, venueId, resolved.params.allocation));
      this.groups.publish();
      await this.settled(key, this.supervisor.drain(pairId));
    }
  }
}

/** Resolves after every pending promise reaction has run (no time passes on any clock). */
const macrotaskTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function splitKey(key: string): [string, string] {
  const i = key.indexOf(':');
  return [key.slice(0, i), key.slice(i + 1)];
}
