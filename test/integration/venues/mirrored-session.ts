import type { RecordedEvent } from '../../../events/envelope.js';
import { BUNDLED_RECORDING } from '../../../src/cli/project-paths.js';
import { VirtualClock } from '../../../src/clock/clock.js';
import type { EngineConfig } from '../../../src/config/engine-config.js';
import { silentLogger } from '../../../src/log/logger.js';
import { recordedMarketEvents } from '../../../src/market-data/binance-recording.js';
import { TradingSession } from '../../../src/service/trading-session.js';
import { MemoryEventStore } from '../../../src/store/memory-event-store.js';
import { VENUE_BOOK_DEPTH } from '../../../src/venues/simulated-venue.js';

/**
 * A backtest of the first `count` market events of the bundled recording,
 * each delivered to every simulated venue of `venueIds` in one session
 * (`mm backtest --venues`), on a virtual clock and a memory store.
 */
export async function runMirroredVenues(
  config: EngineConfig,
  venueIds: readonly string[],
  count: number,
  instanceId: string,
): Promise<{ events: RecordedEvent[]; session: TradingSession }> {
  const store = new MemoryEventStore();
  let clock: VirtualClock | undefined;
  let session: TradingSession | undefined;
  let n = 0;
  for await (const event of recordedMarketEvents(BUNDLED_RECORDING, { depth: VENUE_BOOK_DEPTH })) {
    if (!clock || !session) {
      clock = new VirtualClock(event.ts);
      const c = clock;
      session = new TradingSession({ store, config, clock, logger: silentLogger(), instanceId, mode: 'backtest', venueIds, advanceClock: (t) => c.advanceTo(t) });
    }
    await session.advanceTo(event.ts);
    await session.feed(event);
    if (++n >= count) break;
  }
  if (!session) throw new Error('no data');
  await session.stop('test finished');
  return { events: await store.readAll(), session };
}
