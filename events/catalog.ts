import { z } from 'zod';
import { StrategyParamsSchema } from '../src/config/strategy-params.js';
import { DecimalString, EpochMs, NonNegativeDecimalString, PairStateSchema, PositiveDecimalString, SideSchema } from './primitives.js';

/**
 * The event catalog. Each type has a schema version and a data schema; events
 * read back from any store are validated against it (see envelope.ts).
 */

const MarketSpecSchema = z
  .object({
    venue: z.string().min(1),
    symbol: z.string().min(1),
    base: z.string().min(1),
    quote: z.string().min(1),
    tickSize: PositiveDecimalString,
    lotSize: PositiveDecimalString,
    minNotional: NonNegativeDecimalString,
    makerFee: DecimalString,
    takerFee: DecimalString,
  })
  .strict();

/** A state change: every transition of the pair machine carries one. */
const Transition = {
  from: PairStateSchema,
  to: PairStateSchema,
};

const QuoteLevelSchema = z.object({ level: z.number().int().nonnegative(), price: PositiveDecimalString, amount: PositiveDecimalString }).strict();

/** Signal inputs of the optional quoting rules, numbers as decimal strings. */
const QuoteSignalsSchema = z
  .object({
    bestBidSize: DecimalString.optional(),
    bestAskSize: DecimalString.optional(),
    bookImbalance: DecimalString.optional(),
    depthBidAvgSize: DecimalString.optional(),
    depthAskAvgSize: DecimalString.optional(),
    lastTradePrice: DecimalString.optional(),
    lastTradeAgeMs: DecimalString.optional(),
    externalMid: DecimalString.optional(),
    externalVenue: z.string().min(1).optional(),
    externalMidAgeMs: DecimalString.optional(),
    tradeFlowImbalance: DecimalString.optional(),
    fillsPerMinute: DecimalString.optional(),
    inventoryAgeMs: DecimalString.optional(),
    sigmaBps: DecimalString.optional(),
    intensityA: DecimalString.optional(),
    intensityK: DecimalString.optional(),
    venueFillRates: z.record(z.string(), DecimalString).optional(),
  })
  .strict();

/** Everything the strategy read to decide. Recomputing from these gives the same output. */
export const QuoteInputsSchema = z
  .object({
    ts: EpochMs,
    mid: PositiveDecimalString,
    bestBid: PositiveDecimalString,
    bestAsk: PositiveDecimalString,
    /** Realised volatility, bps per sample interval. */
    volatilityBps: NonNegativeDecimalString,
    position: DecimalString,
    reduceOnly: z.boolean(),
    /** Signals of the optional quoting rules (src/strategy/quote-types.ts QuoteSignals); absent in older logs. */
    signals: QuoteSignalsSchema.optional(),
    /** Multi-venue (optional, absent for a lone pair): the pair group as this member saw it; the decision is cut to its room. */
    group: z
      .object({ position: DecimalString, limit: PositiveDecimalString, othersBuy: NonNegativeDecimalString, othersSell: NonNegativeDecimalString })
      .strict()
      .optional(),
  })
  .strict();

export const QuoteOutputSchema = z
  .object({
    bids: z.array(QuoteLevelSchema),
    asks: z.array(QuoteLevelSchema),
    /** Rules that fired and their numbers, e.g. volatility multiplier, skew, clamps. */
    rules: z.array(z.object({ rule: z.string(), detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])) }).strict()),
    reason: z.string(),
  })
  .strict();

/** OrderFilled as schema version 1 wrote it (no venue fill time); read back through an upcaster. */
export const OrderFilledV1Data = z
  .object({
    tradeId: z.string().min(1),
    clientOrderId: z.string().min(1),
    venueOrderId: z.string(),
    side: SideSchema,
    price: PositiveDecimalString,
    amount: PositiveDecimalString,
    fee: DecimalString,
    feeCurrency: z.string().min(1),
    liquidity: z.enum(['maker', 'taker']),
    remaining: NonNegativeDecimalString,
  })
  .strict();

