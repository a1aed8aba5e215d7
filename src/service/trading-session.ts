import { summariseLog } from '../../projections/log-summary.js';
import type { PairSummary } from '../../projections/pair-projection.js';
import type { Clock } from '../clock/clock.js';
import { resolvePair, type EngineConfig } from '../config/engine-config.js';
import type { Logger } from '../log/logger.js';
import type { MarketEvent } from '../market-data/market-event.js';
import type { EventStore } from '../store/event-store.js';
import { SimulatedVenue } from '../venues/simulated-venue.js';
import { PairRuntime, type RunMode } from './pair-runtime.js';

export interface TradingSessionOptions {
  readonly store: EventStore;
  readonly config: EngineConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly instanceId: string;
  readonly mode: Exclude<RunMode, 'live'>;
}

/**
 * Replayed market data in, pair actors trading on simulated venues out. The
 * same session runs backtests (virtual clock, as fast as possible) and paper
 * trading (wall clock, paced). A pair starts on its first market event.
 */
export class TradingSession {
  private readonly venues = new Map<string, SimulatedVenue>();
  private readonly pairs = new Map<string, PairRuntime>();
  private readonly ignored = new Set<string>();
  private stopping = false;
  marketEvents = 0;

  constructor(private readonly opts: TradingSessionOptions) {}

  /** Deliver one market event and wait until every pair has handled its consequences. */
  async feed(event: MarketEvent): Promise<void> {
    if (this.stopping) return;
    const key = `${event.venue}:${event.symbol}`;
    if (!this.pairs.has(key)) {
      if (this.ignored.has(key)) return;
      if (!this.wants(event.venue, event.symbol)) {
        this.ignored.add(key);
        this.opts.logger.info({ venue: event.venue, symbol: event.symbol }, 'market data for a pair not in the config: ignored');
        return;
      }
      await this.startPair(event.venue, event.symbol);
    }
    this.marketEvents++;
    this.venueFor(event.venue, event.symbol).onMarketEvent(event);
    await this.drain();
  }

  async drain(): Promise<void> {
    for (const pair of this.pairs.values()) await pair.drain();
  }

  /** Stop every pair: cancel its orders, record the stop. Nothing is sent afterwards. */
  async stop(reason: string): Promise<void> {
    this.stopping = true;
    await this.drain();
    for (const pair of this.pairs.values()) await pair.stop(reason);
    for (const venue of this.venues.values()) venue.close();
  }

  /** Per-pair summaries, keyed exactly as a replay of the log keys them. */
  summaries(): Record<string, PairSummary> {
    return summariseLog(new Map([...this.pairs].map(([key, pair]) => [key, pair.state])));
  }

  runtimes(): ReadonlyMap<string, PairRuntime> {
    return this.pairs;
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

  private async startPair(venueId: string, symbol: string): Promise<void> {
    const resolved = resolvePair(this.opts.config, venueId, symbol);
    let venue = this.venues.get(venueId);
    if (!venue) {
      venue = new SimulatedVenue({ id: venueId, markets: [resolved.market], clock: this.opts.clock });
      this.venues.set(venueId, venue);
    } else {
      venue.addMarket(resolved.market);
    }
    const runtime = new PairRuntime({
      ...resolved,
      store: this.opts.store,
      venue,
      clock: this.opts.clock,
      logger: this.opts.logger,
      instanceId: this.opts.instanceId,
      mode: this.opts.mode,
    });
    this.pairs.set(`${venueId}:${symbol}`, runtime);
    await runtime.start();
  }
}
