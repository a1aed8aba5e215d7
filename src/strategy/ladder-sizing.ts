import type { StrategyParams } from '../config/strategy-params.js';
import { toDecimalString } from '../core/decimal.js';
import type { LadderSide, LevelSizing } from './ladder.js';
import type { QuoteSignals, RuleFiring } from './quote-types.js';

type LadderParams = StrategyParams['ladder'];

/** The configured level size and increment, in its own currency. */
export function configuredSizing(p: LadderParams): LevelSizing {
  return p.sizeUnit === 'base'
    ? { unit: 'base', size: p.levelSizeBase, increment: p.sizeIncrement }
    : { unit: 'quote', size: p.levelSizeQuote, increment: p.sizeIncrement };
}

/** Level-0 size in base at the reference price: the inventory unit of the optimal-quoting models. */
export function levelZeroBase(reference: number, p: LadderParams): number {
  return p.sizeUnit === 'base' ? Number(p.levelSizeBase) : Number(p.levelSizeQuote) / reference;
}

/**
 * Per-side sizing. With depth-aware sizing on, level 0 of a side is
 * depth.fraction x the average resting size within 1 % of the mid on that
 * side, capped at depth.maxSizeBase; the increment keeps its meaning, in base.
 * A side without depth data keeps the configured size (recorded).
 */
export function sideSizing(reference: number, p: LadderParams, signals: QuoteSignals): { sizing: Record<LadderSide, LevelSizing>; firings: RuleFiring[] } {
  const configured = configuredSizing(p);
  if (!p.depth.enabled) return { sizing: { bid: configured, ask: configured }, firings: [] };
  const firings: RuleFiring[] = [];
  const incrementBase = p.sizeUnit === 'base' ? p.sizeIncrement : toDecimalString(Number(p.sizeIncrement) / reference);
  const side = (s: LadderSide): LevelSizing => {
    const avg = s === 'bid' ? signals.depthBidAvgSize : signals.depthAskAvgSize;
    if (avg === undefined || !(avg > 0)) {
      firings.push({ rule: 'depth-sizing', detail: { side: s, fallback: 'configured size', why: 'no resting size within 1 % of mid' } });
      return configured;
    }
    const wanted = p.depth.fraction * avg;
    const cap = Number(p.depth.maxSizeBase);
    const size = Math.min(wanted, cap);
    firings.push({ rule: 'depth-sizing', detail: { side: s, avgRestingSize: avg, fraction: p.depth.fraction, sizeBase: size, maxSizeBase: p.depth.maxSizeBase, capped: wanted > cap } });
    return { unit: 'base', size: toDecimalString(size), increment: incrementBase };
  };
  return { sizing: { bid: side('bid'), ask: side('ask') }, firings };
}
