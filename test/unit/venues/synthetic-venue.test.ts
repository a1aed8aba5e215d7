import { describe, expect, it } from '@jest/globals';
import { runSyntheticBacktest, syntheticEngineConfig, syntheticPairConfig } from '../../../src/backtest/synthetic-runner.js';
import { verifyDecisions } from '../../../src/audit/verify-decisions.js';
import { toJsonLine } from '../../../src/cli/event-format.js';
import { VirtualClock } from '../../../src/clock/clock.js';
import { ConfigError, parseEngineConfig } from '../../../src/config/engine-config.js';
import { silentLogger } from '../../../src/log/logger.js';
import type { BookEvent } from '../../../src/market-data/market-event.js';
import { MemoryEventStore } from '../../../src/store/memory-event-store.js';
import { fillProbability, SyntheticVenue, type SyntheticFillModel } from '../../../src/venues/synthetic-venue.js';
import type { Fill, MarketSpec, OrderRequest } from '../../../src/venues/venue.js';
import { projectPairs, summariseLog } from '../../../projections/log-summary.js';

const SPEC: MarketSpec = {
  venue: 'synthetic',
  symbol: 'SYNUSD',
  base: 'SYN',
  quote: 'USD',
  tickSize: '0.01',
  lotSize: '0.01',
  minNotional: '0',
  makerFee: '0',
  takerFee: '0',
};
const AS: SyntheticFillModel = { A: 140, k: 1.5, dt: 0.005 };

let seq = 0;
function book(bid: number, ask: number, ts: number): BookEvent {
  return { kind: 'book', venue: 'synthetic', symbol: 'SYNUSD', ts, sequence: ++seq, bids: [{ price: bid, size: 100 }], asks: [{ price: ask, size: 100 }] };
}

const order = (id: string, side: 'buy' | 'sell', price: string, extra: Partial<OrderRequest> = {}): OrderRequest => ({
  clientOrderId: id,
  symbol: 'SYNUSD',
  side,
  price,
  amount: '1',
  postOnly: true,
  reduceOnly: false,
  ...extra,
});

function setup(seed: number, spec: MarketSpec = SPEC, model: SyntheticFillModel = AS) {
  const clock = new VirtualClock(1_000);
  const venue = new SyntheticVenue({ markets: [spec], clock, model, seed });
  const fills: Fill[] = [];
  venue.watchFills('SYNUSD').subscribe((f) => fills.push(f));
  return { clock, venue, fills };
}

describe('the fill probability', () => {
  it('is 1 - exp(-A exp(-k delta) dt) and decreases with the distance from the mid', () => {
    expect(fillProbability(0, AS)).toBeCloseTo(1 - Math.exp(-0.7), 12);
    expect(fillProbability(1, AS)).toBeCloseTo(1 - Math.exp(-140 * Math.exp(-1.5) * 0.005), 12);
    const deltas = [-0.5, 0, 0.1, 0.5, 1, 2, 5];
    const ps = deltas.map((d) => fillProbability(d, AS));
    for (let i = 1; i < ps.length; i++) expect(ps[i]!).toBeLessThan(ps[i - 1]!);
    expect(fillProbability(1, { ...AS, A: 0 })).toBe(0);
  });

  it('empirical fill frequencies match the formula at several distances (fixed seed, 4-standard-error tolerance)', async () => {
    const { clock, venue, fills } = setup(99);
    const deltas = [0.05, 0.5, 1, 2];
    // Book 99.99 / 100.01: mid 100.
    const prices = deltas.flatMap((d) => [
      ['buy', (100 - d).toFixed(2)],
      ['sell', (100 + d).toFixed(2)],
    ]) as Array<['buy' | 'sell', string]>;
    const steps = 4000;
    let id = 0;
    const live = new Map<string, number>(); // clientOrderId -> index into prices
    const counts = prices.map(() => 0);
    const place = async (i: number): Promise<void> => {
      const [side, price] = prices[i]!;
      const cid = `o${++id}`;
      const [r] = await venue.placeOrders([order(cid, side, price)]);
      expect(r?.status).toBe('accepted');
      live.set(cid, i);
    };
    venue.onMarketEvent(book(99.99, 100.01, clock.now()));
    for (let i = 0; i < prices.length; i++) await place(i);
    for (let step = 0; step < steps; step++) {
      fills.length = 0;
      clock.advanceTo(clock.now() + 500);
      venue.drawFills();
      for (const f of fills) {
        const i = live.get(f.clientOrderId)!;
        counts[i]!++;
        live.delete(f.clientOrderId);
        await place(i);
      }
      clock.advanceTo(clock.now() + 500);
      venue.onMarketEvent(book(99.99, 100.01, clock.now()));
    }
    expect(venue.draws).toBe(steps * prices.length);
    prices.forEach(([side], i) => {
      const p = fillProbability(deltas[Math.floor(i / 2)]!, AS);
      const freq = counts[i]! / steps;
      const se = Math.sqrt((p * (1 - p)) / steps);
      expect({ side, delta: deltas[Math.floor(i / 2)], off: Math.abs(freq - p) < 4 * se }).toEqual({ side, delta: deltas[Math.floor(i / 2)], off: true });
    });
    // Ordered: closer quotes fill more often.
    const bidFreqs = counts.filter((_, i) => i % 2 === 0);
    expect([...bidFreqs].sort((a, b) => b - a)).toEqual(bidFreqs);
  });
});

