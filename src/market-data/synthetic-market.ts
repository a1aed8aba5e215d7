/**
 * A synthetic market from the Avellaneda–Stoikov model ("High-frequency
 * trading in a limit order book", Quantitative Finance 8(3), 2008), for
 * backtests where the answer is known in distribution.
 *
 * MID PATH. Arithmetic Brownian motion on an Euler grid:
 *   s(0) = s0,   s(n+1) = s(n) + sigma * sqrt(dt) * Z(n),   n = 0 .. T/dt - 1
 * with Z(n) standard normal from a seeded generator (src/core/seeded-random.ts). Nothing else draws from this generator, so a seed fixes the path
 * whatever the strategy does.
 *
 * EVENTS. One `book` event per grid point (T/dt + 1 of them), venue
 * `synthetic`, symbol `SYNUSD` by default: a one-tick-wide book around the mid,
 * bid = floor(s / tick) * tick, ask = bid + tick, `bookSize` on each side. The
 * book mid (what the pair and the venue see) is within half a tick of s(n).
 * No trades: in the model, fills come from the venue's intensity
 * A * exp(-k * delta) (src/venues/synthetic-venue.ts), not from prints.
 *
 * TIME. Model time is dimensionless; `timeUnitMs` maps one unit to data-time
 * milliseconds: ts(n) = startMs + n * dt * timeUnitMs. The default 200 000 ms
 * per unit makes the paper's dt = 0.005 one second per step and T = 1 a
 * 200 s path: slower than the pair's 250 ms minimum quote interval (so it can
 * requote every step) and well inside its 5 s stale-feed limit, and the
 * volatility sampler (1 s) gets one mid per step.
 *
 * Defaults are the paper's simulation: s0 = 100, sigma = 2, dt = 0.005, T = 1,
 * A = 140, k = 1.5 (A and k drive the venue's fills; they live here so one
 * parameter object describes the whole synthetic market).
 */
import { z } from 'zod';
import { PositiveDecimalString } from '../../events/primitives.js';
import { ConfigError } from '../config/engine-config.js';
import { D, type Decimal } from '../core/decimal.js';
import { deriveSeed, SeededRandom } from '../core/seeded-random.js';
import type { BookEvent, MarketEvent } from './market-event.js';

/**
 * Invalid synthetic-market parameters, or a path that left the model's valid
 * range. A ConfigError (its `name` stays 'ConfigError'), so the CLI already
 * reports it as bad input, exit code 2.
 */
export class SyntheticMarketError extends ConfigError {}

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

/** 2024-01-01T00:00:00Z: a fixed data-time origin, so logs do not depend on when they were made. */
export const SYNTHETIC_START_MS = 1_704_067_200_000;

export const SyntheticMarketParamsSchema = z
  .object({
    /** Initial mid. */
    s0: z.number().positive().default(100),
    /** Volatility of the arithmetic Brownian mid, price units per sqrt(model time unit). */
    sigma: z.number().nonnegative().default(2),
    /** Model time step. */
    dt: z.number().positive().default(0.005),
    /** Horizon, model time units: T/dt steps. */
    T: z.number().positive().default(1),
    /** Fill intensity scale, fills per model time unit at delta = 0. */
    A: z.number().nonnegative().default(140),
    /** Fill intensity decay per price unit of distance from the mid. */
    k: z.number().nonnegative().default(1.5),
    tickSize: PositiveDecimalString.default('0.01'),
    /** Size shown on each side of the synthetic book (informational: fills follow the intensity model). */
    bookSize: z.number().positive().default(100),
    venue: z.string().min(1).default('synthetic'),
    symbol: z.string().min(1).default('SYNUSD'),
    /** Data time of step 0, epoch ms. */
    startMs: z.number().int().nonnegative().default(SYNTHETIC_START_MS),
    /** Data-time milliseconds per model time unit (see TIME above). */
    timeUnitMs: z.number().positive().default(200_000),
    /** Seed of the mid path. */
    seed: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).default(0),
  })
  .strict()
  .superRefine((p, ctx) => {
    const steps = p.T / p.dt;
    if (Math.abs(steps - Math.round(steps)) > 1e-9 * Math.max(1, steps)) {
      ctx.addIssue({ code: 'custom', path: ['T'], message: `T / dt must be a whole number of steps (T ${p.T}, dt ${p.dt} give ${steps})` });
    } else if (Math.round(steps) > 10_000_000) {
      ctx.addIssue({ code: 'custom', path: ['T'], message: `T / dt = ${Math.round(steps)} steps: at most 10 000 000` });
    }
    const stepMs = p.dt * p.timeUnitMs;
    if (Math.round(stepMs) < 1 || Math.abs(stepMs - Math.round(stepMs)) > 1e-6) {
      ctx.addIssue({ code: 'custom', path: ['timeUnitMs'], message: `dt x timeUnitMs must be a whole number of milliseconds >= 1 (got ${stepMs})` });
    }
  });

