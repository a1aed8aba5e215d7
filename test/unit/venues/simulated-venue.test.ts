import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { VirtualClock } from '../../../src/clock/clock.js';
import { D, toDecimalString } from '../../../src/core/decimal.js';
import type { Side } from '../../../src/core/types.js';
import type { BookEvent, MarketEvent, TradeEvent } from '../../../src/market-data/market-event.js';
import { SimulatedVenue, type FillModel, type SimulatedVenueSettings } from '../../../src/venues/simulated-venue.js';
import type { Fill, MarketSpec, OrderRequest, OrderResult } from '../../../src/venues/venue.js';
import { SIM_BTCUSDT } from '../../fixtures/markets.js';

const SYMBOL = 'BTCUSDT';
const SPEC: MarketSpec = SIM_BTCUSDT;

let bookSeq = 0;
function book(bids: Array<[number, number]>, asks: Array<[number, number]>, ts = 1_000): BookEvent {
  return {
    kind: 'book',
    venue: 'sim',
    symbol: SYMBOL,
    ts,
    sequence: ++bookSeq,
    bids: bids.map(([price, size]) => ({ price, size })),
    asks: asks.map(([price, size]) => ({ price, size })),
  };
}

let tradeSeq = 0;
function trade(price: number, size: number, aggressor: Side, ts = 1_000): TradeEvent {
  return { kind: 'trade', venue: 'sim', symbol: SYMBOL, ts, tradeId: `t${++tradeSeq}`, price, size, aggressor };
}

function order(clientOrderId: string, side: Side, price: string, amount: string, postOnly = true): OrderRequest {
  return { clientOrderId, symbol: SYMBOL, side, price, amount, postOnly, reduceOnly: false };
}

function setup(spec: Partial<MarketSpec> = {}, balances?: Record<string, string>, settings: SimulatedVenueSettings = {}) {
  const clock = new VirtualClock(1_000);
  const venue = new SimulatedVenue({ ...settings, id: 'sim', markets: [{ ...SPEC, ...spec }], clock, ...(balances ? { balances } : {}) });
  const fills: Fill[] = [];
  venue.watchFills(SYMBOL).subscribe((f) => fills.push(f));
  return { clock, venue, fills };
}

/** The standard quiet book: 100.0 bid / 101.0 ask. */
const QUIET = (): BookEvent => book([[100, 5], [99.9, 5]], [[101, 5], [101.1, 5]]);

async function placeOk(venue: SimulatedVenue, req: OrderRequest): Promise<OrderResult> {
  const [result] = await venue.placeOrders([req]);
  expect(result?.status).toBe('accepted');
  return result!;
}

async function rejection(venue: SimulatedVenue, req: OrderRequest): Promise<string> {
  const [result] = await venue.placeOrders([req]);
  if (result?.status !== 'rejected') throw new Error(`expected a rejection, got ${JSON.stringify(result)}`);
  return result.reason;
}

