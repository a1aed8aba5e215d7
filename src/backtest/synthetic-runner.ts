/**
 * Monte-Carlo backtests on the Avellaneda–Stoikov synthetic market: N
 * independent paths, each traded by the same pair runtime (pair machine,
 * strategy, commit-then-act, projections) as a recorded backtest, against the
 * SyntheticVenue, in virtual time.
 *
 * Why not TradingSession: it builds a SimulatedVenue itself (startPair), so
 * it cannot take the synthetic venue. The loop below is that session's loop
 * for one pair, plus one call the synthetic fill model needs (drawFills, half
 * a step after each book). A `venueFactory` option on TradingSession would
 * remove this copy.
 *
 * Seeds: path i's mid path uses deriveSeed(seed, i, 1), its fill draws
 * deriveSeed(seed, i, 2): independent streams, so the same seed reproduces a
 * run exactly, and path i is the same whatever N is.
 *
 * Streams: path i writes `pair-synthetic-SYN_USD-path0007`-style streams (pair
 * id suffixed with the path), so one store holds every path, each with its
 * own inventory, and `mm replay` / `--verify` work on the result.
 */
import { z } from 'zod';
import type { PairSummary } from '../../projections/pair-projection.js';
import { VirtualClock } from '../clock/clock.js';
import { ConfigError, parseEngineConfig, resolvePair, type EngineConfig, type PairConfigSchema } from '../config/engine-config.js';
import { applyParamsPatch } from '../config/params-patch.js';
import type { StrategyParamsInput } from '../config/strategy-params.js';
import { D } from '../core/decimal.js';
import { pairStreamOf } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import { deriveSeed } from '../core/seeded-random.js';
import { parseSyntheticParams, syntheticMarketEvents, type SyntheticMarketParamsInput, type SyntheticMarketSpec } from '../market-data/synthetic-market.js';
import { PairRuntime } from '../service/pair-runtime.js';
import type { EventStore } from '../store/event-store.js';
import { MemoryEventStore } from '../store/memory-event-store.js';
import { SyntheticVenue } from '../venues/synthetic-venue.js';

/** Stream tags for deriveSeed: the mid path and the fill draws never share a generator. */
export const SEED_STREAM = { market: 1, fills: 2 } as const;

/**
 * Strategy parameters for the synthetic instrument (price ~100, lot 0.01):
 * the engine defaults, with the sizes rescaled from BTC to a $100 unit. One
 * level is 100 quote = 1 unit (the paper trades one unit per fill); the soft
 * and hard position limits keep the defaults' ratio to the level size at a
 * BTC price of 60 000 (0.05 / 0.08 BTC against 200 USDT ≈ 15 / 24 levels).
 */
export const SYNTHETIC_DEFAULT_PARAMS: StrategyParamsInput = {
  ladder: { levels: 2, levelSpacingBps: 2, levelSizeQuote: '100' },
  inventory: { maxPosition: '15', hardLimit: '24', priceSkewBps: 3, maxPriceSkewBps: 6, sizeSkew: 1 },
};

export interface SyntheticMarketRules {
  readonly base?: string;
  readonly quote?: string;
  readonly tickSize?: string;
  readonly lotSize?: string;
  readonly minNotional?: string;
  readonly makerFee?: string;
  readonly takerFee?: string;
}

/**
 * A config `pairs` entry for the synthetic market: full market rules (SYN/USD,
 * tick from the market parameters, lot 0.01, min notional 0, fees 0) and the
 * synthetic default strategy parameters, each overridable.
 */
export function syntheticPairConfig(
  market: SyntheticMarketParamsInput = {},
  overrides: { readonly market?: SyntheticMarketRules; readonly params?: StrategyParamsInput } = {},
): z.input<typeof PairConfigSchema> {
  const spec = parseSyntheticParams(market);
  return {
    venue: spec.venue,
    symbol: spec.symbol,
    market: { base: 'SYN', quote: 'USD', tickSize: spec.tickSize, lotSize: '0.01', minNotional: '0', makerFee: '0', takerFee: '0', ...overrides.market },
    params: overrides.params ?? SYNTHETIC_DEFAULT_PARAMS,
  };
}

/** An engine config that trades only the synthetic pair, with syntheticPairConfig's defaults. */
export function syntheticEngineConfig(market: SyntheticMarketParamsInput = {}, overrides: Parameters<typeof syntheticPairConfig>[1] = {}): EngineConfig {
  return parseEngineConfig({ pairs: [syntheticPairConfig(market, overrides)] }, 'synthetic defaults');
}

