import { describe, expect, it } from '@jest/globals';
import { merge, Subject, type Observable } from 'rxjs';
import { VirtualClock } from '../../../src/clock/clock.js';
import { StrategyParamsSchema } from '../../../src/config/strategy-params.js';
import { silentLogger } from '../../../src/log/logger.js';
import type { BookEvent } from '../../../src/market-data/market-event.js';
import { Supervisor } from '../../../src/service/supervisor.js';
import { MemoryEventStore } from '../../../src/store/memory-event-store.js';
import { SimulatedVenue } from '../../../src/venues/simulated-venue.js';
import type { BookFeedEvent, MarketSpec } from '../../../src/venues/venue.js';
import { BTCUSDT_SPOT } from '../../fixtures/markets.js';
import { T0 } from '../runtime-harness.js';

const ETHUSDT: MarketSpec = { ...BTCUSDT_SPOT, symbol: 'ETHUSDT', base: 'ETH' };

/**
 * Test double at the market-data boundary: a live feed can deliver a malformed
 * book (a NaN price) that no recording holds. The test pushes one into one
 * pair's book stream; the venue's own matching never sees it.
 */
class MalformedFeedVenue extends SimulatedVenue {
  readonly injected = new Map<string, Subject<BookFeedEvent>>();
  override watchBook(symbol: string): Observable<BookFeedEvent> {
    const s = new Subject<BookFeedEvent>();
    this.injected.set(symbol, s);
    return merge(super.watchBook(symbol), s);
  }
}

const book = (symbol: string, ts: number, bid: number, ask: number): BookEvent => ({
  kind: 'book',
  venue: 'binance',
  symbol,
  ts,
  sequence: ts,
  bids: [{ price: bid, size: 2 }, { price: bid - 0.5, size: 2 }],
  asks: [{ price: ask, size: 2 }, { price: ask + 0.5, size: 2 }],
});

async function setup() {
  const clock = new VirtualClock(T0);
  const store = new MemoryEventStore();
  const venue = new MalformedFeedVenue({ id: 'binance', markets: [BTCUSDT_SPOT, ETHUSDT], clock });
  const supervisor = new Supervisor({ store, clock, logger: silentLogger(), instanceId: 'sup', mode: 'backtest', policy: { maxCrashes: 3, backoffBaseMs: 1000, backoffMaxMs: 60_000 } });
  const params = StrategyParamsSchema.parse({});
  const pair = (market: MarketSpec, id: string) => ({ pairId: id, stream: `pair-${id}`, market, params });
  await supervisor.add(pair(BTCUSDT_SPOT, 'binance-BTC_USDT'), venue);
  await supervisor.add(pair(ETHUSDT, 'binance-ETH_USDT'), venue);
  let ts = T0;
  const settle = async () => {
    for (const s of supervisor.all()) await supervisor.drain(s.pairId);
  };
  const tick = async (ms = 100) => {
    ts += ms;
    clock.advanceTo(ts);
    await settle();
    venue.onMarketEvent(book('BTCUSDT', ts, 60_000, 60_000.1));
    venue.onMarketEvent(book('ETHUSDT', ts, 2_600, 2_600.1));
    await settle();
  };
  const poison = async () => {
    venue.injected.get('BTCUSDT')!.next(book('BTCUSDT', ts, Number.NaN, 60_000.1));
    await settle();
    // The crash path runs in the pair's own queue; give it its turn.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    await settle();
  };
  const types = async (stream: string) => (await store.readStream(stream)).map((e) => e.type);
  return { clock, store, venue, supervisor, tick, poison, types, settle, now: () => ts };
}