describe('SimulatedVenue: prints at and through our price', () => {
  it('fills a bid on a sell print through it, and on a print at its price once nothing is ahead (an empty level)', async () => {
    const { venue, fills } = setup();
    venue.onMarketEvent(QUIET());
    await placeOk(venue, order('b1', 'buy', '100.5', '0.2'));

    venue.onMarketEvent(trade(100.3, 1, 'buy')); // wrong aggressor
    venue.onMarketEvent(trade(100.6, 1, 'sell')); // above our bid: not ours
    expect(fills).toEqual([]);

    venue.onMarketEvent(trade(100.4, 0.1, 'sell'));
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({
      clientOrderId: 'b1', venueOrderId: 'sim-1', tradeId: 'sim-t-1', side: 'buy',
      price: '100.5', amount: '0.1', liquidity: 'maker', remaining: '0.1', feeCurrency: 'USDT',
    });
    // 100.5 had no displayed level: nothing is ahead of us there.
    venue.onMarketEvent(trade(100.5, 1, 'sell'));
    expect(fills.map((f) => [f.amount, f.remaining])).toEqual([['0.1', '0.1'], ['0.1', '0']]);
    expect(await venue.fetchOpenOrders(SYMBOL)).toEqual([]);
  });

  it('fills an ask on a buy print above it; a print at its price waits for the queue ahead', async () => {
    const { venue, fills } = setup();
    venue.onMarketEvent(QUIET());
    await placeOk(venue, order('a1', 'sell', '101.1', '0.2')); // behind 5 displayed at 101.1
    venue.onMarketEvent(trade(101.1, 4.9, 'buy'));
    expect(fills).toEqual([]);
    venue.onMarketEvent(trade(101.2, 0.05, 'buy'));
    expect(fills.map((f) => [f.side, f.price, f.amount, f.remaining])).toEqual([['sell', '101.1', '0.05', '0.15']]);
  });

  it('the through model fills on any print at or through our price, queue or not', async () => {
    const { venue, fills } = setup({}, undefined, { fillModel: 'through' });
    expect(venue.fillModel).toBe('through');
    venue.onMarketEvent(QUIET());
    await placeOk(venue, order('a1', 'sell', '101.1', '0.2')); // 5 displayed at 101.1: ignored
    venue.onMarketEvent(trade(101.1, 0.05, 'buy'));
    venue.onMarketEvent(trade(101.0, 1, 'buy')); // below our ask: not ours
    venue.onMarketEvent(trade(101.3, 0.1, 'buy'));
    expect(fills.map((f) => [f.amount, f.remaining])).toEqual([['0.05', '0.15'], ['0.1', '0.05']]);
  });

  it('shares one print across orders best price first, then oldest first', async () => {
    const { venue, fills } = setup();
    venue.onMarketEvent(QUIET());
    await venue.placeOrders([
      order('old-100.5', 'buy', '100.5', '0.3'),
      order('best-100.6', 'buy', '100.6', '0.3'),
      order('new-100.5', 'buy', '100.5', '0.3'),
    ]);
    venue.onMarketEvent(trade(100.0, 0.5, 'sell'));
    expect(fills.map((f) => [f.clientOrderId, f.amount, f.remaining])).toEqual([
      ['best-100.6', '0.3', '0'],
      ['old-100.5', '0.2', '0.1'],
    ]);
    const open = await venue.fetchOpenOrders(SYMBOL);
    expect(open.map((o) => [o.clientOrderId, o.filled])).toEqual([['old-100.5', '0.2'], ['new-100.5', '0']]);
  });

  it('snaps a fill down to the lot grid', async () => {
    const { venue, fills } = setup();
    venue.onMarketEvent(QUIET());
    await placeOk(venue, order('b1', 'buy', '100.5', '0.1'));
    venue.onMarketEvent(trade(100.4, 0.0004, 'sell'));
    venue.onMarketEvent(trade(100.4, 0.0025, 'sell'));
    expect(fills.map((f) => f.amount)).toEqual(['0.002']);
  });
});

describe('SimulatedVenue: book crossing', () => {
  it('fills a resting bid as maker up to the ask size at or below it, and does not count the same size twice', async () => {
    const { venue, fills } = setup();
    venue.onMarketEvent(QUIET());
    await placeOk(venue, order('b1', 'buy', '100.5', '1'));

    const crossing = book([[100.3, 1]], [[100.4, 0.3], [100.5, 0.2], [100.6, 5]], 1_100);
    venue.onMarketEvent(crossing);
    expect(fills.map((f) => [f.price, f.amount, f.liquidity, f.remaining])).toEqual([['100.5', '0.5', 'maker', '0.5']]);

    // The replayed data does not know we traded: the same snapshot again fills nothing more.
    venue.onMarketEvent({ ...crossing, sequence: crossing.sequence + 1 });
    expect(fills).toHaveLength(1);

    // 100.4 left the book; 100.5 grew from 0.2 to 0.7, of which 0.2 was ours already.
    venue.onMarketEvent(book([[100.3, 1]], [[100.5, 0.7], [100.6, 5]], 1_200));
    expect(fills.map((f) => [f.amount, f.remaining])).toEqual([['0.5', '0.5'], ['0.5', '0']]);
  });

  it('fills a resting ask when the bids come up through it', async () => {
    const { venue, fills } = setup();
    venue.onMarketEvent(QUIET());
    await placeOk(venue, order('a1', 'sell', '100.5', '0.4'));
    venue.onMarketEvent(book([[100.6, 0.1], [100.5, 1]], [[100.8, 1]]));
    expect(fills.map((f) => [f.side, f.price, f.amount, f.remaining])).toEqual([['sell', '100.5', '0.4', '0']]);
  });

  it('emits fills before it forwards the book, and never forwards bbo', async () => {
    const { venue } = setup();
    const seen: string[] = [];
    venue.watchFills(SYMBOL).subscribe((f) => seen.push(`fill ${f.clientOrderId}`));
    venue.watchBook(SYMBOL).subscribe((e) => seen.push(e.kind));
    venue.watchTrades(SYMBOL).subscribe((e) => seen.push(`trade ${e.tradeId}`));
    venue.onMarketEvent(QUIET());
    await placeOk(venue, order('b1', 'buy', '100.5', '0.1'));
    venue.onMarketEvent({ kind: 'bbo', venue: 'sim', symbol: SYMBOL, ts: 1_000, bid: 100, bidSize: 1, ask: 100.2, askSize: 1 });
    venue.onMarketEvent(book([[100, 1]], [[100.5, 1]]));
    venue.onMarketEvent({ kind: 'feed-problem', venue: 'sim', symbol: SYMBOL, ts: 1_000, problem: 'gap', detail: 'seq' });
    expect(seen).toEqual(['book', 'fill b1', 'book', 'feed-problem']);
  });
});

