import type { PairSummary } from '../../projections/pair-projection.js';
import { VirtualClock } from '../clock/clock.js';
import type { EngineConfig } from '../config/engine-config.js';
import type { Logger } from '../log/logger.js';
import { isKlineCsvPath, klineMarketEvents } from '../market-data/binance-klines.js';
import { recordedMarketEvents } from '../market-data/binance-recording.js';
import type { MarketEvent } from '../market-data/market-event.js';
import type { EventStore } from '../store/event-store.js';
import { TradingSession } from '../service/trading-session.js';
import { VENUE_BOOK_DEPTH, type SimulatedVenueSettings } from '../venues/simulated-venue.js';

export interface BacktestOptions {
  readonly dataPath: string;
  readonly store: EventStore;
  readonly config: EngineConfig;
  readonly logger: Logger;
  /** Fixed by default so two runs on the same data write byte-identical logs. */
  readonly instanceId?: string;
  /** Fill model and latencies of the simulated venue. Default: queue model, no latency. */
  readonly venue?: SimulatedVenueSettings;
  /** Multi-venue: deliver the recording to each of these simulated venue ids (TradingSession.venueIds). */
  readonly venueIds?: readonly string[];
}

export interface BacktestResult {
  /** Market events delivered to the pairs. */
  readonly events: number;
  readonly messagesRead: number;
  readonly pairs: Record<string, PairSummary>;
}

export class EmptyRecordingError extends Error {
  override readonly name = 'EmptyRecordingError';
}

/**
 * Runs the same pair actors as the service, in virtual time driven by the
 * data timestamps, as fast as the machine allows. Timers (heartbeats,
 * cooldowns) fire when data time passes them, before the event that passes them.
 */
/**
 * Recorded L2 files (.gz) or Binance kline CSV files, told apart by content and
 * extension. Books carry VENUE_BOOK_DEPTH levels a side: the simulated venue's
 * queue model needs the levels our orders rest at (the pairs read the top only).
 */
export async function openMarketData(path: string): Promise<AsyncIterable<MarketEvent> & { readonly stats: { readonly messagesRead: number } }> {
  return (await isKlineCsvPath(path)) ? klineMarketEvents(path) : recordedMarketEvents(path, { depth: VENUE_BOOK_DEPTH });
}

export async function runBacktest(opts: BacktestOptions): Promise<BacktestResult> {
  const source = await openMarketData(opts.dataPath);
  let clock: VirtualClock | undefined;
  let session: TradingSession | undefined;
  for await (const event of source) {
    if (!clock || !session) {
      clock = new VirtualClock(event.ts);
      const virtual = clock;
      session = new TradingSession({
        store: opts.store,
        config: opts.config,
        clock,
        logger: opts.logger,
        instanceId: opts.instanceId ?? 'backtest',
        mode: 'backtest',
        ...(opts.venue ? { venue: opts.venue } : {}),
        ...(opts.venueIds ? { venueIds: opts.venueIds } : {}),
        advanceClock: (time) => virtual.advanceTo(time),
      });
    }
    await session.advanceTo(event.ts);
    await session.feed(event);
  }
  if (!session) throw new EmptyRecordingError(`${opts.dataPath} holds no market events`);
  await session.stop('backtest finished');
  return { events: session.marketEvents, messagesRead: source.stats.messagesRead, pairs: session.summaries() };
}