export interface SyntheticBacktestOptions {
  /** Market and fill-model parameters; `seed` here is ignored (each path derives its own). */
  readonly params?: SyntheticMarketParamsInput;
  /** Number of independent paths, >= 1. */
  readonly paths: number;
  readonly seed: number;
  /** One store for every path (each path has its own stream). Default: a fresh in-memory store, closed at the end. */
  readonly store?: EventStore;
  /** Must hold market rules for the synthetic venue and symbol (see syntheticEngineConfig). */
  readonly config: EngineConfig;
  readonly logger: Logger;
  readonly instanceId?: string;
  /** Tags the streams (`...-<label>-path0003`), so runs of several strategies share one store. */
  readonly label?: string;
}

export interface SyntheticPathResult {
  readonly path: number;
  readonly stream: string;
  readonly marketSeed: number;
  readonly fillSeed: number;
  /** Net PnL (realised + unrealised at the last decision's mid - fees), decimal string. */
  readonly netPnl: string;
  /** Final inventory, base units, decimal string. */
  readonly position: string;
  readonly fills: number;
  readonly decisions: number;
  /** Mean of ask[0] - bid[0] over the path's QuoteDecided events that quote both sides; null if none did. */
  readonly meanQuotedSpread: number | null;
  /** Root mean square of the inventory over the path, sampled at each decision: how far from flat the pair ran. */
  readonly inventoryRms: number;
  /** The model mid at T. */
  readonly finalMid: number;
  readonly summary: PairSummary;
}

export interface MeanStd {
  readonly mean: number;
  /** Sample standard deviation (n - 1); 0 for a single path. */
  readonly std: number;
}

export interface SyntheticBacktestResult {
  readonly market: SyntheticMarketSpec;
  readonly seed: number;
  readonly paths: readonly SyntheticPathResult[];
  readonly netPnl: MeanStd;
  readonly position: MeanStd;
  /** Mean over paths of the per-path mean quoted spread (paths without two-sided quotes left out); null if none. */
  readonly meanQuotedSpread: number | null;
  readonly meanFills: number;
  /** Across paths, the per-path RMS inventory over time (see SyntheticPathResult.inventoryRms). */
  readonly inventoryRms: MeanStd;
}

const RunSchema = z.object({
  paths: z.number().int().min(1).max(100_000),
  seed: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});