export const eventCatalog = {
  PairStarted: {
    version: 1,
    data: z
      .object({
        pairId: z.string(),
        instanceId: z.string(),
        market: MarketSpecSchema,
        params: StrategyParamsSchema,
        paramsVersion: z.number().int().positive(),
        mode: z.enum(['backtest', 'paper', 'live']),
      })
      .strict(),
  },
  QuotingStarted: {
    version: 1,
    data: z.object({ ...Transition, reason: z.string() }).strict(),
  },
  QuoteDecided: {
    version: 1,
    data: z.object({ paramsVersion: z.number().int().positive(), inputs: QuoteInputsSchema, output: QuoteOutputSchema }).strict(),
  },
  OrderPlaced: {
    version: 1,
    data: z
      .object({
        clientOrderId: z.string().min(1),
        side: SideSchema,
        price: PositiveDecimalString,
        amount: PositiveDecimalString,
        postOnly: z.boolean(),
        reduceOnly: z.boolean(),
        level: z.number().int().nonnegative(),
        /** Why the amount differs from the decision's level (optional), e.g. the insufficient-funds size cap. */
        rule: z.string().optional(),
      })
      .strict(),
  },
  OrderAcknowledged: {
    version: 1,
    data: z.object({ clientOrderId: z.string().min(1), venueOrderId: z.string().min(1) }).strict(),
  },
  OrderRejected: {
    version: 1,
    data: z
      .object({
        clientOrderId: z.string().min(1),
        reason: z.string(),
        /** The rule that produced the order (quote ladder, liquidation). */
        rule: z.string().optional(),
        /** The venue's reason as a stable category (optional: logs from before it was recorded lack it). */
        category: z.string().optional(),
      })
      .strict(),
  },
  OrderCancelled: {
    version: 1,
    data: z
      .object({
        clientOrderId: z.string().min(1),
        reason: z.string(),
        /** Unfilled amount at cancel, when the venue confirmed it. */
        remaining: NonNegativeDecimalString.optional(),
      })
      .strict(),
  },
  OrderFilled: {
    version: 2,
    data: OrderFilledV1Data.extend({
      /** v2: when the venue executed the fill (epoch ms), as opposed to when it was recorded. */
      fillTs: EpochMs,
    }).strict(),
  },
  ShockDetected: {
    version: 1,
    data: z
      .object({
        ...Transition,
        price: PositiveDecimalString,
        referencePrice: PositiveDecimalString,
        movePct: z.number(),
        thresholdPct: z.number(),
        windowMs: z.number().int(),
        cooldownUntil: EpochMs,
        rearms: z.number().int().nonnegative(),
      })
      .strict(),
  },
  ShockCleared: {
    version: 1,
    data: z
      .object({ ...Transition, price: PositiveDecimalString, referencePrice: PositiveDecimalString, distancePct: z.number(), resumeBandPct: z.number() })
      .strict(),
  },
  Paused: {
    version: 1,
    data: z
      .object({
        ...Transition,
        reason: z.enum([
          'feed-stale',
          'feed-problem',
          'shock-rearms-exhausted',
          'risk-limit',
          'operator',
          'fenced',
          'store-failure',
          'toxic-flow',
          'adverse-selection',
          'venue-unavailable',
          'insufficient-funds',
          'venue-error',
          'crash-loop',
          'reconciliation',
        ]),
        detail: z.string(),
        numbers: z.record(z.string(), z.union([z.string(), z.number()])),
      })
      .strict(),
  },
  Resumed: {
    version: 1,
    data: z.object({ ...Transition, reason: z.string(), detail: z.string() }).strict(),
  },
  LiquidationStarted: {
    version: 1,
    data: z.object({ ...Transition, position: DecimalString, hardLimit: PositiveDecimalString, targetPosition: DecimalString, excess: PositiveDecimalString }).strict(),
  },
  LiquidationCompleted: {
    version: 1,
    data: z.object({ ...Transition, position: DecimalString, maxPosition: PositiveDecimalString }).strict(),
  },
  RiskLimitBreached: {
    version: 1,
    data: z.object({ limit: z.string(), value: z.string(), threshold: z.string(), action: z.string() }).strict(),
  },
  AdverseSelectionDetected: {
    version: 1,
    data: z
      .object({
        signal: z.string(),
        value: z.number(),
        threshold: z.number(),
        detail: z.string(),
        /** When the pair resumes by itself if nothing toxic happens before (absent in logs that predate it). */
        calmUntil: EpochMs.optional(),
      })
      .strict(),
  },
  FeedStale: {
    version: 1,
    data: z.object({ lastDataTs: EpochMs.nullable(), ageMs: z.number().nonnegative(), maxAgeMs: z.number().int() }).strict(),
  },
  FeedRecovered: {
    version: 1,
    data: z.object({ problem: z.string(), detail: z.string(), downForMs: z.number().nonnegative() }).strict(),
  },
  FeedProblemDetected: {
    version: 1,
    data: z.object({ problem: z.enum(['gap', 'crossed', 'no-snapshot', 'stale', 'malformed']), detail: z.string() }).strict(),
  },
  ParametersChanged: {
    version: 1,
    data: z.object({ paramsVersion: z.number().int().positive(), params: StrategyParamsSchema, changedBy: z.string(), reason: z.string() }).strict(),
  },
  OperatorCommand: {
    version: 1,
    data: z.object({ identity: z.string(), command: z.enum(['start', 'stop', 'pause', 'resume']), reason: z.string() }).strict(),
  },
  ReconciliationCorrected: {
    version: 1,
    data: z.object({ subject: z.string(), venueSays: z.string(), logSays: z.string(), action: z.string() }).strict(),
  },
  /** The supervisor's record of a pair actor that failed: its orders were cancelled; restartInMs null = gave up (the pair stays paused). */
  PairCrashed: {
    version: 1,
    data: z.object({ error: z.string(), crashes: z.number().int().positive(), restartInMs: z.number().int().nonnegative().nullable() }).strict(),
  },
  /**
   * After a restart the pair resumes the state its log left it in (a pause
   * keeps its reason, a shock cooldown its recorded deadline), not a fresh one.
   */
  StateRestored: {
    version: 1,
    data: z
      .object({
        ...Transition,
        reason: z.string(),
        detail: z.string(),
        pauseReason: z.string().optional(),
        cooldownUntil: EpochMs.optional(),
        referencePrice: PositiveDecimalString.optional(),
        rearms: z.number().int().nonnegative().optional(),
      })
      .strict(),
  },
  /**
   * Restart recovery on a real venue: its balance of the base asset, and the
   * log's position at that moment. The next start expects the venue to hold
   * venueTotal + (position then - position now); a difference pauses the pair.
   */
  VenueBalanceChecked: {
    version: 1,
    data: z.object({ asset: z.string().min(1), venueTotal: DecimalString, position: DecimalString, expectedTotal: DecimalString.nullable(), agrees: z.boolean() }).strict(),
  },
  PairStopped: {
    version: 1,
    data: z.object({ ...Transition, reason: z.string(), position: DecimalString, openOrders: z.number().int().nonnegative() }).strict(),
  },
} as const;

export type EventType = keyof typeof eventCatalog;
export type EventData<T extends EventType> = z.output<(typeof eventCatalog)[T]['data']>;
export type QuoteInputsData = z.output<typeof QuoteInputsSchema>;
export type QuoteOutputData = z.output<typeof QuoteOutputSchema>;

/** A domain event before it gets an envelope: a discriminated union over the catalog. */
export type DomainEvent = { [T in EventType]: { readonly type: T; readonly data: EventData<T> } }[EventType];
export type DomainEventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

export const isEventType = (type: string): type is EventType => Object.prototype.hasOwnProperty.call(eventCatalog, type);
