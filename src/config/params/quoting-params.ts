import { z } from 'zod';
import { PositiveDecimalString } from '../../../events/primitives.js';

/*
 * Parameter groups of the quoting rules (src/strategy). Every rule defaults
 * to off, or to a value that reproduces the plain ladder exactly, so logs
 * recorded before a rule existed still verify with these defaults. Each field
 * ends with `.meta({ description, unit })`: the README table is generated from it.
 */

export const ReferenceParamsSchema = z
  .object({
    source: z
      .enum(['mid', 'microprice', 'last-trade', 'external-mid'])
      .default('mid')
      .meta({ description: 'Reference price the quotes are built around: touch mid, size-weighted mid, last trade, or another venue\'s mid', unit: 'enum' }),
    maxAgeMs: z
      .number()
      .int()
      .positive()
      .default(5_000)
      .meta({ description: 'A last trade or external mid older than this is not used; the touch mid is (the fallback is recorded)', unit: 'ms' }),
    externalVenue: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "With source external-mid: the venue id whose mid of the same symbol is the reference (a venue in the same session)", unit: 'enum' }),
  })
  .strict()
  .prefault({})
  .meta({ description: 'Reference price rule' });

const RegimeSchema = (multiplier: number) =>
  z
    .object({
      spreadMultiplier: z
        .number()
        .positive()
        .max(100)
        .default(multiplier)
        .meta({ description: 'Multiplier on the spread in this regime, on top of the capped volatility multiplier', unit: 'x' }),
      baseSpreadBps: z
        .number()
        .positive()
        .max(10_000)
        .optional()
        .meta({ description: 'Base spread in this regime (replaces baseSpreadBps); unset keeps baseSpreadBps', unit: 'bps' }),
    })
    .strict()
    .prefault({});

export const RegimeParamsSchema = z
  .object({
    enabled: z.boolean().default(false).meta({ description: 'Classify volatility into low / medium / high regimes with their own spread settings', unit: 'bool' }),
    lowBelowBps: z.number().nonnegative().default(1).meta({ description: 'Volatility below this is the low regime', unit: 'bps' }),
    highAboveBps: z.number().nonnegative().default(5).meta({ description: 'Volatility above this is the high regime', unit: 'bps' }),
    low: RegimeSchema(0.8).meta({ description: 'Settings of the low-volatility regime' }),
    medium: RegimeSchema(1).meta({ description: 'Settings of the medium-volatility regime' }),
    high: RegimeSchema(2).meta({ description: 'Settings of the high-volatility regime' }),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.lowBelowBps > r.highAboveBps) {
      ctx.addIssue({ code: 'custom', path: ['lowBelowBps'], message: `lowBelowBps ${r.lowBelowBps} must be <= highAboveBps ${r.highAboveBps}` });
    }
  })
  .prefault({})
  .meta({ description: 'Volatility regimes (ladder model)' });

export const FeeParamsSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .meta({ description: 'Add the maker fee to each side (a rebate, a negative fee, tightens), then floor the spread', unit: 'bool' }),
    floorBps: z.number().nonnegative().max(10_000).default(0.5).meta({ description: 'The fee-adjusted spread never goes below this', unit: 'bps' }),
  })
  .strict()
  .prefault({})
  .meta({ description: 'Fee-aware spread' });

export const AdverseSelectionParamsSchema = z
  .object({
    enabled: z.boolean().default(false).meta({ description: 'Widen the spread while our own recent fill rate is high', unit: 'bool' }),
    windowMs: z.number().int().positive().default(60_000).meta({ description: 'Window over which our own fills are counted', unit: 'ms' }),
    fillsPerMinuteAbove: z.number().nonnegative().default(6).meta({ description: 'Widen while the own fill rate exceeds this', unit: 'count' }),
    widenFactor: z.number().min(1).max(10).default(1.5).meta({ description: 'Spread multiplier while widened', unit: 'x' }),
  })
  .strict()
  .prefault({})
  .meta({ description: 'Widening on adverse selection' });

export const DepthSizingParamsSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .meta({ description: 'Size each side as a fraction of the average resting level size within 1 % of mid on that side', unit: 'bool' }),
    fraction: z.number().positive().max(10).default(0.1).meta({ description: 'Fraction of the average resting size', unit: 'x' }),
    maxSizeBase: PositiveDecimalString.default('0.01').meta({ description: 'Cap on the depth-derived level-0 size', unit: 'base' }),
  })
  .strict()
  .prefault({})
  .meta({ description: 'Depth-aware sizing' });

export const PressureParamsSchema = z
  .object({
    enabled: z.boolean().default(false).meta({ description: 'Shift both quotes with the order-book imbalance and the trade flow', unit: 'bool' }),
    levels: z.number().int().min(1).max(10).default(5).meta({ description: 'Book levels per side in the imbalance', unit: 'count' }),
    imbalanceShiftBps: z
      .number()
      .nonnegative()
      .max(1_000)
      .default(1)
      .meta({ description: 'Shift at a fully one-sided book (imbalance 1); linear in the imbalance', unit: 'bps' }),
    flowHalfLifeMs: z.number().int().positive().default(2_000).meta({ description: 'Half-life of the decayed buy and sell trade volumes', unit: 'ms' }),
    flowThreshold: z.number().min(0).max(1).default(0.6).meta({ description: 'Trade-flow imbalance beyond which the flow shift applies', unit: 'x' }),
    flowShiftBps: z
      .number()
      .nonnegative()
      .max(1_000)
      .default(2)
      .meta({ description: 'Extra shift at a fully one-sided trade flow, applied past flowThreshold', unit: 'bps' }),
  })
  .strict()
  .prefault({})
  .meta({ description: 'Market pressure' });

