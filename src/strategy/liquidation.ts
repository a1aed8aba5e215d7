import { D, Decimal, toDecimalString } from '../core/decimal.js';
import type { StrategyParams } from '../config/strategy-params.js';
import type { MarketSpec } from '../venues/venue.js';
import type { QuoteDecision, QuoteInputs, QuoteLevel, RuleFiring } from './quote-types.js';
import {
  parseDecimal,
  parseNonNegativeDecimal,
  parsePositiveDecimal,
  requireNonNegative,
  requirePositive,
  StrategyInputError,
} from './strategy-error.js';
import { roundAskToTick, roundBidToTick, roundDownToLot } from './tick-rounding.js';

/** Smallest lot multiple >= value. */
const ceilToLot = (value: Decimal, lot: Decimal): Decimal => value.toNearest(lot, Decimal.ROUND_CEIL);

/**
 * Reduce-only decision while liquidating: one order on the reducing side for
 * the position beyond inventory.maxPosition. It is priced through the touch
 * by at most liquidation.slippageBps (a taker order, so it may cross), with
 * the tick rounding taken inside the cap: a sell rounds up, a buy rounds down.
 */
export function decideLiquidation(
  inputs: Pick<QuoteInputs, 'bestBid' | 'bestAsk' | 'position'>,
  params: StrategyParams,
  market: Pick<MarketSpec, 'tickSize' | 'lotSize' | 'minNotional'>,
): QuoteDecision {
  requirePositive('bestBid', inputs.bestBid);
  requirePositive('bestAsk', inputs.bestAsk);
  if (inputs.bestBid > inputs.bestAsk) {
    throw new StrategyInputError(`crossed book: best bid ${inputs.bestBid} > best ask ${inputs.bestAsk}`, {
      bestBid: inputs.bestBid,
      bestAsk: inputs.bestAsk,
    });
  }
  const slippageBps = requireNonNegative('liquidation.slippageBps', params.liquidation.slippageBps);
  const position = parseDecimal('position', inputs.position);
  const maxPosition = parsePositiveDecimal('inventory.maxPosition', params.inventory.maxPosition);
  const tick = parsePositiveDecimal('tickSize', market.tickSize);
  const lot = parsePositiveDecimal('lotSize', market.lotSize);
  const minNotional = parseNonNegativeDecimal('minNotional', market.minNotional);

  const absPosition = position.abs();
  const excess = absPosition.minus(maxPosition);
  const pos = toDecimalString(position);
  const max = toDecimalString(maxPosition);
  if (!excess.gt(0)) {
    return { bids: [], asks: [], rules: [], reason: `no excess to liquidate: |position| ${toDecimalString(absPosition)} <= maxPosition ${max}` };
  }

  const side = position.gt(0) ? 'sell' : 'buy';
  const slip = D(slippageBps).div(10_000);
  const touch = side === 'sell' ? inputs.bestBid : inputs.bestAsk;
  const capPrice = side === 'sell' ? D(touch).times(D(1).minus(slip)) : D(touch).times(D(1).plus(slip));
  let price = D(side === 'sell' ? roundAskToTick(capPrice, tick) : roundBidToTick(capPrice, tick));
  const rules: RuleFiring[] = [];
  if (!price.gt(0)) {
    // Only with slippage >= 100%: the lowest price there is, one tick, is still inside the cap.
    rules.push({ rule: 'price-floor', detail: { side, price: toDecimalString(price), clampedTo: toDecimalString(tick) } });
    price = tick;
  }

  let amount = D(roundDownToLot(excess, lot));
  const excessAmount = amount;
  if (amount.isZero() || price.times(amount).lt(minNotional)) {
    // The venue would reject it: take the smallest lot multiple that clears the minimum, but never flip the position.
    const needed = ceilToLot(minNotional.div(price), lot);
    const enough = Decimal.max(needed, lot);
    rules.push({
      rule: 'min-notional',
      detail: {
        side,
        excess: toDecimalString(excess),
        excessAmount: toDecimalString(excessAmount),
        price: toDecimalString(price),
        minNotional: toDecimalString(minNotional),
        raisedTo: toDecimalString(enough),
        reachable: enough.lte(absPosition),
      },
    });
    if (enough.gt(absPosition)) {
      return {
        bids: [],
        asks: [],
        rules,
        reason: `cannot liquidate: ${toDecimalString(enough)} needed for min notional ${toDecimalString(minNotional)} exceeds |position| ${toDecimalString(absPosition)}`,
      };
    }
    amount = enough;
  }

  rules.unshift({
    rule: 'liquidation',
    detail: {
      side,
      position: pos,
      maxPosition: max,
      excess: toDecimalString(excess),
      amount: toDecimalString(amount),
      price: toDecimalString(price),
      touch,
      slippageBps,
      capPrice: toDecimalString(capPrice),
    },
  });
  const level: QuoteLevel = { level: 0, price: toDecimalString(price), amount: toDecimalString(amount) };
  return {
    bids: side === 'buy' ? [level] : [],
    asks: side === 'sell' ? [level] : [],
    rules,
    reason: `liquidating excess ${toDecimalString(excess)} beyond maxPosition ${max}: ${side} ${level.amount} at ${level.price} (touch ${touch}, slippage cap ${slippageBps} bps)`,
  };
}
