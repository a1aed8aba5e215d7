/**
 * Online estimate of the order-arrival intensity lambda(delta) = A e^(-k delta)
 * (Avellaneda–Stoikov, GLFT) from market trades. A trade at distance delta
 * (bps from the mid) would have filled a resting order at any distance up to
 * delta, so for each grid distance delta_j we count the trades that reached
 * it, divide by the observed time, and fit ln lambda_j = ln A - k delta_j by
 * weighted least squares (weights = counts, the inverse Poisson variance of
 * the log). Counts and time decay with a half-life, so the fit follows the
 * market. Pure and immutable: the machine folds it on every trade.
 */
export interface IntensityState {
  readonly lastTs: number | null;
  /** Observed time, seconds, decayed like the counts. */
  readonly seconds: number;
  /** counts[j]: decayed number of trades with distance >= j x stepBps. */
  readonly counts: readonly number[];
  readonly trades: number;
}

export interface IntensityParams {
  readonly intensityStepBps: number;
  readonly intensityLevels: number;
  /** 0 = no decay. */
  readonly intensityHalfLifeMs: number;
  readonly minTrades: number;
}

export interface IntensityEstimate {
  /** Arrivals per second at the mid. */
  readonly A: number;
  /** Decay per bps of distance. */
  readonly k: number;
}

export const emptyIntensity = (): IntensityState => ({ lastTs: null, seconds: 0, counts: [], trades: 0 });

/** Moves the state to time ts: counts decay, the elapsed time is added (decayed) to the observed time. */
function advance(s: IntensityState, ts: number, p: IntensityParams): IntensityState {
  const counts = s.counts.length === p.intensityLevels ? s.counts : new Array<number>(p.intensityLevels).fill(0);
  if (s.lastTs === null || ts <= s.lastTs) return { ...s, counts, lastTs: s.lastTs ?? ts };
  const dtMs = ts - s.lastTs;
  if (p.intensityHalfLifeMs === 0) return { lastTs: ts, seconds: s.seconds + dtMs / 1000, counts, trades: s.trades };
  const f = 2 ** (-dtMs / p.intensityHalfLifeMs);
  // Integral of the decay over the gap: the time just observed, weighted like the counts.
  const added = ((1 - f) * p.intensityHalfLifeMs) / Math.LN2 / 1000;
  return { lastTs: ts, seconds: s.seconds * f + added, counts: counts.map((c) => c * f), trades: s.trades };
}

export function foldIntensity(s: IntensityState, ts: number, distanceBps: number, p: IntensityParams): IntensityState {
  if (!Number.isFinite(distanceBps) || distanceBps < 0) return s;
  const a = advance(s, ts, p);
  const counts = a.counts.map((c, j) => (distanceBps >= j * p.intensityStepBps ? c + 1 : c));
  return { ...a, counts, trades: a.trades + 1 };
}

/** Weighted least-squares fit of ln(rate) against distance; null until warm or when the fit is degenerate. */
export function estimateIntensity(s: IntensityState, ts: number, p: IntensityParams): IntensityEstimate | null {
  if (s.trades < p.minTrades) return null;
  const a = advance(s, ts, p);
  if (!(a.seconds > 0)) return null;
  let sw = 0;
  let sx = 0;
  let sy = 0;
  const pts: { x: number; y: number; w: number }[] = [];
  a.counts.forEach((c, j) => {
    if (c < 1) return;
    const x = j * p.intensityStepBps;
    const y = Math.log(c / a.seconds);
    pts.push({ x, y, w: c });
    sw += c;
    sx += c * x;
    sy += c * y;
  });
  if (pts.length < 2) return null;
  const mx = sx / sw;
  const my = sy / sw;
  let sxy = 0;
  let sxx = 0;
  for (const { x, y, w } of pts) {
    sxy += w * (x - mx) * (y - my);
    sxx += w * (x - mx) * (x - mx);
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  const k = -slope;
  if (!(k > 0) || !Number.isFinite(k)) return null;
  return { A: Math.exp(my - slope * mx), k };
}
