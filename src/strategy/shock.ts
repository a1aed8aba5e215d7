import { requireFinite, requireNonNegative, requirePositive, StrategyInputError } from './strategy-error.js';

export interface ShockSample {
  readonly ts: number;
  readonly mid: number;
}

/** Recent (ts, mid) samples, oldest first, spanning at most the shock window. Immutable. */
export interface ShockWindow {
  readonly samples: readonly ShockSample[];
}

export interface ShockMeasure {
  /** Largest move of the current mid away from any sample in the window, in percent of that sample. */
  readonly movePct: number;
  /** The window sample the move was measured from (the pre-move price); the current mid when the window is empty. */
  readonly referencePrice: number;
}

export const emptyShockWindow = (): ShockWindow => ({ samples: [] });

/**
 * Appends a sample and drops those older than `windowMs` before it (a sample
 * exactly windowMs old stays). Data time must not go backwards: the market
 * data operators guarantee it, so a violation is a bug and is thrown.
 */
export function pushShockSample(window: ShockWindow, ts: number, mid: number, windowMs: number): ShockWindow {
  requireFinite('ts', ts);
  requirePositive('mid', mid);
  requireNonNegative('windowMs', windowMs);
  const last = window.samples[window.samples.length - 1];
  if (last !== undefined && ts < last.ts) {
    throw new StrategyInputError(`shock sample out of order: ts ${ts} < last ${last.ts}`, { ts, lastTs: last.ts });
  }
  const cutoff = ts - windowMs;
  const kept = window.samples.filter((s) => s.ts >= cutoff);
  return { samples: [...kept, { ts, mid }] };
}

/** Compares `mid` with every sample: a spike and its reversal inside the window both count. */
export function measureShock(window: ShockWindow, mid: number): ShockMeasure {
  requirePositive('mid', mid);
  let movePct = 0;
  let referencePrice = mid;
  for (const s of window.samples) {
    const move = (Math.abs(mid - s.mid) / s.mid) * 100;
    // Strictly greater: on ties the oldest sample wins, deterministically.
    if (move > movePct) {
      movePct = move;
      referencePrice = s.mid;
    }
  }
  return { movePct, referencePrice };
}

/** "More than the shock threshold", so a move of exactly the threshold is not a shock. */
export const isShock = (measure: ShockMeasure, thresholdPct: number): boolean => measure.movePct > thresholdPct;

/** Resume only when the price has settled within bandPct of the reference (inclusive). */
export function withinResumeBand(price: number, reference: number, bandPct: number): boolean {
  requirePositive('price', price);
  requirePositive('reference', reference);
  requireNonNegative('bandPct', bandPct);
  return (Math.abs(price - reference) / reference) * 100 <= bandPct;
}