export async function runSyntheticBacktest(opts: SyntheticBacktestOptions): Promise<SyntheticBacktestResult> {
  const run = RunSchema.safeParse({ paths: opts.paths, seed: opts.seed });
  if (!run.success) throw new ConfigError(`invalid synthetic run: ${run.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const market = parseSyntheticParams(opts.params ?? {});
  const resolved = resolvePair(opts.config, market.venue, market.symbol);
  if (!D(resolved.market.tickSize).eq(market.tickSize)) {
    throw new ConfigError(
      `the ${market.venue} ${market.symbol} market rules have tick ${resolved.market.tickSize} but the synthetic book is built on tick ${market.tickSize}: make them equal`,
    );
  }

  const ownStore = opts.store === undefined;
  const store = opts.store ?? new MemoryEventStore();
  const results: SyntheticPathResult[] = [];
  try {
    for (let i = 0; i < run.data.paths; i++) results.push(await runPath(i, market, resolved, store, opts));
  } finally {
    if (ownStore) await store.close();
  }

  const spreads = results.map((r) => r.meanQuotedSpread).filter((s): s is number => s !== null);
  return {
    market,
    seed: run.data.seed,
    paths: results,
    netPnl: meanStd(results.map((r) => Number(r.netPnl))),
    position: meanStd(results.map((r) => Number(r.position))),
    meanQuotedSpread: spreads.length ? mean(spreads) : null,
    meanFills: mean(results.map((r) => r.fills)),
    inventoryRms: meanStd(results.map((r) => r.inventoryRms)),
  };
}

async function runPath(
  path: number,
  market: SyntheticMarketSpec,
  resolved: ReturnType<typeof resolvePair>,
  store: EventStore,
  opts: SyntheticBacktestOptions,
): Promise<SyntheticPathResult> {
  const marketSeed = deriveSeed(opts.seed, path, SEED_STREAM.market);
  const fillSeed = deriveSeed(opts.seed, path, SEED_STREAM.fills);
  const pairId = `${resolved.pairId}${opts.label ? `-${opts.label}` : ''}-path${String(path).padStart(4, '0')}`;
  const stream = pairStreamOf(pairId);
  if ((await store.streamRevision(stream)) !== null) {
    throw new ConfigError(`the store already holds ${stream}: a synthetic backtest writes into an empty store`);
  }
  const source = syntheticMarketEvents({ ...market, seed: marketSeed });
  const clock = new VirtualClock(market.startMs);
  const venue = new SyntheticVenue({ id: market.venue, markets: [resolved.market], clock, model: { A: market.A, k: market.k, dt: market.dt }, seed: fillSeed });
  const runtime = new PairRuntime({
    ...resolved,
    pairId,
    stream,
    store,
    venue,
    clock,
    logger: opts.logger.child({ path }),
    instanceId: opts.instanceId ?? 'synthetic-backtest',
    mode: 'backtest',
  });
  await runtime.start();

  // Fills of step n are drawn half a step after its book, against that book's
  // mid: the requote they cause is then stamped inside the step, and the next
  // book comes late enough (stepMs/2 >= 250 ms at the defaults) for the pair to
  // requote on it too. As in the backtest runner, timers due on the way fire
  // first, and every input is handled before the next one is fed.
  const fillOffsetMs = Math.floor(market.stepMs / 2);
  let previousTs: number | undefined;
  for await (const event of source) {
    if (previousTs !== undefined) {
      clock.advanceTo(previousTs + fillOffsetMs);
      await runtime.drain();
      venue.drawFills(market.symbol);
      await runtime.drain();
    }
    clock.advanceTo(event.ts);
    await runtime.drain();
    venue.onMarketEvent(event);
    await runtime.drain();
    previousTs = event.ts;
  }
  await runtime.stop('synthetic path finished');
  venue.close();

  const events = await store.readStream(stream);
  const spreads: number[] = [];
  let squaredInventory = 0;
  let decisions = 0;
  for (const e of events) {
    if (e.type !== 'QuoteDecided') continue;
    squaredInventory += Number(e.data.inputs.position) ** 2;
    decisions++;
    const { bids, asks } = e.data.output;
    const bid = bids[0];
    const ask = asks[0];
    if (bid && ask) spreads.push(D(ask.price).minus(bid.price).toNumber());
  }
  const summary = runtime.summary();
  return {
    path,
    stream,
    marketSeed,
    fillSeed,
    netPnl: summary.netPnl,
    position: summary.position,
    fills: summary.fills,
    decisions: summary.decisions,
    meanQuotedSpread: spreads.length ? mean(spreads) : null,
    inventoryRms: decisions ? Math.sqrt(squaredInventory / decisions) : 0,
    finalMid: source.stats.lastMid ?? market.s0,
    summary,
  };
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function meanStd(xs: readonly number[]): MeanStd {
  const m = mean(xs);
  if (xs.length < 2) return { mean: m, std: 0 };
  const variance = xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
  return { mean: m, std: Math.sqrt(variance) };
}

/**
 * Symmetric quoting: the same parameters with every inventory rule off
 * (no price skew, no size skew). Quotes are centred on the reference price
 * whatever the position, as in the Avellaneda–Stoikov paper's benchmark.
 */
export const SYMMETRIC_PATCH = { inventory: { priceSkewBps: 0, maxPriceSkewBps: 0, sizeSkew: 0 } } as const;

/** `config` with every pair (and the defaults) quoting symmetrically. */
export function symmetricConfig(config: EngineConfig): EngineConfig {
  return {
    defaults: applyParamsPatch(config.defaults, SYMMETRIC_PATCH),
    pairs: config.pairs.map((p) => ({ ...p, params: applyParamsPatch(p.params, SYMMETRIC_PATCH) })),
    groups: config.groups,
  };
}

export interface StrategyComparison {
  readonly market: SyntheticMarketSpec;
  readonly seed: number;
  readonly paths: number;
  /** Each run on the same seeded mid paths and fill draws. */
  readonly runs: readonly { readonly label: string; readonly result: SyntheticBacktestResult }[];
}

/**
 * Runs each strategy over the same seeded paths (the mid path and the fill
 * uniforms depend only on the seed and the path index), one after the other,
 * into one store with labelled streams.
 */
export async function compareSyntheticStrategies(
  opts: Omit<SyntheticBacktestOptions, 'config' | 'label'> & { readonly strategies: readonly { readonly label: string; readonly config: EngineConfig }[] },
): Promise<StrategyComparison> {
  const ownStore = opts.store === undefined;
  const store = opts.store ?? new MemoryEventStore();
  const runs: { label: string; result: SyntheticBacktestResult }[] = [];
  try {
    for (const s of opts.strategies) {
      runs.push({ label: s.label, result: await runSyntheticBacktest({ ...opts, store, config: s.config, label: s.label, logger: opts.logger.child({ strategy: s.label }) }) });
    }
  } finally {
    if (ownStore) await store.close();
  }
  const first = runs[0];
  if (!first) throw new ConfigError('a comparison needs at least one strategy');
  return { market: first.result.market, seed: first.result.seed, paths: first.result.paths.length, runs };
}
