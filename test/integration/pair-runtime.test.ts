import { describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/clock/clock.js';
import { StrategyParamsSchema, type StrategyParamsInput } from '../../src/config/strategy-params.js';
import { silentLogger } from '../../src/log/logger.js';
import type { BookEvent, TradeEvent } from '../../src/market-data/market-event.js';
import { PairRuntime } from '../../src/service/pair-runtime.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite-event-store.js';
import type { CancelResult, OpenOrder, OrderRequest, OrderResult, VenueErrorCategory } from '../../src/venues/venue.js';
import { book, DuplicatingVenue, MARKET, runtimeHarness, STREAM, T0, tempDbPath, trade } from './runtime-harness.js';

describe('pair runtime: commit, then act', () => {
  it('every order at the venue was recorded before it was sent, and the log agrees with the venue', async () => {
    const store = new MemoryEventStore();
    const h = runtimeHarness(store);
    await h.runtime.start();
    let ts = T0;
    let mid = 60_000;
    for (let i = 0; i < 200; i++) {
      ts += 300;
      mid += Math.sin(i / 7) * 3;
      const bid = Math.round(mid * 100) / 100;
      await h.feed(book(ts, bid, bid + 0.01));
      if (i % 5 === 0) await h.feed(trade(ts + 1, bid - 20, 0.5, 'sell'));
      if (i % 5 === 2) await h.feed(trade(ts + 1, bid + 20, 0.5, 'buy'));
      const atVenue = (await h.venue.fetchOpenOrders('BTCUSDT')).map((o) => o.clientOrderId).sort();
      const inLog = [...h.runtime.state.openOrders.keys()].sort();
      expect(atVenue).toEqual(inLog);
    }
    const events = await store.readStream(STREAM);
    const placedAt = new Map(events.filter((e) => e.type === 'OrderPlaced').map((e) => [e.type === 'OrderPlaced' ? e.data.clientOrderId : '', e.revision]));
    const acks = events.filter((e) => e.type === 'OrderAcknowledged');
    expect(acks.length).toBeGreaterThan(10);
    for (const ack of acks) {
      if (ack.type !== 'OrderAcknowledged') continue;
      expect(placedAt.get(ack.data.clientOrderId)).toBeLessThan(ack.revision);
    }
    expect(h.runtime.summary().fills).toBeGreaterThan(0);
    await h.runtime.stop('test over');
    expect(await h.venue.fetchOpenOrders('BTCUSDT')).toHaveLength(0);
    const last = (await store.readStream(STREAM)).at(-1);
    expect(last?.type).toBe('PairStopped');
  });

  it('client order ids derive from the stream revision of their OrderPlaced event', async () => {
    const store = new MemoryEventStore();
    const h = runtimeHarness(store);
    await h.runtime.start();
    await h.feed(book(T0 + 100, 60_000, 60_000.01));
    const placed = (await store.readStream(STREAM)).filter((e) => e.type === 'OrderPlaced');
    expect(placed.length).toBeGreaterThan(0);
    for (const e of placed) if (e.type === 'OrderPlaced') expect(e.data.clientOrderId.endsWith(`r${e.revision}`)).toBe(true);
  });

  it('a fill the venue repeats is recorded once (test double: duplicate delivery by a live exchange)', async () => {
    const store = new MemoryEventStore();
    const h = runtimeHarness(store);
    await h.runtime.start();
    await h.feed(book(T0 + 100, 60_000, 60_000.01));
    const order = [...h.runtime.state.openOrders.values()][0];
    if (!order) throw new Error('expected a resting order');
    const fill = { venue: 'binance', symbol: 'BTCUSDT', tradeId: 'dup-1', clientOrderId: order.clientOrderId, venueOrderId: 'x', side: order.side, price: order.price, amount: '0.00001', fee: '0', feeCurrency: 'USDT', liquidity: 'maker' as const, remaining: '0.001', ts: T0 + 200 };
    h.venue.injectedFills.next(fill);
    h.venue.injectedFills.next(fill);
    await h.runtime.drain();
    const filled = (await store.readStream(STREAM)).filter((e) => e.type === 'OrderFilled');
    expect(filled).toHaveLength(1);
    expect(h.runtime.summary().fills).toBe(1);
  });
});

describe('pair runtime: store failure and fencing', () => {
  it('a store failure halts the pair and takes its orders off the venue; nothing is sent afterwards', async () => {
    const path = tempDbPath('fail.db');
    const store = SqliteEventStore.open(path);
    const h = runtimeHarness(store);
    await h.runtime.start();
    await h.feed(book(T0 + 100, 60_000, 60_000.01));
    expect((await h.venue.fetchOpenOrders('BTCUSDT')).length).toBeGreaterThan(0);
    await store.close();
    await h.feed(book(T0 + 2_000, 60_010, 60_010.01));
    expect(h.runtime.haltReason).toBe('store-failure');
    expect(await h.venue.fetchOpenOrders('BTCUSDT')).toHaveLength(0);
    await h.feed(book(T0 + 4_000, 60_100, 60_100.01));
    expect(await h.venue.fetchOpenOrders('BTCUSDT')).toHaveLength(0);
  });

  it('a second instance claiming the stream fences the first: it halts and cancels its orders (SQLite, two connections)', async () => {
    const path = tempDbPath('fence.db');
    const storeA = SqliteEventStore.open(path);
    const storeB = SqliteEventStore.open(path);
    const a = runtimeHarness(storeA, { instanceId: 'instance-a' });
    await a.runtime.start();
    await a.feed(book(T0 + 100, 60_000, 60_000.01));
    expect((await a.venue.fetchOpenOrders('BTCUSDT')).length).toBeGreaterThan(0);

    const b = runtimeHarness(storeB, { instanceId: 'instance-b', clock: a.clock });
    await b.runtime.start();
    const claim = (await storeB.readStream(STREAM)).filter((e) => e.type === 'PairStarted').at(-1);
    expect(claim?.type === 'PairStarted' && claim.data.instanceId).toBe('instance-b');

    await a.feed(book(T0 + 3_000, 60_050, 60_050.01));
    expect(a.runtime.haltReason).toBe('fenced');
    expect(await a.venue.fetchOpenOrders('BTCUSDT')).toHaveLength(0);
    // The fenced instance wrote nothing after the claim.
    const afterClaim = (await storeB.readStream(STREAM)).filter((e) => claim && e.revision > claim.revision);
    expect(afterClaim.every((e) => e.metadata.instanceId === 'instance-b')).toBe(true);
    await b.runtime.stop('done');
    await storeA.close();
    await storeB.close();
  });
});

describe('pair runtime: safe states take the quotes off the venue', () => {
  it('a price shock cancels every order; after the cooldown (virtual time) it quotes again', async () => {
    const store = new MemoryEventStore();
    const h = runtimeHarness(store);
    await h.runtime.start();
    await h.feed(book(T0 + 100, 60_000, 60_000.01));
    expect((await h.venue.fetchOpenOrders('BTCUSDT')).length).toBeGreaterThan(0);
    await h.feed(book(T0 + 2_000, 61_500, 61_500.01));
    expect(h.runtime.state.state).toBe('shock-cooldown');
    expect(await h.venue.fetchOpenOrders('BTCUSDT')).toHaveLength(0);
    // Data keeps flowing near the new level; the cooldown timer fires on the virtual clock.
    for (let t = T0 + 3_000; t <= T0 + 33_000; t += 1_000) await h.feed(book(t, 61_510, 61_510.01));
    expect(h.runtime.state.state).toBe('quoting');
    expect((await h.venue.fetchOpenOrders('BTCUSDT')).length).toBeGreaterThan(0);
    const types = (await store.readStream(STREAM)).map((e) => e.type);
    expect(types.indexOf('ShockCleared')).toBeGreaterThan(types.indexOf('ShockDetected'));
  });

  it('a book with an empty side pauses the pair and cancels; both sides back resumes it', async () => {
    const store = new MemoryEventStore();
    const h = runtimeHarness(store);
    await h.runtime.start();
    await h.feed(book(T0 + 100, 60_000, 60_000.01));
    await h.feed({ ...book(T0 + 200, 60_000, 60_000.01), asks: [] });
    expect(h.runtime.state.state).toBe('paused');
    expect(await h.venue.fetchOpenOrders('BTCUSDT')).toHaveLength(0);
    await h.feed(book(T0 + 300, 60_000, 60_000.01));
    expect(h.runtime.state.state).toBe('quoting');
    expect((await h.venue.fetchOpenOrders('BTCUSDT')).length).toBeGreaterThan(0);
  });
});

/**
 * Test double at the venue boundary: the simulated venue, plus what a live
 * exchange does that it does not — connection failures, refusals for lack of
 * funds, cancels that never get an answer.
 */
class TroubledVenue extends DuplicatingVenue {
  down = false;
  refuseBuys: VenueErrorCategory | null = null;
  cancelsHang = false;
  cancelAllCalls = 0;
  readonly sent: { at: number; ids: string[] }[] = [];

  constructor(private readonly vclock: VirtualClock) {
    super({ id: 'binance', markets: [MARKET], clock: vclock });
  }
  private refusal(o: OrderRequest, category: VenueErrorCategory, reason: string): OrderResult {
    const action = category === 'network' ? 'pause-and-cancel-on-reconnect' : category === 'insufficient-funds' ? 'reduce-size-or-pause' : 'reject';
    return { clientOrderId: o.clientOrderId, status: 'rejected', reason, category, action, ts: this.vclock.now() };
  }
  override async placeOrders(orders: readonly OrderRequest[]): Promise<readonly OrderResult[]> {
    this.sent.push({ at: this.vclock.now(), ids: orders.map((o) => o.clientOrderId) });
    if (this.down) return orders.map((o) => this.refusal(o, 'network', 'ETIMEDOUT'));
    const refuse = this.refuseBuys;
    if (!refuse) return super.placeOrders(orders);
    const accepted = await super.placeOrders(orders.filter((o) => o.side !== 'buy'));
    return orders.map((o) => (o.side === 'buy' ? this.refusal(o, refuse, 'Account has insufficient balance') : accepted.find((r) => r.clientOrderId === o.clientOrderId)!));
  }
  override cancelOrders(symbol: string, ids: readonly string[]): Promise<readonly CancelResult[]> {
    if (this.down) return Promise.reject(Object.assign(new Error('ECONNRESET'), { category: 'network', action: 'pause-and-cancel-on-reconnect' }));
    if (this.cancelsHang) return new Promise(() => undefined);
    return super.cancelOrders(symbol, ids);
  }
  override cancelAll(symbol: string): Promise<readonly CancelResult[]> {
    this.cancelAllCalls += 1;
    return super.cancelAll(symbol);
  }
  override fetchOpenOrders(symbol: string): Promise<readonly OpenOrder[]> {
    if (this.down) return Promise.reject(new Error('ECONNRESET'));
    return super.fetchOpenOrders(symbol);
  }
  /** What the matching engine holds, reachable or not (the test's view, not the pair's). */
  peekOpenOrders(symbol: string): Promise<readonly OpenOrder[]> {
    return super.fetchOpenOrders(symbol);
  }
}

function troubledHarness(store: MemoryEventStore, params: StrategyParamsInput = {}) {
  const clock = new VirtualClock(T0);
  const venue = new TroubledVenue(clock);
  const runtime = new PairRuntime({
    pairId: 'binance-BTC_USDT',
    stream: STREAM,
    market: MARKET,
    params: StrategyParamsSchema.parse(params),
    store,
    venue,
    clock,
    logger: silentLogger(),
    instanceId: 'it',
    mode: 'backtest',
  });
  const feed = async (event: BookEvent | TradeEvent) => {
    clock.advanceTo(event.ts);
    await runtime.drain();
    venue.onMarketEvent(event);
    await runtime.drain();
  };
  const logAgreesWithVenue = async () => {
    const atVenue = (await venue.peekOpenOrders('BTCUSDT')).map((o) => o.clientOrderId).sort();
    expect(atVenue).toEqual([...runtime.state.openOrders.keys()].sort());
  };
  return { clock, venue, runtime, feed, logAgreesWithVenue };
}

describe('pair runtime: the order manager in production wiring', () => {
  it('a venue that stops answering pauses the pair (venue-unavailable); once it answers, everything is cancelled and the pair resumes by itself', async () => {
    const store = new MemoryEventStore();
    const h = troubledHarness(store);
    await h.runtime.start();
    await h.feed(book(T0 + 100, 60_000, 60_000.01));
    const before = [...h.runtime.state.openOrders.keys()];
    expect(before.length).toBeGreaterThan(0);

    h.venue.down = true;
    await h.feed(book(T0 + 400, 60_020, 60_020.01)); // requote: the cancels fail
    expect(h.runtime.state.state).toBe('paused');
    const paused = (await store.readStream(STREAM)).filter((e) => e.type === 'Paused').at(-1);
    expect(paused?.type === 'Paused' && paused.data.reason).toBe('venue-unavailable');
    // The cancels could not go out: these orders are still open, in the log and at the venue.
    const stranded = [...h.runtime.state.openOrders.keys()];
    expect(stranded.length).toBeGreaterThan(0);
    expect(stranded.every((id) => before.includes(id))).toBe(true);
    await h.logAgreesWithVenue();
    const sentWhileDown = h.venue.sent.length;
    for (let t = T0 + 700; t <= T0 + 4_000; t += 300) await h.feed(book(t, 60_020, 60_020.01));
    expect(h.runtime.state.state).toBe('paused');
    expect(h.venue.sent.length).toBe(sentWhileDown); // nothing placed while the venue is down

    h.venue.down = false;
    for (let t = T0 + 4_300; t <= T0 + 12_000; t += 300) await h.feed(book(t, 60_020, 60_020.01));
    expect(h.runtime.state.state).toBe('quoting');
    const events = await store.readStream(STREAM);
    const types = events.map((e) => e.type);
    const resumed = events.findIndex((e) => e.type === 'Resumed');
    expect(resumed).toBeGreaterThan(types.indexOf('Paused'));
    expect(events[resumed]?.type === 'Resumed' && events[resumed]?.data.reason).toBe('venue-unavailable');
    // Every order left from before the outage was cancelled once the venue answered, before the pair resumed.
    for (const id of stranded) {
      const cancelled = events.findIndex((e) => e.type === 'OrderCancelled' && e.data.clientOrderId === id);
      expect(cancelled).toBeGreaterThan(types.indexOf('Paused'));
      expect(cancelled).toBeLessThan(resumed);
    }
    expect(events.some((e) => e.type === 'OrderPlaced' && e.revision > resumed)).toBe(true);
    await h.logAgreesWithVenue();
    await h.runtime.stop('test over');
    expect(await h.venue.fetchOpenOrders('BTCUSDT')).toHaveLength(0);
  });

  it('a refusal for lack of funds pauses the pair (insufficient-funds) and takes its other orders off; it stays paused', async () => {
    const store = new MemoryEventStore();
    const h = troubledHarness(store);
    h.venue.refuseBuys = 'insufficient-funds';
    await h.runtime.start();
    await h.feed(book(T0 + 100, 60_000, 60_000.01));
    expect(h.runtime.state.state).toBe('paused');
    const events = await store.readStream(STREAM);
    expect(events.filter((e) => e.type === 'OrderRejected').every((e) => e.type === 'OrderRejected' && e.data.category === 'insufficient-funds')).toBe(true);
    const paused = events.find((e) => e.type === 'Paused');
    expect(paused?.type === 'Paused' && paused.data.reason).toBe('insufficient-funds');
    expect(await h.venue.fetchOpenOrders('BTCUSDT')).toHaveLength(0);
    for (let t = T0 + 400; t <= T0 + 5_000; t += 300) await h.feed(book(t, 60_000, 60_000.01));
    expect(h.runtime.state.state).toBe('paused');
    await h.logAgreesWithVenue();
  });

  it('placements beyond the pair rate limit are deferred on the clock, recorded only when sent; the log agrees with the venue throughout', async () => {
    const store = new MemoryEventStore();
    const h = troubledHarness(store, { orders: { pairOrderBurst: 2, pairOrdersPerSecond: 1 } });
    await h.runtime.start();
    await h.feed(book(T0 + 100, 60_000, 60_000.01));
    expect(h.venue.sent.flatMap((s) => s.ids)).toHaveLength(2);
    expect((await store.readStream(STREAM)).filter((e) => e.type === 'OrderPlaced')).toHaveLength(2);
    await h.logAgreesWithVenue();
    for (let t = T0 + 400; t <= T0 + 2_200; t += 300) {
      await h.feed(book(t, 60_000, 60_000.01));
      await h.logAgreesWithVenue();
    }
    expect(h.venue.sent.flatMap((s) => s.ids)).toHaveLength(4);
    const times = h.venue.sent.flatMap((s) => s.ids.map(() => s.at));
    for (let i = 0; i < times.length; i++) expect(times.filter((t) => t >= times[i]! && t < times[i]! + 1_000).length).toBeLessThanOrEqual(3);
  });

  it('on stop, cancels the venue does not confirm within stopTimeoutMs are recorded loudly (RiskLimitBreached) and left open in the log; nothing is sent after the stop', async () => {
    const store = new MemoryEventStore();
    const h = troubledHarness(store, { orders: { stopTimeoutMs: 3_000 } });
    await h.runtime.start();
    await h.feed(book(T0 + 100, 60_000, 60_000.01));
    const open = h.runtime.state.openOrders.size;
    expect(open).toBeGreaterThan(0);
    h.venue.cancelsHang = true;
    const sent = h.venue.sent.length;
    const stopping = h.runtime.stop('test over');
    await new Promise((r) => setImmediate(r));
    h.clock.advanceTo(T0 + 100 + 3_000);
    await stopping;
    const events = await store.readStream(STREAM);
    const breach = events.find((e) => e.type === 'RiskLimitBreached');
    expect(breach?.type === 'RiskLimitBreached' && breach.data).toMatchObject({ limit: 'stop-cancel-confirmation', threshold: '3000 ms' });
    const last = events.at(-1);
    expect(last?.type === 'PairStopped' && last.data.openOrders).toBe(open);
    expect(h.venue.cancelAllCalls).toBe(1);
    h.clock.advanceTo(T0 + 120_000);
    expect(h.venue.sent.length).toBe(sent);
  });
});
