import { describe, expect, it } from '@jest/globals';
import type { DomainEvent } from '../../../events/catalog.js';
import { foldPair, summarisePair } from '../../../projections/pair-projection.js';
import { applyPerformanceEvent, emptyPerformance, fillRatio, foldPerformance } from '../../../projections/performance.js';
import { StrategyParamsSchema } from '../../../src/config/strategy-params.js';
import { BTCUSDT_SPOT } from '../../fixtures/markets.js';

const started: DomainEvent = { type: 'PairStarted', data: { pairId: 'binance-BTC_USDT', instanceId: 'i', market: BTCUSDT_SPOT, params: StrategyParamsSchema.parse({}), paramsVersion: 1, mode: 'backtest' } };
const placed = (id: string, side: 'buy' | 'sell' = 'buy', amount = '1'): DomainEvent => ({ type: 'OrderPlaced', data: { clientOrderId: id, side, price: '100', amount, postOnly: true, reduceOnly: false, level: 0 } });
const acked = (id: string): DomainEvent => ({ type: 'OrderAcknowledged', data: { clientOrderId: id, venueOrderId: `v-${id}` } });
const filled = (id: string, tradeId: string, o: { side?: 'buy' | 'sell'; price?: string; amount?: string; remaining?: string; fee?: string; feeCurrency?: string; liquidity?: 'maker' | 'taker' } = {}): DomainEvent => ({
  type: 'OrderFilled',
  data: {
    tradeId,
    clientOrderId: id,
    venueOrderId: `v-${id}`,
    side: o.side ?? 'buy',
    price: o.price ?? '100',
    amount: o.amount ?? '1',
    fee: o.fee ?? '0.1',
    feeCurrency: o.feeCurrency ?? 'USDT',
    liquidity: o.liquidity ?? 'maker',
    remaining: o.remaining ?? '0',
    fillTs: 1_723_161_254_000,
  },
});
const quote: DomainEvent = {
  type: 'QuoteDecided',
  data: { paramsVersion: 1, inputs: { ts: 1, mid: '100', bestBid: '99.99', bestAsk: '100.01', volatilityBps: '0', position: '0', reduceOnly: false }, output: { bids: [], asks: [], rules: [], reason: 'test' } },
};

