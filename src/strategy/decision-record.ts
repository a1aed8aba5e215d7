import type { QuoteInputsData, QuoteOutputData } from '../../events/catalog.js';
import { toDecimalString } from '../core/decimal.js';
import type { QuoteDecision, QuoteInputs, QuoteSignals } from './quote-types.js';

type SignalsData = NonNullable<QuoteInputsData['signals']>;

const NUMERIC_SIGNALS = [
  'bestBidSize',
  'bestAskSize',
  'bookImbalance',
  'depthBidAvgSize',
  'depthAskAvgSize',
  'lastTradePrice',
  'lastTradeAgeMs',
  'externalMid',
  'externalMidAgeMs',
  'tradeFlowImbalance',
  'fillsPerMinute',
  'inventoryAgeMs',
  'sigmaBps',
  'intensityA',
  'intensityK',
] as const satisfies readonly (keyof QuoteSignals & keyof SignalsData)[];

/** Only the keys present are written, so a decision reads back to exactly the inputs it had. */
function toSignalsData(s: QuoteSignals): SignalsData {
  const out: Record<string, unknown> = {};
  for (const k of NUMERIC_SIGNALS) {
    const v = s[k];
    if (v !== undefined) out[k] = toDecimalString(v);
  }
  if (s.externalVenue !== undefined) out['externalVenue'] = s.externalVenue;
  if (s.venueFillRates !== undefined) {
    out['venueFillRates'] = Object.fromEntries(Object.entries(s.venueFillRates).map(([v, r]) => [v, toDecimalString(r)]));
  }
  return out as SignalsData;
}

function fromSignalsData(d: SignalsData): QuoteSignals {
  const out: Record<string, unknown> = {};
  for (const k of NUMERIC_SIGNALS) {
    const v = d[k];
    if (v !== undefined) out[k] = Number(v);
  }
  if (d.externalVenue !== undefined) out['externalVenue'] = d.externalVenue;
  if (d.venueFillRates !== undefined) out['venueFillRates'] = Object.fromEntries(Object.entries(d.venueFillRates).map(([v, r]) => [v, Number(r)]));
  return out as QuoteSignals;
}

/*
 * Decisions to and from their recorded form, so the audit can recompute a
 * recorded decision with decideQuotes from exactly the inputs it had.
 */

/** Numbers become their shortest decimal strings, which parse back to the identical float64. */
export const toQuoteInputsData = (i: QuoteInputs): QuoteInputsData => ({
  ts: i.ts,
  mid: toDecimalString(i.mid),
  bestBid: toDecimalString(i.bestBid),
  bestAsk: toDecimalString(i.bestAsk),
  volatilityBps: toDecimalString(i.volatilityBps),
  position: i.position,
  reduceOnly: i.reduceOnly,
  ...(i.signals ? { signals: toSignalsData(i.signals) } : {}),
  ...(i.group ? { group: { ...i.group } } : {}),
});

export const fromQuoteInputsData = (d: QuoteInputsData): QuoteInputs => ({
  ts: d.ts,
  mid: Number(d.mid),
  bestBid: Number(d.bestBid),
  bestAsk: Number(d.bestAsk),
  volatilityBps: Number(d.volatilityBps),
  position: d.position,
  reduceOnly: d.reduceOnly,
  ...(d.signals ? { signals: fromSignalsData(d.signals) } : {}),
  ...(d.group ? { group: { ...d.group } } : {}),
});

export const toQuoteOutputData = (d: QuoteDecision): QuoteOutputData => ({
  bids: d.bids.map((l) => ({ ...l })),
  asks: d.asks.map((l) => ({ ...l })),
  rules: d.rules.map((r) => ({ rule: r.rule, detail: { ...r.detail } })),
  reason: d.reason,
});

/** Identity of a ladder: two decisions with the same key need no order changes. */
export const ladderKey = (d: { bids: readonly { price: string; amount: string }[]; asks: readonly { price: string; amount: string }[] }): string =>
  `${d.bids.map((l) => `${l.price}@${l.amount}`).join(',')}|${d.asks.map((l) => `${l.price}@${l.amount}`).join(',')}`;
