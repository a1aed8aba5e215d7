import { z } from 'zod';
import { DECIMAL_STRING_PATTERN } from '../../core/decimal.js';

/*
 * Risk limits and toxicity (adverse-selection) pauses of one pair. Each field
 * carries `.meta({ description, unit })`, which the README parameter table is
 * generated from. Rules default to off, so logs recorded before a rule existed
 * still verify with the defaults they are read back with.
 */

/** A number in [min, max]; the error names the allowed range and the value given (the path names the key). */
function numberIn(min: number, max: number, opts: { int?: boolean } = {}) {
  const range = `${min} to ${max}${opts.int ? ' (an integer)' : ''}`;
  const error = (iss: { input?: unknown }) => `must be ${range}, got ${JSON.stringify(iss.input)}`;
  const base = z.number({ error });
  return (opts.int ? base.int({ error }) : base).min(min, { error }).max(max, { error });
}

/** A plain decimal string >= 0 (money in quote currency); "0" switches the limit off. */
const quoteAmountOrOff = () =>
  z
    .string({ error: (iss) => `must be a decimal string >= 0 ("0" = off), got ${JSON.stringify(iss.input)}` })
    .regex(DECIMAL_STRING_PATTERN, { error: (iss) => `must be a plain decimal string >= 0 ("0" = off), got ${JSON.stringify(iss.input)}` })
    .refine((s) => !s.startsWith('-'), { error: (iss) => `must be >= 0 ("0" = off), got ${JSON.stringify(iss.input)}` });

const HOUR_MS = 3_600_000;

export const RiskParamsSchema = z
  .object({
    maxPositionValueQuote: quoteAmountOrOff()
      .default('0')
      .meta({ description: 'Pause (risk-limit) while |position| x mid exceeds this; resumes when back under it. "0" = off.', unit: 'quote' }),
    capitalQuote: quoteAmountOrOff()
      .default('0')
      .meta({ description: 'Capital allotted to the pair, the base of risk.maxExposurePct. "0" = off.', unit: 'quote' }),
    maxExposurePct: numberIn(0, 10_000)
      .default(0)
      .meta({ description: 'Pause (risk-limit) while |position| x mid exceeds this share of risk.capitalQuote. 0 = off.', unit: '%' }),
    dailyLossLimitQuote: quoteAmountOrOff()
      .default('0')
      .meta({ description: 'Pause (risk-limit) when net PnL since 00:00 UTC falls below minus this; resumes at the next UTC day or on operator resume. "0" = off.', unit: 'quote' }),
    maxDrawdownQuote: quoteAmountOrOff()
      .default('0')
      .meta({ description: 'Pause (risk-limit) when net PnL falls this far below its peak; only an operator resumes (the peak restarts there). "0" = off.', unit: 'quote' }),
    maxTradesPerMinute: numberIn(0, 100_000, { int: true })
      .default(0)
      .meta({ description: 'Pause (risk-limit) when own fills on one side within risk.tradesWindowMs exceed this; resumes one window later. 0 = off.', unit: 'count' }),
    tradesWindowMs: numberIn(1, HOUR_MS, { int: true })
      .default(60_000)
      .meta({ description: 'Window of risk.maxTradesPerMinute.', unit: 'ms' }),
    priceCeiling: numberIn(0, Number.MAX_SAFE_INTEGER)
      .default(0)
      .meta({ description: 'No quoting (pause, risk-limit) while the mid is above this; resumes when back inside. 0 = off.', unit: 'quote' }),
    priceFloor: numberIn(0, Number.MAX_SAFE_INTEGER)
      .default(0)
      .meta({ description: 'No quoting (pause, risk-limit) while the mid is below this; resumes when back inside. 0 = off.', unit: 'quote' }),
    requoteDelayAfterFillMs: numberIn(0, HOUR_MS, { int: true })
      .default(0)
      .meta({ description: 'After an own fill, no new quote decision for this long (resting orders stay). 0 = off.', unit: 'ms' }),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.priceCeiling > 0 && r.priceFloor > 0 && r.priceFloor >= r.priceCeiling) {
      ctx.addIssue({ code: 'custom', path: ['priceFloor'], message: `must be below risk.priceCeiling (${r.priceCeiling}), got ${r.priceFloor}` });
    }
    if (r.maxExposurePct > 0 && Number(r.capitalQuote) <= 0) {
      ctx.addIssue({ code: 'custom', path: ['capitalQuote'], message: `must be > 0 when risk.maxExposurePct is set (${r.maxExposurePct}), got "${r.capitalQuote}"` });
    }
  });

