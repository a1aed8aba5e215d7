import type { Clock } from '../clock/clock.js';
import type { EngineConfig } from '../config/engine-config.js';
import type { Logger } from '../log/logger.js';
import { recordedMarketEvents } from '../market-data/binance-recording.js';
import type { EventStore } from '../store/event-store.js';
import { VENUE_BOOK_DEPTH, type SimulatedVenueSettings } from '../venues/simulated-venue.js';
import type { TradingSession } from './trading-session.js';
import type { PairSummary } from '../../projections/pair-projection.js';
import { startService } from './start-service.js';

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
 * Feeds the recording into the session paced to the clock (shifted so it
 * starts now, `speed` times faster), until it runs out or `signal` aborts.
 * Event times are the clock's. Resolves true when the recording ran out.
 */
export async function feedRecording(
  session: TradingSession,
  opts: { readonly dataPath: string; readonly clock: Clock; readonly speed: number; readonly signal: AbortSignal; readonly onFirstEvent?: () => void },
): Promise<boolean> {
  const { clock, signal } = opts;
  const startWall = clock.now();
  let firstTs: number | undefined;
  // The venue's queue model needs the book down to our price levels; the pairs read the top only.
  const iterator = recordedMarketEvents(opts.dataPath, { depth: VENUE_BOOK_DEPTH })[Symbol.asyncIterator]();
  try {
    while (!signal.aborted) {
      const next = await iterator.next();
      if (next.done) return true;
      const event = next.value;
      firstTs ??= event.ts;
      const due = Math.floor(startWall + (event.ts - firstTs) / opts.speed);
      const wait = due - clock.now();
      if (wait > 0) await sleep(clock, wait, signal);
      if (signal.aborted) break;
      await session.feed({ ...event, ts: Math.max(due, 0) });
      if (session.marketEvents === 1) opts.onFirstEvent?.();
    }
    return false;
  } finally {
    await iterator.return?.();
  }
}

/**
 * Paper trading until `signal` aborts: the service (start-service.ts) on the
 * recording. When the recording runs out the feed goes quiet, the pairs pause
 * as stale, and it waits for the stop signal; then every pair stops.
 */
export async function runPaper(opts: PaperRunOptions): Promise<PaperRunResult> {
  const service = await startService({ ...opts, mode: 'paper' });
  await new Promise<void>((resolve) => (opts.signal.aborted ? resolve() : opts.signal.addEventListener('abort', () => resolve(), { once: true })));
  return service.stop('service shutdown');
}
