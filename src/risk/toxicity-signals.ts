import type { ToxicityParams } from '../config/params/risk-params.js';
import type { Side } from '../core/types.js';

/*
 * Toxicity (adverse-selection) signals. Each is a pure function of a small
 * rolling window and its own parameters; a signal fires AT or beyond its
 * threshold. Signal maths is float64 (the log keeps the decimals).
 */

export type ToxicSignal = 'trade-imbalance' | 'short-volatility' | 'one-sided-fills' | 'fill-volume-spike' | 'markout';

/** Market-wide signals pause with 'toxic-flow'; signals from our own fills with 'adverse-selection'. */
export type ToxicPauseReason = 'toxic-flow' | 'adverse-selection';

export const PAUSE_REASON_OF: Readonly<Record<ToxicSignal, ToxicPauseReason>> = {
  'trade-imbalance': 'toxic-flow',
  'short-volatility': 'toxic-flow',
  'one-sided-fills': 'adverse-selection',
  'fill-volume-spike': 'adverse-selection',
  markout: 'adverse-selection',
};

export interface ToxicAlarm {
  readonly signal: ToxicSignal;
  readonly value: number;
  readonly threshold: number;
  readonly detail: string;
}

/** Keeps the items at most windowMs older than `now` (an item exactly windowMs old stays). */
export function keepWindow<T extends { readonly ts: number }>(items: readonly T[], now: number, windowMs: number): T[] {
  const cutoff = now - windowMs;
  let i = 0;
  while (i < items.length && (items[i] as T).ts < cutoff) i++;
  return i === 0 ? (items as T[]) : items.slice(i);
}

// ---- trade imbalance (market trades) ----

export interface MarketTrade {
  readonly ts: number;
  readonly size: number;
  readonly aggressor: Side;
}

/** Signed imbalance in [-1, 1]: +1 is all buyer-initiated volume. */
export function tradeImbalance(trades: readonly MarketTrade[]): { imbalance: number; trades: number; volume: number } {
  let buy = 0;
  let sell = 0;
  for (const t of trades) {
    if (t.aggressor === 'buy') buy += t.size;
    else sell += t.size;
  }
  const volume = buy + sell;
  return { imbalance: volume > 0 ? (buy - sell) / volume : 0, trades: trades.length, volume };
}

export function checkTradeImbalance(trades: readonly MarketTrade[], p: ToxicityParams['tradeImbalance']): ToxicAlarm | null {
  if (!p.enabled) return null;
  const m = tradeImbalance(trades);
  if (m.trades < p.minTrades || Math.abs(m.imbalance) < p.threshold) return null;
  const side = m.imbalance > 0 ? 'buy' : 'sell';
  return {
    signal: 'trade-imbalance',
    value: Math.abs(m.imbalance),
    threshold: p.threshold,
    detail: `${m.trades} trades over ${p.windowMs} ms, ${(Math.abs(m.imbalance) * 100).toFixed(1)}% net ${side} volume`,
  };
}

// ---- short-term volatility (mids) ----

export interface MidSample {
  readonly ts: number;
  readonly mid: number;
}

/** Realised volatility of the samples in percent: root of the summed squared log returns. */
export function realisedVolatilityPct(samples: readonly MidSample[]): number {
  let sum = 0;
  for (let i = 1; i < samples.length; i++) {
    const r = Math.log((samples[i] as MidSample).mid / (samples[i - 1] as MidSample).mid);
    sum += r * r;
  }
  return Math.sqrt(sum) * 100;
}

export function checkShortVolatility(samples: readonly MidSample[], p: ToxicityParams['volatility']): ToxicAlarm | null {
  if (!p.enabled || samples.length < 2) return null;
  const vol = realisedVolatilityPct(samples);
  if (vol < p.thresholdPct) return null;
  return { signal: 'short-volatility', value: vol, threshold: p.thresholdPct, detail: `realised volatility over ${p.windowMs} ms from ${samples.length} mids` };
}

