import { z } from 'zod';
import { PositiveDecimalString } from '../../events/primitives.js';
import { RiskParamsSchema, ToxicityParamsSchema } from './params/risk-params.js';

/**
 * Strategy parameters of one pair. Every field has a default, so a config
 * names only what it changes. Bad values are rejected at load with the path.
 */
export const StrategyParamsSchema = z
  .object({
    /** Full distance between the best bid and best ask quote, in bps of the reference price. */
    baseSpreadBps: z.number().positive().max(10_000).default(4),
    /** The spread never goes tighter than this, whatever the multipliers do. */
    minSpreadBps: z.number().nonnegative().max(10_000).default(1),
    volatility: z
      .object({
        /** Mid is sampled at this interval for the realised volatility. */
        sampleIntervalMs: z.number().int().positive().default(1_000),
        /** Number of samples in the window (window = samples x interval). */
        windowSamples: z.number().int().min(2).max(10_000).default(60),
        /** Spread multiplier = 1 + k x volatility(bps per sample). */
        k: z.number().nonnegative().default(0.5),
        /** Cap on the multiplier, as a multiple of the base spread. */
        maxMultiplier: z.number().min(1).default(3),
      })
      .strict()
      .default({ sampleIntervalMs: 1_000, windowSamples: 60, k: 0.5, maxMultiplier: 3 }),
    ladder: z
      .object({
        levels: z.number().int().min(1).max(50).default(2),
        /** Distance between consecutive levels on one side, in bps of the reference price. */
        levelSpacingBps: z.number().nonnegative().default(2),
        /** Size of each level in quote currency (e.g. USDT). */
        levelSizeQuote: PositiveDecimalString.default('200'),
      })
      .strict()
      .default({ levels: 2, levelSpacingBps: 2, levelSizeQuote: '200' }),
    inventory: z
      .object({
        /** Soft limit, base currency: skew reaches its full strength here. */
        maxPosition: PositiveDecimalString.default('0.05'),
        /** Hard limit, base currency: beyond it the pair liquidates the excess. */
        hardLimit: PositiveDecimalString.default('0.08'),
        /** Price skew at |position| = maxPosition, in bps of the reference price. */
        priceSkewBps: z.number().nonnegative().max(5_000).default(3),
        /** Cap on the price skew, in bps. */
        maxPriceSkewBps: z.number().nonnegative().max(5_000).default(6),
        /** Size skew strength: 1 means the adding side shrinks to 0x and the reducing side grows to 2x at maxPosition. */
        sizeSkew: z.number().min(0).max(1).default(1),
      })
      .strict()
      .default({ maxPosition: '0.05', hardLimit: '0.08', priceSkewBps: 3, maxPriceSkewBps: 6, sizeSkew: 1 }),
    shock: z
      .object({
        /** A move larger than this inside the window is a shock. */
        thresholdPct: z.number().positive().default(2),
        windowMs: z.number().int().positive().default(5_000),
        cooldownMs: z.number().int().positive().default(30_000),
        /** After the cooldown, quote again only if the price is this close to the new reference. */
        resumeBandPct: z.number().positive().default(0.5),
        /** After this many re-arms the pair pauses instead of cooling down again. */
        maxRearms: z.number().int().nonnegative().default(3),
      })
      .strict()
      .default({ thresholdPct: 2, windowMs: 5_000, cooldownMs: 30_000, resumeBandPct: 0.5, maxRearms: 3 }),
    feed: z
      .object({
        /** Market data older than this pauses the pair. */
        maxAgeMs: z.number().int().positive().default(5_000),
        /** How often the heartbeat checks the feed age. */
        checkIntervalMs: z.number().int().positive().default(1_000),
      })
      .strict()
      .default({ maxAgeMs: 5_000, checkIntervalMs: 1_000 }),
    orders: z
      .object({
        /** An open order whose wanted price moved less than this is kept (bps of its price). */
        priceToleranceBps: z.number().nonnegative().default(1),
        /** Minimum data time between two quote decisions. */
        minQuoteIntervalMs: z.number().int().nonnegative().default(250),
        /** A resting order older than this is replaced even where the strategy still wants it; 0 = no maximum. */
        maxOrderAgeMs: z.number().int().nonnegative().default(60_000),
        /** An order younger than this is never cancelled or replaced, unless the pair stops quoting or the order would cross. */
        minOrderLifetimeMs: z.number().int().nonnegative().default(0),
        /** Placements per second of this pair (token bucket refill); cancels are never limited. */
        pairOrdersPerSecond: z.number().positive().default(5),
        /** Placements this pair may send at once (token bucket size). */
        pairOrderBurst: z.number().int().positive().default(20),
        /** Placements per second of all pairs on one paper venue instance; a ccxt venue derives it from the exchange's budget. */
        accountOrdersPerSecond: z.number().positive().default(10),
        /** Placements all pairs on one paper venue instance may send at once. */
        accountOrderBurst: z.number().int().positive().default(40),
        /** Share of a ccxt exchange's request budget (1000 / rateLimitMs per second) spent on placements. */
        exchangeBudgetFraction: z.number().positive().max(1).default(0.5),
        /** First backoff before a rate-limited placement is retried with the same client order id; doubles per attempt. */
        retryBackoffMs: z.number().int().positive().default(250),
        /** Attempts per placement (the first send included) before a rate-limited order is recorded rejected. */
        maxPlaceAttempts: z.number().int().min(1).max(20).default(5),
        /** While the venue is unavailable it is probed this often (doubling, up to 30x). */
        venueProbeIntervalMs: z.number().int().positive().default(1_000),
        /** On stop, how long to wait for the venue to confirm the cancels. */
        stopTimeoutMs: z.number().int().positive().default(5_000),
      })
      .strict()
      .superRefine((o, ctx) => {
        if (o.maxOrderAgeMs > 0 && o.maxOrderAgeMs <= o.minOrderLifetimeMs) {
          ctx.addIssue({ code: 'custom', path: ['maxOrderAgeMs'], message: 'must exceed minOrderLifetimeMs (or be 0: no maximum)' });
        }
      })
      .default({
        priceToleranceBps: 1,
        minQuoteIntervalMs: 250,
        maxOrderAgeMs: 60_000,
        minOrderLifetimeMs: 0,
        pairOrdersPerSecond: 5,
        pairOrderBurst: 20,
        accountOrdersPerSecond: 10,
        accountOrderBurst: 40,
        exchangeBudgetFraction: 0.5,
        retryBackoffMs: 250,
        maxPlaceAttempts: 5,
        venueProbeIntervalMs: 1_000,
        stopTimeoutMs: 5_000,
      }),
    liquidation: z
      .object({
        /** How far through the touch a reduce-only order may go, in bps. */
        slippageBps: z.number().nonnegative().max(5_000).default(5),
      })
      .strict()
      .default({ slippageBps: 5 }),
    risk: RiskParamsSchema.prefault({}),
    toxicity: ToxicityParamsSchema.prefault({}),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.minSpreadBps > p.baseSpreadBps) {
      ctx.addIssue({ code: 'custom', path: ['minSpreadBps'], message: 'must not exceed baseSpreadBps' });
    }
    if (Number(p.inventory.hardLimit) < Number(p.inventory.maxPosition)) {
      ctx.addIssue({ code: 'custom', path: ['inventory', 'hardLimit'], message: 'must be at least inventory.maxPosition' });
    }
  });

export type StrategyParams = z.output<typeof StrategyParamsSchema>;
export type StrategyParamsInput = z.input<typeof StrategyParamsSchema>;

export const defaultStrategyParams = (): StrategyParams => StrategyParamsSchema.parse({});
