import { describe, expect, it } from '@jest/globals';
import { pairHarness, T0 } from '../machines/pair-machine-harness.js';

/*
 * The pair machine folds the quoting-rule signals from its events and records
 * them in QuoteDecided (here through the real machine on a virtual clock).
 */

const depth = {
  bidSizes: [3, 1],
  askSizes: [1, 1],
  bandBidSize: 4,
  bandBidLevels: 2,
  bandAskSize: 2,
  bandAskLevels: 2,
};

describe('pair machine: quoting signals', () => {
  it('EXTERNAL_MID requotes a pair priced off it at once, and is recorded with its venue and age', () => {
    const h = pairHarness({ params: { reference: { source: 'external-mid', maxAgeMs: 5_000 }, orders: { minQuoteIntervalMs: 0 } } });
    h.start();
    h.book(T0 + 10, 61800, 61800.02);
    h.send({ type: 'EXTERNAL_MID', ts: T0 + 20, venue: 'okx', mid: 61830 });
    const d = h.last('QuoteDecided');
    expect(d?.data.inputs.ts).toBe(T0 + 20);
    expect(d?.data.inputs.signals).toMatchObject({ externalMid: '61830', externalVenue: 'okx', externalMidAgeMs: '0' });
    expect(d?.data.output.rules[0]).toMatchObject({ rule: 'reference-price', detail: { source: 'external-mid', price: 61830, venue: 'okx' } });
    // A later book with the same ladder records nothing new; the age grows with data time.
    h.send({ type: 'EXTERNAL_MID', ts: T0 + 40, venue: 'okx', mid: 61840 });
    expect(h.last('QuoteDecided')?.data.inputs.signals).toMatchObject({ externalMid: '61840' });
    expect(h.errors).toEqual([]);
  });

  it('the book depth, trades and own fills reach the recorded signals; the default params record none', () => {
    const h = pairHarness({ params: { pressure: { enabled: true, levels: 2 }, adverseSelection: { enabled: true } } });
    h.start();
    h.send({ type: 'BOOK', ts: T0 + 10, bestBid: 61800, bestAsk: 61800.02, depth });
    h.send({ type: 'TRADE', ts: T0 + 20, price: 61800.02, size: 0.5, aggressor: 'buy' });
    h.send({ type: 'POSITION', ts: T0 + 30, position: '0.001', fill: { side: 'buy', price: 61800, amount: 0.001, fee: 0, liquidity: 'maker' } });
    h.send({ type: 'BOOK', ts: T0 + 400, bestBid: 61800, bestAsk: 61800.02, depth });
    const s = h.last('QuoteDecided')?.data.inputs.signals;
    expect(s).toMatchObject({ bestBidSize: '3', bestAskSize: '1', bookImbalance: '0.3333333333333333', tradeFlowImbalance: '1', fillsPerMinute: '1', lastTradePrice: '61800.02' });

    const plain = pairHarness();
    plain.start();
    plain.send({ type: 'BOOK', ts: T0 + 10, bestBid: 61800, bestAsk: 61800.02, depth });
    expect(plain.last('QuoteDecided')?.data.inputs.signals).toBeUndefined();
  });
});
