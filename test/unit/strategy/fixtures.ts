import fc from 'fast-check';
import { D } from '../../../src/core/decimal.js';
import { defaultStrategyParams, type StrategyParams, StrategyParamsSchema, type StrategyParamsInput } from '../../../src/config/strategy-params.js';
import type { QuoteInputs } from '../../../src/strategy/quote-types.js';
import type { MarketSpec } from '../../../src/venues/venue.js';
import { BTCUSDT_SPOT } from '../../fixtures/markets.js';

/** Shared fixtures for the strategy tests (not a test file itself). */

export const BTCUSDT: MarketSpec = BTCUSDT_SPOT;

export const market = (over: Partial<MarketSpec> = {}): MarketSpec => ({ ...BTCUSDT, ...over });

export const params = (over: StrategyParamsInput = {}): StrategyParams =>
  Object.keys(over).length === 0 ? defaultStrategyParams() : StrategyParamsSchema.parse(over);

/** A one-tick-wide BTC book with the mid between. */
export const inputs = (over: Partial<QuoteInputs> = {}): QuoteInputs => ({
  ts: 1_700_000_000_000,
  mid: 61837.635,
  bestBid: 61837.63,
  bestAsk: 61837.64,
  volatilityBps: 0,
  position: '0',
  reduceOnly: false,
  ...over,
});

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export const TICKS = ['0.01', '0.1', '0.5', '0.00001', '1', '0.25'] as const;
export const LOTS = ['0.00001', '0.001', '0.1', '1'] as const;

export interface GridBook {
  readonly tick: string;
  readonly bestBid: number;
  readonly bestAsk: number;
}

/** Books on the tick grid, best bid < best ask, prices read back as the float64 the feed would carry. */
export const arbGridBook = (): fc.Arbitrary<GridBook> =>
  fc
    .record({
      tick: fc.constantFrom(...TICKS),
      units: fc.integer({ min: 1, max: 100_000_000 }),
      width: fc.integer({ min: 1, max: 50 }),
    })
    .map(({ tick, units, width }) => ({
      tick,
      bestBid: D(units).times(tick).toNumber(),
      bestAsk: D(units + width).times(tick).toNumber(),
    }));

/** Position as a decimal string on a 1e-8 grid, within +-limit. */
export const arbPosition = (limit = 0.2): fc.Arbitrary<string> =>
  fc.integer({ min: -Math.round(limit * 1e8), max: Math.round(limit * 1e8) }).map((n) => D(n).div(1e8).toFixed());
