import type { StrategyParams } from '../../config/strategy-params.js';
import type { Side } from '../../core/types.js';
import { D } from '../../core/decimal.js';
import { emptyIntensity, estimateIntensity, foldIntensity, type IntensityState } from '../estimators/intensity.js';
import { emptySigma, foldSigma, sigmaEstimateBps, type SigmaState } from '../estimators/sigma-ewma.js';
import type { QuoteSignals } from '../quote-types.js';
import { bookImbalance, type BookDepth } from './book-depth.js';

/**
 * Signals the optional quoting rules read, folded from machine events by pure
 * functions (the pair machine keeps the state in its context and calls these),
 * and turned into the recorded QuoteSignals at each decision.
 */
export interface QuoteSignalState {
  readonly book: BookDepth | null;
  readonly lastTrade: { readonly price: number; readonly ts: number } | null;
  readonly external: { readonly venue: string; readonly mid: number; readonly ts: number } | null;
  /** Decayed aggressor volumes, base, as of ts. */
  readonly flow: { readonly buy: number; readonly sell: number; readonly ts: number } | null;
  /** Times of our own recent fills, oldest first. */
  readonly fillTimes: readonly number[];
  /** Since when the position has been on its current side of the target (sign of position - target). */
  readonly inventorySince: { readonly sign: 1 | -1; readonly ts: number } | null;
  readonly sigma: SigmaState;
  readonly intensity: IntensityState;
  readonly venueFillRates: Readonly<Record<string, number>> | null;
}

/** Fills kept for the fill rate, whatever the window: a bound on the state. */
const MAX_FILL_TIMES = 1_000;

export function initialQuoteSignals(ts: number, position: string, params: StrategyParams): QuoteSignalState {
  const empty: QuoteSignalState = {
    book: null,
    lastTrade: null,
    external: null,
    flow: null,
    fillTimes: [],
    inventorySince: null,
    sigma: emptySigma(),
    intensity: emptyIntensity(),
    venueFillRates: null,
  };
  return foldPosition(empty, ts, position, params);
}

const decay = (halfLifeMs: number, dtMs: number): number => (dtMs <= 0 ? 1 : 2 ** (-dtMs / halfLifeMs));

export function foldBook(s: QuoteSignalState, ts: number, mid: number, depth: BookDepth | undefined, params: StrategyParams): QuoteSignalState {
  return { ...s, book: depth ?? s.book, sigma: foldSigma(s.sigma, ts, mid, params.optimal) };
}

/** A market trade; `mid` is the mid before it (null before the first book). */
export function foldTrade(s: QuoteSignalState, ts: number, price: number, size: number, aggressor: Side, mid: number | null, params: StrategyParams): QuoteSignalState {
  const f = s.flow ? decay(params.pressure.flowHalfLifeMs, ts - s.flow.ts) : 1;
  const buy = (s.flow?.buy ?? 0) * f + (aggressor === 'buy' ? size : 0);
  const sell = (s.flow?.sell ?? 0) * f + (aggressor === 'sell' ? size : 0);
  const intensity = mid !== null && mid > 0 ? foldIntensity(s.intensity, ts, (Math.abs(price - mid) / mid) * 1e4, params.optimal) : s.intensity;
  return { ...s, lastTrade: { price, ts }, flow: { buy, sell, ts: Math.max(ts, s.flow?.ts ?? ts) }, intensity };
}

/** The position after a fill (or a correction); `filled` when it came from one of our fills. */
export function foldPosition(s: QuoteSignalState, ts: number, position: string, params: StrategyParams, filled = false): QuoteSignalState {
  const dev = D(position).minus(params.inventory.target);
  const sign: 0 | 1 | -1 = dev.isZero() ? 0 : dev.isNeg() ? -1 : 1;
  const inventorySince = sign === 0 ? null : s.inventorySince?.sign === sign ? s.inventorySince : { sign, ts };
  const fillTimes = filled ? [...s.fillTimes, ts].slice(-MAX_FILL_TIMES) : s.fillTimes;
  return { ...s, inventorySince, fillTimes };
}

export function foldExternalMid(s: QuoteSignalState, ts: number, venue: string, mid: number): QuoteSignalState {
  return { ...s, external: { venue, mid, ts } };
}

export function foldVenueFillRates(s: QuoteSignalState, rates: Readonly<Record<string, number>>): QuoteSignalState {
  return { ...s, venueFillRates: { ...rates } };
}

/** True when some rule that reads signals is on: only then are signals recorded (older logs stay byte-identical). */
export function signalsWanted(p: StrategyParams): boolean {
  return (
    p.reference.source !== 'mid' ||
    p.adverseSelection.enabled ||
    p.pressure.enabled ||
    p.ladder.depth.enabled ||
    p.inventory.age.enabled ||
    p.optimal.model !== 'ladder' ||
    p.allocation.enabled
  );
}

/** The recorded signal inputs of a decision at ts; undefined when no rule reads them. */
export function quoteSignalsAt(s: QuoteSignalState, ts: number, p: StrategyParams): QuoteSignals | undefined {
  if (!signalsWanted(p)) return undefined;
  const out: { -readonly [K in keyof QuoteSignals]: QuoteSignals[K] } = {};
  if (s.book) {
    const bb = s.book.bidSizes[0];
    const ba = s.book.askSizes[0];
    if (bb !== undefined && ba !== undefined) {
      out.bestBidSize = bb;
      out.bestAskSize = ba;
    }
    out.bookImbalance = bookImbalance(s.book, p.pressure.levels);
    if (s.book.bandBidLevels > 0) out.depthBidAvgSize = s.book.bandBidSize / s.book.bandBidLevels;
    if (s.book.bandAskLevels > 0) out.depthAskAvgSize = s.book.bandAskSize / s.book.bandAskLevels;
  }
  if (s.lastTrade) {
    out.lastTradePrice = s.lastTrade.price;
    out.lastTradeAgeMs = Math.max(0, ts - s.lastTrade.ts);
  }
  if (s.external) {
    out.externalMid = s.external.mid;
    out.externalVenue = s.external.venue;
    out.externalMidAgeMs = Math.max(0, ts - s.external.ts);
  }
  if (s.flow) {
    const f = decay(p.pressure.flowHalfLifeMs, ts - s.flow.ts);
    const buy = s.flow.buy * f;
    const sell = s.flow.sell * f;
    out.tradeFlowImbalance = buy + sell > 0 ? (buy - sell) / (buy + sell) + 0 : 0;
  }
  const windowMs = p.adverseSelection.windowMs;
  const recent = s.fillTimes.filter((t) => t > ts - windowMs && t <= ts).length;
  out.fillsPerMinute = recent / (windowMs / 60_000);
  out.inventoryAgeMs = s.inventorySince ? Math.max(0, ts - s.inventorySince.ts) : 0;
  const sigma = sigmaEstimateBps(s.sigma);
  if (sigma !== null) out.sigmaBps = sigma;
  const intensity = estimateIntensity(s.intensity, ts, p.optimal);
  if (intensity) {
    out.intensityA = intensity.A;
    out.intensityK = intensity.k;
  }
  if (s.venueFillRates) out.venueFillRates = s.venueFillRates;
  return out;
}
