import type { StrategyParams } from '../config/strategy-params.js';
import { D, Decimal, type Decimal as DecimalT } from '../core/decimal.js';
import { parseDecimal, parsePositiveDecimal } from './strategy-error.js';

export type InventoryParams = Pick<StrategyParams['inventory'], 'maxPosition' | 'hardLimit' | 'priceSkewBps' | 'maxPriceSkewBps' | 'sizeSkew'>;

export interface SizeFactors {
  /** Multiplier on the bid (buy) level size, in [0, 2]. */
  readonly bid: number;
  /** Multiplier on the ask (sell) level size, in [0, 2]. */
  readonly ask: number;
}

const clamp = (x: DecimalT, lo: DecimalT | number, hi: DecimalT | number): DecimalT => Decimal.min(hi, Decimal.max(lo, x));

/** Float result for the signal maths; + 0 turns -0 into 0, so a flat book records a plain 0. */
const toSignal = (x: DecimalT): number => x.toNumber() + 0;

/**
 * position / maxPosition. Computed in decimal, then converted once, so the
 * recorded numbers read cleanly (3.6, not 3.5999999999999996).
 */
function inventoryRatio(position: string, params: InventoryParams): DecimalT {
  const pos = parseDecimal('position', position);
  const max = parsePositiveDecimal('inventory.maxPosition', params.maxPosition);
  return pos.div(max);
}

/**
 * Signed shift of the reference price, in bps: negative when long (both
 * quotes move down, so we sell more readily and buy less), positive when
 * short. Linear, reaching priceSkewBps at |position| = maxPosition and
 * growing beyond it until the maxPriceSkewBps cap.
 */
export function priceSkewBps(position: string, params: InventoryParams): number {
  const raw = inventoryRatio(position, params).times(params.priceSkewBps).neg();
  const cap = D(params.maxPriceSkewBps);
  return toSignal(clamp(raw, cap.neg(), cap));
}

/**
 * Size multipliers: the adding side shrinks and the reducing side grows,
 * linearly, reaching 1 -/+ sizeSkew at |position| = maxPosition, flat beyond.
 */
export function sizeSkewFactors(position: string, params: InventoryParams): SizeFactors {
  const r = clamp(inventoryRatio(position, params), -1, 1);
  const s = clamp(D(params.sizeSkew), 0, 1);
  return { bid: toSignal(clamp(D(1).minus(s.times(r)), 0, 2)), ask: toSignal(clamp(D(1).plus(s.times(r)), 0, 2)) };
}
