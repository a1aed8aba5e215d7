import { describe, expect, it } from '@jest/globals';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite-event-store.js';
import { book, runtimeHarness, STREAM, T0, tempDbPath, trade } from './runtime-harness.js';

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