describe('orders and fills', () => {
  it('fills a resting order in full at its own price, as maker, with the market maker fee', async () => {
    const spec = { ...SPEC, makerFee: '0.001' };
    const { clock, venue, fills } = setup(1, spec, { ...AS, A: 1e9 }); // p = 1 near the mid
    venue.onMarketEvent(book(99.99, 100.01, 1_000));
    await venue.placeOrders([order('b', 'buy', '99.95', { amount: '2.5' })]);
    clock.advanceTo(1_500);
    const drawn = venue.drawFills('SYNUSD');
    expect(fills).toEqual(drawn);
    expect(fills).toEqual([
      expect.objectContaining({ clientOrderId: 'b', side: 'buy', price: '99.95', amount: '2.5', remaining: '0', liquidity: 'maker', fee: '0.249875', feeCurrency: 'USD', ts: 1_500, venue: 'synthetic' }),
    ]);
    expect(await venue.fetchOpenOrders('SYNUSD')).toEqual([]);
    expect(await venue.fetchBalances()).toEqual({
      SYN: { free: '2.5', used: '0', total: '2.5' },
      USD: { free: '-250.124875', used: '0', total: '-250.124875' },
    });
  });

  it('rejects a post-only order that would cross the synthetic book; a crossing order without post-only takes the touch', async () => {
    const { venue, fills } = setup(1);
    expect(await venue.placeOrders([order('early', 'buy', '99.99')])).toEqual([expect.objectContaining({ status: 'rejected', reason: 'no market data' })]);
    venue.onMarketEvent(book(99.99, 100.01, 1_000));
    const results = await venue.placeOrders([
      order('b-cross', 'buy', '100.01'),
      order('s-cross', 'sell', '99.99'),
      order('b-ok', 'buy', '100'),
      order('s-ok', 'sell', '100'),
      order('liq', 'sell', '99.90', { postOnly: false, reduceOnly: true }),
    ]);
    expect(results.map((r) => [r.clientOrderId, r.status, r.status === 'rejected' ? r.reason : ''])).toEqual([
      ['b-cross', 'rejected', 'post-only would cross'],
      ['s-cross', 'rejected', 'post-only would cross'],
      ['b-ok', 'accepted', ''],
      ['s-ok', 'accepted', ''],
      ['liq', 'accepted', ''],
    ]);
    expect(fills).toEqual([expect.objectContaining({ clientOrderId: 'liq', price: '99.99', amount: '1', liquidity: 'taker', remaining: '0' })]);
    expect((await venue.fetchOpenOrders('SYNUSD')).map((o) => o.clientOrderId)).toEqual(['b-ok', 's-ok']);
  });

  it('validates the tick and lot grids, ids and symbols, and cancels like the simulated venue', async () => {
    const { venue } = setup(1);
    venue.onMarketEvent(book(99.99, 100.01, 1_000));
    const results = await venue.placeOrders([
      order('a', 'buy', '99.995'),
      order('b', 'buy', '99.9', { amount: '0.005' }),
      order('c', 'buy', '99.9', { symbol: 'OTHER' }),
      order('d', 'buy', '99.9'),
      order('d', 'buy', '99.8'),
    ]);
    expect(results.map((r) => (r.status === 'rejected' ? r.reason : r.status))).toEqual([
      'price 99.995 is off the tick grid 0.01',
      'amount 0.005 is off the lot grid 0.01',
      'unknown symbol OTHER',
      'accepted',
      'duplicate clientOrderId d',
    ]);
    await venue.placeOrders([order('e', 'sell', '100.5')]);
    expect(await venue.cancelOrders('SYNUSD', ['d', 'zz'])).toEqual([
      { clientOrderId: 'd', status: 'cancelled', remaining: '1', ts: 1_000 },
      { clientOrderId: 'zz', status: 'unknown-order', reason: 'no open order zz on SYNUSD', ts: 1_000 },
    ]);
    expect((await venue.cancelAll('SYNUSD')).map((r) => r.clientOrderId)).toEqual(['e']);
    expect(await venue.markets()).toEqual([SPEC]);
  });

  it('draws once per resting order per step; a book closes an undrawn step itself', async () => {
    const { clock, venue, fills } = setup(3, SPEC, { ...AS, A: 0 }); // never fills: count the draws
    venue.onMarketEvent(book(99.99, 100.01, 1_000));
    await venue.placeOrders([order('a', 'buy', '99.9'), order('b', 'sell', '100.1'), order('c', 'buy', '99.5')]);
    clock.advanceTo(1_500);
    venue.drawFills();
    venue.drawFills(); // second call in the same step: nothing
    expect(venue.draws).toBe(3);
    clock.advanceTo(2_000);
    venue.onMarketEvent(book(99.99, 100.01, 2_000)); // step drawn already
    expect(venue.draws).toBe(3);
    clock.advanceTo(3_000);
    venue.onMarketEvent(book(99.99, 100.01, 3_000)); // nobody drew step 2: the book does
    expect(venue.draws).toBe(6);
    expect(fills).toEqual([]);
  });

  it('measures delta from the mid in force during the step, not the next one', async () => {
    // p(1.00) ~ 1e-15, p(0) = 1: a bid 1.00 under the mid, then the mid drops onto it.
    const { clock, venue, fills } = setup(5, SPEC, { A: 1e6, k: 50, dt: 0.005 });
    venue.onMarketEvent(book(99.99, 100.01, 1_000));
    await venue.placeOrders([order('b', 'buy', '99')]);
    clock.advanceTo(2_000);
    venue.onMarketEvent(book(98.99, 99.01, 2_000)); // closes the step drawn against the mid of 100
    expect(fills).toEqual([]);
    clock.advanceTo(3_000);
    venue.onMarketEvent(book(98.99, 99.01, 3_000)); // this step's mid was 99
    expect(fills).toEqual([expect.objectContaining({ clientOrderId: 'b', price: '99', ts: 3_000 })]);
  });

  it('takes one uniform per order in arrival order (scripted random source)', async () => {
    const script = [0.99, 0.0, 0.99, 0.0];
    const random = { nextDouble: () => script.shift() ?? 1, nextUint32: () => 0, nextNormal: () => 0 };
    const clock = new VirtualClock(1_000);
    const venue = new SyntheticVenue({ markets: [SPEC], clock, model: AS, random });
    const fills: Fill[] = [];
    venue.watchFills('SYNUSD').subscribe((f) => fills.push(f));
    venue.onMarketEvent(book(99.99, 100.01, 1_000));
    await venue.placeOrders([order('first', 'sell', '100.5'), order('second', 'buy', '99.5'), order('third', 'buy', '99.9'), order('fourth', 'sell', '100.1')]);
    venue.drawFills();
    expect(fills.map((f) => f.clientOrderId)).toEqual(['second', 'fourth']);
  });

  it('same seed, same fills; another seed, other fills', async () => {
    const run = async (seed: number): Promise<string> => {
      const { clock, venue, fills } = setup(seed);
      for (let step = 0; step < 50; step++) {
        clock.advanceTo(1_000 + step * 1_000);
        venue.onMarketEvent(book(99.99, 100.01, clock.now()));
        const open = new Set((await venue.fetchOpenOrders('SYNUSD')).map((o) => o.clientOrderId));
        const wanted = [order(`b${step}`, 'buy', '99.7'), order(`s${step}`, 'sell', '100.3')].filter((o) => !open.has(o.clientOrderId));
        await venue.cancelAll('SYNUSD');
        await venue.placeOrders(wanted);
        clock.advanceTo(clock.now() + 500);
        venue.drawFills();
      }
      return JSON.stringify(fills);
    };
    const a = await run(17);
    expect(await run(17)).toBe(a);
    expect(await run(18)).not.toBe(a);
    expect(JSON.parse(a).length).toBeGreaterThan(10);
  });

  it('forwards books and feed events, ignores prints for fills, completes its streams on close', () => {
    const { venue, fills } = setup(1);
    const seen: string[] = [];
    let completed = 0;
    venue.watchBook('SYNUSD').subscribe({ next: (e) => seen.push(e.kind), complete: () => completed++ });
    venue.watchTrades('SYNUSD').subscribe({ next: (e) => seen.push(e.kind), complete: () => completed++ });
    venue.onMarketEvent(book(99.99, 100.01, 1_000));
    venue.onMarketEvent({ kind: 'trade', venue: 'synthetic', symbol: 'SYNUSD', ts: 1_000, tradeId: 't', price: 50, size: 1000, aggressor: 'sell' });
    venue.onMarketEvent({ kind: 'feed-problem', venue: 'synthetic', symbol: 'SYNUSD', ts: 1_000, problem: 'gap', detail: 'x' });
    venue.close();
    expect(seen).toEqual(['book', 'trade', 'feed-problem']);
    expect(completed).toBe(2);
    expect(fills).toEqual([]);
    let failed = false;
    venue.watchBook('NOPE').subscribe({ error: () => (failed = true) });
    expect(failed).toBe(true);
  });
});

