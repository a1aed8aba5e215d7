import { describe, expect, it } from '@jest/globals';
import { eventCatalog, type DomainEvent } from '../../../events/catalog.js';
import type { OwnFill } from '../../../machines/pair-machine.types.js';
import type { StrategyParamsInput } from '../../../src/config/strategy-params.js';
import { pairHarness, T0 } from '../machines/pair-machine-harness.js';

/**
 * Every risk and toxicity rule driven through the real pair machine: it fires
 * at its threshold and not below, pauses with the right reason and numbers,
 * resumes after its calm period / at the next UTC day / when clear, and an
 * operator resume works. Every emitted event validates against the catalog.
 */

const DAY = 86_400_000;
const NEXT_UTC_DAY = Math.floor(T0 / DAY) * DAY + DAY; // T0 is 23:54:14 UTC

function harness(params: StrategyParamsInput, position = '0') {
  const h = pairHarness({ params, position });
  const fill = (ts: number, position: string, f: Partial<OwnFill> & Pick<OwnFill, 'side'>) =>
    h.send({ type: 'POSITION', ts, position, fill: { price: 60_000, amount: 0.001, fee: 0, liquidity: 'maker', ...f } });
  const trade = (ts: number, aggressor: 'buy' | 'sell', size = 1) => h.send({ type: 'TRADE', ts, price: 60_000, size, aggressor });
  const validate = () => {
    for (const e of h.emitted as DomainEvent[]) expect(() => eventCatalog[e.type].data.parse(e.data)).not.toThrow();
  };
  h.start();
  h.book(T0 + 100, 60_000, 60_000.02);
  return { ...h, fill, trade, validate };
}

const countOf = (types: string[], t: string) => types.filter((x) => x === t).length;

