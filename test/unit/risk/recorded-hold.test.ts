import { describe, expect, it } from '@jest/globals';
import { recordedRiskHold } from '../../../src/risk/recorded-hold.js';
import { pairHarness, T0 } from '../machines/pair-machine-harness.js';

describe('the risk hold a stream ended in, from its events alone', () => {
  it('a toxicity pause, with the deadline moved by a calm period that ran on', () => {
    const h = pairHarness({ params: { toxicity: { tradeImbalance: { enabled: true, threshold: 0.6, minTrades: 5 } } } });
    h.start();
    h.book(T0 + 100, 60_000, 60_000.02);
    for (let i = 0; i < 5; i++) h.send({ type: 'TRADE', ts: T0 + 200 + i, price: 60_000, size: 1, aggressor: 'sell' });
    expect(recordedRiskHold(h.emitted)).toEqual({ kind: 'toxicity', signal: 'trade-imbalance', reason: 'toxic-flow', until: T0 + 30_204 });
    for (let i = 0; i < 5; i++) h.send({ type: 'TRADE', ts: T0 + 10_000 + i, price: 60_000, size: 1, aggressor: 'buy' });
    h.advance(T0 + 30_204);
    expect(recordedRiskHold(h.emitted)).toEqual(h.actor.getSnapshot().context.risk.hold);
    h.advance(T0 + 40_004);
    expect(h.state()).toBe('quoting');
    expect(recordedRiskHold(h.emitted)).toBeNull();
  });

  it('a daily-loss pause until the next UTC day', () => {
    const h = pairHarness({ params: { risk: { dailyLossLimitQuote: '1' } } });
    h.start();
    h.send({ type: 'POSITION', ts: T0 + 100, position: '0.01', fill: { side: 'buy', price: 60_000, amount: 0.01, fee: 0, liquidity: 'maker' } });
    h.book(T0 + 200, 59_800, 59_800.02);
    expect(h.state()).toBe('paused');
    expect(recordedRiskHold(h.emitted)).toEqual(h.actor.getSnapshot().context.risk.hold);
    expect(recordedRiskHold(h.emitted)).toMatchObject({ kind: 'risk', rule: 'daily-loss', whenClear: false });
  });
});
