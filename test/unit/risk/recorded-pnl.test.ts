import { describe, expect, it } from '@jest/globals';
import type { RecordedEvent } from '../../../events/envelope.js';
import { recordedPnlMarks } from '../../../src/risk/recorded-pnl.js';
import { DAY_MS, seedRunningPnl, dailyPnl, drawdown } from '../../../src/risk/running-pnl.js';
import { emptyInventory } from '../../../projections/inventory.js';

const MARKET = { base: 'BTC', quote: 'USDT' };
const DAY1 = 20_000 * DAY_MS; // 00:00 UTC of some day

let n = 0;
const at = (ms: number, type: string, data: unknown): RecordedEvent => ({ type, data, time: new Date(ms).toISOString(), id: `e${++n}`, stream: 's', revision: n } as unknown as RecordedEvent);
const fill = (ms: number, side: 'buy' | 'sell', price: string, amount: string) =>
  at(ms, 'OrderFilled', { tradeId: `t${n}`, clientOrderId: 'c', venueOrderId: 'v', side, price, amount, fee: '0', feeCurrency: 'USDT', liquidity: 'maker', remaining: '0', fillTs: ms });
const decision = (ms: number, mid: string) => at(ms, 'QuoteDecided', { paramsVersion: 1, inputs: { ts: ms, mid, bestBid: mid, bestAsk: mid, volatilityBps: '0', position: '0', reduceOnly: false }, output: { bids: [], asks: [], rules: [], reason: '' } });

describe('recorded PnL marks: what a restart keeps of the loss limits', () => {
  const log = [
    fill(DAY1 - 3_600_000, 'buy', '100', '1'),
    decision(DAY1 - 1_800_000, '110'), // +10: the peak
    decision(DAY1 - 60_000, '104'), // +4 at midnight
    decision(DAY1 + 3_600_000, '98'), // -2 now: 6 lost today
  ];

  it('gives the net PnL at 00:00 UTC of today and the peak of the whole log', () => {
    expect(recordedPnlMarks(log, MARKET, DAY1 + 7_200_000)).toEqual({ dayStartNet: '4', peak: '10' });
  });

  it('a seeded restart counts the daily loss from midnight and the drawdown from the log peak, not from the restart', () => {
    const marks = recordedPnlMarks(log, MARKET, DAY1 + 7_200_000);
    const inventory = { ...emptyInventory(), position: '1', averageCost: '100', fills: 1, boughtBase: '1' };
    const restarted = seedRunningPnl({ inventory, fees: '0', lastMid: '98', ...marks }, DAY1 + 7_200_000);
    expect(dailyPnl(restarted)).toBe('-6');
    expect(drawdown(restarted)).toBe('12');
    const forgetful = seedRunningPnl({ inventory, fees: '0', lastMid: '98' }, DAY1 + 7_200_000);
    expect(dailyPnl(forgetful)).toBe('0');
  });

  it("an operator's resume re-bases the peak, and today's baseline when it was today", () => {
    const resumed = [...log, at(DAY1 + 3_700_000, 'Resumed', { from: 'paused', to: 'quoting', reason: 'operator', detail: 'x' }), decision(DAY1 + 3_800_000, '97')];
    expect(recordedPnlMarks(resumed, MARKET, DAY1 + 7_200_000)).toEqual({ dayStartNet: '-2', peak: '-2' });
  });

  it('a log that began today counts the day from zero', () => {
    expect(recordedPnlMarks([fill(DAY1 + 1_000, 'buy', '100', '1'), decision(DAY1 + 2_000, '95')], MARKET, DAY1 + 5_000)).toEqual({ dayStartNet: '0', peak: '0' });
  });
});
