import { z } from 'zod';
import { DecimalString, NonNegativeDecimalString, PositiveDecimalString } from '../../events/primitives.js';
import {
  AdverseSelectionParamsSchema,
  AllocationParamsSchema,
  DepthSizingParamsSchema,
  FeeParamsSchema,
  InventoryAgeParamsSchema,
  OptimalQuotingParamsSchema,
  PressureParamsSchema,
  RebalanceParamsSchema,
  ReferenceParamsSchema,
  RegimeParamsSchema,
} from './params/quoting-params.js';
import { RiskParamsSchema, ToxicityParamsSchema } from './params/risk-params.js';

/**
 * Strategy parameters of one pair. Every field has a default, so a config
 * names only what it changes. Bad values are rejected at load with the path.
 * Every field ends with `.meta({ description, unit })`: the README parameter
 * table is generated from it.
 */
export const StrategyParamsSchema = z
  .object({
    baseSpreadBps: z
      .number()
      .positive()
      .max(10_000)
      .default(4)
      .meta({ description: 'Full distance between the best bid and best ask quote, in bps of the reference price', unit: 'bps' }),
    minSpreadBps: z
      .number()
      .nonnegative()
      .max(10_000)
      .default(1)
      .meta({ description: 'The spread never goes tighter than this, whatever the multipliers do', unit: 'bps' }),
    volatility: z
      .object({
        sampleIntervalMs: z.number().int().positive().default(1_000).meta({ description: 'Mid is sampled at this interval for the realised volatility', unit: 'ms' }),
        windowSamples: z
          .number()
          .int()
          .min(2)
          .max(10_000)
          .default(60)
          .meta({ description: 'Number of samples in the volatility window (window = samples x interval)', unit: 'count' }),
        k: z.number().nonnegative().default(0.5).meta({ description: 'Spread multiplier = 1 + k x volatility (bps per sample)', unit: 'x' }),
        maxMultiplier: z.number().min(1).default(3).meta({ description: 'Cap on the volatility multiplier, as a multiple of the base spread', unit: 'x' }),
        regimes: RegimeParamsSchema,
      })
      .strict()
      .prefault({})
      .meta({ description: 'Realised volatility and the spread widening it drives' }),
    reference: ReferenceParamsSchema,
    fees: FeeParamsSchema,
    adverseSelection: AdverseSelectionParamsSchema,
    pressure: PressureParamsSchema,
    optimal: OptimalQuotingParamsSchema,
    allocation: AllocationParamsSchema,
    ladder: z
      .object({
        levels: z.number().int().min(1).max(50).default(2).meta({ description: 'Quote levels per side', unit: 'count' }),
        levelSpacingBps: z
          .number()
          .nonnegative()
          .default(2)
          .meta({ description: 'Distance between consecutive levels on one side, in bps of the reference price', unit: 'bps' }),
        sizeUnit: z.enum(['quote', 'base']).default('quote').meta({ description: 'Currency of the level size: levelSizeQuote or levelSizeBase', unit: 'enum' }),
        levelSizeQuote: PositiveDecimalString.default('200').meta({ description: 'Size of a level in quote currency (sizeUnit quote)', unit: 'quote' }),
        levelSizeBase: PositiveDecimalString.default('0.002').meta({ description: 'Size of a level in base currency (sizeUnit base)', unit: 'base' }),
        sizeIncrement: NonNegativeDecimalString.default('0').meta({
          description: 'Added to the size for each level away from the reference (level i gets size + i x increment), in the sizeUnit currency',
          unit: 'quote',
        }),
        depth: DepthSizingParamsSchema,
      })
      .strict()
      .prefault({})
      .meta({ description: 'Quote ladder: levels, spacing and sizes' }),
    inventory: z
      .object({
        maxPosition: PositiveDecimalString.default('0.05').meta({ description: 'Soft limit: skew reaches its full strength here', unit: 'base' }),
        hardLimit: PositiveDecimalString.default('0.08').meta({ description: 'Hard limit: beyond it the pair liquidates the excess', unit: 'base' }),
        target: DecimalString.default('0').meta({ description: 'Inventory the skews steer towards (signed)', unit: 'base' }),
        priceSkewBps: z
          .number()
          .nonnegative()
          .max(5_000)
          .default(3)
          .meta({ description: 'Price skew at |position - target| = maxPosition, in bps of the reference price', unit: 'bps' }),
        maxPriceSkewBps: z.number().nonnegative().max(5_000).default(6).meta({ description: 'Cap on the price skew', unit: 'bps' }),
        sizeSkew: z
          .number()
          .min(0)
          .max(1)
          .default(1)
          .meta({ description: 'Size skew strength: 1 means the adding side shrinks to 0x and the reducing side grows to 2x at maxPosition', unit: 'x' }),
        reduceOnlyRatio: z
          .number()
          .min(0)
          .max(1)
          .default(0.8)
          .meta({ description: 'With reduceOnlyEnabled: past |position| >= ratio x maxPosition only the reducing side is quoted', unit: 'x' }),
        reduceOnlyEnabled: z.boolean().default(false).meta({ description: 'Quote only the reducing side past reduceOnlyRatio', unit: 'bool' }),
        capToHeadroom: z
          .boolean()
          .default(false)
          .meta({ description: 'Cap the total size of each side by the position headroom to maxPosition', unit: 'bool' }),
        rebalance: RebalanceParamsSchema.meta({ description: 'Rebalance signal with urgency' }),
        age: InventoryAgeParamsSchema.meta({ description: 'Inventory age limit' }),
      })
      .strict()
      .prefault({})
      .meta({ description: 'Inventory control: limits, target, skews' }),
    shock: z
      .object({
        thresholdPct: z.number().positive().default(2).meta({ description: 'A move larger than this inside the window is a shock', unit: '%' }),
        windowMs: z.number().int().positive().default(5_000).meta({ description: 'Window of the shock check', unit: 'ms' }),
        cooldownMs: z.number().int().positive().default(30_000).meta({ description: 'Time without quotes after a shock', unit: 'ms' }),
        resumeBandPct: z
          .number()
          .positive()
          .default(0.5)
          .meta({ description: 'After the cooldown, quote again only if the price is this close to the new reference', unit: '%' }),
        maxRearms: z.number().int().nonnegative().default(3).meta({ description: 'After this many re-arms the pair pauses instead of cooling down again', unit: 'count' }),
      })
      .strict()
      .prefault({})
      .meta({ description: 'Shock detection and cooldown' }),
    feed: z
      .object({
        maxAgeMs: z.number().int().positive().default(5_000).meta({ description: 'Market data older than this pauses the pair', unit: 'ms' }),
        checkIntervalMs: z.number().int().positive().default(1_000).meta({ description: 'How often the heartbeat checks the feed age', unit: 'ms' }),
      })
      .strict()
      .prefault({})
      .meta({ description: 'Feed health' }),
    orders: z
      .object({
        priceToleranceBps: z
          .number()
          .nonnegative()
          .default(1)
          .meta({ description: 'An open order whose wanted price moved less than this is kept (bps of its price)', unit: 'bps' }),
        minQuoteIntervalMs: z.number().int().nonnegative().default(250).meta({ description: 'Minimum data time between two quote decisions', unit: 'ms' }),
        maxOrderAgeMs: z
          .number()
          .int()
          .nonnegative()
          .default(60_000)
          .meta({ description: 'A resting order older than this is replaced even where the strategy still wants it; 0 = no maximum', unit: 'ms' }),
        minOrderLifetimeMs: z
          .number()
          .int()
          .nonnegative()
          .default(0)
          .meta({ description: 'An order younger than this is never cancelled or replaced, unless the pair stops quoting or the order would cross', unit: 'ms' }),
        pairOrdersPerSecond: z
          .number()
          .positive()
          .default(5)
          .meta({ description: 'Placements per second of this pair (token bucket refill); cancels are never limited', unit: 'count' }),
        pairOrderBurst: z.number().int().positive().default(20).meta({ description: 'Placements this pair may send at once (token bucket size)', unit: 'count' }),
        accountOrdersPerSecond: z
          .number()
          .positive()
          .default(10)
          .meta({ description: 'Placements per second of all pairs on one paper venue; a ccxt venue derives it from the exchange budget', unit: 'count' }),
        accountOrderBurst: z.number().int().positive().default(40).meta({ description: 'Placements all pairs on one paper venue may send at once', unit: 'count' }),
        exchangeBudgetFraction: z
          .number()
          .positive()
          .max(1)
          .default(0.5)
          .meta({ description: "Share of a ccxt exchange's request budget (1000 / rateLimitMs per second) spent on placements", unit: 'x' }),
        retryBackoffMs: z
          .number()
          .int()
          .positive()
          .default(250)
          .meta({ description: 'First backoff before a rate-limited placement is retried with the same client order id; doubles per attempt', unit: 'ms' }),
        maxPlaceAttempts: z
          .number()
          .int()
          .min(1)
          .max(20)
          .default(5)
          .meta({ description: 'Attempts per placement (the first send included) before a rate-limited order is recorded rejected', unit: 'count' }),
        venueProbeIntervalMs: z
          .number()
          .int()
          .positive()
          .default(1_000)
          .meta({ description: 'While the venue is unavailable it is probed this often (doubling, up to 30x)', unit: 'ms' }),
        stopTimeoutMs: z.number().int().positive().default(5_000).meta({ description: 'On stop, how long to wait for the venue to confirm the cancels', unit: 'ms' }),
      })
      .strict()
      .superRefine((o, ctx) => {
        if (o.maxOrderAgeMs > 0 && o.maxOrderAgeMs <= o.minOrderLifetimeMs) {
          ctx.addIssue({ code: 'custom', path: ['maxOrderAgeMs'], message: 'must exceed minOrderLifetimeMs (or be 0: no maximum)' });
        }
      })
      .prefault({})
      .meta({ description: 'Order refresh and rate limits' }),
    liquidation: z
      .object({
        slippageBps: z.number().nonnegative().max(5_000).default(5).meta({ description: 'How far through the touch a reduce-only order may go', unit: 'bps' }),
      })
      .strict()
      .prefault({})
      .meta({ description: 'Liquidation beyond the hard limit' }),
    risk: RiskParamsSchema.prefault({}).meta({ description: 'Risk limits' }),
    toxicity: ToxicityParamsSchema.prefault({}).meta({ description: 'Toxicity and adverse-selection pauses' }),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.minSpreadBps > p.baseSpreadBps) {
      ctx.addIssue({ code: 'custom', path: ['minSpreadBps'], message: `minSpreadBps ${p.minSpreadBps} must not exceed baseSpreadBps ${p.baseSpreadBps}` });
    }
    if (Number(p.inventory.hardLimit) < Number(p.inventory.maxPosition)) {
      ctx.addIssue({
        code: 'custom',
        path: ['inventory', 'hardLimit'],
        message: `hardLimit ${p.inventory.hardLimit} must be at least inventory.maxPosition ${p.inventory.maxPosition}`,
      });
    }
  });

export type StrategyParams = z.output<typeof StrategyParamsSchema>;
export type StrategyParamsInput = z.input<typeof StrategyParamsSchema>;

export const defaultStrategyParams = (): StrategyParams => StrategyParamsSchema.parse({});