// ---- own fills ----

export interface OwnFillSample {
  readonly ts: number;
  readonly side: Side;
  readonly amount: number;
  readonly price: number;
}

/** The side of the last `count` fills, when they are all on one side. */
export function oneSidedRun(fills: readonly OwnFillSample[], count: number): Side | null {
  if (fills.length < count) return null;
  const last = fills.slice(fills.length - count);
  const side = (last[0] as OwnFillSample).side;
  return last.every((f) => f.side === side) ? side : null;
}

export function checkOneSidedFills(fills: readonly OwnFillSample[], p: ToxicityParams['oneSidedFills']): ToxicAlarm | null {
  if (!p.enabled) return null;
  const side = oneSidedRun(fills, p.count);
  if (side === null) return null;
  return { signal: 'one-sided-fills', value: p.count, threshold: p.count, detail: `the last ${p.count} own fills were all ${side}s` };
}

/**
 * Own fill volume (base) in the recent window against the average volume per
 * window over the baseline lookback just before it.
 */
export function fillVolumeRatio(
  fills: readonly OwnFillSample[],
  now: number,
  p: Pick<ToxicityParams['fillVolumeSpike'], 'windowMs' | 'baselineMs'>,
): { recent: number; baselinePerWindow: number; baselineFills: number; ratio: number } {
  const recentFrom = now - p.windowMs;
  const baselineFrom = recentFrom - p.baselineMs;
  let recent = 0;
  let baseline = 0;
  let baselineFills = 0;
  for (const f of fills) {
    if (f.ts > recentFrom) recent += f.amount;
    else if (f.ts > baselineFrom) {
      baseline += f.amount;
      baselineFills++;
    }
  }
  const baselinePerWindow = (baseline * p.windowMs) / p.baselineMs;
  return { recent, baselinePerWindow, baselineFills, ratio: baselinePerWindow > 0 ? recent / baselinePerWindow : 0 };
}

export function checkFillVolumeSpike(fills: readonly OwnFillSample[], now: number, p: ToxicityParams['fillVolumeSpike']): ToxicAlarm | null {
  if (!p.enabled) return null;
  const m = fillVolumeRatio(fills, now, p);
  if (m.baselineFills < p.minBaselineFills || m.ratio < p.multiple) return null;
  return {
    signal: 'fill-volume-spike',
    value: m.ratio,
    threshold: p.multiple,
    detail: `own fill volume ${m.recent} base in ${p.windowMs} ms vs an average of ${m.baselinePerWindow} (${m.baselineFills} fills over ${p.baselineMs} ms)`,
  };
}

// ---- markout ----

/** Markout of a fill at a later mid, bps of the fill price; negative = the market moved against us. */
export const markoutBps = (side: Side, price: number, laterMid: number): number => ((side === 'buy' ? laterMid - price : price - laterMid) / price) * 10_000;

export interface MarkoutState {
  /** Fills waiting for their horizon, oldest first. */
  readonly pending: readonly OwnFillSample[];
  /** Most recent settled markouts (bps), oldest first; at most params.fills. */
  readonly settled: readonly number[];
}

export const emptyMarkouts = (): MarkoutState => ({ pending: [], settled: [] });

export const addPendingMarkout = (s: MarkoutState, fill: OwnFillSample): MarkoutState => ({ ...s, pending: [...s.pending, fill] });

/** Settles every pending fill whose horizon has passed at this mid (the first mid at or after it). */
export function settleMarkouts(s: MarkoutState, ts: number, mid: number, p: Pick<ToxicityParams['markout'], 'horizonMs' | 'fills'>): { state: MarkoutState; settledNow: number } {
  let n = 0;
  while (n < s.pending.length && (s.pending[n] as OwnFillSample).ts + p.horizonMs <= ts) n++;
  if (n === 0) return { state: s, settledNow: 0 };
  const fresh = s.pending.slice(0, n).map((f) => markoutBps(f.side, f.price, mid));
  const settled = [...s.settled, ...fresh];
  return { state: { pending: s.pending.slice(n), settled: settled.length > p.fills ? settled.slice(settled.length - p.fills) : settled }, settledNow: n };
}

