import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { RiskParamsSchema, ToxicityParamsSchema } from '../../../src/config/params/risk-params.js';
import { StrategyParamsSchema } from '../../../src/config/strategy-params.js';
import { checkDailyLoss, checkDrawdown, checkPositionValue, checkPriceBand, checkTradesPerMinute } from '../../../src/risk/risk-limits.js';
import { applyFillToPnl, dailyPnl, drawdown, markPnl, netPnl, nextUtcDayStart, rollUtcDay, seedRunningPnl, utcDayStart } from '../../../src/risk/running-pnl.js';
import { emptyInventory } from '../../../projections/inventory.js';

const DAY0 = Date.UTC(2025, 9, 10); // 2025-10-10T00:00Z
const risk = (over: Record<string, unknown>) => RiskParamsSchema.parse(over);

describe('parameters', () => {
  it('default to off, so old logs parse to identical params', () => {
    const p = StrategyParamsSchema.parse({});
    expect(p.risk).toMatchObject({ maxPositionValueQuote: '0', dailyLossLimitQuote: '0', maxDrawdownQuote: '0', maxTradesPerMinute: 0, priceCeiling: 0, priceFloor: 0, requoteDelayAfterFillMs: 0 });
    expect(Object.values(p.toxicity).filter((v) => typeof v === 'object').every((r) => (r as { enabled: boolean }).enabled === false)).toBe(true);
  });

  it('a bad value names the key, the value and the range', () => {
    const r = StrategyParamsSchema.safeParse({ toxicity: { tradeImbalance: { threshold: 1.5 } } });
    expect(r.success).toBe(false);
    const issue = r.error?.issues[0];
    expect(issue?.path).toEqual(['toxicity', 'tradeImbalance', 'threshold']);
    expect(issue?.message).toBe('must be 0 to 1, got 1.5');
    const q = RiskParamsSchema.safeParse({ dailyLossLimitQuote: '-5' });
    expect(q.error?.issues[0]?.message).toContain('got "-5"');
    expect(RiskParamsSchema.safeParse({ priceFloor: 70_000, priceCeiling: 60_000 }).error?.issues[0]?.path).toEqual(['priceFloor']);
    expect(RiskParamsSchema.safeParse({ maxExposurePct: 50 }).error?.issues[0]?.path).toEqual(['capitalQuote']);
  });

  it('every field carries a description and a unit', () => {
    const fields = [RiskParamsSchema, ...Object.values(ToxicityParamsSchema.shape)].flatMap((s) => {
      const inner = (s as { shape?: Record<string, unknown>; unwrap?: () => { shape: Record<string, unknown> } }).shape ?? (s as { unwrap: () => { shape: Record<string, unknown> } }).unwrap().shape;
      return Object.values(inner ?? { s });
    });
    expect(fields).toHaveLength(29);
    for (const f of fields) {
      const meta = (f as { meta: () => Record<string, unknown> | undefined }).meta();
      if ((f as { def?: { type?: string } }).def?.type === 'prefault') continue;
      expect(meta).toEqual(expect.objectContaining({ description: expect.any(String), unit: expect.any(String) }));
    }
  });
});

describe('position value and exposure', () => {
  it('fires at the value limit, not below', () => {
    const p = risk({ maxPositionValueQuote: '3000' });
    expect(checkPositionValue('-0.05', 60_000, p)).toMatchObject({ rule: 'max-position-value', value: '3000', threshold: '3000', resume: { kind: 'when-clear' } });
    expect(checkPositionValue('0.05', 59_999.99, p)).toBeNull();
  });

  it('fires at the exposure share of capital, not below', () => {
    const p = risk({ capitalQuote: '10000', maxExposurePct: 30 });
    expect(checkPositionValue('0.05', 60_000, p)).toMatchObject({ rule: 'max-exposure', value: '30', threshold: '30' });
    expect(checkPositionValue('0.0499', 60_000, p)).toBeNull();
  });
});

describe('price band', () => {
  const p = risk({ priceCeiling: 70_000, priceFloor: 50_000 });
  it('holds inside the band (bounds included) and breaks outside', () => {
    expect(checkPriceBand(70_000, p)).toBeNull();
    expect(checkPriceBand(50_000, p)).toBeNull();
    expect(checkPriceBand(70_000.01, p)).toMatchObject({ rule: 'price-band', threshold: '70000' });
    expect(checkPriceBand(49_999.99, p)).toMatchObject({ rule: 'price-band', threshold: '50000' });
  });
});