describe('runSyntheticBacktest', () => {
  const params = { T: 0.25 }; // 50 steps of 1 s

  it('runs paths end to end through the pair runtime and returns per-path and aggregate statistics', async () => {
    const store = new MemoryEventStore();
    const result = await runSyntheticBacktest({ params, paths: 3, seed: 7, store, config: syntheticEngineConfig(params), logger: silentLogger() });
    expect(result.market).toMatchObject({ steps: 50, stepMs: 1000, A: 140, k: 1.5 });
    expect(result.paths).toHaveLength(3);
    for (const p of result.paths) {
      expect(p.netPnl).toMatch(/^-?\d+(\.\d+)?$/);
      expect(p.position).toMatch(/^-?\d+(\.\d+)?$/);
      expect(Number.isInteger(p.fills) && p.fills > 0).toBe(true);
      expect(p.decisions).toBeGreaterThan(40);
      expect(p.meanQuotedSpread).toBeGreaterThan(0);
      expect(p.summary.state).toBe('stopped');
      expect(p.stream).toBe(`pair-synthetic-SYN_USD-path000${p.path}`);
    }
    const pnl = result.paths.map((p) => Number(p.netPnl));
    const mean = pnl.reduce((a, b) => a + b, 0) / 3;
    expect(result.netPnl.mean).toBeCloseTo(mean, 9);
    expect(result.netPnl.std).toBeCloseTo(Math.sqrt(pnl.reduce((a, x) => a + (x - mean) ** 2, 0) / 2), 9);
    expect(result.position.std).toBeGreaterThanOrEqual(0);
    expect(result.meanQuotedSpread).toBeGreaterThan(0);
    expect(new Set(result.paths.map((p) => p.marketSeed)).size).toBe(3);

    // The log is a normal, auditable one: a replay gives the same numbers, every decision recomputes.
    const events = await store.readAll();
    expect(await store.listStreams()).toEqual(result.paths.map((p) => p.stream));
    const replayed = summariseLog(projectPairs(events));
    for (const p of result.paths) expect(replayed[`synthetic-SYN_USD-path000${p.path}`]).toEqual(p.summary);
    expect(verifyDecisions(events)).toMatchObject({ mismatches: 0, streams: 3 });
    // Fills happen inside the step (half-way), timestamps are data time.
    const fillTimes = events.filter((e) => e.type === 'OrderFilled').map((e) => Date.parse(e.time) - result.market.startMs);
    expect(fillTimes.length).toBeGreaterThan(0);
    for (const t of fillTimes) expect(t % 1000).toBe(500);
  });

  it('same seed, identical results; another seed, different; path i does not depend on the number of paths', async () => {
    const logs: string[] = [];
    const run = async (seed: number, paths: number) => {
      const store = new MemoryEventStore();
      const result = await runSyntheticBacktest({ params, paths, seed, store, config: syntheticEngineConfig(params), logger: silentLogger() });
      logs.push((await store.readAll()).map(toJsonLine).join('\n'));
      return result;
    };
    const a = await run(1, 2);
    const b = await run(1, 2);
    const c = await run(2, 2);
    const d = await run(1, 1);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(logs[1]).toBe(logs[0]); // byte-identical event logs
    expect(c.paths.map((p) => p.netPnl)).not.toEqual(a.paths.map((p) => p.netPnl));
    expect(d.paths[0]).toEqual(a.paths[0]);
  });

  it('needs market rules for the synthetic pair in the config, with the synthetic tick', async () => {
    const base = { params, paths: 1, seed: 1, logger: silentLogger() };
    await expect(runSyntheticBacktest({ ...base, config: parseEngineConfig({}, 'test') })).rejects.toThrow(/no market rules for synthetic SYNUSD/);
    const coarse = parseEngineConfig({ pairs: [syntheticPairConfig(params, { market: { tickSize: '0.05' } })] }, 'test');
    await expect(runSyntheticBacktest({ ...base, config: coarse })).rejects.toThrow(/tick 0.05 but the synthetic book is built on tick 0.01/);
    await expect(runSyntheticBacktest({ ...base, paths: 0, config: syntheticEngineConfig(params) })).rejects.toThrow(ConfigError);
  });
});