export function checkMarkout(s: MarkoutState, p: ToxicityParams['markout']): ToxicAlarm | null {
  if (!p.enabled || s.settled.length < p.fills) return null;
  const avg = s.settled.reduce((a, b) => a + b, 0) / s.settled.length;
  if (avg > -p.thresholdBps) return null;
  return { signal: 'markout', value: avg, threshold: -p.thresholdBps, detail: `average markout of the last ${p.fills} fills after ${p.horizonMs} ms` };
}

// ---- the pair's toxicity state ----

export interface ToxicityState {
  readonly trades: readonly MarketTrade[];
  readonly mids: readonly MidSample[];
  /** Own fills kept for the longest fill-based lookback (and at least oneSidedFills.count of them). */
  readonly fills: readonly OwnFillSample[];
  readonly markouts: MarkoutState;
}

export const emptyToxicity = (): ToxicityState => ({ trades: [], mids: [], fills: [], markouts: emptyMarkouts() });

/** Each update returns the new state and the alarm raised by the input it saw, if any. */
export interface ToxicityUpdate {
  readonly state: ToxicityState;
  readonly alarm: ToxicAlarm | null;
}

export function toxicityOnTrade(s: ToxicityState, p: ToxicityParams, trade: MarketTrade): ToxicityUpdate {
  if (!p.tradeImbalance.enabled) return { state: s, alarm: null };
  const trades = keepWindow([...s.trades, trade], trade.ts, p.tradeImbalance.windowMs);
  return { state: { ...s, trades }, alarm: checkTradeImbalance(trades, p.tradeImbalance) };
}

export function toxicityOnMid(s: ToxicityState, p: ToxicityParams, ts: number, mid: number): ToxicityUpdate {
  let state = s;
  let alarm: ToxicAlarm | null = null;
  if (p.volatility.enabled) {
    const mids = keepWindow([...s.mids, { ts, mid }], ts, p.volatility.windowMs);
    state = { ...state, mids };
    alarm = checkShortVolatility(mids, p.volatility);
  }
  if (p.markout.enabled && state.markouts.pending.length > 0) {
    const m = settleMarkouts(state.markouts, ts, mid, p.markout);
    state = { ...state, markouts: m.state };
    // Only a newly settled markout can raise the alarm: old ones already had their say.
    if (alarm === null && m.settledNow > 0) alarm = checkMarkout(m.state, p.markout);
  }
  return { state, alarm };
}

export function toxicityOnFill(s: ToxicityState, p: ToxicityParams, fill: OwnFillSample): ToxicityUpdate {
  const fillRules = p.oneSidedFills.enabled || p.fillVolumeSpike.enabled;
  let state = s;
  if (fillRules) {
    const lookback = p.fillVolumeSpike.enabled ? p.fillVolumeSpike.windowMs + p.fillVolumeSpike.baselineMs : 0;
    const all = [...s.fills, fill];
    const inWindow = keepWindow(all, fill.ts, lookback);
    // Keep the last N whatever their age: the one-sided rule counts fills, not time.
    const keep = Math.max(inWindow.length, p.oneSidedFills.enabled ? Math.min(all.length, p.oneSidedFills.count) : 0);
    state = { ...state, fills: all.slice(all.length - keep) };
  }
  if (p.markout.enabled) state = { ...state, markouts: addPendingMarkout(state.markouts, fill) };
  const alarm = checkOneSidedFills(state.fills, p.oneSidedFills) ?? checkFillVolumeSpike(state.fills, fill.ts, p.fillVolumeSpike);
  return { state, alarm };
}