describe('toxicity: trade imbalance', () => {
  const params = { toxicity: { tradeImbalance: { enabled: true, threshold: 0.6, minTrades: 5, windowMs: 1_000 } } };

  it('pauses (toxic-flow) at the threshold with the signal, value, threshold and deadline', () => {
    const h = harness(params);
    for (let i = 0; i < 4; i++) h.trade(T0 + 200 + i * 10, 'buy');
    expect(h.state()).toBe('quoting');
    h.trade(T0 + 300, 'sell'); // 4 buys, 1 sell: 0.6
    expect(h.state()).toBe('paused');
    expect(h.last('AdverseSelectionDetected')?.data).toMatchObject({ signal: 'trade-imbalance', value: 0.6, threshold: 0.6, calmUntil: T0 + 300 + 30_000 });
    expect(h.last('Paused')?.data).toMatchObject({ from: 'quoting', reason: 'toxic-flow', numbers: { signal: 'trade-imbalance', value: 0.6, threshold: 0.6, resumeAt: T0 + 30_300 } });
    h.validate();
  });

  it('does not fire below the threshold', () => {
    const h = harness({ toxicity: { tradeImbalance: { ...params.toxicity.tradeImbalance, threshold: 0.61 } } });
    for (let i = 0; i < 4; i++) h.trade(T0 + 200 + i * 10, 'buy');
    h.trade(T0 + 300, 'sell');
    expect(h.state()).toBe('quoting');
    expect(h.types()).not.toContain('AdverseSelectionDetected');
  });

  it('resumes by itself after the calm period, and quotes again', () => {
    const h = harness(params);
    for (let i = 0; i < 5; i++) h.trade(T0 + 200 + i * 10, 'sell');
    expect(h.state()).toBe('paused');
    h.advance(T0 + 240 + 29_999);
    expect(h.state()).toBe('paused');
    h.advance(T0 + 240 + 30_000);
    expect(h.state()).toBe('quoting');
    expect(h.last('Resumed')?.data).toMatchObject({ from: 'paused', to: 'quoting', reason: 'toxic-flow' });
    // Quotes afresh at once (all orders were cancelled by the pause).
    expect(h.types().slice(h.types().lastIndexOf('Resumed'))).toContain('QuoteDecided');
    h.validate();
  });

  it('toxic signals during the calm period: at its end one event records the last, and the calm period runs on from it', () => {
    const h = harness(params);
    for (let i = 0; i < 5; i++) h.trade(T0 + 200 + i * 10, 'sell');
    for (let i = 0; i < 8; i++) h.trade(T0 + 20_000 + i * 10, 'buy');
    expect(countOf(h.types(), 'AdverseSelectionDetected')).toBe(1);
    h.advance(T0 + 240 + 30_000);
    expect(h.state()).toBe('paused');
    expect(countOf(h.types(), 'AdverseSelectionDetected')).toBe(2);
    expect(countOf(h.types(), 'Paused')).toBe(1);
    expect(h.last('AdverseSelectionDetected')?.data).toMatchObject({ signal: 'trade-imbalance', calmUntil: T0 + 20_070 + 30_000 });
    h.advance(T0 + 20_070 + 30_000 - 1);
    expect(h.state()).toBe('paused');
    h.advance(T0 + 20_070 + 30_000);
    expect(h.state()).toBe('quoting');
    h.validate();
  });

  it('an operator resume ends the calm period early', () => {
    const h = harness(params);
    for (let i = 0; i < 5; i++) h.trade(T0 + 200 + i * 10, 'sell');
    h.send({ type: 'OPERATOR_RESUME', ts: T0 + 1_000, identity: 'alice', reason: 'flow is fine' });
    expect(h.state()).toBe('quoting');
    expect(h.last('Resumed')?.data).toMatchObject({ reason: 'operator' });
    h.advance(T0 + 60_000);
    expect(h.state()).toBe('quoting');
  });

  it('a calm deadline that passes while the venue is down waits for the venue', () => {
    const h = harness(params);
    for (let i = 0; i < 5; i++) h.trade(T0 + 200 + i * 10, 'sell');
    h.send({ type: 'VENUE_DOWN', ts: T0 + 1_000, detail: 'ECONNRESET' });
    h.advance(T0 + 40_000);
    expect(h.state()).toBe('paused');
    h.send({ type: 'VENUE_UP', ts: T0 + 41_000, detail: 'answers again' });
    expect(h.state()).toBe('quoting');
  });

  it('is ignored while cooling down after a shock, and the alarm lapses', () => {
    const h = harness(params);
    h.book(T0 + 2_000, 61_500, 61_500.02);
    expect(h.state()).toBe('shock-cooldown');
    for (let i = 0; i < 5; i++) h.trade(T0 + 3_000 + i * 10, 'sell');
    expect(h.types()).not.toContain('AdverseSelectionDetected');
    h.book(T0 + 32_000, 61_500, 61_500.02);
    h.advance(T0 + 32_000);
    expect(h.state()).toBe('quoting');
  });
});

describe('toxicity: short-term volatility', () => {
  it('pauses (toxic-flow) on a whipsaw at the threshold, not below', () => {
    const params = (thresholdPct: number) => ({ toxicity: { volatility: { enabled: true, windowMs: 5_000, thresholdPct } } });
    const whipsaw = (h: ReturnType<typeof harness>) => {
      // Each leg is under the 2 % shock threshold, the sum of squares is not.
      const mids = [60_000, 60_900, 60_000, 60_900, 60_000];
      mids.forEach((m, i) => h.book(T0 + 1_000 + i * 1_000, m, m + 0.02));
    };
    const h = harness(params(2.9));
    whipsaw(h);
    expect(h.state()).toBe('paused');
    expect(h.last('Paused')?.data).toMatchObject({ reason: 'toxic-flow', numbers: { signal: 'short-volatility', threshold: 2.9 } });
    expect(h.types()).not.toContain('ShockDetected');
    const low = harness(params(3.5));
    whipsaw(low);
    expect(low.state()).toBe('quoting');
    h.validate();
  });
});

describe('toxicity: one-sided own fills', () => {
  const params = { toxicity: { oneSidedFills: { enabled: true, count: 3 } } };
  it('pauses (adverse-selection) after N fills on one side, not N-1', () => {
    const h = harness(params);
    h.fill(T0 + 200, '0.001', { side: 'buy' });
    h.fill(T0 + 300, '0.002', { side: 'buy' });
    expect(h.state()).toBe('quoting');
    h.fill(T0 + 400, '0.003', { side: 'buy' });
    expect(h.state()).toBe('paused');
    expect(h.last('Paused')?.data).toMatchObject({ reason: 'adverse-selection', numbers: { signal: 'one-sided-fills', value: 3, threshold: 3, resumeAt: T0 + 30_400 } });
    h.advance(T0 + 30_400);
    expect(h.state()).toBe('quoting');
    h.validate();
  });

  it('a fill on the other side breaks the run', () => {
    const h = harness(params);
    h.fill(T0 + 200, '0.001', { side: 'buy' });
    h.fill(T0 + 300, '0', { side: 'sell' });
    h.fill(T0 + 400, '0.001', { side: 'buy' });
    expect(h.state()).toBe('quoting');
  });
});