export const OptimalQuotingParamsSchema = z
  .object({
    model: z
      .enum(['ladder', 'avellaneda-stoikov', 'glft'])
      .default('ladder')
      .meta({ description: 'Pricing model: the spread/skew ladder, Avellaneda–Stoikov, or GLFT (infinite horizon)', unit: 'enum' }),
    gamma: z.number().positive().max(100).default(0.1).meta({ description: 'Risk aversion, per bps per inventory unit (one level-0 order)', unit: 'x' }),
    horizon: z
      .enum(['finite', 'infinite'])
      .default('infinite')
      .meta({ description: 'A-S horizon: finite sessions of horizonMs (T - t shrinks to 0), or a rolling horizon of horizonMs', unit: 'enum' }),
    horizonMs: z.number().int().positive().default(3_600_000).meta({ description: 'A-S session length (finite) or rolling horizon (infinite)', unit: 'ms' }),
    sigmaSource: z
      .enum(['realised', 'ewma', 'fixed'])
      .default('realised')
      .meta({ description: 'Volatility for the models: the realised volatility input, the online EWMA estimate, or sigmaBps', unit: 'enum' }),
    sigmaBps: z.number().nonnegative().default(1).meta({ description: 'Fixed volatility, and the fallback while the EWMA is not warm', unit: 'bps' }),
    sigmaHalfLifeMs: z.number().int().positive().default(60_000).meta({ description: 'Half-life of the EWMA variance of mid returns', unit: 'ms' }),
    sigmaSampleMs: z.number().int().positive().default(1_000).meta({ description: 'Minimum time between two EWMA samples of the mid', unit: 'ms' }),
    intensitySource: z
      .enum(['estimated', 'fixed'])
      .default('fixed')
      .meta({ description: 'Arrival intensity A e^(-k delta): estimated online from trades, or the fixed A and k', unit: 'enum' }),
    intensityA: z.number().positive().default(1).meta({ description: 'Fixed arrival rate at the mid, and the fallback while the estimate is not warm', unit: 'count' }),
    intensityK: z.number().positive().default(0.5).meta({ description: 'Fixed decay of the arrival rate with distance, per bps', unit: 'x' }),
    intensityHalfLifeMs: z.number().int().nonnegative().default(300_000).meta({ description: 'Half-life of the trade counts of the estimator; 0 = no decay', unit: 'ms' }),
    intensityStepBps: z.number().positive().default(0.5).meta({ description: 'Distance step of the estimator grid', unit: 'bps' }),
    intensityLevels: z.number().int().min(2).max(100).default(20).meta({ description: 'Distance points of the estimator grid', unit: 'count' }),
    minTrades: z.number().int().min(2).default(50).meta({ description: 'Trades the estimator needs before its A and k are used', unit: 'count' }),
    maxShiftBps: z.number().positive().max(5_000).default(50).meta({ description: 'Cap on the reservation-price shift from the mid', unit: 'bps' }),
  })
  .strict()
  .prefault({})
  .meta({ description: 'Optimal quoting models (Avellaneda–Stoikov, GLFT); prices measured in bps of the reference' });

export const AllocationParamsSchema = z
  .object({
    enabled: z.boolean().default(false).meta({ description: 'Split the pair\'s size across venues by each venue\'s recent fill rate (recorded in the rules)', unit: 'bool' }),
    minShare: z.number().min(0).max(1).default(0.1).meta({ description: 'Every venue keeps at least this share, so a quiet venue is still tried', unit: 'x' }),
    windowMs: z.number().int().positive().default(300_000).meta({ description: "Window of each venue's own fills the fill rate is counted over", unit: 'ms' }),
  })
  .strict()
  .prefault({})
  .meta({ description: 'Multi-venue size allocation' });

export const RebalanceParamsSchema = z
  .object({
    enabled: z.boolean().default(false).meta({ description: 'Record a rebalance signal with urgency, and tighten the reducing side with it', unit: 'bool' }),
    startRatio: z.number().min(0).max(1).default(0.5).meta({ description: '|position - target| / maxPosition where urgency starts (0), reaching 1 at the limit', unit: 'x' }),
    tightenBps: z.number().nonnegative().max(1_000).default(0).meta({ description: 'The reducing side moves this much closer to the reference at urgency 1', unit: 'bps' }),
  })
  .strict()
  .prefault({});

export const InventoryAgeParamsSchema = z
  .object({
    enabled: z.boolean().default(false).meta({ description: 'Act when the position has been held away from target too long', unit: 'bool' }),
    halfLifeMs: z.number().int().positive().default(300_000).meta({ description: 'Expected holding time (half-life) of inventory', unit: 'ms' }),
    maxMultiple: z.number().positive().default(3).meta({ description: 'Age limit as a multiple of halfLifeMs', unit: 'x' }),
    action: z
      .enum(['skew', 'reduce-only'])
      .default('skew')
      .meta({ description: 'Past the age limit: multiply the price skew (and its cap), or quote the reducing side only', unit: 'enum' }),
    skewMultiplier: z.number().min(1).max(100).default(2).meta({ description: 'Price skew multiplier past the age limit (action skew)', unit: 'x' }),
  })
  .strict()
  .prefault({});
