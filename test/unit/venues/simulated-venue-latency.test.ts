import { describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../../src/clock/clock.js';
import type { Side } from '../../../src/core/types.js';
import type { BookEvent, TradeEvent } from '../../../src/market-data/market-event.js';
import { DelayLine } from '../../../src/venues/delay-line.js';
import { SimulatedVenue, type SimulatedVenueSettings } from '../../../src/venues/simulated-venue.js';
import type { Fill, MarketSpec, OrderRequest } from '../../../src/venues/venue.js';
import { SIM_BTCUSDT } from '../../fixtures/markets.js';

const SYMBOL = 'BTCUSDT';
const SPEC: MarketSpec = SIM_BTCUSDT;

const book = (ts: number, bids: Array<[number, number]>, asks: Array<[number, number]>): BookEvent => ({
  kind: 'book',
  venue: 'sim',
  symbol: SYMBOL,
  ts,
  sequence: ts,
  bids: bids.map(([price, size]) => ({ price, size })),
  asks: asks.map(([price, size]) => ({ price, size })),
});
const QUIET = (ts: number): BookEvent => book(ts, [[100, 5], [99.9, 5]], [[101, 5], [101.1, 5]]);
const trade = (ts: number, price: number, size: number, aggressor: Side): TradeEvent => ({ kind: 'trade', venue: 'sim', symbol: SYMBOL, ts, tradeId: `t${ts}`, price, size, aggressor });
const order = (id: string, side: Side, price: string, amount: string, postOnly = true): OrderRequest => ({ clientOrderId: id, symbol: SYMBOL, side, price, amount, postOnly, reduceOnly: false });

/** Lets every pending promise reaction run; no clock moves. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup(settings: SimulatedVenueSettings) {
  const clock = new VirtualClock(1_000);
  const venue = new SimulatedVenue({ ...settings, id: 'sim', markets: [SPEC], clock });
  const fills: Fill[] = [];
  const seen: string[] = [];
  venue.watchFills(SYMBOL).subscribe((f) => {
    fills.push(f);
    seen.push(`fill ${f.clientOrderId} ${f.amount} ts=${f.ts} at=${clock.now()}`);
  });
  venue.watchBook(SYMBOL).subscribe((e) => seen.push(`${e.kind} ts=${e.ts} at=${clock.now()}`));
  venue.watchTrades(SYMBOL).subscribe((e) => seen.push(`trade ts=${e.ts} at=${clock.now()}`));
  /** Market event at its data time. */
  const feed = (e: BookEvent | TradeEvent): void => {
    clock.advanceTo(e.ts);
    venue.onMarketEvent(e);
  };
  /** A call whose promise we watch without awaiting it. */
  function track<T>(p: Promise<T>): { done: () => boolean; value: Promise<T> } {
    let done = false;
    const value = p.then((v) => {
      done = true;
      return v;
    });
    return { done: () => done, value };
  }
  return { clock, venue, fills, seen, feed, track };
}