describe('toxicity: own fill volume spike', () => {
  it('pauses (adverse-selection) when the recent volume reaches the multiple of the average', () => {
    const params = (multiple: number) => ({ toxicity: { fillVolumeSpike: { enabled: true, windowMs: 10_000, baselineMs: 60_000, multiple, minBaselineFills: 3 } } });
    const run = (multiple: number) => {
      const h = harness(params(multiple));
      // Baseline: 6 fills of 0.001 over 60 s = 0.001 per 10 s window.
      for (let i = 0; i < 6; i++) {
        h.book(T0 + 1_000 + i * 10_000, 60_000, 60_000.02);
        h.fill(T0 + 1_000 + i * 10_000, '0', { side: i % 2 ? 'sell' : 'buy', amount: 0.001 });
      }
      h.book(T0 + 61_500, 60_000, 60_000.02);
      h.fill(T0 + 62_000, '0', { side: 'buy', amount: 0.002 });
      h.fill(T0 + 62_100, '0', { side: 'sell', amount: 0.001 });
      return h;
    };
    const h = run(3);
    expect(h.state()).toBe('paused');
    expect(h.last('AdverseSelectionDetected')?.data).toMatchObject({ signal: 'fill-volume-spike', threshold: 3 });
    expect(h.last('AdverseSelectionDetected')?.data.value).toBeCloseTo(3, 9);
    expect(h.last('Paused')?.data.reason).toBe('adverse-selection');
    expect(run(3.01).state()).toBe('quoting');
    h.validate();
  });
});

describe('toxicity: markout', () => {
  const params = (thresholdBps: number) => ({ toxicity: { markout: { enabled: true, horizonMs: 1_000, fills: 2, thresholdBps } } });
  const run = (thresholdBps: number) => {
    const h = harness(params(thresholdBps));
    h.fill(T0 + 200, '0.001', { side: 'buy', price: 60_000 });
    h.fill(T0 + 300, '0', { side: 'sell', price: 60_000 });
    // Mid 59 990.01 a second later: the buy lost 1.6665 bps, the sell gained it: average 0.
    h.book(T0 + 1_300, 59_990, 59_990.02);
    h.fill(T0 + 1_400, '0.001', { side: 'buy', price: 60_000 });
    h.fill(T0 + 1_500, '0.002', { side: 'buy', price: 60_000 });
    // Mid 59 970.01: both buys are 4.998 bps under water.
    h.book(T0 + 2_600, 59_970, 59_970.02);
    return h;
  };
  it('pauses (adverse-selection) when the average markout reaches minus the threshold, not before', () => {
    const h = run(4.99);
    expect(h.state()).toBe('paused');
    expect(h.last('AdverseSelectionDetected')?.data).toMatchObject({ signal: 'markout', threshold: -4.99 });
    expect(h.last('AdverseSelectionDetected')?.data.value).toBeCloseTo(-4.998, 3);
    expect(run(5).state()).toBe('quoting');
    h.validate();
  });
});

