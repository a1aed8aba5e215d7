import type { StrategyParams } from '../config/strategy-params.js';
import type { RuleFiring } from './quote-types.js';

/*
 * Spread rules on top of the base spread and the capped volatility
 * multiplier. Each returns the new spread and the firing to record, or null
 * when it does not change anything.
 */

export type Regime = 'low' | 'medium' | 'high';

export function volatilityRegime(volatilityBps: number, p: StrategyParams['volatility']['regimes']): Regime {
  if (volatilityBps < p.lowBelowBps) return 'low';
  if (volatilityBps > p.highAboveBps) return 'high';
  return 'medium';
}

/** The regime's base spread (or the global one) and its multiplier. */
export function regimeSettings(volatilityBps: number, baseSpreadBps: number, p: StrategyParams['volatility']['regimes']): { regime: Regime; baseSpreadBps: number; multiplier: number; firing: RuleFiring } {
  const regime = volatilityRegime(volatilityBps, p);
  const r = p[regime];
  const base = r.baseSpreadBps ?? baseSpreadBps;
  return {
    regime,
    baseSpreadBps: base,
    multiplier: r.spreadMultiplier,
    firing: { rule: 'volatility-regime', detail: { regime, volatilityBps, lowBelowBps: p.lowBelowBps, highAboveBps: p.highAboveBps, baseSpreadBps: base, multiplier: r.spreadMultiplier } },
  };
}

/** Widening while our own fill rate is high: we are probably being picked off. */
export function adverseSelectionWidening(spreadBps: number, fillsPerMinute: number | undefined, p: StrategyParams['adverseSelection']): { spreadBps: number; firing: RuleFiring } | null {
  if (fillsPerMinute === undefined || !(fillsPerMinute > p.fillsPerMinuteAbove)) return null;
  const widened = spreadBps * p.widenFactor;
  return {
    spreadBps: widened,
    firing: { rule: 'adverse-selection-widening', detail: { fillsPerMinute, fillsPerMinuteAbove: p.fillsPerMinuteAbove, widenFactor: p.widenFactor, spreadBps, widenedBps: widened } },
  };
}

/**
 * Fee-aware spread: each side must earn its maker fee, so the fee is added to
 * both sides (a rebate, a negative fee, tightens them), then floored.
 */
export function feeAdjustedSpread(spreadBps: number, makerFee: string, p: StrategyParams['fees']): { spreadBps: number; firing: RuleFiring } {
  const makerFeeBps = Number(makerFee) * 1e4;
  const adjusted = spreadBps + 2 * makerFeeBps;
  const out = Math.max(adjusted, p.floorBps);
  return { spreadBps: out, firing: { rule: 'fee-aware', detail: { makerFeeBps, spreadBps, adjustedBps: adjusted, floorBps: p.floorBps, floored: out !== adjusted } } };
}