describe('SimulatedVenue: placing orders', () => {
  it('rejects a post-only order that would cross', async () => {
    const { venue } = setup();
    venue.onMarketEvent(QUIET());
    expect(await rejection(venue, order('b', 'buy', '101', '0.1'))).toBe('post-only would cross');
    expect(await rejection(venue, order('s', 'sell', '100', '0.1'))).toBe('post-only would cross');
    await placeOk(venue, order('b2', 'buy', '100.9', '0.1'));
    await venue.cancelOrders(SYMBOL, ['b2']); // else s2 would cross our own bid (self-trade prevention)
    await placeOk(venue, order('s2', 'sell', '100.1', '0.1'));
  });

  it('takes liquidity across levels as taker at level prices, and rests the remainder', async () => {
    const { venue, fills, clock } = setup();
    venue.onMarketEvent(book([[100, 1]], [[101, 0.2], [101.5, 0.3], [102, 1]]));
    clock.advanceTo(1_050);
    const ack = await placeOk(venue, order('t1', 'buy', '101.5', '1', false));
    expect(ack).toEqual({ clientOrderId: 't1', status: 'accepted', venueOrderId: 'sim-1', ts: 1_050 });
    expect(fills.map((f) => [f.price, f.amount, f.liquidity, f.fee, f.remaining, f.ts])).toEqual([
      ['101', '0.2', 'taker', '0.0101', '0.8', 1_050], // 101 x 0.2 x 0.0005
      ['101.5', '0.3', 'taker', '0.015225', '0.5', 1_050],
    ]);
    expect(await venue.fetchOpenOrders(SYMBOL)).toEqual([
      { clientOrderId: 't1', venueOrderId: 'sim-1', symbol: SYMBOL, side: 'buy', price: '101.5', amount: '1', filled: '0.5', ts: 1_050 },
    ]);
    // The levels we took are gone for us, so an unchanged snapshot does not fill the rest.
    venue.onMarketEvent(book([[100, 1]], [[101, 0.2], [101.5, 0.3], [102, 1]]));
    expect(fills).toHaveLength(2);
    // A post-only order now sees 102 as the best ask.
    await placeOk(venue, order('p1', 'buy', '101.9', '0.1'));
  });

  it('charges maker and taker fees, and pays a negative maker fee as a rebate', async () => {
    const paid = setup();
    paid.venue.onMarketEvent(QUIET());
    await placeOk(paid.venue, order('m', 'buy', '100.5', '0.1'));
    paid.venue.onMarketEvent(trade(100.4, 1, 'sell'));
    await placeOk(paid.venue, order('t', 'sell', '100', '0.1', false));
    expect(paid.fills.map((f) => [f.liquidity, f.fee, f.feeCurrency])).toEqual([
      ['maker', '0.001005', 'USDT'], // 100.5 x 0.1 x 0.0001
      ['taker', '0.005', 'USDT'], // 100 x 0.1 x 0.0005
    ]);

    const rebate = setup({ makerFee: '-0.00025' });
    rebate.venue.onMarketEvent(QUIET());
    await placeOk(rebate.venue, order('m', 'sell', '100.8', '0.5'));
    rebate.venue.onMarketEvent(trade(100.9, 2, 'buy'));
    expect(rebate.fills.map((f) => f.fee)).toEqual(['-0.0126']); // -(100.8 x 0.5 x 0.00025)
    // The rebate is credited: quote = +50.4 notional + 0.0126.
    expect((await rebate.venue.fetchBalances())['USDT']?.total).toBe('50.4126');
  });

  it('a negative taker fee is a rebate too, and a zero fee is zero', async () => {
    const { venue, fills } = setup({ makerFee: '0', takerFee: '-0.0001' });
    venue.onMarketEvent(QUIET());
    await placeOk(venue, order('t', 'buy', '101', '0.1', false)); // takes 0.1 at 101
    await placeOk(venue, order('m', 'sell', '102', '0.1'));
    venue.onMarketEvent(trade(102.1, 1, 'buy'));
    expect(fills.map((f) => [f.liquidity, f.fee])).toEqual([['taker', '-0.00101'], ['maker', '0']]);
    // -10.1 + 0.00101 + 10.2 - 0
    expect((await venue.fetchBalances())['USDT']?.total).toBe('0.10101');
  });

  it('rejects invalid orders with a clear reason', async () => {
    const { venue } = setup();
    expect(await rejection(venue, order('n', 'buy', '100', '0.1'))).toBe('no market data');
    venue.onMarketEvent(QUIET());
    expect(await rejection(venue, order('a', 'buy', '100.05', '0.1'))).toMatch(/off the tick grid/);
    expect(await rejection(venue, order('b', 'buy', '100', '0.1005'))).toMatch(/off the lot grid/);
    expect(await rejection(venue, order('c', 'buy', '100', '0.01'))).toMatch(/below min notional 5/);
    expect(await rejection(venue, order('d', 'buy', '100', '0'))).toMatch(/amount must be > 0/);
    expect(await rejection(venue, order('e', 'buy', '100', '1e3'))).toMatch(/invalid amount/);
    expect(await rejection(venue, { ...order('f', 'buy', '100', '0.1'), symbol: 'ETHUSDT' })).toMatch(/unknown symbol/);
    await placeOk(venue, order('dup', 'buy', '100', '0.1'));
    expect(await rejection(venue, order('dup', 'buy', '99', '0.1'))).toMatch(/duplicate clientOrderId/);
    // Duplicates inside one batch too.
    const batch = await venue.placeOrders([order('x', 'sell', '102', '0.1'), order('x', 'sell', '103', '0.1')]);
    expect(batch.map((r) => r.status)).toEqual(['accepted', 'rejected']);
  });

  it('acks with deterministic venue ids and the clock time', async () => {
    const { venue, clock } = setup();
    venue.onMarketEvent(QUIET());
    clock.advanceTo(2_000);
    const results = await venue.placeOrders([order('a', 'buy', '99', '0.1'), order('b', 'sell', '102', '0.1')]);
    expect(results).toEqual([
      { clientOrderId: 'a', status: 'accepted', venueOrderId: 'sim-1', ts: 2_000 },
      { clientOrderId: 'b', status: 'accepted', venueOrderId: 'sim-2', ts: 2_000 },
    ]);
  });
});