describe('risk: max position value and exposure', () => {
  it('pauses (risk-limit) at the value limit, resumes when the value is back under it', () => {
    const h = harness({ risk: { maxPositionValueQuote: '3000' } });
    h.fill(T0 + 200, '0.049', { side: 'buy' });
    expect(h.state()).toBe('quoting');
    h.fill(T0 + 300, '0.05', { side: 'buy' }); // 0.05 x 60 000.01
    expect(h.state()).toBe('paused');
    expect(h.last('RiskLimitBreached')?.data).toEqual({ limit: 'max-position-value', value: '3000.0005', threshold: '3000', action: 'pause until back inside the limit' });
    expect(h.last('Paused')?.data).toMatchObject({ reason: 'risk-limit', numbers: { limit: 'max-position-value', value: '3000.0005', threshold: '3000' } });
    h.book(T0 + 1_000, 59_990, 59_990.02);
    expect(h.state()).toBe('quoting');
    expect(h.last('Resumed')?.data).toMatchObject({ reason: 'risk-limit' });
    h.validate();
  });

  it('an operator resume waives the limit at the current value; a larger value pauses again', () => {
    const h = harness({ risk: { maxPositionValueQuote: '3000' } });
    h.fill(T0 + 300, '0.05', { side: 'buy' });
    h.send({ type: 'OPERATOR_RESUME', ts: T0 + 400, identity: 'alice', reason: 'reduce by hand' });
    h.book(T0 + 500, 60_000, 60_000.02);
    expect(h.state()).toBe('quoting');
    h.fill(T0 + 600, '0.051', { side: 'buy' });
    expect(h.state()).toBe('paused');
  });

  it('pauses (risk-limit) at the exposure share of capital', () => {
    const h = harness({ risk: { capitalQuote: '10000', maxExposurePct: 30 } });
    h.fill(T0 + 200, '-0.0499', { side: 'sell' });
    expect(h.state()).toBe('quoting');
    h.fill(T0 + 300, '-0.05', { side: 'sell' });
    expect(h.last('RiskLimitBreached')?.data).toMatchObject({ limit: 'max-exposure', threshold: '30' });
  });
});

describe('risk: daily loss', () => {
  const params = (limit: string) => ({ risk: { dailyLossLimitQuote: limit } });
  const lose = (h: ReturnType<typeof harness>) => {
    h.fill(T0 + 200, '0.01', { side: 'buy', price: 60_000, amount: 0.01, fee: 0.5 });
    h.book(T0 + 300, 59_900, 59_900.02); // -1 x 0.01 x ... : (59 900.01 - 60 000) x 0.01 - 0.5 = -1.4999
  };

  it('pauses (risk-limit) at the limit until the next UTC day, then resumes and counts afresh', () => {
    const h = harness(params('1.4999'));
    lose(h);
    expect(h.state()).toBe('paused');
    expect(h.last('RiskLimitBreached')?.data).toEqual({ limit: 'daily-loss', value: '1.4999', threshold: '1.4999', action: `pause until ${new Date(NEXT_UTC_DAY).toISOString()}` });
    expect(h.last('Paused')?.data.numbers).toMatchObject({ resumeAt: NEXT_UTC_DAY });
    h.advance(NEXT_UTC_DAY - 1);
    expect(h.state()).toBe('paused');
    h.advance(NEXT_UTC_DAY);
    expect(h.state()).toBe('quoting');
    expect(h.last('Resumed')?.data).toMatchObject({ reason: 'risk-limit' });
    h.book(NEXT_UTC_DAY + 1_000, 59_900, 59_900.02);
    expect(h.state()).toBe('quoting');
    h.validate();
  });

  it('does not fire below the limit', () => {
    const h = harness(params('1.5'));
    lose(h);
    expect(h.state()).toBe('quoting');
  });

  it('an operator resume holds for the rest of the day', () => {
    const h = harness(params('1'));
    lose(h);
    h.send({ type: 'OPERATOR_RESUME', ts: T0 + 400, identity: 'alice', reason: 'accept the loss' });
    h.book(T0 + 500, 59_800, 59_800.02);
    expect(h.state()).toBe('quoting');
  });
});

describe('risk: max drawdown', () => {
  it('pauses (risk-limit) at the drawdown from the peak; only an operator resumes, and the peak restarts there', () => {
    const h = harness({ risk: { maxDrawdownQuote: '2' } });
    h.fill(T0 + 200, '0.01', { side: 'buy', price: 60_000, amount: 0.01 });
    h.book(T0 + 300, 60_300, 60_300.02); // peak 3.0001
    h.book(T0 + 400, 60_100.01, 60_100.03); // net 1.0002: drawdown 1.9999
    expect(h.state()).toBe('quoting');
    h.book(T0 + 500, 60_100, 60_100.02); // net 1.0001: drawdown 2
    expect(h.state()).toBe('paused');
    expect(h.last('RiskLimitBreached')?.data).toEqual({ limit: 'max-drawdown', value: '2', threshold: '2', action: 'pause until an operator resumes' });
    h.book(T0 + 5_000, 60_300, 60_300.02);
    h.advance(T0 + 2 * DAY);
    expect(h.state()).toBe('paused');
    h.send({ type: 'OPERATOR_RESUME', ts: T0 + 2 * DAY, identity: 'alice', reason: 'reviewed' });
    expect(h.state()).toBe('quoting');
    h.book(T0 + 2 * DAY + 1, 60_250, 60_250.02);
    expect(h.state()).toBe('quoting');
    h.validate();
  });
});

