import type { StrategyParams } from '../config/strategy-params.js';
import type { RuleFiring } from './quote-types.js';

/**
 * Shift of both quotes from market pressure, bps (positive moves them up):
 * linear in the book imbalance over the top levels, plus a harder shift,
 * linear in the trade-flow imbalance, once that flow is one-sided beyond the
 * threshold. Buyers pressing means the price is likely to rise: quote higher.
 */
export function pressureShiftBps(bookImbalance: number | undefined, flowImbalance: number | undefined, p: StrategyParams['pressure']): { shiftBps: number; firing: RuleFiring | null } {
  const book = bookImbalance ?? 0;
  const flow = flowImbalance ?? 0;
  const bookShift = book * p.imbalanceShiftBps;
  const flowShift = Math.abs(flow) > p.flowThreshold ? flow * p.flowShiftBps : 0;
  const shiftBps = bookShift + flowShift + 0;
  if (shiftBps === 0) return { shiftBps: 0, firing: null };
  return {
    shiftBps,
    firing: { rule: 'market-pressure', detail: { bookImbalance: book, levels: p.levels, bookShiftBps: bookShift, flowImbalance: flow, flowThreshold: p.flowThreshold, flowShiftBps: flowShift, shiftBps } },
  };
}