describe('trades per minute on one side', () => {
  const p = risk({ maxTradesPerMinute: 3 });
  const fills = (n: number, side: 'buy' | 'sell', t0 = 0) => Array.from({ length: n }, (_, i) => ({ ts: t0 + i * 1_000, side }));
  it('fires above the maximum on one side, not at it', () => {
    expect(checkTradesPerMinute(fills(4, 'sell'), 4_000, p)).toMatchObject({ rule: 'trades-per-minute', value: '4', threshold: '3', resume: { kind: 'at', at: 64_000 } });
    expect(checkTradesPerMinute([...fills(3, 'sell'), ...fills(3, 'buy')], 4_000, p)).toBeNull();
  });
  it('forgets fills older than the window', () => {
    expect(checkTradesPerMinute(fills(4, 'buy'), 60_000, p)).toBeNull();
  });
});

describe('running PnL', () => {
  const market = { base: 'BTC', quote: 'USDT' };
  it('realises with average cost, charges fees (base fees at the fill price), marks at the mid', () => {
    let s = seedRunningPnl(undefined, DAY0);
    s = applyFillToPnl(s, { side: 'buy', price: 100, amount: 2, fee: 0.1 }, market);
    s = applyFillToPnl(s, { side: 'sell', price: 110, amount: 1, fee: 0.001, feeCurrency: 'BTC' }, market);
    s = markPnl(s, 105);
    // realised 10, unrealised (105-100)*1 = 5, fees 0.1 + 0.11 = 0.21
    expect(netPnl(s)).toBe('14.79');
    expect(s.peak).toBe('14.79');
  });

  it('a fee in a third currency (BNB) is not counted in the quote PnL, and never throws', () => {
    const withBnb = applyFillToPnl(seedRunningPnl(undefined, DAY0), { side: 'buy', price: 100, amount: 1, fee: 0.02, feeCurrency: 'BNB' }, market);
    expect(withBnb.fees).toBe('0');
    expect(withBnb.inventory.position).toBe('1');
  });

  it('counts the daily loss from 00:00 UTC and starts again the next day', () => {
    let s = seedRunningPnl({ inventory: emptyInventory(), fees: '0', lastMid: null }, DAY0 + 3_600_000);
    s = markPnl(applyFillToPnl(s, { side: 'buy', price: 100, amount: 1, fee: 0 }, market), 90);
    expect(dailyPnl(s)).toBe('-10');
    expect(checkDailyLoss(s, DAY0 + 7_200_000, risk({ dailyLossLimitQuote: '10' }))).toMatchObject({ rule: 'daily-loss', value: '10', resume: { kind: 'at', at: DAY0 + 86_400_000 } });
    expect(checkDailyLoss(s, DAY0 + 7_200_000, risk({ dailyLossLimitQuote: '10.01' }))).toBeNull();
    const next = rollUtcDay(s, DAY0 + 86_400_000);
    expect(dailyPnl(next)).toBe('0');
    expect(checkDailyLoss(next, DAY0 + 86_400_000, risk({ dailyLossLimitQuote: '10' }))).toBeNull();
  });

  it('measures the drawdown from the peak', () => {
    let s = applyFillToPnl(seedRunningPnl(undefined, DAY0), { side: 'buy', price: 100, amount: 1, fee: 0 }, market);
    s = markPnl(markPnl(s, 120), 105);
    expect(drawdown(s)).toBe('15');
    expect(checkDrawdown(s, risk({ maxDrawdownQuote: '15' }))).toMatchObject({ rule: 'max-drawdown', value: '15', resume: { kind: 'operator' } });
    expect(checkDrawdown(s, risk({ maxDrawdownQuote: '15.01' }))).toBeNull();
  });

  it('UTC days: the next day starts at a multiple of 86 400 000 ms after the given time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        const d = utcDayStart(ms);
        expect(d <= ms && ms < nextUtcDayStart(ms)).toBe(true);
        expect(new Date(d).toISOString().endsWith('T00:00:00.000Z')).toBe(true);
      }),
    );
  });

  it('the running PnL equals the projection fold over any fills', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell'), price: fc.integer({ min: 9_000, max: 11_000 }), amount: fc.integer({ min: 1, max: 50 }) }), { maxLength: 30 }),
        fc.integer({ min: 9_000, max: 11_000 }),
        (fills, mid) => {
          let s = seedRunningPnl(undefined, DAY0);
          let cash = 0;
          let pos = 0;
          for (const f of fills) {
            s = applyFillToPnl(s, { side: f.side, price: f.price / 100, amount: f.amount / 100, fee: 0 }, market);
            const q = f.side === 'buy' ? f.amount : -f.amount;
            pos += q;
            cash -= q * f.price; // in 1e-4 units
          }
          s = markPnl(s, mid / 100);
          // Net PnL with no fees is cash + position x mark, whatever the cost method.
          expect(Number(netPnl(s))).toBeCloseTo((cash + pos * mid) / 10_000, 8);
        },
      ),
    );
  });
});