describe('SimulatedVenue: self-trade prevention (expire taker)', () => {
  it('refuses a new order that would cross one of our resting orders, and keeps the resting one', async () => {
    const { venue, fills } = setup();
    venue.onMarketEvent(QUIET());
    await placeOk(venue, order('ask', 'sell', '100.8', '0.1'));
    await placeOk(venue, order('bid', 'buy', '100.2', '0.1'));
    const [cross] = await venue.placeOrders([order('b', 'buy', '100.9', '0.1', false)]);
    expect(cross).toMatchObject({ status: 'rejected', category: 'invalid-order', action: 'reject' });
    expect(cross?.status === 'rejected' && cross.reason).toBe('self-trade prevention (expire taker): would cross own sell order ask at 100.8');
    // Even when it would also take the market's ask first: refused whole, nothing traded.
    expect(await rejection(venue, order('b2', 'buy', '101', '0.1', false))).toMatch(/self-trade prevention.*ask at 100\.8/);
    expect(await rejection(venue, order('b3', 'buy', '100.8', '0.1'))).toMatch(/self-trade prevention/);
    expect(await rejection(venue, order('s', 'sell', '100.2', '0.1'))).toMatch(/own buy order bid at 100\.2/);
    expect(fills).toEqual([]);
    await placeOk(venue, order('b4', 'buy', '100.7', '0.1'));
    await placeOk(venue, order('s2', 'sell', '100.9', '0.1'));
    expect((await venue.fetchOpenOrders(SYMBOL)).map((o) => o.clientOrderId)).toEqual(['ask', 'bid', 'b4', 's2']);
  });

  it('a post-only order that would cross the market is still rejected as post-only first', async () => {
    const { venue } = setup();
    venue.onMarketEvent(QUIET());
    await placeOk(venue, order('ask', 'sell', '100.8', '0.1'));
    expect(await rejection(venue, order('b', 'buy', '101', '0.1'))).toBe('post-only would cross');
  });
});

