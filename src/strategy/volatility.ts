import type { StrategyParams } from '../config/strategy-params.js';
import { requireFinite, requireNonNegative, requirePositive } from './strategy-error.js';

export type VolatilityParams = Pick<StrategyParams['volatility'], 'sampleIntervalMs' | 'windowSamples' | 'k' | 'maxMultiplier'>;

/** Rolling mid samples for realised volatility. Immutable: every update returns a new state. */
export interface VolatilityState {
  /** Data time of the last sample taken, epoch ms; null before the first. */
  readonly lastSampleTs: number | null;
  /** Oldest first; at most windowSamples + 1 mids, i.e. windowSamples returns. */
  readonly mids: readonly number[];
}

export const emptyVolatility = (): VolatilityState => ({ lastSampleTs: null, mids: [] });

/**
 * Records `mid` if at least one sample interval has passed since the last
 * sample (data time, so backtests and live agree). Updates arriving faster
 * than the interval are ignored, so the volatility is per sample interval
 * whatever the feed rate. Returns the same state when nothing was sampled.
 */
export function sampleMid(state: VolatilityState, ts: number, mid: number, params: VolatilityParams): VolatilityState {
  requireFinite('ts', ts);
  requirePositive('mid', mid);
  if (state.lastSampleTs !== null && ts < state.lastSampleTs + params.sampleIntervalMs) return state;
  const keep = params.windowSamples + 1;
  const mids = [...state.mids, mid];
  return { lastSampleTs: ts, mids: mids.length > keep ? mids.slice(mids.length - keep) : mids };
}

/** Log returns between consecutive samples, oldest first. */
export function logReturns(state: VolatilityState): number[] {
  const out: number[] = [];
  for (let i = 1; i < state.mids.length; i++) {
    out.push(Math.log((state.mids[i] as number) / (state.mids[i - 1] as number)));
  }
  return out;
}

/**
 * Sample standard deviation (n - 1) of the log returns, in bps per sample
 * interval. 0 until there are two returns: one return has no dispersion.
 */
export function realisedVolatilityBps(state: VolatilityState): number {
  const r = logReturns(state);
  const n = r.length;
  if (n < 2) return 0;
  const mean = r.reduce((a, b) => a + b, 0) / n;
  // Two-pass variance: the one-pass formula cancels badly for tiny returns.
  const ss = r.reduce((a, b) => a + (b - mean) * (b - mean), 0);
  return Math.sqrt(ss / (n - 1)) * 1e4;
}

/** Spread widening for volatility: 1 + k x vol, capped at maxMultiplier (and never below 1). */
export function spreadMultiplier(volBps: number, params: VolatilityParams): number {
  requireNonNegative('volatilityBps', volBps);
  return Math.min(1 + params.k * volBps, params.maxMultiplier);
}
