import { D, type Decimal } from '../core/decimal.js';

/**
 * Thrown when the strategy is handed inputs it cannot quote from (a crossed
 * book, a non-positive price, a malformed decimal). The strategy never
 * guesses: the shell decides whether to pause or skip, with this message.
 */
export class StrategyInputError extends Error {
  override readonly name = 'StrategyInputError';
  readonly detail: Readonly<Record<string, string | number | boolean>>;

  constructor(message: string, detail: Readonly<Record<string, string | number | boolean>> = {}) {
    super(message);
    this.detail = detail;
  }
}

/** A finite number > 0 (prices, ticks). */
export function requirePositive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new StrategyInputError(`${name} must be a finite number > 0, got ${String(value)}`, { [name]: String(value) });
  }
  return value;
}

/** A finite number >= 0 (bps amounts, volatility). */
export function requireNonNegative(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new StrategyInputError(`${name} must be a finite number >= 0, got ${String(value)}`, { [name]: String(value) });
  }
  return value;
}

export function requireFinite(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new StrategyInputError(`${name} must be a finite number, got ${String(value)}`, { [name]: String(value) });
  }
  return value;
}

/**
 * Parses a number or decimal string with our decimal instance. decimal.js
 * would accept "NaN" and "Infinity" and throws its own error on garbage; both
 * become a StrategyInputError naming the field.
 */
export function parseDecimal(name: string, value: string | number | Decimal): Decimal {
  let d: Decimal;
  try {
    d = D(value);
  } catch {
    throw new StrategyInputError(`${name} is not a decimal: ${String(value)}`, { [name]: String(value) });
  }
  if (!d.isFinite()) {
    throw new StrategyInputError(`${name} must be finite, got ${String(value)}`, { [name]: String(value) });
  }
  return d;
}

export function parsePositiveDecimal(name: string, value: string | number | Decimal): Decimal {
  const d = parseDecimal(name, value);
  if (!d.gt(0)) throw new StrategyInputError(`${name} must be > 0, got ${String(value)}`, { [name]: String(value) });
  return d;
}

export function parseNonNegativeDecimal(name: string, value: string | number | Decimal): Decimal {
  const d = parseDecimal(name, value);
  if (d.isNeg() && !d.isZero()) {
    throw new StrategyInputError(`${name} must be >= 0, got ${String(value)}`, { [name]: String(value) });
  }
  return d;
}
