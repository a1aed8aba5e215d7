import type { Clock } from '../clock/clock.js';
import type { EngineConfig } from '../config/engine-config.js';
import type { Logger } from '../log/logger.js';
import { recordedMarketEvents } from '../market-data/binance-recording.js';
import type { EventStore } from '../store/event-store.js';
import { VENUE_BOOK_DEPTH, type SimulatedVenueSettings } from '../venues/simulated-venue.js';
import { TradingSession } from './trading-session.js';
import type { PairSummary } from '../../projections/pair-projection.js';

export interface PaperRunOptions {
  readonly dataPath: string;
  readonly store: EventStore;
  readonly config: EngineConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly instanceId: string;
  /** Replay speed: 1 = real time. */
  readonly speed: number;
  /** Stops the run (Ctrl-C, --duration). */
  readonly signal: AbortSignal;
  /** Fill model and latencies of the simulated venue. Default: queue model, no latency. */
  readonly venue?: SimulatedVenueSettings;
}

export interface PaperRunResult {
  readonly events: number;
  readonly recordingExhausted: boolean;
  readonly pairs: Record<string, PairSummary>;
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = clock.setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Paper trading: the recording is replayed paced to the wall clock (shifted so
 * it starts now), into the same session and pair actors as a backtest. Event
 * times are wall-clock times. When the recording runs out the feed goes quiet,
 * the pairs pause as stale, and the service waits for the stop signal.
 */
export async function runPaper(opts: PaperRunOptions): Promise<PaperRunResult> {
  const { clock, signal } = opts;
  const session = new TradingSession({ store: opts.store, config: opts.config, clock, logger: opts.logger, instanceId: opts.instanceId, mode: 'paper', ...(opts.venue ? { venue: opts.venue } : {}) });
  const startWall = clock.now();
  let firstTs: number | undefined;
  let exhausted = false;
  // The venue's queue model needs the book down to our price levels; the pairs read the top only.
  const iterator = recordedMarketEvents(opts.dataPath, { depth: VENUE_BOOK_DEPTH })[Symbol.asyncIterator]();
  try {
    while (!signal.aborted) {
      const next = await iterator.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const event = next.value;
      firstTs ??= event.ts;
      const due = Math.floor(startWall + (event.ts - firstTs) / opts.speed);
      const wait = due - clock.now();
      if (wait > 0) await sleep(clock, wait, signal);
      if (signal.aborted) break;
      await session.feed({ ...event, ts: Math.max(due, 0) });
    }
  } finally {
    await iterator.return?.();
  }
  if (exhausted && !signal.aborted) {
    opts.logger.warn({ events: session.marketEvents }, 'recording exhausted: the feed is now quiet and pairs will pause as stale; waiting for stop');
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  }
  await session.stop('service shutdown');
  return { events: session.marketEvents, recordingExhausted: exhausted, pairs: session.summaries() };
}
