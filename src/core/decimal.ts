import { Decimal as DecimalJs } from 'decimal.js';

/**
 * The engine's own decimal.js instance. The library default (20 significant
 * digits) silently rounds large notionals, so money uses 40 digits here and
 * never the global constructor.
 */
export const Decimal = DecimalJs.clone({ precision: 40, rounding: DecimalJs.ROUND_HALF_EVEN, toExpNeg: -30, toExpPos: 40 });
export type Decimal = InstanceType<typeof Decimal>;

export type DecimalInput = string | number | Decimal;

export const D = (value: DecimalInput): Decimal => new Decimal(value);

/** Canonical decimal string: no exponent, no trailing zeros, "-0" normalised to "0". */
export function toDecimalString(value: DecimalInput): string {
  const d = D(value);
  if (d.isZero()) return '0';
  return d.toFixed();
}

export const DECIMAL_STRING_PATTERN = /^-?(0|[1-9]\d*)(\.\d+)?$/;
