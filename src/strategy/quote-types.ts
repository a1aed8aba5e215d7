/**
 * What the strategy reads and what it decides. `QuoteDecided` events store
 * these (numbers as their shortest decimal strings, which parse back to the
 * identical float64), so an auditor can recompute every decision.
 */
export interface QuoteInputs {
  /** Data time of the decision, epoch ms. */
  readonly ts: number;
  readonly mid: number;
  readonly bestBid: number;
  readonly bestAsk: number;
  /** Realised volatility in bps per sample interval (see volatility.ts). */
  readonly volatilityBps: number;
  /** Signed position in base currency, decimal string. */
  readonly position: string;
  /** Liquidating: quote only the reducing side, and crossing the touch is allowed. */
  readonly reduceOnly: boolean;
  /** Multi-venue: the pair group as this member saw it (src/service/multi-venue); absent for a lone pair. */
  readonly group?: {
    readonly position: string;
    readonly limit: string;
    readonly othersBuy: string;
    readonly othersSell: string;
  };
}

export interface QuoteLevel {
  /** 0 is the level nearest the reference price. */
  readonly level: number;
  /** Decimal string on the tick grid. */
  readonly price: string;
  /** Decimal string on the lot grid. */
  readonly amount: string;
}

/** One rule that shaped the decision, with its numbers, for the audit trail. */
export interface RuleFiring {
  readonly rule: string;
  readonly detail: Readonly<Record<string, string | number | boolean>>;
}

export interface QuoteDecision {
  /** Best (highest) bid first. */
  readonly bids: readonly QuoteLevel[];
  /** Best (lowest) ask first. */
  readonly asks: readonly QuoteLevel[];
  readonly rules: readonly RuleFiring[];
  readonly reason: string;
}
