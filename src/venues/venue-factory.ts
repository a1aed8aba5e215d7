import type { Exchange } from 'ccxt';
import { z } from 'zod';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log/logger.js';
import type { PairSummary } from '../../projections/pair-projection.js';
import { UsageError } from '../cli/errors.js';
import type { EngineConfig } from '../config/engine-config.js';
import { runLive } from '../service/live-runner.js';
import type { EventStore } from '../store/event-store.js';
import type { Venue } from './venue.js';

/**
 * Which venue `mm run` trades on, from its options (`--venue`, `--exchange`,
 * `--sandbox`, `--symbols`), validated with zod. `paper` is the simulated
 * venue on a replayed recording (the session builds it); `ccxt` is a real
 * exchange through ccxt, with keys from the environment only.
 */
export const VENUE_KINDS = ['paper', 'ccxt'] as const;

const SymbolList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()))
  .pipe(z.array(z.string().regex(/^[A-Z0-9]+(\/[A-Z0-9]+(:[A-Z0-9]+)?)?$/, 'a symbol like BTC/USDT or BTCUSDT')).min(1));

export const VenueSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('paper') }).strict(),
  z
    .object({
      kind: z.literal('ccxt'),
      /** ccxt exchange id, e.g. binance (spot) or binanceusdm. */
      exchange: z.string().regex(/^[a-z0-9]+$/, 'a ccxt exchange id such as binance or binanceusdm'),
      sandbox: z.boolean().default(false),
      symbols: SymbolList,
    })
    .strict(),
]);

export type VenueSpec = z.output<typeof VenueSpecSchema>;

export class VenueSpecError extends Error {
  override readonly name = 'VenueSpecError';
}

/** The option each field comes from, so an error names the flag. */
const FLAG: Record<string, string> = { kind: '--venue', exchange: '--exchange', sandbox: '--sandbox', symbols: '--symbols' };

export interface VenueOptions {
  readonly venue?: string;
  readonly exchange?: string;
  readonly sandbox?: boolean;
  readonly symbols?: string;
}

/** Parse and validate; errors name the flag, the value and what is allowed. */
export function parseVenueSpec(opts: VenueOptions): VenueSpec {
  const kind = opts.venue ?? 'paper';
  if (!(VENUE_KINDS as readonly string[]).includes(kind)) throw new VenueSpecError(`--venue must be one of ${VENUE_KINDS.join(', ')}, got "${kind}"`);
  if (kind === 'paper') {
    const extra = (['exchange', 'symbols'] as const).find((k) => opts[k] !== undefined);
    if (extra) throw new VenueSpecError(`${FLAG[extra]} needs --venue ccxt`);
    return { kind: 'paper' };
  }
  if (opts.exchange === undefined) throw new VenueSpecError('--venue ccxt needs --exchange <ccxt exchange id>, e.g. --exchange binance');
  if (opts.symbols === undefined) throw new VenueSpecError('--venue ccxt needs --symbols <list>, e.g. --symbols BTC/USDT');
  const parsed = VenueSpecSchema.safeParse({ kind, exchange: opts.exchange, sandbox: opts.sandbox ?? false, symbols: opts.symbols });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'kind');
    const value = (opts as Record<string, unknown>)[key === 'kind' ? 'venue' : key];
    throw new VenueSpecError(`${FLAG[key] ?? key}: ${issue?.message ?? 'invalid'}, got "${String(value)}"`);
  }
  return parsed.data;
}

/**
 * `MM_CCXT_ENDPOINTS='{"rest":"http://127.0.0.1:8080","ws":"ws://127.0.0.1:8081"}'`
 * routes the exchange through other endpoints: every REST URL of the ccxt
 * instance keeps its path on the `rest` origin, every websocket URL becomes
 * `<ws>/<original host><original path>` (the host stays in the path: ccxt
 * tells some streams apart by it). For a local proxy or recorder; the tests
 * point it at a loopback exchange replaying recorded payloads.
 */
export const ENDPOINTS_ENV = 'MM_CCXT_ENDPOINTS';

const EndpointsSchema = z
  .object({
    rest: z.string().regex(/^https?:\/\/[^/]+$/, 'an origin like http://127.0.0.1:8080 (no path)').optional(),
    ws: z.string().regex(/^wss?:\/\/[^/]+$/, 'an origin like ws://127.0.0.1:8081 (no path)').optional(),
  })
  .strict();

export type Endpoints = z.output<typeof EndpointsSchema>;

export function parseEndpoints(text: string | undefined): Endpoints | undefined {
  if (text === undefined || text === '') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new VenueSpecError(`${ENDPOINTS_ENV} must be JSON like {"rest":"http://127.0.0.1:8080","ws":"ws://127.0.0.1:8081"}, got ${JSON.stringify(text)}`);
  }
  const parsed = EndpointsSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new VenueSpecError(`${ENDPOINTS_ENV}.${String(i?.path[0] ?? '')}: ${i?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export interface LiveStart {
  readonly store: EventStore;
  readonly config: EngineConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly instanceId: string;
  readonly signal: AbortSignal;
  /** Tests: a ready ccxt instance (recorded HTTP layer); default built from the spec. */
  readonly exchange?: Exchange;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * `mm run`'s one call into the venue layer: for `--venue ccxt` it builds the
 * exchange's venue (keys from the environment) and returns it with the
 * symbols to trade; for `paper` (the default) it returns null and the caller
 * paper-trades. A bad spec is a usage error naming the flag. Nothing is sent.
 */
export async function openLiveVenue(
  opts: VenueOptions,
  start: Pick<LiveStart, 'clock' | 'logger' | 'instanceId' | 'exchange' | 'env'>,
): Promise<{ readonly venue: Venue; readonly symbols: readonly string[] } | null> {
  let spec: VenueSpec;
  try {
    spec = parseVenueSpec(opts);
  } catch (err) {
    throw err instanceof VenueSpecError ? new UsageError(err.message) : err;
  }
  if (spec.kind === 'paper') return null;
  const env = start.env ?? process.env;
  // ccxt is loaded only for live trading: it costs about a second at start.
  const { checkExchangeId, createCcxtVenue, routeExchange } = await import('./ccxt/ccxt-venue-build.js');
  let endpoints: Endpoints | undefined;
  try {
    checkExchangeId(spec.exchange);
    endpoints = parseEndpoints(env[ENDPOINTS_ENV]);
  } catch (err) {
    throw err instanceof VenueSpecError ? new UsageError(err.message) : err;
  }
  const venue = createCcxtVenue(spec, { clock: start.clock, logger: start.logger, env, ...(start.exchange ? { exchange: start.exchange } : {}) });
  if (endpoints) {
    await routeExchange(venue.exchange, endpoints);
    start.logger.warn({ endpoints }, `${ENDPOINTS_ENV}: the exchange is reached through these endpoints, not its own`);
  }
  start.logger.info({ mode: 'live', venue: venue.id, symbols: spec.symbols, sandbox: spec.sandbox, instanceId: start.instanceId }, 'live trading starting');
  return { venue, symbols: spec.symbols };
}

/** Live trading until the signal, without the operator surfaces (tests, scripts); `mm run` uses openLiveVenue + startLiveService. */
export async function startVenue(opts: VenueOptions, start: LiveStart): Promise<{ readonly pairs: Record<string, PairSummary> } | null> {
  const live = await openLiveVenue(opts, start);
  if (!live) return null;
  return runLive({ venue: live.venue, symbols: live.symbols, store: start.store, config: start.config, logger: start.logger, clock: start.clock, instanceId: start.instanceId, signal: start.signal });
}
