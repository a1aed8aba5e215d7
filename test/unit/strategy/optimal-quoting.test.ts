import { describe, expect, it } from '@jest/globals';
import { SeededRandom } from '../../../src/core/seeded-random.js';
import { emptyIntensity, estimateIntensity, foldIntensity } from '../../../src/strategy/estimators/intensity.js';
import { emptySigma, foldSigma, sigmaEstimateBps } from '../../../src/strategy/estimators/sigma-ewma.js';
import { avellanedaStoikov, glft, timeToHorizonSeconds } from '../../../src/strategy/optimal-quoting.js';

describe('Avellaneda–Stoikov', () => {
  it('reservation price r = s - q gamma sigma^2 (T - t) and spread gamma sigma^2 (T - t) + (2 / gamma) ln(1 + gamma / k)', () => {
    // q = 2, gamma = 0.1, sigma = 2, T - t = 10 s, k = 0.5: gamma sigma^2 tau = 4, so r = s - 8 and the spread is 4 + 20 ln 1.2.
    const r = avellanedaStoikov({ q: 2, gamma: 0.1, sigma: 2, tau: 10, k: 0.5 });
    expect(r.reservationShiftBps).toBeCloseTo(-8, 12);
    expect(r.spreadBps).toBeCloseTo(7.646431135879092, 12);
  });

  it('is symmetric at zero inventory and the inventory term vanishes at the horizon', () => {
    expect(avellanedaStoikov({ q: 0, gamma: 0.1, sigma: 2, tau: 10, k: 0.5 }).reservationShiftBps).toBe(0);
    const atEnd = avellanedaStoikov({ q: 5, gamma: 0.1, sigma: 2, tau: 0, k: 0.5 });
    expect(atEnd.reservationShiftBps).toBe(0);
    expect(atEnd.spreadBps).toBeCloseTo(20 * Math.log(1.2), 12);
  });

  it('time to the horizon: finite sessions count down, the infinite horizon rolls', () => {
    expect(timeToHorizonSeconds(3_600_000 * 5 + 600_000, 'finite', 3_600_000)).toBe(3_000);
    expect(timeToHorizonSeconds(3_600_000 * 5 + 600_000, 'infinite', 3_600_000)).toBe(3_600);
  });
});

describe('GLFT closed form (infinite horizon)', () => {
  it('delta_b = c1 + (2q + 1)/2 c2 and delta_a = c1 - (2q - 1)/2 c2, hand-computed', () => {
    // gamma 0.1, k 0.5, A 2, sigma 2, q 1: c1 = 10 ln 1.2, c2 = sqrt(4 x 0.1 / (2 x 0.5 x 2) x 1.2^6).
    const g = glft({ q: 1, gamma: 0.1, sigma: 2, A: 2, k: 0.5 });
    expect(g.c1).toBeCloseTo(1.8232155679395459, 12);
    expect(g.c2).toBeCloseTo(0.7727850930239273, 12);
    expect(g.bidDistanceBps).toBeCloseTo(2.982393207475437, 12);
    expect(g.askDistanceBps).toBeCloseTo(1.4368230214275823, 12);
    expect(g.reservationShiftBps).toBeCloseTo(-0.7727850930239273, 12);
    expect(g.spreadBps).toBeCloseTo(2 * g.c1 + g.c2, 12);
  });

  it('long inventory lowers both quotes, short raises them', () => {
    const flat = glft({ q: 0, gamma: 0.1, sigma: 2, A: 2, k: 0.5 });
    const long = glft({ q: 3, gamma: 0.1, sigma: 2, A: 2, k: 0.5 });
    expect(long.bidDistanceBps).toBeGreaterThan(flat.bidDistanceBps);
    expect(long.askDistanceBps).toBeLessThan(flat.askDistanceBps);
    expect(flat.reservationShiftBps).toBe(0);
  });
});

describe('online estimators', () => {
  it('the intensity estimator recovers A and k from synthetic Poisson arrivals (seeded)', () => {
    const A = 2;
    const k = 0.4;
    const rnd = new SeededRandom(42);
    const p = { intensityStepBps: 0.5, intensityLevels: 12, intensityHalfLifeMs: 0, minTrades: 50 };
    let s = emptyIntensity();
    let t = 1_700_000_000_000;
    for (let i = 0; i < 40_000; i++) {
      t += (-Math.log(1 - rnd.nextDouble()) / A) * 1000; // exponential gaps: Poisson arrivals at rate A
      const delta = -Math.log(1 - rnd.nextDouble()) / k; // P(delta >= d) = e^(-k d): rate A e^(-k d) reaches d
      s = foldIntensity(s, t, delta, p);
    }
    const est = estimateIntensity(s, t, p);
    expect(est).not.toBeNull();
    expect(Math.abs((est?.A ?? 0) - A) / A).toBeLessThan(0.05);
    expect(Math.abs((est?.k ?? 0) - k) / k).toBeLessThan(0.05);
  });

  it('the intensity estimate is withheld until minTrades, and its counts decay with the half-life', () => {
    const p = { intensityStepBps: 1, intensityLevels: 5, intensityHalfLifeMs: 1_000, minTrades: 3 };
    let s = foldIntensity(emptyIntensity(), 0, 2, p);
    s = foldIntensity(s, 1_000, 0.5, p);
    expect(estimateIntensity(s, 1_000, p)).toBeNull();
    expect(s.counts[0]).toBeCloseTo(1.5, 12); // the first trade halved after one half-life
    expect(s.counts[2]).toBeCloseTo(0.5, 12);
  });

  it('the EWMA sigma recovers the volatility of a seeded random walk, in bps per root second', () => {
    const rnd = new SeededRandom(7);
    const sigma = 3; // bps per root second
    const p = { sigmaHalfLifeMs: 600_000, sigmaSampleMs: 1_000 };
    let s = emptySigma();
    let mid = 60_000;
    for (let i = 0; i <= 20_000; i++) {
      s = foldSigma(s, i * 2_000, mid, p);
      mid *= Math.exp((sigma * Math.sqrt(2) * rnd.nextNormal()) / 1e4);
    }
    expect(Math.abs((sigmaEstimateBps(s) ?? 0) - sigma) / sigma).toBeLessThan(0.1);
    expect(sigmaEstimateBps(foldSigma(emptySigma(), 0, 1, p))).toBeNull();
  });
});
