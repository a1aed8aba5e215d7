import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { NonNegativeDecimalString, PositiveDecimalString, DecimalString } from '../../events/primitives.js';
import { pairIdOf, pairStreamOf } from '../core/types.js';
import type { MarketSpec } from '../venues/venue.js';
import { knownMarket } from './known-markets.js';
import { StrategyParamsSchema, type StrategyParams } from './strategy-params.js';
import { checkGroupReferences, PairGroupsSchema } from '../service/multi-venue/group-config.js';

const MarketOverridesSchema = z
  .object({
    base: z.string().min(1),
    quote: z.string().min(1),
    tickSize: PositiveDecimalString,
    lotSize: PositiveDecimalString,
    minNotional: NonNegativeDecimalString,
    makerFee: DecimalString,
    takerFee: DecimalString,
  })
  .partial()
  .strict();

export const PairConfigSchema = z
  .object({
    /** Venue id, e.g. `binance` (spot) or `binanceusdm`. */
    venue: z.string().min(1),
    /** Venue symbol as the feed spells it, e.g. `BTCUSDT`. */
    symbol: z.string().min(1),
    market: MarketOverridesSchema.optional(),
    params: StrategyParamsSchema.optional(),
    /** Multi-venue: the id of a `groups` entry whose total position limit this pair shares. */
    group: z.string().min(1).optional().meta({ description: 'Multi-venue: id of the groups entry whose total position limit this pair shares', unit: 'enum' }),
  })
  .strict();

export const EngineConfigSchema = z
  .object({
    pairs: z.array(PairConfigSchema).default([]),
    groups: PairGroupsSchema,
  })
  .strict()
  .superRefine(checkGroupReferences);

export type EngineConfig = z.output<typeof EngineConfigSchema>;
export type PairConfig = z.output<typeof PairConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const formatIssues = (source: string, error: z.ZodError): string =>
  `invalid config in ${source}:\n` + error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');

export function parseEngineConfig(raw: unknown, source: string): EngineConfig {
  const parsed = EngineConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatIssues(source, parsed.error));
  return parsed.data;
}

export async function loadEngineConfig(path: string | undefined): Promise<EngineConfig> {
  if (!path) return parseEngineConfig({}, 'defaults');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseEngineConfig(raw, path);
}

export interface ResolvedPair {
  readonly pairId: string;
  readonly stream: string;
  readonly market: MarketSpec;
  readonly params: StrategyParams;
}

/** Market rules and parameters for one pair: built-in market rules, overridden by the config. */
/** Venues whose contracts are inverse (sized in USD, settled in the coin): position and PnL maths here are linear. */
const INVERSE_VENUES = new Set(['binancecoinm']);

export function resolvePair(config: EngineConfig, venue: string, symbol: string): ResolvedPair {
  if (INVERSE_VENUES.has(venue)) {
    throw new ConfigError(`${venue} ${symbol} is an inverse (coin-margined) contract; inventory and PnL are linear in this version, so it cannot be traded or backtested yet`);
  }
  const entry = config.pairs.find((p) => p.venue === venue && p.symbol === symbol);
  const known = knownMarket(venue, symbol);
  const merged = { venue, symbol, ...known, ...entry?.market };
  const complete = z
    .object({ venue: z.string(), symbol: z.string(), base: z.string(), quote: z.string(), tickSize: z.string(), lotSize: z.string(), minNotional: z.string(), makerFee: z.string(), takerFee: z.string() })
    .safeParse(merged);
  if (!complete.success) {
    throw new ConfigError(
      `no market rules for ${venue} ${symbol}: add a "pairs" entry with "market" {base, quote, tickSize, lotSize, minNotional, makerFee, takerFee} to the config (missing: ${complete.error.issues.map((i) => i.path.join('.')).join(', ')})`,
    );
  }
  const params = entry?.params ?? StrategyParamsSchema.parse({});
  const pairId = pairIdOf(venue, `${complete.data.base}/${complete.data.quote}`);
  return { pairId, stream: pairStreamOf(pairId), market: complete.data, params };
}
