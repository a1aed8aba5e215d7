import { describe, expect, it } from '@jest/globals';
import type { RecordedEvent } from '../../events/envelope.js';
import { verifyDecisions } from '../../src/audit/verify-decisions.js';
import { ConfigError } from '../../src/config/config-errors.js';
import { applyParamsPatch } from '../../src/config/params-patch.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { book, runtimeHarness, STREAM, T0 } from './runtime-harness.js';

const quotes = (events: readonly RecordedEvent[]) => events.filter((e) => e.type === 'QuoteDecided').map((e) => (e.type === 'QuoteDecided' ? e : null)!);

/** Level-0 spread of a decision, in price units. */
const spreadOf = (e: ReturnType<typeof quotes>[number]): number => Number(e.data.output.asks[0]?.price) - Number(e.data.output.bids[0]?.price);

async function runWithChange() {
  const store = new MemoryEventStore();
  const h = runtimeHarness(store);
  await h.runtime.start();
  let ts = T0;
  for (let i = 0; i < 20; i++) await h.feed(book((ts += 300), 60_000 + (i % 3), 60_000.01 + (i % 3)));
  const params = applyParamsPatch(h.runtime.params, { baseSpreadBps: 20, ladder: { levels: 1 } });
  const version = await h.runtime.changeParams(params, 'alice', 'wider spread for the news');
  for (let i = 0; i < 20; i++) await h.feed(book((ts += 300), 60_000 + (i % 3), 60_000.01 + (i % 3)));
  await h.runtime.stop('test over');
  return { store, h, version, events: await store.readStream(STREAM) };
}

describe('parameter changes at runtime (a backtest in virtual time)', () => {
  it('records ParametersChanged with the next version; every later decision names it and uses the new parameters', async () => {
    const { events, version, h } = await runWithChange();
    expect(version).toBe(2);
    expect(h.runtime.params.baseSpreadBps).toBe(20);
    const changeAt = events.findIndex((e) => e.type === 'ParametersChanged');
    const change = events[changeAt];
    expect(change?.type === 'ParametersChanged' && change.data).toMatchObject({ paramsVersion: 2, changedBy: 'alice', reason: 'wider spread for the news' });
    expect(change?.metadata.configVersion).toBe(2);

    const before = quotes(events.slice(0, changeAt));
    const after = quotes(events.slice(changeAt));
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    for (const q of before) expect(q.data.paramsVersion).toBe(1);
    for (const q of after) {
      expect(q.data.paramsVersion).toBe(2);
      expect(q.metadata.configVersion).toBe(2);
      expect(q.data.output.bids).toHaveLength(1);
      // 20 bps of ~60 000 = 120: far wider than the 4 bps (24) before.
      expect(spreadOf(q)).toBeGreaterThan(100);
    }
    for (const q of before) expect(spreadOf(q)).toBeLessThan(40);
    // The first decision on the new parameters comes at once, not at the next book.
    expect(events[changeAt + 1]?.type).toBe('QuoteDecided');
  });

  it('replay verifies every decision with the parameters of the version it names: 0 mismatches', async () => {
    const { events } = await runWithChange();
    const report = verifyDecisions(events);
    expect(report.decisionsChecked).toBeGreaterThan(2);
    expect(report.mismatches).toBe(0);
  });

  it('a decision whose recorded params version is tampered with is a mismatch', async () => {
    const { events } = await runWithChange();
    const changeAt = events.findIndex((e) => e.type === 'ParametersChanged');
    const target = events.findIndex((e, i) => i > changeAt && e.type === 'QuoteDecided');
    const tampered = events.map((e, i) => (i === target && e.type === 'QuoteDecided' ? { ...e, data: { ...e.data, paramsVersion: 1 } } : e)) as RecordedEvent[];
    const report = verifyDecisions(tampered);
    expect(report.mismatches).toBe(1);
    expect(report.firstMismatches[0]?.revision).toBe(events[target]?.revision);
    expect(report.firstMismatches[0]?.differences.length).toBeGreaterThan(0);
    // A version the log never recorded is named as such.
    const unknown = events.map((e, i) => (i === target && e.type === 'QuoteDecided' ? { ...e, data: { ...e.data, paramsVersion: 7 } } : e)) as RecordedEvent[];
    expect(verifyDecisions(unknown).firstMismatches[0]?.problems).toContain('parameters version 7 is not in the log before this decision');
  });

  it('the order manager takes the new orders.* settings: a shorter maximum order age replaces resting orders sooner', async () => {
    const store = new MemoryEventStore();
    const h = runtimeHarness(store);
    await h.runtime.start();
    let ts = T0;
    const steady = async (n: number) => {
      for (let i = 0; i < n; i++) await h.feed(book((ts += 500), 60_000, 60_000.01));
    };
    const maxAgeCancels = async () =>
      (await store.readStream(STREAM)).filter((e) => e.type === 'OrderCancelled' && /max-age/.test(e.data.reason)).length;
    await steady(20); // 10 s, under the default 60 s maximum age
    expect(await maxAgeCancels()).toBe(0);
    await h.runtime.changeParams(applyParamsPatch(h.runtime.params, { orders: { maxOrderAgeMs: 2_000 } }), 'bob', 'refresh more often');
    await steady(20);
    expect(await maxAgeCancels()).toBeGreaterThan(0);
    await h.runtime.stop('test over');
  });

  it('invalid parameters are refused with a ConfigError and nothing is recorded; a stopped pair refuses changes', async () => {
    const store = new MemoryEventStore();
    const h = runtimeHarness(store);
    await h.runtime.start();
    await h.feed(book(T0 + 300, 60_000, 60_000.01));
    const bad = { ...h.runtime.params, baseSpreadBps: -1 };
    await expect(h.runtime.changeParams(bad, 'eve', 'oops')).rejects.toThrow(ConfigError);
    await expect(h.runtime.changeParams(bad, 'eve', 'oops')).rejects.toThrow('baseSpreadBps: -1 is out of range (must be > 0 and <= 10000)');
    expect((await store.readStream(STREAM)).some((e) => e.type === 'ParametersChanged')).toBe(false);
    await h.runtime.stop('done');
    await expect(h.runtime.changeParams(h.runtime.params, 'eve', 'late')).rejects.toThrow(/stopping/);
  });
});