describe('SimulatedVenue: order latency', () => {
  it('an order takes effect L after it is sent, with ts = send + L, and is answered L later', async () => {
    const { clock, venue, feed, track } = setup({ orderLatencyMs: 50 });
    feed(QUIET(1_000));
    const call = track(venue.placeOrders([order('b1', 'buy', '100.5', '0.1')]));
    expect(venue.pendingRequests(SYMBOL)).toBe(1);
    expect(venue.nextDue()).toBe(1_050);
    clock.advanceTo(1_049);
    await settle();
    expect(await venue.fetchOpenOrders(SYMBOL)).toEqual([]);
    clock.advanceTo(1_050);
    await settle();
    expect((await venue.fetchOpenOrders(SYMBOL)).map((o) => [o.clientOrderId, o.ts])).toEqual([['b1', 1_050]]);
    expect(call.done()).toBe(false);
    clock.advanceTo(1_099);
    await settle();
    expect(call.done()).toBe(false);
    clock.advanceTo(1_100);
    expect(await call.value).toEqual([{ clientOrderId: 'b1', status: 'accepted', venueOrderId: 'sim-1', ts: 1_050 }]);
    expect(venue.pendingRequests(SYMBOL)).toBe(0);
    expect(venue.nextDue()).toBeUndefined();
  });

  it('a print before the order arrives does not fill it; one after does', async () => {
    const { clock, venue, fills, feed, track } = setup({ orderLatencyMs: 50 });
    feed(QUIET(1_000));
    const call = track(venue.placeOrders([order('b1', 'buy', '100.5', '0.3')]));
    feed(trade(1_020, 100.4, 1, 'sell'));
    expect(fills).toEqual([]);
    feed(trade(1_060, 100.4, 0.1, 'sell'));
    expect(fills.map((f) => [f.amount, f.ts])).toEqual([['0.1', 1_060]]);
    clock.advanceTo(1_100);
    await call.value;
  });

  it('post-only, crossing and self-trade checks see the book of the arrival time', async () => {
    const { clock, venue, feed, track } = setup({ orderLatencyMs: 50 });
    feed(QUIET(1_000));
    const call = track(venue.placeOrders([order('b1', 'buy', '100.9', '0.1')]));
    feed(book(1_030, [[100, 5]], [[100.9, 1], [101, 5]])); // the ask came down to our price meanwhile
    clock.advanceTo(1_100);
    const [result] = await call.value;
    expect(result).toMatchObject({ status: 'rejected', reason: 'post-only would cross', category: 'post-only-would-cross', ts: 1_050 });
  });

  it('a cancel races a fill: it answers with the remaining amount as of its arrival', async () => {
    const { clock, venue, fills, feed, track } = setup({ orderLatencyMs: 50 });
    feed(QUIET(1_000));
    const place = track(venue.placeOrders([order('b1', 'buy', '100.5', '0.3')]));
    clock.advanceTo(1_100);
    await place.value;
    clock.advanceTo(2_000);
    const cancel = track(venue.cancelOrders(SYMBOL, ['b1']));
    feed(trade(2_010, 100.4, 0.1, 'sell')); // before the cancel arrives: fills
    feed(trade(2_060, 100.4, 0.1, 'sell')); // after: the order is gone
    clock.advanceTo(2_100);
    expect(await cancel.value).toEqual([{ clientOrderId: 'b1', status: 'cancelled', remaining: '0.2', ts: 2_050 }]);
    expect(fills.map((f) => [f.amount, f.remaining, f.ts])).toEqual([['0.1', '0.2', 2_010]]);
  });

  it('a cancel that loses the race answers unknown-order, and the fill stands', async () => {
    const { clock, venue, fills, feed, track } = setup({ orderLatencyMs: 50 });
    feed(QUIET(1_000));
    const place = track(venue.placeOrders([order('b1', 'buy', '100.5', '0.3')]));
    clock.advanceTo(1_100);
    await place.value;
    clock.advanceTo(2_000);
    const cancel = track(venue.cancelAll(SYMBOL));
    feed(trade(2_020, 100.4, 1, 'sell'));
    clock.advanceTo(2_100);
    expect(await cancel.value).toEqual([]); // cancelAll at 2_050: nothing left
    const again = track(venue.cancelOrders(SYMBOL, ['b1']));
    clock.advanceTo(2_200);
    const [result] = await again.value;
    expect(result).toMatchObject({ clientOrderId: 'b1', status: 'unknown-order', ts: 2_150 });
    expect(fills.map((f) => [f.amount, f.remaining])).toEqual([['0.3', '0']]);
  });

  it('blocked(symbol) resolves once a request is out, and at once while one is', async () => {
    const { clock, venue, feed, track } = setup({ orderLatencyMs: 10 });
    feed(QUIET(1_000));
    let blocked = false;
    const first = venue.blocked(SYMBOL);
    void first.promise.then(() => (blocked = true));
    await settle();
    expect(blocked).toBe(false);
    const call = track(venue.placeOrders([order('b1', 'buy', '100', '0.1')]));
    await settle();
    expect(blocked).toBe(true);
    await venue.blocked(SYMBOL).promise; // already blocked
    clock.advanceTo(1_020);
    await call.value;
    const later = venue.blocked(SYMBOL);
    let resolvedLater = false;
    void later.promise.then(() => (resolvedLater = true));
    later.dispose();
    void venue.placeOrders([order('b2', 'buy', '99', '0.1')]);
    await settle();
    expect(resolvedLater).toBe(false); // disposed waiters are not called
  });
});

