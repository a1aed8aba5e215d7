/**
 * Online volatility of the mid for the optimal-quoting models: an EWMA of
 * squared log returns per second, in bps^2 / s, so sigma comes out in bps per
 * square root of a second whatever the sampling rate. Pure and immutable.
 */
export interface SigmaState {
  readonly lastTs: number | null;
  readonly lastMid: number | null;
  /** EWMA of r^2 / dt, bps^2 per second. */
  readonly variance: number;
  readonly samples: number;
}

export interface SigmaParams {
  readonly sigmaHalfLifeMs: number;
  readonly sigmaSampleMs: number;
}

/** Returns this many samples before sigma is used. */
export const SIGMA_MIN_SAMPLES = 10;

export const emptySigma = (): SigmaState => ({ lastTs: null, lastMid: null, variance: 0, samples: 0 });

export function foldSigma(s: SigmaState, ts: number, mid: number, p: SigmaParams): SigmaState {
  if (!(mid > 0) || !Number.isFinite(mid)) return s;
  if (s.lastTs === null || s.lastMid === null) return { lastTs: ts, lastMid: mid, variance: 0, samples: 0 };
  const dtMs = ts - s.lastTs;
  if (dtMs < p.sigmaSampleMs || dtMs <= 0) return s;
  const r = Math.log(mid / s.lastMid) * 1e4;
  const obs = (r * r) / (dtMs / 1000);
  // The weight of a sample grows with the time it covers, so irregular sampling is not biased.
  const alpha = s.samples === 0 ? 1 : 1 - 2 ** (-dtMs / p.sigmaHalfLifeMs);
  return { lastTs: ts, lastMid: mid, variance: s.variance + alpha * (obs - s.variance), samples: s.samples + 1 };
}

/** Bps per square root of a second; null until SIGMA_MIN_SAMPLES returns were seen. */
export const sigmaEstimateBps = (s: SigmaState): number | null => (s.samples >= SIGMA_MIN_SAMPLES ? Math.sqrt(s.variance) : null);