const TradeImbalanceSchema = z
  .object({
    enabled: z.boolean().default(false).meta({ description: 'Pause (toxic-flow) on one-sided market trade flow.', unit: 'bool' }),
    windowMs: numberIn(1, HOUR_MS, { int: true }).default(1_000).meta({ description: 'Window of market trades the imbalance is measured over.', unit: 'ms' }),
    threshold: numberIn(0, 1).default(0.7).meta({ description: '|buy - sell| / (buy + sell) volume beyond which the flow is toxic.', unit: 'x' }),
    minTrades: numberIn(1, 1_000_000, { int: true }).default(5).meta({ description: 'Trades needed in the window before the imbalance counts.', unit: 'count' }),
  })
  .strict();

const ShortVolatilitySchema = z
  .object({
    enabled: z.boolean().default(false).meta({ description: 'Pause (toxic-flow) on short-term realised volatility.', unit: 'bool' }),
    windowMs: numberIn(1, HOUR_MS, { int: true }).default(5_000).meta({ description: 'Window of mids the realised volatility is measured over.', unit: 'ms' }),
    thresholdPct: numberIn(0, 100).default(2).meta({ description: 'Realised volatility (root of summed squared log returns) beyond which the flow is toxic.', unit: '%' }),
  })
  .strict();

const OneSidedFillsSchema = z
  .object({
    enabled: z.boolean().default(false).meta({ description: 'Pause (adverse-selection) when the last N own fills are all on one side.', unit: 'bool' }),
    count: numberIn(2, 1_000, { int: true }).default(5).meta({ description: 'N: own fills in a row on one side that trigger the pause.', unit: 'count' }),
  })
  .strict();

const FillVolumeSpikeSchema = z
  .object({
    enabled: z.boolean().default(false).meta({ description: 'Pause (adverse-selection) when own fill volume spikes above its average.', unit: 'bool' }),
    windowMs: numberIn(1, HOUR_MS, { int: true }).default(10_000).meta({ description: 'Recent window of own fill volume.', unit: 'ms' }),
    baselineMs: numberIn(1, 24 * HOUR_MS, { int: true }).default(300_000).meta({ description: 'Lookback before the recent window that sets the average volume per window.', unit: 'ms' }),
    multiple: numberIn(1, 1_000).default(3).meta({ description: 'Recent volume beyond this multiple of the average is a spike.', unit: 'x' }),
    minBaselineFills: numberIn(1, 100_000, { int: true }).default(3).meta({ description: 'Own fills needed in the baseline before a spike counts.', unit: 'count' }),
  })
  .strict();

const MarkoutSchema = z
  .object({
    enabled: z.boolean().default(false).meta({ description: 'Pause (adverse-selection) when post-fill markouts are persistently against us.', unit: 'bool' }),
    horizonMs: numberIn(1, HOUR_MS, { int: true }).default(5_000).meta({ description: 'A fill is marked at the first mid at least this long after it.', unit: 'ms' }),
    fills: numberIn(1, 1_000, { int: true }).default(5).meta({ description: 'Number of most recent markouts averaged.', unit: 'count' }),
    thresholdBps: numberIn(0, 10_000).default(5).meta({ description: 'Pause when the average markout is worse than minus this.', unit: 'bps' }),
  })
  .strict();

export const ToxicityParamsSchema = z
  .object({
    calmPeriodMs: numberIn(1, 24 * HOUR_MS, { int: true })
      .default(30_000)
      .meta({ description: 'A toxicity pause resumes by itself this long after the last toxic signal.', unit: 'ms' }),
    tradeImbalance: TradeImbalanceSchema.prefault({}),
    volatility: ShortVolatilitySchema.prefault({}),
    oneSidedFills: OneSidedFillsSchema.prefault({}),
    fillVolumeSpike: FillVolumeSpikeSchema.prefault({}),
    markout: MarkoutSchema.prefault({}),
  })
  .strict();

export type RiskParams = z.output<typeof RiskParamsSchema>;
export type ToxicityParams = z.output<typeof ToxicityParamsSchema>;