describe('SimulatedVenue: feed latency', () => {
  it('subscribers get books, trades and fills F later, in venue order (fills first), with their own data time', async () => {
    const { clock, venue, seen, feed } = setup({ feedLatencyMs: 30 });
    feed(QUIET(1_000));
    expect(seen).toEqual([]);
    clock.advanceTo(1_030);
    expect(seen).toEqual(['book ts=1000 at=1030']);
    await venue.placeOrders([order('b1', 'buy', '100.5', '0.1')]); // no order latency: live at once
    feed(trade(1_100, 100.4, 0.05, 'sell')); // matched at data time 1_100
    expect(seen).toHaveLength(1);
    clock.advanceTo(1_200);
    expect(seen).toEqual(['book ts=1000 at=1030', 'fill b1 0.05 ts=1100 at=1130', 'trade ts=1100 at=1130']);
  });

  it('matching uses data time, not what the pair has seen: a book the pair has not received yet still fills us', async () => {
    const { clock, venue, fills, feed } = setup({ feedLatencyMs: 100 });
    feed(QUIET(1_000));
    clock.advanceTo(1_100);
    await venue.placeOrders([order('b1', 'buy', '100.5', '0.2')]);
    feed(book(1_150, [[100, 5]], [[100.4, 0.2], [101, 5]]));
    expect(fills).toEqual([]); // not delivered yet
    clock.advanceTo(1_250);
    expect(fills.map((f) => [f.amount, f.ts])).toEqual([['0.2', 1_150]]);
  });
});

describe('SimulatedVenue: latency options', () => {
  it('rejects negative or non-finite latencies and unknown fill models', () => {
    const base = { id: 'sim', markets: [SPEC], clock: new VirtualClock(0) };
    expect(() => new SimulatedVenue({ ...base, orderLatencyMs: -1 })).toThrow(/order latency/);
    expect(() => new SimulatedVenue({ ...base, feedLatencyMs: Number.NaN })).toThrow(/feed latency/);
    expect(() => new SimulatedVenue({ ...base, fillModel: 'optimistic' as never })).toThrow(/fill model/);
    const v = new SimulatedVenue(base);
    expect([v.fillModel, v.orderLatencyMs, v.feedLatencyMs]).toEqual(['queue', 0, 0]);
  });

  it('the same script with latency gives identical fills, results and timestamps', async () => {
    async function run() {
      const { clock, venue, fills, seen, feed, track } = setup({ orderLatencyMs: 20, feedLatencyMs: 5 });
      feed(QUIET(1_000));
      const a = track(venue.placeOrders([order('b1', 'buy', '100.5', '0.3'), order('s1', 'sell', '100.8', '0.2')]));
      feed(trade(1_010, 100.4, 0.1, 'sell'));
      feed(trade(1_030, 100.4, 0.1, 'sell'));
      const c = track(venue.cancelOrders(SYMBOL, ['b1']));
      feed(trade(1_040, 100.9, 0.5, 'buy'));
      feed(trade(1_045, 100.3, 0.5, 'sell'));
      clock.advanceTo(2_000);
      return { results: [await a.value, await c.value], fills, seen };
    }
    const first = await run();
    expect(first.fills.length).toBeGreaterThan(1);
    expect(await run()).toEqual(first);
  });
});

describe('DelayLine', () => {
  it('runs actions at their due time in (due, scheduling) order, including ones scheduled while running', () => {
    const clock = new VirtualClock(0);
    const line = new DelayLine(clock);
    const ran: string[] = [];
    line.schedule(20, () => ran.push(`b@${clock.now()}`));
    line.schedule(10, () => {
      ran.push(`a@${clock.now()}`);
      line.schedule(0, () => ran.push(`a2@${clock.now()}`));
      line.schedule(10, () => ran.push(`a3@${clock.now()}`));
    });
    line.schedule(20, () => ran.push(`c@${clock.now()}`));
    expect(line.nextDue()).toBe(10);
    clock.advanceTo(15);
    expect(ran).toEqual(['a@10', 'a2@10']);
    clock.advanceTo(100);
    expect(ran).toEqual(['a@10', 'a2@10', 'b@20', 'c@20', 'a3@20']);
    expect(line.pending).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});
