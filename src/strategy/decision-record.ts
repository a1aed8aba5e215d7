import type { QuoteInputsData, QuoteOutputData } from '../../events/catalog.js';
import { toDecimalString } from '../core/decimal.js';
import type { QuoteDecision, QuoteInputs } from './quote-types.js';

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
