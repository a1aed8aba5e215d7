import { describe, expect, it } from '@jest/globals';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { book, runtimeHarness, STREAM, T0, trade } from './runtime-harness.js';

/** Risk and toxicity pauses through the production wiring: the log records them, the venue is emptied, the timers run on the clock. */
describe('pair runtime: risk and toxicity pauses', () => {
  it('one-sided market flow pauses (toxic-flow) and cancels everything; the pair quotes again after the calm period', async () => {
    const store = new MemoryEventStore();
    const h = runtimeHarness(store, { params: { toxicity: { calmPeriodMs: 10_000, tradeImbalance: { enabled: true, windowMs: 1_000, threshold: 0.7, minTrades: 5 } } } });
    await h.runtime.start();
    await h.feed(book(T0 + 100, 60_000, 60_000.01));
    expect((await h.venue.fetchOpenOrders('BTCUSDT')).length).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) await h.feed(trade(T0 + 200 + i * 10, 60_000.01, 0.5, 'buy'));
    expect(h.runtime.state.state).toBe('paused');
    expect(await h.venue.fetchOpenOrders('BTCUSDT')).toHaveLength(0);
    const events = await store.readStream(STREAM);
    const detected = events.find((e) => e.type === 'AdverseSelectionDetected');
    expect(detected?.data).toMatchObject({ signal: 'trade-imbalance', value: 1, threshold: 0.7, calmUntil: T0 + 240 + 10_000 });
    for (let t = T0 + 1_000; t <= T0 + 12_000; t += 1_000) await h.feed(book(t, 60_000, 60_000.01));
    expect(h.runtime.state.state).toBe('quoting');
    expect((await h.venue.fetchOpenOrders('BTCUSDT')).length).toBeGreaterThan(0);
    const types = (await store.readStream(STREAM)).map((e) => e.type);
    expect(types.indexOf('Resumed')).toBeGreaterThan(types.indexOf('Paused'));
    expect(types.lastIndexOf('OrderPlaced')).toBeGreaterThan(types.indexOf('Resumed'));
  });

  it('a mid outside the price band pauses (risk-limit) with RiskLimitBreached; back inside, it quotes again', async () => {
    const store = new MemoryEventStore();
    const h = runtimeHarness(store, { params: { risk: { priceCeiling: 60_100 } } });
    await h.runtime.start();
    await h.feed(book(T0 + 100, 60_000, 60_000.01));
    await h.feed(book(T0 + 1_000, 60_200, 60_200.01));
    expect(h.runtime.state.state).toBe('paused');
    expect(await h.venue.fetchOpenOrders('BTCUSDT')).toHaveLength(0);
    const breach = (await store.readStream(STREAM)).find((e) => e.type === 'RiskLimitBreached');
    expect(breach?.data).toEqual({ limit: 'price-band', value: '60200.005', threshold: '60100', action: 'pause until back inside the limit' });
    await h.feed(book(T0 + 2_000, 60_050, 60_050.01));
    expect(h.runtime.state.state).toBe('quoting');
    expect((await h.venue.fetchOpenOrders('BTCUSDT')).length).toBeGreaterThan(0);
  });
});
