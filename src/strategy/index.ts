export { StrategyInputError } from './strategy-error.js';
export { midPrice } from './reference-price.js';
export {
  emptyVolatility,
  logReturns,
  realisedVolatilityBps,
  sampleMid,
  spreadMultiplier,
  type VolatilityParams,
  type VolatilityState,
} from './volatility.js';
export {
  emptyShockWindow,
  isShock,
  measureShock,
  pushShockSample,
  withinResumeBand,
  type ShockMeasure,
  type ShockSample,
  type ShockWindow,
} from './shock.js';
export { priceSkewBps, sizeSkewFactors, type InventoryParams, type SizeFactors } from './inventory-skew.js';
export { isOnGrid, roundAskToTick, roundBidToTick, roundDownToLot, type PriceInput } from './tick-rounding.js';
export { buildLadder, type Ladder, type LadderInputs, type LadderMarket } from './ladder.js';
export { decideQuotes } from './decide-quotes.js';
export { decideLiquidation } from './liquidation.js';
export type { QuoteDecision, QuoteInputs, QuoteLevel, RuleFiring } from './quote-types.js';