export type SyntheticMarketParamsInput = z.input<typeof SyntheticMarketParamsSchema>;
export type SyntheticMarketParams = z.output<typeof SyntheticMarketParamsSchema>;

/** Parsed parameters plus what follows from them. */
export interface SyntheticMarketSpec extends SyntheticMarketParams {
  readonly steps: number;
  /** Data-time milliseconds between two grid points. */
  readonly stepMs: number;
}

export function parseSyntheticParams(input: SyntheticMarketParamsInput = {}): SyntheticMarketSpec {
  const parsed = SyntheticMarketParamsSchema.safeParse(input);
  if (!parsed.success) {
    throw new SyntheticMarketError(
      'invalid synthetic market parameters:\n' + parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n'),
    );
  }
  const p = parsed.data;
  return { ...p, steps: Math.round(p.T / p.dt), stepMs: Math.round(p.dt * p.timeUnitMs) };
}

/** A parsed spec is used as it is (re-parsing would refuse its derived fields); anything else is parsed. */
const asSpec = (input: SyntheticMarketParamsInput | SyntheticMarketSpec): SyntheticMarketSpec =>
  'steps' in input && 'stepMs' in input ? (input as SyntheticMarketSpec) : parseSyntheticParams(input);

// ---------------------------------------------------------------------------
// The path and its events
// ---------------------------------------------------------------------------

export interface SyntheticStep {
  readonly step: number;
  readonly ts: number;
  /** The model mid s(n), unrounded. */
  readonly mid: number;
  readonly event: BookEvent;
}

/** One-tick-wide book around `mid`; throws when the bid would not be a positive price. */
export function syntheticBook(spec: SyntheticMarketSpec, tick: Decimal, step: number, ts: number, mid: number): BookEvent {
  const bid = D(mid).div(tick).floor().mul(tick);
  if (!bid.gt(0)) {
    throw new SyntheticMarketError(
      `the mid fell to ${mid} at step ${step} (seed ${spec.seed}): an arithmetic Brownian motion can go below zero; raise s0 or lower sigma * sqrt(T)`,
    );
  }
  return {
    kind: 'book',
    venue: spec.venue,
    symbol: spec.symbol,
    ts,
    sequence: step + 1,
    bids: [{ price: bid.toNumber(), size: spec.bookSize }],
    asks: [{ price: bid.plus(tick).toNumber(), size: spec.bookSize }],
  };
}

/** The grid points of one path, step 0 .. steps, lazily. */
export function* syntheticPath(input: SyntheticMarketParamsInput | SyntheticMarketSpec = {}): Generator<SyntheticStep> {
  const spec = asSpec(input);
  const rng = new SeededRandom(deriveSeed(spec.seed));
  const tick = D(spec.tickSize);
  const diffusion = spec.sigma * Math.sqrt(spec.dt);
  let mid = spec.s0;
  for (let step = 0; step <= spec.steps; step++) {
    if (step > 0) mid += diffusion * rng.nextNormal();
    const ts = spec.startMs + step * spec.stepMs;
    yield { step, ts, mid, event: syntheticBook(spec, tick, step, ts, mid) };
  }
}

export interface SyntheticMarketStats {
  /** Grid points emitted (one book event each). Named like the recording reader's counter. */
  messagesRead: number;
  eventsEmitted: number;
  eventsByKind: Record<MarketEvent['kind'], number>;
  firstTs: number | undefined;
  lastTs: number | undefined;
  /** Model mid at the last emitted step. */
  lastMid: number | undefined;
}

export const createSyntheticStats = (): SyntheticMarketStats => ({
  messagesRead: 0,
  eventsEmitted: 0,
  eventsByKind: { book: 0, trade: 0, bbo: 0, 'feed-problem': 0, 'feed-recovered': 0 },
  firstTs: undefined,
  lastTs: undefined,
  lastMid: undefined,
});

export interface SyntheticMarketEvents extends AsyncIterable<MarketEvent> {
  /** The parsed parameters. */
  readonly spec: SyntheticMarketSpec;
  /** Filled during iteration; reset when a new iteration starts. */
  readonly stats: SyntheticMarketStats;
}

/**
 * The synthetic market as the same kind of source as a recording: an
 * AsyncIterable of MarketEvents with a stats object. Parameters are checked
 * here, before iteration, so a bad value fails at once. Each iteration
 * regenerates the identical path.
 */
export function syntheticMarketEvents(
  input: SyntheticMarketParamsInput | SyntheticMarketSpec = {},
  options: { stats?: SyntheticMarketStats } = {},
): SyntheticMarketEvents {
  const spec = asSpec(input);
  const stats = options.stats ?? createSyntheticStats();
  return {
    spec,
    stats,
    async *[Symbol.asyncIterator]() {
      Object.assign(stats, createSyntheticStats());
      for (const point of syntheticPath(spec)) {
        stats.messagesRead++;
        stats.eventsEmitted++;
        stats.eventsByKind.book++;
        stats.firstTs ??= point.ts;
        stats.lastTs = point.ts;
        stats.lastMid = point.mid;
        yield point.event;
      }
    },
  };
}