describe('Supervisor: a crashing pair is cancelled, recorded, restarted with backoff, and never touches another', () => {
  it('restarts after 1 s, 2 s, then keeps the pair paused (crash-loop); the other pair quotes throughout', async () => {
    const h = await setup();
    await h.tick();
    await h.tick();
    const btc = () => h.supervisor.get('binance-BTC_USDT')!;
    const eth = () => h.supervisor.get('binance-ETH_USDT')!;
    expect(btc().runtime.state.state).toBe('quoting');
    expect((await h.venue.fetchOpenOrders('BTCUSDT')).length).toBeGreaterThan(0);
    const ethOrders = (await h.venue.fetchOpenOrders('ETHUSDT')).map((o) => o.clientOrderId);
    expect(ethOrders.length).toBeGreaterThan(0);

    await h.poison();
    const crashed = (await h.store.readStream('pair-binance-BTC_USDT')).filter((e) => e.type === 'PairCrashed');
    expect(crashed.map((e) => e.data)).toEqual([{ error: expect.stringContaining('finite number > 0'), crashes: 1, restartInMs: 1000 }]);
    expect(btc().status).toBe('backoff');
    // Its orders were taken off the venue; the other pair's are exactly where they were.
    expect(await h.venue.fetchOpenOrders('BTCUSDT')).toEqual([]);
    expect((await h.venue.fetchOpenOrders('ETHUSDT')).map((o) => o.clientOrderId)).toEqual(ethOrders);
    expect(eth().runtime.state.state).toBe('quoting');

    // Not before the backoff...
    await h.tick(900);
    expect(btc().status).toBe('backoff');
    expect((await h.types('pair-binance-BTC_USDT')).filter((t) => t === 'PairStarted')).toHaveLength(1);
    // ...then restarted, rebuilt from its stream, quoting again.
    await h.tick(200);
    await h.tick(100);
    expect(btc().status).toBe('running');
    expect(btc().runtime.state.state).toBe('quoting');
    expect((await h.types('pair-binance-BTC_USDT')).filter((t) => t === 'PairStarted')).toHaveLength(2);

    await h.poison();
    expect((await h.store.readStream('pair-binance-BTC_USDT')).filter((e) => e.type === 'PairCrashed').map((e) => e.data.restartInMs)).toEqual([1000, 2000]);
    await h.tick(2100);
    await h.tick(100);
    expect(btc().runtime.state.state).toBe('quoting');

    await h.poison();
    await h.tick(100);
    await h.tick(100);
    const last = await h.store.readStream('pair-binance-BTC_USDT');
    expect(last.filter((e) => e.type === 'PairCrashed').map((e) => e.data.restartInMs)).toEqual([1000, 2000, null]);
    expect(btc().status).toBe('gave-up');
    expect(btc().runtime.state.state).toBe('paused');
    expect(btc().runtime.machine()?.context.pause?.reason).toBe('crash-loop');
    expect(last.some((e) => e.type === 'StateRestored' && e.data.pauseReason === 'crash-loop')).toBe(true);
    expect(await h.venue.fetchOpenOrders('BTCUSDT')).toEqual([]);

    // It stays paused (no auto-resume) while the other pair goes on.
    await h.tick(60_000);
    expect(btc().runtime.state.state).toBe('paused');
    expect(eth().runtime.state.state).toBe('quoting');
    expect(await h.types('pair-binance-ETH_USDT')).not.toContain('PairCrashed');
    expect((await h.venue.fetchOpenOrders('ETHUSDT')).length).toBeGreaterThan(0);

    // An operator start gives it a new runtime with the crash count reset.
    await h.supervisor.startPair('binance-BTC_USDT');
    await h.tick();
    await h.tick();
    expect(btc().status).toBe('running');
    expect(btc().crashes).toBe(0);
    expect(btc().runtime.state.state).toBe('quoting');

    await h.supervisor.stopAll('test over');
    expect(await h.venue.fetchOpenOrders('ETHUSDT')).toEqual([]);
  }, 30_000);

  it('a stop while a crashed pair waits for its restart records its stop and never restarts it', async () => {
    const h = await setup();
    await h.tick();
    await h.tick();
    await h.poison();
    expect(h.supervisor.get('binance-BTC_USDT')!.status).toBe('backoff');
    await h.supervisor.stopAll('SIGTERM');
    const log = await h.store.readStream('pair-binance-BTC_USDT');
    expect(log[log.length - 1]).toMatchObject({ type: 'PairStopped', data: { to: 'stopped', reason: 'SIGTERM (after a crash)' } });
    h.clock.advanceTo(h.now() + 120_000);
    await h.settle();
    expect((await h.store.readStream('pair-binance-BTC_USDT')).length).toBe(log.length);
    expect((await h.store.readStream('pair-binance-ETH_USDT')).at(-1)?.type).toBe('PairStopped');
    expect(await h.venue.fetchOpenOrders('BTCUSDT')).toEqual([]);
    expect(await h.venue.fetchOpenOrders('ETHUSDT')).toEqual([]);
  });
});
