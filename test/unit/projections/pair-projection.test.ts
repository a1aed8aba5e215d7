import { describe, expect, it } from '@jest/globals';
import type { DomainEvent } from '../../../events/catalog.js';
import { foldPair, summarisePair } from '../../../projections/pair-projection.js';
import { StrategyParamsSchema } from '../../../src/config/strategy-params.js';

const market = { venue: 'binance', symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001', minNotional: '5', makerFee: '0.001', takerFee: '0.001' };
const started: DomainEvent = { type: 'PairStarted', data: { pairId: 'binance-BTC_USDT', instanceId: 'i', market, params: StrategyParamsSchema.parse({}), paramsVersion: 1, mode: 'backtest' } };
const placed = (id: string, side: 'buy' | 'sell', price: string, amount: string): DomainEvent => ({ type: 'OrderPlaced', data: { clientOrderId: id, side, price, amount, postOnly: true, reduceOnly: false, level: 0 } });
const filled = (id: string, tradeId: string, side: 'buy' | 'sell', price: string, amount: string, remaining: string, fee: string, feeCurrency = 'USDT'): DomainEvent => ({
  type: 'OrderFilled',
  data: { tradeId, clientOrderId: id, venueOrderId: 'v', side, price, amount, fee, feeCurrency, liquidity: 'maker', remaining, fillTs: 1 },
});
const quote = (mid: string): DomainEvent => ({
  type: 'QuoteDecided',
  data: { paramsVersion: 1, inputs: { ts: 1, mid, bestBid: mid, bestAsk: mid, volatilityBps: '0', position: '0', reduceOnly: false }, output: { bids: [], asks: [], rules: [], reason: 'test' } },
});

describe('pair projection', () => {
  it('folds position, fees and unrealised PnL at the last recorded mid', () => {
    const p = foldPair([started, placed('a', 'buy', '100', '2'), filled('a', 't1', 'buy', '100', '1', '1', '0.1'), quote('103')]);
    const s = summarisePair(p);
    expect(s).toMatchObject({ fills: 1, position: '1', realizedPnl: '0', unrealizedPnl: '3', fees: '0.1', netPnl: '2.9', state: 'starting' });
    expect(p.openOrders.get('a')?.remaining).toBe('1');
  });

  it('counts a repeated trade id once', () => {
    const p = foldPair([started, filled('a', 't1', 'buy', '100', '1', '0', '0.1'), filled('a', 't1', 'buy', '100', '1', '0', '0.1')]);
    expect(summarisePair(p)).toMatchObject({ fills: 1, position: '1', fees: '0.1' });
  });

  it('values a fee charged in the base currency at the fill price, and a rebate reduces fees', () => {
    const p = foldPair([started, filled('a', 't1', 'buy', '100', '1', '0', '0.001', 'BTC'), filled('b', 't2', 'sell', '100', '1', '0', '-0.05')]);
    expect(summarisePair(p).fees).toBe('0.05');
  });

  it('keeps a fee in a third currency (BNB) apart, per currency, out of the quote fees and the net PnL', () => {
    const p = foldPair([started, filled('a', 't1', 'buy', '100', '1', '0', '0.0015', 'BNB'), filled('b', 't2', 'sell', '100', '1', '0', '0.0025', 'BNB'), filled('c', 't3', 'buy', '100', '1', '0', '0.1')]);
    expect(p.feesAndMark.otherFees).toEqual({ BNB: '0.004' });
    expect(summarisePair(p).fees).toBe('0.1');
    expect(summarisePair(p).otherFees).toEqual({ BNB: '0.004' });
    expect(p.inventory.position).toBe('1');
  });

  it('tracks the state from the transitions and the open orders through ack, fill and cancel', () => {
    const events: DomainEvent[] = [
      started,
      { type: 'QuotingStarted', data: { from: 'starting', to: 'quoting', reason: 'r' } },
      placed('a', 'buy', '100', '1'),
      placed('b', 'sell', '101', '1'),
      { type: 'OrderAcknowledged', data: { clientOrderId: 'a', venueOrderId: 'v1' } },
      filled('b', 't1', 'sell', '101', '1', '0', '0'),
      { type: 'Paused', data: { from: 'quoting', to: 'paused', reason: 'operator', detail: 'd', numbers: {} } },
    ];
    const p = foldPair(events);
    expect(p.state).toBe('paused');
    expect([...p.openOrders.keys()]).toEqual(['a']);
    expect(p.openOrders.get('a')).toMatchObject({ status: 'open', venueOrderId: 'v1' });
    const after = foldPair([{ type: 'OrderCancelled', data: { clientOrderId: 'a', reason: 'pause', remaining: '1' } }], p);
    expect(after.openOrders.size).toBe(0);
  });
});
