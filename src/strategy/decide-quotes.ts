import type { StrategyParams } from '../config/strategy-params.js';
import type { MarketSpec } from '../venues/venue.js';
import { priceSkewBps, sizeSkewFactors } from './inventory-skew.js';
import { buildLadder } from './ladder.js';
import { decideLiquidation } from './liquidation.js';
import type { QuoteDecision, QuoteInputs, RuleFiring } from './quote-types.js';
import { requirePositive } from './strategy-error.js';
import { spreadMultiplier } from './volatility.js';

/** Short, stable number text for the reason line (the exact numbers are in `rules`). */
const fmt = (x: number): string => String(Number(x.toFixed(4)) + 0);

/**
 * The quote decision of one pair: a pure function of the recorded inputs, the
 * parameters and the instrument, so an auditor can recompute it exactly.
 * Spread from volatility, price and size skew from inventory, then the ladder.
 * Reduce-only (liquidating) decisions go to decideLiquidation.
 */
export function decideQuotes(inputs: QuoteInputs, params: StrategyParams, market: MarketSpec): QuoteDecision {
  if (inputs.reduceOnly) return decideLiquidation(inputs, params, market);
  const reference = requirePositive('mid', inputs.mid);
  const rules: RuleFiring[] = [];

  const vol = params.volatility;
  const multiplier = spreadMultiplier(inputs.volatilityBps, vol);
  if (multiplier !== 1) {
    rules.push({
      rule: 'volatility-multiplier',
      detail: {
        volatilityBps: inputs.volatilityBps,
        k: vol.k,
        multiplier,
        maxMultiplier: vol.maxMultiplier,
        capped: 1 + vol.k * inputs.volatilityBps > vol.maxMultiplier,
      },
    });
  }

  const widened = params.baseSpreadBps * multiplier;
  const spreadBps = Math.max(widened, params.minSpreadBps);
  if (spreadBps !== widened) {
    rules.push({ rule: 'min-spread', detail: { spreadBps: widened, minSpreadBps: params.minSpreadBps } });
  }
  const halfSpreadBps = spreadBps / 2;

  const inv = params.inventory;
  const skewBps = priceSkewBps(inputs.position, inv);
  if (skewBps !== 0) {
    rules.push({
      rule: 'inventory-price-skew',
      detail: {
        position: inputs.position,
        maxPosition: inv.maxPosition,
        priceSkewBps: inv.priceSkewBps,
        skewBps,
        capped: Math.abs(skewBps) === inv.maxPriceSkewBps,
      },
    });
  }
  const sizeFactors = sizeSkewFactors(inputs.position, inv);
  if (sizeFactors.bid !== 1 || sizeFactors.ask !== 1) {
    rules.push({
      rule: 'inventory-size-skew',
      detail: { position: inputs.position, maxPosition: inv.maxPosition, sizeSkew: inv.sizeSkew, bidFactor: sizeFactors.bid, askFactor: sizeFactors.ask },
    });
  }

  const ladder = buildLadder({
    reference,
    halfSpreadBps,
    skewBps,
    levels: params.ladder.levels,
    levelSpacingBps: params.ladder.levelSpacingBps,
    levelSizeQuote: params.ladder.levelSizeQuote,
    sizeFactors,
    market,
    bestBid: inputs.bestBid,
    bestAsk: inputs.bestAsk,
  });
  rules.push(...ladder.rules);

  const ladderRules = [...new Set(ladder.rules.map((r) => r.rule))];
  const shape = `spread ${fmt(spreadBps)} bps (vol x${fmt(multiplier)}), skew ${fmt(skewBps)} bps`;
  const reason =
    ladder.bids.length === 0 && ladder.asks.length === 0
      ? `no quotes: every level dropped (${ladderRules.join(', ')}); ${shape}`
      : `quoting ${ladder.bids.length} bids, ${ladder.asks.length} asks; ${shape}${ladderRules.length > 0 ? `; ${ladderRules.join(', ')}` : ''}`;

  return { bids: ladder.bids, asks: ladder.asks, rules, reason };
}
