/*
 * Optimal market-making quotes, in bps of the reference price (so sigma is in
 * bps per square root of a second, k per bps and gamma per bps per unit of
 * inventory). q is the inventory deviation from target in units of one
 * level-0 order, the lot Delta of the GLFT paper.
 */

export interface AvellanedaStoikovInputs {
  readonly q: number;
  readonly gamma: number;
  /** Bps per square root of a second. */
  readonly sigma: number;
  /** Time left to the horizon, T - t, seconds. */
  readonly tau: number;
  /** Decay of the arrival intensity, per bps. */
  readonly k: number;
}

export interface OptimalQuotes {
  /** Shift of the reservation price from the reference, bps (negative when long). */
  readonly reservationShiftBps: number;
  /** Full optimal spread around the reservation price, bps. */
  readonly spreadBps: number;
}

/**
 * Avellaneda & Stoikov (2008): reservation price r = s - q gamma sigma^2 (T - t),
 * optimal spread gamma sigma^2 (T - t) + (2 / gamma) ln(1 + gamma / k).
 */
export function avellanedaStoikov(x: AvellanedaStoikovInputs): OptimalQuotes {
  const risk = x.gamma * x.sigma * x.sigma * x.tau;
  return { reservationShiftBps: -x.q * risk + 0, spreadBps: risk + (2 / x.gamma) * Math.log(1 + x.gamma / x.k) };
}

export interface GlftInputs {
  readonly q: number;
  readonly gamma: number;
  readonly sigma: number;
  /** Arrival rate at the mid, per second. */
  readonly A: number;
  readonly k: number;
}

export interface GlftQuotes extends OptimalQuotes {
  /** Distance of the bid below the reference, bps. */
  readonly bidDistanceBps: number;
  /** Distance of the ask above the reference, bps. */
  readonly askDistanceBps: number;
  readonly c1: number;
  readonly c2: number;
}

/**
 * Guéant, Lehalle & Fernandez-Tapia (2013), closed-form approximation for an
 * infinite horizon:
 *   delta_b(q) = c1 + (2q + 1) / 2 * c2,  delta_a(q) = c1 - (2q - 1) / 2 * c2,
 *   c1 = (1 / gamma) ln(1 + gamma / k),
 *   c2 = sqrt( sigma^2 gamma / (2 k A) * (1 + gamma / k)^(1 + k / gamma) ).
 * So the spread is 2 c1 + c2 and the centre shifts by -q c2.
 */
export function glft(x: GlftInputs): GlftQuotes {
  const c1 = (1 / x.gamma) * Math.log(1 + x.gamma / x.k);
  const c2 = Math.sqrt(((x.sigma * x.sigma * x.gamma) / (2 * x.k * x.A)) * (1 + x.gamma / x.k) ** (1 + x.k / x.gamma));
  const bid = c1 + ((2 * x.q + 1) / 2) * c2;
  const ask = c1 - ((2 * x.q - 1) / 2) * c2;
  return { bidDistanceBps: bid, askDistanceBps: ask, c1, c2, spreadBps: bid + ask, reservationShiftBps: (ask - bid) / 2 + 0 };
}

/** T - t in seconds: the rest of the current session (finite), or the whole rolling horizon (infinite). */
export function timeToHorizonSeconds(ts: number, horizon: 'finite' | 'infinite', horizonMs: number): number {
  if (horizon === 'infinite') return horizonMs / 1000;
  return (horizonMs - (((ts % horizonMs) + horizonMs) % horizonMs)) / 1000;
}