describe('SimulatedVenue: cancels and balances', () => {
  it('cancel returns the remaining amount; a second cancel is unknown-order', async () => {
    const { venue, clock } = setup();
    venue.onMarketEvent(QUIET());
    await placeOk(venue, order('b1', 'buy', '100.5', '0.3'));
    venue.onMarketEvent(trade(100.2, 0.1, 'sell'));
    clock.advanceTo(1_500);
    expect(await venue.cancelOrders(SYMBOL, ['b1'])).toEqual([
      { clientOrderId: 'b1', status: 'cancelled', remaining: '0.2', ts: 1_500 },
    ]);
    const [again] = await venue.cancelOrders(SYMBOL, ['b1']);
    expect(again?.status).toBe('unknown-order');
    expect(await venue.fetchOpenOrders(SYMBOL)).toEqual([]);
  });

  it('a fully filled order cannot be cancelled; cancelAll cancels the rest', async () => {
    const { venue } = setup();
    venue.onMarketEvent(QUIET());
    await venue.placeOrders([order('f', 'buy', '100.5', '0.1'), order('r1', 'buy', '99', '0.1'), order('r2', 'sell', '102', '0.2')]);
    venue.onMarketEvent(trade(100.4, 0.1, 'sell'));
    const [filled] = await venue.cancelOrders(SYMBOL, ['f']);
    expect(filled?.status).toBe('unknown-order');
    const all = await venue.cancelAll(SYMBOL);
    expect(all.map((r) => [r.clientOrderId, r.status, r.status === 'cancelled' ? r.remaining : ''])).toEqual([
      ['r1', 'cancelled', '0.1'],
      ['r2', 'cancelled', '0.2'],
    ]);
    expect(await venue.cancelAll(SYMBOL)).toEqual([]);
  });

  it('moves balances by every fill and fee, and reports what open orders reserve', async () => {
    const { venue } = setup({}, { USDT: '1000' });
    venue.onMarketEvent(QUIET());
    await placeOk(venue, order('b1', 'buy', '100.5', '0.2'));
    venue.onMarketEvent(trade(100.4, 1, 'sell')); // buy 0.2 @ 100.5, maker fee 0.00201
    await placeOk(venue, order('s1', 'sell', '100', '0.1', false)); // sell 0.1 @ 100 taker, fee 0.005
    await placeOk(venue, order('s2', 'sell', '102', '0.05'));
    await placeOk(venue, order('b2', 'buy', '99', '0.1'));
    // USDT: 1000 - 20.1 - 0.00201 + 10 - 0.005 = 989.89299; BTC: 0.2 - 0.1 = 0.1
    expect(await venue.fetchBalances()).toEqual({
      BTC: { total: '0.1', used: '0.05', free: '0.05' },
      USDT: { total: '989.89299', used: '9.9', free: '979.99299' },
    });
  });

  it('lets balances go negative: paper mode does not enforce funds', async () => {
    const { venue } = setup();
    venue.onMarketEvent(QUIET());
    await placeOk(venue, order('s', 'sell', '100', '0.1', false));
    const balances = await venue.fetchBalances();
    expect(balances['BTC']?.total).toBe('-0.1');
    expect(balances['USDT']?.total).toBe('9.995');
  });
});

