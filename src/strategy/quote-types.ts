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
  /**
   * Market and own-trading signals the optional rules read (see
   * signals/quote-signals.ts). Absent when no such rule is on, and in logs
   * recorded before the rules existed.
   */
  readonly signals?: QuoteSignals;
}

/** Signal inputs, float64 (recorded as shortest decimal strings). Each is absent when not available. */
export interface QuoteSignals {
  /** Size at the best bid and best ask, base (microprice). */
  readonly bestBidSize?: number;
  readonly bestAskSize?: number;
  /** (bid volume - ask volume) / total over the top pressure.levels levels, in [-1, 1]. */
  readonly bookImbalance?: number;
  /** Average resting size per level within 1 % of mid, base (depth-aware sizing). */
  readonly depthBidAvgSize?: number;
  readonly depthAskAvgSize?: number;
  readonly lastTradePrice?: number;
  readonly lastTradeAgeMs?: number;
  /** Mid of another venue, and how old it is at the decision. */
  readonly externalMid?: number;
  readonly externalVenue?: string;
  readonly externalMidAgeMs?: number;
  /** (buy - sell) / total of the decayed aggressor volumes, in [-1, 1]. */
  readonly tradeFlowImbalance?: number;
  /** Own fills per minute over adverseSelection.windowMs. */
  readonly fillsPerMinute?: number;
  /** How long the position has been on its current side of the target. */
  readonly inventoryAgeMs?: number;
  /** EWMA volatility of the mid, bps per square root of a second (absent while not warm). */
  readonly sigmaBps?: number;
  /** Estimated arrival intensity A e^(-k delta): A per second, k per bps (absent while not warm). */
  readonly intensityA?: number;
  readonly intensityK?: number;
  /** Recent fill rate of each venue the pair quotes on (multi-venue allocation). */
  readonly venueFillRates?: Readonly<Record<string, number>>;
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
