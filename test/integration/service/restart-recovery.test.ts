import { describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../../src/clock/clock.js';
import { StrategyParamsSchema } from '../../../src/config/strategy-params.js';
import { silentLogger } from '../../../src/log/logger.js';
import type { BookEvent, TradeEvent } from '../../../src/market-data/market-event.js';
import { PairRuntime } from '../../../src/service/pair-runtime.js';
import { MemoryEventStore } from '../../../src/store/memory-event-store.js';
import { SimulatedVenue } from '../../../src/venues/simulated-venue.js';
import { BTCUSDT_SPOT } from '../../fixtures/markets.js';
import { STREAM, T0 } from '../runtime-harness.js';

/**
 * Restart recovery, in process: a runtime is dropped without a word
 * (`abandon()`, what SIGKILL does to it), time and the venue move on, and a
 * new runtime on the same store and the same venue takes over.
 */
const book = (ts: number, bid: number): BookEvent => ({
  kind: 'book',
  venue: 'binance',
  symbol: 'BTCUSDT',
  ts,
  sequence: ts,
  bids: [{ price: bid, size: 2 }, { price: bid - 0.5, size: 2 }],
  asks: [{ price: bid + 0.1, size: 2 }, { price: bid + 0.6, size: 2 }],
});
const trade = (ts: number, price: number, size: number, aggressor: 'buy' | 'sell'): TradeEvent => ({ kind: 'trade', venue: 'binance', symbol: 'BTCUSDT', ts, tradeId: `x${ts}`, price, size, aggressor });

function world(opts: { checkBalances?: boolean; params?: unknown } = {}) {
  const clock = new VirtualClock(T0);
  const store = new MemoryEventStore();
  const venue = new SimulatedVenue({ id: 'binance', markets: [BTCUSDT_SPOT], clock, fillModel: 'through', balances: { BTC: '1', USDT: '100000' } });
  const params = StrategyParamsSchema.parse(opts.params ?? {});
  let n = 0;
  const runtime = () =>
    new PairRuntime({
      pairId: 'binance-BTC_USDT',
      stream: STREAM,
      market: BTCUSDT_SPOT,
      params,
      store,
      venue,
      clock,
      logger: silentLogger(),
      instanceId: `run-${++n}`,
      mode: 'backtest',
      ...(opts.checkBalances ? { checkBalances: true } : {}),
    });
  let current: PairRuntime | null = null;
  const feed = async (event: BookEvent | TradeEvent) => {
    clock.advanceTo(event.ts);
    await current?.drain();
    venue.onMarketEvent(event);
    await current?.drain();
  };
  const at = async (ts: number) => {
    clock.advanceTo(ts);
    await current?.drain();
  };
  const start = async () => {
    current = runtime();
    await current.start();
    await current.drain();
    return current;
  };
  const types = async () => (await store.readStream(STREAM)).map((e) => e.type);
  return { clock, store, venue, feed, at, start, types, params };
}

describe('restart recovery', () => {
  it('a pair in shock-cooldown resumes the SAME recorded cooldown after a kill, and clears at that deadline', async () => {
    const w = world();
    const rt1 = await w.start();
    for (let i = 1; i <= 5; i++) await w.feed(book(T0 + i * 200, 60_000));
    expect(rt1.state.state).toBe('quoting');
    await w.feed(book(T0 + 1_400, 62_000)); // +3.3 % inside the 5 s window
    const shock = (await w.store.readStream(STREAM)).find((e) => e.type === 'ShockDetected');
    expect(shock?.type).toBe('ShockDetected');
    const cooldownUntil = shock!.type === 'ShockDetected' ? shock!.data.cooldownUntil : 0;
    expect(cooldownUntil).toBe(T0 + 1_400 + w.params.shock.cooldownMs);

    rt1.abandon();
    await w.at(T0 + 11_400); // down for 10 s
    const rt2 = await w.start();
    expect(rt2.machine()?.state).toBe('shock-cooldown');
    expect(rt2.machine()?.context.shock?.cooldownUntil).toBe(cooldownUntil);
    const restored = (await w.store.readStream(STREAM)).filter((e) => e.type === 'StateRestored');
    expect(restored.map((e) => e.data)).toEqual([expect.objectContaining({ to: 'shock-cooldown', cooldownUntil, rearms: 0, referencePrice: '62000.05' })]);

    // Prices hold in the band; nothing before the recorded deadline (not a fresh 30 s from the restart).
    for (let t = T0 + 12_000; t < cooldownUntil; t += 1_000) await w.feed(book(t, 62_010));
    expect(rt2.machine()?.state).toBe('shock-cooldown');
    expect(await w.types()).not.toContain('ShockCleared');
    await w.at(cooldownUntil);
    await w.feed(book(cooldownUntil + 1, 62_010));
    const log = await w.store.readStream(STREAM);
    const cleared = log.find((e) => e.type === 'ShockCleared');
    expect(cleared).toBeDefined();
    expect(Date.parse(cleared!.time)).toBe(cooldownUntil);
    expect(rt2.state.state).toBe('quoting');
    expect(rt2.machine()?.state).toBe('quoting');
  });

  it('a toxicity pause survives a kill with its recorded calm-period deadline, and resumes at it (not a fresh period)', async () => {
    const calmPeriodMs = 10_000;
    const w = world({ params: { toxicity: { calmPeriodMs, tradeImbalance: { enabled: true, windowMs: 1_000, threshold: 0.7, minTrades: 5 } } } });
    const rt1 = await w.start();
    for (let i = 1; i <= 3; i++) await w.feed(book(T0 + i * 200, 60_000));
    expect(rt1.machine()?.state).toBe('quoting');
    for (let i = 0; i < 6; i++) await w.feed(trade(T0 + 700 + i * 10, 60_000.1, 0.5, 'buy'));
    await w.feed(book(T0 + 800, 60_000));
    const paused = (await w.store.readStream(STREAM)).find((e) => e.type === 'Paused');
    expect(paused?.type === 'Paused' && paused.data.reason).toBe('toxic-flow');
    const resumeAt = paused?.type === 'Paused' ? Number(paused.data.numbers['resumeAt']) : NaN;
    expect(resumeAt).toBeGreaterThan(T0 + 800);

    rt1.abandon();
    await w.at(T0 + 3_000);
    const rt2 = await w.start();
    expect(rt2.machine()?.state).toBe('paused');
    expect(rt2.machine()?.context.risk.hold?.until).toBe(resumeAt);
    // Calm books before the deadline do not resume it early...
    for (let t = T0 + 3_500; t < resumeAt; t += 1_000) await w.feed(book(t, 60_000));
    expect(rt2.machine()?.state).toBe('paused');
    // ...and at the recorded deadline it resumes by itself.
    await w.at(resumeAt);
    await w.feed(book(resumeAt + 1, 60_000));
    expect(rt2.machine()?.state).toBe('quoting');
    const resumed = (await w.store.readStream(STREAM)).filter((e) => e.type === 'Resumed');
    expect(resumed.length).toBe(1);
  });

  it('an operator pause survives the restart (no auto-resume); quoting resumes only when an operator says so', async () => {
    const w = world();
    const rt1 = await w.start();
    for (let i = 1; i <= 3; i++) await w.feed(book(T0 + i * 200, 60_000));
    await rt1.operator('pause', 'alice (operator)', 'investigating');
    rt1.abandon();
    const rt2 = await w.start();
    for (let i = 1; i <= 10; i++) await w.feed(book(T0 + 1_000 + i * 500, 60_000));
    expect(rt2.machine()?.state).toBe('paused');
    expect(rt2.machine()?.context.pause).toEqual({ reason: 'operator', detail: 'alice (operator): investigating' });
    expect((await w.venue.fetchOpenOrders('BTCUSDT')).length).toBe(0);
    await rt2.operator('resume', 'alice (operator)', 'fine');
    await w.feed(book(T0 + 7_000, 60_000));
    expect(rt2.machine()?.state).toBe('quoting');
    expect((await w.venue.fetchOpenOrders('BTCUSDT')).length).toBeGreaterThan(0);
  });

  it('reconciles before quoting: a missed fill is appended, an unknown venue order is cancelled, a balance mismatch pauses', async () => {
    const w = world({ checkBalances: true });
    const rt1 = await w.start();
    for (let i = 1; i <= 3; i++) await w.feed(book(T0 + i * 200, 60_000));
    const ours = await w.venue.fetchOpenOrders('BTCUSDT');
    const bid = ours.filter((o) => o.side === 'buy').sort((a, b) => Number(b.price) - Number(a.price))[0]!;
    rt1.abandon();

    // While it is down: someone places two orders by hand on the account; a print fills our best bid and one of them.
    await w.venue.placeOrders([
      { clientOrderId: 'manual-fill', symbol: 'BTCUSDT', side: 'buy', price: bid.price, amount: '0.001', postOnly: false, reduceOnly: false },
      { clientOrderId: 'manual-open', symbol: 'BTCUSDT', side: 'buy', price: '50000', amount: '0.001', postOnly: false, reduceOnly: false },
    ]);
    await w.feed(trade(T0 + 1_000, Number(bid.price) - 1, 5, 'sell'));
    const missed = (await w.venue.fetchMyTrades('BTCUSDT')).filter((f) => f.clientOrderId === bid.clientOrderId);
    expect(missed.length).toBeGreaterThan(0);

    const before = (await w.store.readStream(STREAM)).length;
    const rt2 = await w.start();
    const after = (await w.store.readStream(STREAM)).slice(before);
    const types = after.map((e) => e.type);
    // Fill recovered exactly once, after its correction note.
    const filled = after.filter((e) => e.type === 'OrderFilled');
    expect(filled.map((e) => (e.type === 'OrderFilled' ? e.data.tradeId : ''))).toEqual(missed.map((f) => f.tradeId));
    expect(types.indexOf('ReconciliationCorrected')).toBeLessThan(types.indexOf('OrderFilled'));
    // The unknown open order is cancelled at the venue and recorded.
    expect(after.some((e) => e.type === 'ReconciliationCorrected' && e.data.subject === 'order manual-open' && e.data.action === 'cancelled at the venue')).toBe(true);
    const left = (await w.venue.fetchOpenOrders('BTCUSDT')).map((o) => o.clientOrderId);
    expect(left).not.toContain('manual-open');
    // The hand-made fill moved the venue's BTC without the log: recorded, and the pair pauses for an operator.
    const check = after.find((e) => e.type === 'VenueBalanceChecked');
    expect(check?.data).toMatchObject({ agrees: false });
    expect(after.some((e) => e.type === 'ReconciliationCorrected' && e.data.subject === 'balance BTC')).toBe(true);
    expect(rt2.machine()?.context.pause?.reason).toBe('reconciliation');
    // Only then would it quote: nothing decided after the restart, and it stays paused on fresh data.
    for (let i = 1; i <= 5; i++) await w.feed(book(T0 + 2_000 + i * 300, 60_000));
    expect(rt2.machine()?.state).toBe('paused');
    expect((await w.store.readStream(STREAM)).slice(before).some((e) => e.type === 'QuoteDecided')).toBe(false);
    expect(rt2.state.tradeIds.size).toBe(new Set((await w.store.readStream(STREAM)).filter((e) => e.type === 'OrderFilled').map((e) => (e.type === 'OrderFilled' ? e.data.tradeId : ''))).size);
  });
});