describe('SimulatedVenue: determinism and invariants', () => {
  async function runScript(): Promise<{ fills: Fill[]; results: OrderResult[] }> {
    bookSeq = 0;
    tradeSeq = 0;
    const { venue, fills, clock } = setup();
    const results: OrderResult[] = [];
    venue.onMarketEvent(QUIET());
    const events: MarketEvent[] = [
      trade(100.2, 0.05, 'sell', 1_100),
      book([[100.2, 1]], [[100.4, 0.1], [100.6, 1]], 1_200),
      trade(100.9, 0.4, 'buy', 1_300),
      trade(100.1, 1, 'sell', 1_400),
    ];
    results.push(...(await venue.placeOrders([
      order('b1', 'buy', '100.5', '0.3'),
      order('b2', 'buy', '100.3', '0.2'),
      order('s1', 'sell', '100.8', '0.25'),
    ])));
    for (const e of events) {
      clock.advanceTo(e.ts);
      venue.onMarketEvent(e);
      if (e.ts === 1_200) results.push(...(await venue.placeOrders([order('t1', 'sell', '100.2', '0.5', false)])));
    }
    return { fills, results };
  }

  it('the same event sequence gives identical fills, ids and timestamps', async () => {
    const first = await runScript();
    const second = await runScript();
    expect(first.fills.length).toBeGreaterThan(3);
    expect(second).toEqual(first);
  });

  type Action =
    | { kind: 'book'; mid: number; depth: number[] }
    | { kind: 'trade'; offset: number; size: number; aggressor: Side }
    | { kind: 'place'; side: Side; offset: number; lots: number; postOnly: boolean }
    | { kind: 'cancel'; index: number };

  const action: fc.Arbitrary<Action> = fc.oneof(
    fc.record({ kind: fc.constant('book' as const), mid: fc.integer({ min: -5, max: 5 }), depth: fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 4 }) }),
    fc.record({ kind: fc.constant('trade' as const), offset: fc.integer({ min: -8, max: 8 }), size: fc.integer({ min: 1, max: 60 }), aggressor: fc.constantFrom<Side>('buy', 'sell') }),
    fc.record({ kind: fc.constant('place' as const), side: fc.constantFrom<Side>('buy', 'sell'), offset: fc.integer({ min: -6, max: 6 }), lots: fc.integer({ min: 1, max: 40 }), postOnly: fc.boolean() }),
    fc.record({ kind: fc.constant('cancel' as const), index: fc.nat(20) }),
  );

  it.each<FillModel>(['queue', 'through'])('property (%s): an order never fills beyond its amount, and remaining = amount - filled', async (fillModel) => {
    let runs = 0;
    let runsWithFills = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 40 }), async (actions) => {
        // Tick 0.5 and lot 0.01 in floats that are exact in decimal: 100 + k/2, n/100.
        const { venue, fills } = setup({ tickSize: '0.5', lotSize: '0.01', minNotional: '0' }, undefined, { fillModel });
        const amounts = new Map<string, string>();
        let n = 0;
        runs++;
        venue.onMarketEvent(book([[99.5, 0.1]], [[100.5, 0.1]])); // most runs should get past 'no market data'
        for (const a of actions) {
          if (a.kind === 'book') {
            const mid = 100 + a.mid;
            venue.onMarketEvent(book(
              a.depth.map((s, i) => [mid - 0.5 * (i + 1), s / 100]),
              a.depth.map((s, i) => [mid + 0.5 * (i + 1), s / 100]),
            ));
          } else if (a.kind === 'trade') {
            venue.onMarketEvent(trade(100 + a.offset / 2, a.size / 100, a.aggressor));
          } else if (a.kind === 'place') {
            const id = `o${++n}`;
            const amount = toDecimalString(D(a.lots).div(100));
            const [r] = await venue.placeOrders([order(id, a.side, toDecimalString(100 + a.offset / 2), amount, a.postOnly)]);
            if (r?.status === 'accepted') amounts.set(id, amount);
          } else {
            await venue.cancelOrders(SYMBOL, [`o${a.index}`]);
          }
        }
        const filledById = new Map<string, ReturnType<typeof D>>();
        for (const f of fills) {
          const total = (filledById.get(f.clientOrderId) ?? D(0)).plus(f.amount);
          filledById.set(f.clientOrderId, total);
          const amount = amounts.get(f.clientOrderId);
          expect(amount).toBeDefined();
          expect(D(f.amount).gt(0)).toBe(true);
          expect(total.lte(amount!)).toBe(true);
          expect(f.remaining).toBe(toDecimalString(D(amount!).minus(total)));
        }
        for (const o of await venue.fetchOpenOrders(SYMBOL)) {
          expect(o.amount).toBe(amounts.get(o.clientOrderId));
          expect(o.filled).toBe(toDecimalString(filledById.get(o.clientOrderId) ?? D(0)));
          expect(D(o.filled).lt(o.amount)).toBe(true);
        }
        if (fills.length > 0) runsWithFills++;
      }),
      // Seeded: the coverage guard below counts runs, so it must not depend on the draw.
      { numRuns: 200, seed: 20261121 },
    );
    // Guard against a generator that never exercises matching.
    expect(runsWithFills).toBeGreaterThan(runs / 4);
  });
});
