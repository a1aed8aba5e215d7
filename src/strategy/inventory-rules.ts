import type { StrategyParams } from '../config/strategy-params.js';
import { D, Decimal, toDecimalString } from '../core/decimal.js';
import type { RuleFiring } from './quote-types.js';

/*
 * Inventory rules beyond the price and size skews: which sides are quoted,
 * the rebalance signal, the age limit and the position headroom.
 */

export type QuoteSide = 'bid' | 'ask';
type InventoryParams = StrategyParams['inventory'];

/** position - target, decimal string (the skews steer towards the target). */
export const deviationFromTarget = (position: string, target: string): string => (D(target).isZero() ? position : toDecimalString(D(position).minus(target)));

/**
 * Past |position| > reduceOnlyRatio x maxPosition only the side that brings
 * the position back towards zero is quoted. Null when both sides may quote.
 */
export function reduceOnlySide(position: string, p: InventoryParams): { side: QuoteSide; firing: RuleFiring } | null {
  const pos = D(position);
  const limit = D(p.maxPosition).times(p.reduceOnlyRatio);
  if (!pos.abs().gt(limit)) return null;
  const side: QuoteSide = pos.isNeg() ? 'bid' : 'ask';
  return { side, firing: { rule: 'reduce-only-side', detail: { position, maxPosition: p.maxPosition, ratio: p.reduceOnlyRatio, threshold: toDecimalString(limit), quoting: side } } };
}

/**
 * Rebalance signal: urgency 0 at |position - target| = startRatio x maxPosition,
 * growing linearly to 1 at maxPosition. The reducing side moves closer to
 * the reference by urgency x tightenBps.
 */
export function rebalanceSignal(deviation: string, p: InventoryParams): { reducing: QuoteSide; urgency: number; tightenBps: number; firing: RuleFiring } | null {
  const dev = D(deviation);
  if (dev.isZero()) return null;
  const ratio = dev.abs().div(p.maxPosition).toNumber();
  const start = p.rebalance.startRatio;
  const urgency = start >= 1 ? (ratio >= 1 ? 1 : 0) : Math.min(1, Math.max(0, (ratio - start) / (1 - start)));
  if (urgency <= 0) return null;
  const reducing: QuoteSide = dev.isNeg() ? 'bid' : 'ask';
  const tightenBps = urgency * p.rebalance.tightenBps;
  return {
    reducing,
    urgency,
    tightenBps,
    firing: { rule: 'rebalance', detail: { direction: reducing === 'ask' ? 'sell' : 'buy', deviation, target: p.target, ratio, startRatio: start, urgency, tightenBps } },
  };
}

/** Past the age limit (maxMultiple x halfLifeMs on one side of the target), the configured action applies. */
export function inventoryAgeBreach(ageMs: number | undefined, deviation: string, p: InventoryParams): { action: 'skew' | 'reduce-only'; reducing: QuoteSide; firing: RuleFiring } | null {
  const a = p.age;
  const limitMs = a.maxMultiple * a.halfLifeMs;
  const dev = D(deviation);
  if (ageMs === undefined || dev.isZero() || !(ageMs > limitMs)) return null;
  const reducing: QuoteSide = dev.isNeg() ? 'bid' : 'ask';
  return {
    action: a.action,
    reducing,
    firing: { rule: 'inventory-age', detail: { ageMs, limitMs, halfLifeMs: a.halfLifeMs, maxMultiple: a.maxMultiple, action: a.action, skewMultiplier: a.skewMultiplier, deviation } },
  };
}

/**
 * Most each side may add before |position| reaches maxPosition, base: a full
 * side filling never takes the position past the limit. 0 on a side already
 * at or beyond it.
 */
export function headroom(position: string, p: Pick<InventoryParams, 'maxPosition'>): Record<QuoteSide, string> {
  const pos = D(position);
  const max = D(p.maxPosition);
  return { bid: toDecimalString(Decimal.max(0, max.minus(pos))), ask: toDecimalString(Decimal.max(0, max.plus(pos))) };
}
