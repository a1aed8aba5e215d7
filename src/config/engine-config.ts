import { z } from 'zod';
import { NonNegativeDecimalString, PositiveDecimalString, DecimalString } from '../../events/primitives.js';
import { pairIdOf, pairStreamOf } from '../core/types.js';
import type { MarketSpec } from '../venues/venue.js';
import { ConfigError, configErrorOf, formatPath, toConfigIssues, valueAt, type ConfigIssue, type KeyPath } from './config-errors.js';
import { readConfigFile } from './config-file.js';
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
    /** Overrides of `defaults`, any subset; after loading, the pair's full parameters. */
    params: StrategyParamsSchema.prefault({}),
    /** Multi-venue: the id of a `groups` entry whose total position limit this pair shares. */
    group: z.string().min(1).optional().meta({ description: 'Multi-venue: id of the groups entry whose total position limit this pair shares', unit: 'enum' }),
  })
  .strict();

export const EngineConfigSchema = z
  .object({
    /** Strategy parameters every pair starts from; a pair's `params` override any subset of them. */
    defaults: StrategyParamsSchema.prefault({}),
    pairs: z.array(PairConfigSchema).default([]),
    groups: PairGroupsSchema,
  })
  .strict()
  .superRefine(checkGroupReferences);

export type EngineConfig = z.output<typeof EngineConfigSchema>;
export type PairConfig = z.output<typeof PairConfigSchema>;
/** A config as written: `defaults` and each pair's `params` partial. */
export type EngineConfigInput = z.input<typeof EngineConfigSchema>;

export { ConfigError };

type Json = Record<string, unknown>;
const isPlainObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge for config: objects merge key by key, anything else (lists included) in `over` replaces `base`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Json = { ...base };
  // Defined, not assigned: a "__proto__" key in a file stays a key (and the schema refuses it) instead of setting a prototype.
  for (const [k, v] of Object.entries(over)) {
    Object.defineProperty(out, k, { value: deepMerge(Object.hasOwn(base, k) ? base[k] : undefined, v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Each pair's params become `defaults` deep-merged with its own; everything else is left for the schema to judge. */
function mergeDefaults(raw: Json): Json {
  const defaults = isPlainObject(raw['defaults']) ? raw['defaults'] : {};
  const pairs = raw['pairs'];
  if (!Array.isArray(pairs)) return raw;
  return { ...raw, pairs: pairs.map((p: unknown) => (isPlainObject(p) ? { ...p, params: deepMerge(defaults, p['params'] ?? {}) } : p)) };
}

/**
 * Validates a config (parsed JSON or YAML): `defaults` are merged into each
 * pair's `params`, then the whole result is validated once. Errors name the
 * key path, the value, the allowed range and (with `lineOf`) the line; a bad
 * value inherited from `defaults` is reported once, at `defaults`.
 */
export function parseEngineConfig(raw: unknown, source: string, lineOf: (path: KeyPath) => number | null = () => null): EngineConfig {
  if (raw === undefined || raw === null) raw = {};
  if (!isPlainObject(raw)) throw new ConfigError(`invalid config in ${source}: the top level must be a mapping with "defaults" and "pairs", got ${JSON.stringify(raw)}`);
  const merged = mergeDefaults(raw);

  // pairs[i].params.<rest> comes from the pair when it sets <rest>, else from defaults.
  const origin = (path: KeyPath): KeyPath => {
    if (path[0] === 'pairs' && typeof path[1] === 'number' && path[2] === 'params') {
      const rest = path.slice(3);
      const own = valueAt(raw, ['pairs', path[1], 'params', ...rest]);
      const fromDefaults = valueAt(raw, ['defaults', ...rest]);
      if (own === undefined && fromDefaults !== undefined) return ['defaults', ...rest];
    }
    return path;
  };

  const parsed = EngineConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issues = toConfigIssues(parsed.error, EngineConfigSchema, merged, (path) => lineOf(origin(path)));
    const seen = new Set<string>();
    const kept: ConfigIssue[] = [];
    for (const issue of issues) {
      const path = parsePathString(issue.path);
      const from = origin(path);
      const key = `${formatPath(from)}|${issue.message.slice(issue.path.length)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      kept.push(from === path ? issue : { ...issue, message: `${issue.message} (inherited from ${formatPath(from)})` });
    }
    throw configErrorOf(source, kept);
  }
  const twice = duplicatePairs(parsed.data.pairs);
  if (twice) {
    throw configErrorOf(source, [{ path: `pairs[${twice[1]}]`, value: undefined, allowed: null, message: `pairs[${twice[1]}]: ${twice[2]} is configured twice (also pairs[${twice[0]}])`, line: lineOf(['pairs', twice[1]]) }]);
  }
  return parsed.data;
}

function duplicatePairs(pairs: readonly PairConfig[]): [number, number, string] | null {
  const seen = new Map<string, number>();
  for (const [i, p] of pairs.entries()) {
    const key = `${p.venue} ${p.symbol}`;
    const first = seen.get(key);
    if (first !== undefined) return [first, i, key];
    seen.set(key, i);
  }
  return null;
}

/** Back from `pairs[0].params.x` to ['pairs', 0, 'params', 'x']. */
function parsePathString(path: string): KeyPath {
  const out: PropertyKey[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  return out;
}

/** Reads a YAML or JSON config file; no path means every default. */
export async function loadEngineConfig(path: string | undefined): Promise<EngineConfig> {
  if (!path) return parseEngineConfig({}, 'defaults');
  const file = await readConfigFile(path);
  return parseEngineConfig(file.raw, file.name, file.lineOf);
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
  const params = entry?.params ?? config.defaults;
  const pairId = pairIdOf(venue, `${complete.data.base}/${complete.data.quote}`);
  return { pairId, stream: pairStreamOf(pairId), market: complete.data, params };
}
