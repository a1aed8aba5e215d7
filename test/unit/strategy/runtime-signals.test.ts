import { describe, expect, it } from '@jest/globals';
import { MemoryEventStore } from '../../../src/store/memory-event-store.js';
import { book, runtimeHarness, STREAM, T0 } from '../../integration/runtime-harness.js';

/*
 * The pair runtime (real machine, simulated venue, in-memory store) carries
 * the book depth and external mids to the quoting rules.
 */
describe('pair runtime: signals for the quoting rules', () => {
  it('the BOOK event carries the depth, so the touch sizes reach a microprice decision', async () => {
    const store = new MemoryEventStore();
    const h = runtimeHarness(store, { params: { reference: { source: 'microprice' } } });
    await h.runtime.start();
    await h.feed(book(T0 + 100, 60_000, 60_000.02, 3));
    const decided = (await store.readStream(STREAM)).filter((e) => e.type === 'QuoteDecided');
    const last = decided.at(-1);
    if (last?.type !== 'QuoteDecided') throw new Error('no decision');
    expect(last.data.inputs.signals).toMatchObject({ bestBidSize: '3', bestAskSize: '3', bookImbalance: '0', depthBidAvgSize: '3' });
    await h.runtime.stop('test over');
  });

  it('pushExternalMid refuses a bad mid with the venue and the value, and records a good one', async () => {
    const store = new MemoryEventStore();
    const h = runtimeHarness(store, { params: { reference: { source: 'external-mid' } } });
    await h.runtime.start();
    await h.feed(book(T0 + 100, 60_000, 60_000.02));
    expect(() => h.runtime.pushExternalMid('okx', Number.NaN)).toThrow('external mid from okx: mid must be a finite number > 0, got NaN');
    expect(() => h.runtime.pushExternalMid('', 60_000)).toThrow(/venue must be a non-empty string/);
    h.clock.advanceTo(T0 + 400); // past minQuoteIntervalMs, so the external mid requotes at once
    h.runtime.pushExternalMid('okx', 60_010);
    await h.runtime.drain();
    const last = (await store.readStream(STREAM)).filter((e) => e.type === 'QuoteDecided').at(-1);
    if (last?.type !== 'QuoteDecided') throw new Error('no decision');
    expect(last.data.inputs.signals).toMatchObject({ externalMid: '60010', externalVenue: 'okx' });
    await h.runtime.stop('test over');
  });
});
