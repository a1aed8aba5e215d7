import { D, toDecimalString } from '../core/decimal.js';
import { StrategyInputError } from './strategy-error.js';
import { roundDownToLot } from './tick-rounding.js';

/**
 * Share of a pair's size per venue, by each venue's recent fill rate: every
 * venue keeps minShare (so a quiet venue is still tried), the rest goes in
 * proportion to the fill rates (evenly when no venue filled). Shares sum to 1.
 */
export function allocationShares(fillRates: Readonly<Record<string, number>>, minShare: number): Record<string, number> {
  const venues = Object.keys(fillRates).sort();
  if (venues.length === 0) return {};
  for (const v of venues) {
    const r = fillRates[v] as number;
    if (!Number.isFinite(r) || r < 0) throw new StrategyInputError(`fill rate of venue ${v} must be a finite number >= 0, got ${r}`, { venue: v, fillRate: String(r) });
  }
  const floor = Math.min(minShare, 1 / venues.length);
  const rest = 1 - floor * venues.length;
  const total = venues.reduce((s, v) => s + (fillRates[v] as number), 0);
  return Object.fromEntries(venues.map((v) => [v, floor + rest * (total > 0 ? (fillRates[v] as number) / total : 1 / venues.length)]));
}

/** A size (base) split by the shares, each part rounded down to the lot, so the parts never sum above the total. */
export function allocateSize(total: string, shares: Readonly<Record<string, number>>, lot: string): Record<string, string> {
  return Object.fromEntries(Object.entries(shares).map(([v, s]) => [v, roundDownToLot(D(total).times(toDecimalString(s)), lot)]));
}
