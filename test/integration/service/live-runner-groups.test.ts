/**
 * startLiveService with two venues and one pair group: the wiring that `mm
 * run --venue ccxt --exchange a,b` uses, here on simulated venues (the venue
 * port is the same) so a crash and its restart can be driven on a virtual
 * clock. A malformed live book (NaN price) is pushed into one venue's feed
 * as a test double at the market-data boundary, to crash one member.
 */
import { describe, expect, it } from '@jest/globals';
import { merge, Subject, type Observable } from 'rxjs';
import { VirtualClock } from '../../../src/clock/clock.js';
import { parseEngineConfig } from '../../../src/config/engine-config.js';
import { silentLogger } from '../../../src/log/logger.js';
import type { BookEvent } from '../../../src/market-data/market-event.js';
import { startLiveService, UnknownSymbolError } from '../../../src/service/live-runner.js';
import { MemoryEventStore } from '../../../src/store/memory-event-store.js';
import { SimulatedVenue } from '../../../src/venues/simulated-venue.js';
import type { BookFeedEvent } from '../../../src/venues/venue.js';
import { BTCUSDT_SPOT } from '../../fixtures/markets.js';
import { T0 } from '../runtime-harness.js';

class MalformedFeedVenue extends SimulatedVenue {
  readonly injected = new Subject<BookFeedEvent>();
  override watchBook(symbol: string): Observable<BookFeedEvent> {
    return merge(super.watchBook(symbol), this.injected);
  }
}

const book = (venue: string, ts: number, bid: number, ask: number): BookEvent => ({
  kind: 'book',
  venue,
  symbol: 'BTCUSDT',
  ts,
  sequence: ts,
  bids: [{ price: bid, size: 2 }, { price: bid - 0.5, size: 2 }],
  asks: [{ price: ask, size: 2 }, { price: ask + 0.5, size: 2 }],
});

const LIMIT = '0.004';
const turns = async (n = 10) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('startLiveService on two venues with one pair group', () => {
  it('every decision of both members carries the group, also after one member crashed and restarted in a new runtime', async () => {
    const clock = new VirtualClock(T0);
    const store = new MemoryEventStore();
    const venues = ['binance', 'binance2'].map((id) => new MalformedFeedVenue({ id, markets: [BTCUSDT_SPOT], clock }));
    const config = parseEngineConfig(
      { pairs: venues.map((v) => ({ venue: v.id, symbol: 'BTCUSDT', group: 'btc' })), groups: [{ id: 'btc', limit: LIMIT }] },
      'test',
    );
    const service = await startLiveService({
      venues: venues.map((venue) => ({ venue, symbols: ['BTCUSDT'] })),
      store,
      config,
      logger: silentLogger(),
      clock,
      instanceId: 'live-groups',
    });
    let ts = T0;
    const tick = async () => {
      ts += 100;
      clock.advanceTo(ts);
      await turns();
      for (const v of venues) v.onMarketEvent(book(v.id, ts, 60_000, 60_000.1));
      await turns();
    };
    for (let i = 0; i < 5; i++) await tick();
    // binance's member crashes on a malformed book, and is restarted after its backoff (1 s).
    venues[0]!.injected.next(book('binance', ts, Number.NaN, 60_000.1));
    await turns(20);
    for (let i = 0; i < 30; i++) await tick();
    await service.stop('test finished');

    for (const v of venues) {
      const events = await store.readStream(`pair-${v.id}-BTC_USDT`);
      const decisions = events.flatMap((e) => (e.type === 'QuoteDecided' ? [e.data] : []));
      expect(decisions.length).toBeGreaterThan(0);
      for (const d of decisions) expect(d.inputs.group?.limit).toBe(LIMIT);
      expect(events.at(-1)?.type).toBe('PairStopped');
    }
    const binance = await store.readStream('pair-binance-BTC_USDT');
    const crashedAt = binance.findIndex((e) => e.type === 'PairCrashed');
    expect(crashedAt).toBeGreaterThan(0);
    // A second PairStarted (the new runtime) and decisions after it, all with the group.
    const restartedAt = binance.findIndex((e, i) => i > crashedAt && e.type === 'PairStarted');
    expect(restartedAt).toBeGreaterThan(crashedAt);
    expect(binance.slice(restartedAt).some((e) => e.type === 'QuoteDecided')).toBe(true);
  });

  it('a symbol one exchange lacks is refused at start naming it, nothing is sent, and every venue is closed', async () => {
    const clock = new VirtualClock(T0);
    const closed: string[] = [];
    class ClosingVenue extends SimulatedVenue {
      override close(): void {
        closed.push(this.id);
        super.close();
      }
    }
    const venues = ['binance', 'binance2'].map((id) => new ClosingVenue({ id, markets: [BTCUSDT_SPOT], clock }));
    const store = new MemoryEventStore();
    const start = startLiveService({
      venues: [
        { venue: venues[0]!, symbols: ['BTCUSDT'] },
        { venue: venues[1]!, symbols: ['ETHUSDT'] },
      ],
      store,
      config: parseEngineConfig({}, 'test'),
      logger: silentLogger(),
      clock,
      instanceId: 'live-refused',
    });
    await expect(start).rejects.toThrow(UnknownSymbolError);
    await expect(start).rejects.toThrow('--symbols: binance2 has no market "ETHUSDT"');
    expect(closed.sort()).toEqual(['binance', 'binance2']);
    expect(await store.readAll()).toEqual([]);
  });
});
