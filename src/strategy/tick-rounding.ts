import type { Decimal as DecimalJs } from 'decimal.js';
import { Decimal, type Decimal as DecimalT, toDecimalString } from '../core/decimal.js';
import { parseDecimal, parseNonNegativeDecimal, parsePositiveDecimal, StrategyInputError } from './strategy-error.js';

export type PriceInput = string | number | DecimalT;

/**
 * Directed snapping to a grid. decimal.js `toNearest` divides to an exact
 * integer quotient in the given rounding mode, so values already on the grid
 * stay put (61837.63 / 0.01 is exact in decimal, unlike in float), and off-grid
 * values never round the wrong way (unlike ccxt's priceToPrecision).
 * Numbers are read through their shortest decimal form.
 */
function snap(name: string, value: PriceInput, step: PriceInput, rm: DecimalJs.Rounding): DecimalT {
  const v = parseDecimal(name, value);
  const s = parsePositiveDecimal('step', step);
  const out = v.toNearest(s, rm);
  // Only beyond 40 significant digits could the final rounding break direction; refuse rather than mis-quote.
  const ok = rm === Decimal.ROUND_CEIL ? out.gte(v) : out.lte(v);
  if (!ok || !out.mod(s).isZero()) {
    throw new StrategyInputError(`${name} ${v.toFixed()} cannot be snapped exactly to step ${s.toFixed()}`, {
      [name]: v.toFixed(),
      step: s.toFixed(),
    });
  }
  return out;
}

/** A bid never rounds up: the largest tick multiple <= price. */
export const roundBidToTick = (price: PriceInput, tick: PriceInput): string =>
  toDecimalString(snap('price', price, tick, Decimal.ROUND_FLOOR));

/** An ask never rounds down: the smallest tick multiple >= price. */
export const roundAskToTick = (price: PriceInput, tick: PriceInput): string =>
  toDecimalString(snap('price', price, tick, Decimal.ROUND_CEIL));

/** An amount never rounds up: the largest lot multiple <= amount (amount >= 0). */
export function roundDownToLot(amount: PriceInput, lot: PriceInput): string {
  parseNonNegativeDecimal('amount', amount);
  return toDecimalString(snap('amount', amount, lot, Decimal.ROUND_FLOOR));
}

/** True when value is an exact multiple of step. */
export function isOnGrid(value: PriceInput, step: PriceInput): boolean {
  return parseDecimal('value', value).mod(parsePositiveDecimal('step', step)).isZero();
}