describe('risk: trades per minute on one side', () => {
  it('pauses (risk-limit) above the maximum, resumes one window later', () => {
    const h = harness({ risk: { maxTradesPerMinute: 2, tradesWindowMs: 60_000 } });
    h.fill(T0 + 200, '-0.001', { side: 'sell' });
    h.fill(T0 + 300, '-0.002', { side: 'sell' });
    h.fill(T0 + 350, '-0.001', { side: 'buy' });
    expect(h.state()).toBe('quoting');
    h.fill(T0 + 400, '-0.002', { side: 'sell' });
    expect(h.state()).toBe('paused');
    expect(h.last('RiskLimitBreached')?.data).toMatchObject({ limit: 'trades-per-minute', value: '3', threshold: '2' });
    expect(h.last('Paused')?.data.numbers).toMatchObject({ resumeAt: T0 + 60_400 });
    h.advance(T0 + 60_400);
    expect(h.state()).toBe('quoting');
    h.validate();
  });
});

describe('risk: price band', () => {
  it('pauses (risk-limit) outside the band, resumes inside it', () => {
    const h = harness({ risk: { priceCeiling: 60_010, priceFloor: 59_000 } });
    h.book(T0 + 200, 60_010, 60_010.02);
    expect(h.state()).toBe('paused');
    expect(h.last('RiskLimitBreached')?.data).toMatchObject({ limit: 'price-band', value: '60010.01', threshold: '60010' });
    h.book(T0 + 300, 60_020, 60_020.02);
    expect(countOf(h.types(), 'Paused')).toBe(1);
    h.book(T0 + 400, 60_009, 60_009.02);
    expect(h.state()).toBe('quoting');
    h.validate();
  });

  it('an operator resume outside the band pauses again at once, with the numbers', () => {
    const h = harness({ risk: { priceFloor: 60_001 } });
    expect(h.state()).toBe('paused');
    h.send({ type: 'OPERATOR_RESUME', ts: T0 + 300, identity: 'alice', reason: 'try' });
    expect(h.state()).toBe('paused');
    expect(countOf(h.types(), 'RiskLimitBreached')).toBe(2);
  });
});

describe('order refresh: delay after a fill', () => {
  it('decides nothing new for requoteDelayAfterFillMs after a fill, then requotes', () => {
    const h = harness({ risk: { requoteDelayAfterFillMs: 2_000 } });
    h.fill(T0 + 200, '0.001', { side: 'buy' });
    h.clear();
    h.book(T0 + 1_000, 60_000, 60_000.02);
    h.book(T0 + 2_199, 60_000, 60_000.02);
    expect(h.types()).not.toContain('QuoteDecided');
    h.book(T0 + 2_200, 60_000, 60_000.02);
    expect(h.last('QuoteDecided')?.data.inputs.position).toBe('0.001');
  });
});

describe('defaults', () => {
  it('with default parameters no rule fires on the inputs that trip each of them', () => {
    const h = harness({});
    for (let i = 0; i < 20; i++) h.trade(T0 + 200 + i, 'sell');
    for (let i = 0; i < 10; i++) h.fill(T0 + 300 + i, String((i + 1) / 1_000), { side: 'buy', fee: 1 });
    const mids = [60_000, 60_900, 60_000, 60_900, 60_000];
    mids.forEach((m, i) => h.book(T0 + 1_000 + i * 1_000, m, m + 0.02));
    expect(h.types().filter((t) => ['Paused', 'RiskLimitBreached', 'AdverseSelectionDetected'].includes(t))).toEqual([]);
    expect(h.state()).toBe('quoting');
  });
});