describe('performance projection', () => {
  it('counts decisions and the order lifecycle', () => {
    const p = foldPerformance([
      started,
      quote,
      quote,
      placed('a'),
      placed('b'),
      placed('c'),
      acked('a'),
      acked('b'),
      { type: 'OrderRejected', data: { clientOrderId: 'c', reason: 'post-only would cross' } },
      { type: 'OrderCancelled', data: { clientOrderId: 'b', reason: 'requote', remaining: '1' } },
    ]);
    expect(p).toMatchObject({ decisions: 2, ordersPlaced: 3, ordersAcknowledged: 2, ordersRejected: 1, ordersCancelled: 1, fills: 0, ordersFilled: 0 });
    expect(fillRatio(p)).toBe('0');
  });

  it('counts fills, maker and taker, volume, turnover and fees; an order with two fills is one filled order', () => {
    const p = foldPerformance([
      started,
      placed('a', 'buy', '2'),
      placed('b', 'sell', '1'),
      placed('c', 'buy', '1'),
      filled('a', 't1', { amount: '0.5', remaining: '1.5', price: '100', fee: '0.05' }),
      filled('a', 't2', { amount: '1.5', remaining: '0', price: '100.5', fee: '0.15' }),
      filled('b', 't3', { side: 'sell', amount: '1', remaining: '0', price: '101', liquidity: 'taker', fee: '0.001', feeCurrency: 'BTC' }),
    ]);
    expect(p).toMatchObject({ fills: 3, makerFills: 2, takerFills: 1, ordersFilled: 2, ordersFullyFilled: 2, volumeBase: '3', turnoverQuote: '301.75' });
    // The fee charged in base is valued at the fill price: 0.001 BTC × 101.
    expect(p.fees).toBe('0.301');
    expect(fillRatio(p)).toBe('0.666666666667');
  });

  it('ignores a repeated trade id, counts it as repeated, and agrees with the pair projection on fees and fills', () => {
    const events = [started, placed('a'), filled('a', 't1', { remaining: '0.5', amount: '0.5' }), filled('a', 't1', { remaining: '0.5', amount: '0.5' }), filled('a', 't2', { amount: '0.5' })];
    const p = foldPerformance(events);
    expect(p).toMatchObject({ fills: 2, repeatedFills: 1, ordersFilled: 1, volumeBase: '1' });
    const summary = summarisePair(foldPair(events));
    expect(p.fills).toBe(summary.fills);
    expect(p.fees).toBe(summary.fees);
  });

  it('counts state changes by reason: pauses, shocks and their re-arms, liquidations', () => {
    const p = foldPerformance([
      started,
      { type: 'QuotingStarted', data: { from: 'starting', to: 'quoting', reason: 'ready' } },
      { type: 'Paused', data: { from: 'quoting', to: 'paused', reason: 'feed-stale', detail: 'd', numbers: { ageMs: 6000 } } },
      { type: 'Resumed', data: { from: 'paused', to: 'quoting', reason: 'feed-stale', detail: 'ok' } },
      { type: 'ShockDetected', data: { from: 'quoting', to: 'shock-cooldown', price: '98', referencePrice: '100', movePct: -2, thresholdPct: 2, windowMs: 5000, cooldownUntil: 10, rearms: 0 } },
      { type: 'ShockDetected', data: { from: 'shock-cooldown', to: 'shock-cooldown', price: '97', referencePrice: '98', movePct: -1, thresholdPct: 2, windowMs: 5000, cooldownUntil: 20, rearms: 1 } },
      { type: 'ShockCleared', data: { from: 'shock-cooldown', to: 'quoting', price: '97', referencePrice: '97', distancePct: 0, resumeBandPct: 0.5 } },
      { type: 'LiquidationStarted', data: { from: 'quoting', to: 'liquidating', position: '0.09', hardLimit: '0.08', targetPosition: '0.05', excess: '0.04' } },
      { type: 'LiquidationCompleted', data: { from: 'liquidating', to: 'quoting', position: '0.05', maxPosition: '0.05' } },
      { type: 'Paused', data: { from: 'quoting', to: 'paused', reason: 'feed-stale', detail: 'd', numbers: {} } },
      { type: 'Paused', data: { from: 'paused', to: 'paused', reason: 'operator', detail: 'd', numbers: {} } },
      { type: 'FeedStale', data: { lastDataTs: null, ageMs: 1, maxAgeMs: 1 } },
    ]);
    expect(p).toMatchObject({ stateChanges: 10, pauses: 3, resumes: 1, shocks: 1, shockRearms: 1, shocksCleared: 1, liquidations: 1, liquidationsCompleted: 1 });
    expect(p.pausesByReason).toEqual({ 'feed-stale': 2, operator: 1 });
  });

  it('is a pure fold: the input state is never changed', () => {
    const before = foldPerformance([started, placed('a')]);
    const snapshot = JSON.stringify({ ...before, filledOrderIds: [...before.filledOrderIds] });
    const market = { base: 'BTC', quote: 'USDT' };
    applyPerformanceEvent(before, filled('a', 't1'), { market, repeatedFill: false });
    applyPerformanceEvent(before, { type: 'Paused', data: { from: 'quoting', to: 'paused', reason: 'operator', detail: 'd', numbers: {} } }, { market, repeatedFill: false });
    expect(JSON.stringify({ ...before, filledOrderIds: [...before.filledOrderIds] })).toBe(snapshot);
    expect(emptyPerformance().filledOrderIds.size).toBe(0);
  });

  it('counts a fill whose fee is in a third currency (BNB), without it in the quote fees, as the PnL projection does', () => {
    const p = foldPerformance([started, filled('a', 't1', { feeCurrency: 'BNB' })]);
    expect(p.fills).toBe(1);
    expect(p.fees).toBe('0');
  });
});
