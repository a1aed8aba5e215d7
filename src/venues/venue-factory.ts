import type { Exchange } from 'ccxt';
import { z } from 'zod';
import type { PairSummary } from '../../projections/pair-projection.js';
import { UsageError } from '../cli/errors.js';
import { runLive, type LiveRunOptions } from '../service/live-runner.js';
import type { Venue } from './venue.js';

/**
 * Which venue `mm run` trades on, from its options (`--venue`, `--exchange`,
 * `--sandbox`, `--symbols`), validated with zod. `paper` is the simulated
 * venue on a replayed recording (the session builds it); `ccxt` is a real
 * exchange through ccxt, with keys from the environment only.
 */
export const VENUE_KINDS = ['paper', 'ccxt'] as const;

const SYMBOL = '[A-Z0-9]+(?:/[A-Z0-9]+(?::[A-Z0-9]+)?)?';
const SYMBOL_HINT = 'a symbol like BTC/USDT or BTCUSDT';
const EXCHANGE_HINT = 'a ccxt exchange id such as binance or binanceusdm';

const splitList = (s: string): string[] => s.split(',').map((x) => x.trim());

const SymbolList = z
  .string()
  .transform(splitList)
  .pipe(z.array(z.string().regex(new RegExp(`^${SYMBOL}$`), SYMBOL_HINT)).min(1));

/** One exchange of a live run: what createCcxtVenue builds. */
export const VenueSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('paper') }).strict(),
  z
    .object({
      kind: z.literal('ccxt'),
      /** ccxt exchange id, e.g. binance (spot) or binanceusdm. */
      exchange: z.string().regex(/^[a-z0-9]+$/, EXCHANGE_HINT),
      sandbox: z.boolean().default(false),
      symbols: SymbolList,
    })
    .strict(),
]);

export type VenueSpec = z.output<typeof VenueSpecSchema>;
export type CcxtVenueSpec = Extract<VenueSpec, { kind: 'ccxt' }>;

/**
 * `--exchange a,b` and `--symbols` as one live run on several exchanges.
 * A `--symbols` entry is `SYMBOL` (traded on every exchange) or
 * `exchange:SYMBOL` (on that one only), e.g.
 * `binance:BTC/USDT,binanceusdm:BTC/USDT:USDT`. Exchange ids are lower case
 * and symbols upper case, so the prefix is never mistaken for a symbol part.
 */
const LiveFlagsSchema = z.object({
  exchange: z
    .string()
    .transform(splitList)
    .pipe(
      z
        .array(z.string().regex(/^[a-z0-9]+$/, EXCHANGE_HINT))
        .min(1)
        .refine((ids) => new Set(ids).size === ids.length, 'each exchange id once'),
    ),
  sandbox: z.boolean().default(false),
  symbols: z
    .string()
    .transform(splitList)
    .pipe(z.array(z.string().regex(new RegExp(`^(?:[a-z0-9]+:)?${SYMBOL}$`), `${SYMBOL_HINT}, or exchange:symbol like binanceusdm:BTC/USDT:USDT`)).min(1)),
});

/** What `mm run` was asked for: paper trading, or live trading on one or more exchanges. */
export type RunVenues = { readonly kind: 'paper' } | { readonly kind: 'ccxt'; readonly sandbox: boolean; readonly venues: readonly CcxtVenueSpec[] };

export class VenueSpecError extends Error {
  override readonly name = 'VenueSpecError';
}

/** The option each field comes from, so an error names the flag. */
const FLAG: Record<string, string> = { kind: '--venue', exchange: '--exchange', sandbox: '--sandbox', symbols: '--symbols' };

export interface VenueOptions {
  readonly venue?: string;
  /** One ccxt exchange id or a comma list. */
  readonly exchange?: string;
  readonly sandbox?: boolean;
  /** Comma list of SYMBOL (every exchange) or exchange:SYMBOL entries. */
  readonly symbols?: string;
}

/** Parse and validate; errors name the flag, the value and what is allowed. */
export function parseVenueSpec(opts: VenueOptions): RunVenues {
  const kind = opts.venue ?? 'paper';
  if (!(VENUE_KINDS as readonly string[]).includes(kind)) throw new VenueSpecError(`--venue must be one of ${VENUE_KINDS.join(', ')}, got "${kind}"`);
  if (kind === 'paper') {
    const extra = (['exchange', 'symbols'] as const).find((k) => opts[k] !== undefined);
    if (extra) throw new VenueSpecError(`${FLAG[extra]} needs --venue ccxt`);
    return { kind: 'paper' };
  }
  if (opts.exchange === undefined) throw new VenueSpecError('--venue ccxt needs --exchange <ccxt exchange id[,id...]>, e.g. --exchange binance');
  if (opts.symbols === undefined) throw new VenueSpecError('--venue ccxt needs --symbols <list>, e.g. --symbols BTC/USDT');
  const parsed = LiveFlagsSchema.safeParse({ exchange: opts.exchange, sandbox: opts.sandbox ?? false, symbols: opts.symbols });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'kind');
    const raw = String((opts as Record<string, unknown>)[key]);
    // An issue on one list entry names that entry, not the whole flag.
    const index = issue?.path[1];
    const value = typeof index === 'number' ? (splitList(raw)[index] ?? raw) : raw;
    throw new VenueSpecError(`${FLAG[key] ?? key}: ${issue?.message ?? 'invalid'}, got "${value}"`);
  }
  const { exchange: ids, sandbox, symbols } = parsed.data;
  const perExchange = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const entry of symbols) {
    const prefixed = /^([a-z0-9]+):(.+)$/.exec(entry);
    const targets = prefixed ? [prefixed[1] ?? ''] : ids;
    const symbol = prefixed ? (prefixed[2] ?? '') : entry;
    for (const id of targets) {
      const list = perExchange.get(id);
      if (!list) throw new VenueSpecError(`--symbols: "${entry}" names exchange "${id}", which is not in --exchange (${ids.join(', ')})`);
      if (list.includes(symbol)) throw new VenueSpecError(`--symbols: ${symbol} is given twice for ${id}`);
      list.push(symbol);
    }
  }
  const venues = ids.map((id): CcxtVenueSpec => {
    const list = perExchange.get(id) ?? [];
    if (list.length === 0) throw new VenueSpecError(`--symbols: nothing to trade on ${id}; add ${id}:<symbol> or a symbol without an exchange prefix (exchanges: ${ids.join(', ')})`);
    return { kind: 'ccxt', exchange: id, sandbox, symbols: list };
  });
  return { kind: 'ccxt', sandbox, venues };
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

/** One exchange's venue and the symbols to trade on it. */
export interface LiveVenue {
  readonly venue: Venue;
  readonly symbols: readonly string[];
}

/** What live trading needs besides the venues (LiveRunOptions), plus test hooks. */
export interface LiveStart extends Omit<LiveRunOptions, 'venues'> {
  /** Tests: ready ccxt instances (recorded HTTP layer), matched to --exchange by their id; default built from the spec. */
  readonly exchange?: Exchange;
  readonly exchanges?: readonly Exchange[];
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * `mm run`'s one call into the venue layer: for `--venue ccxt` it builds one
 * venue per exchange of `--exchange` (keys from the environment, per
 * exchange) and returns them with the symbols to trade on each; for `paper`
 * (the default) it returns null and the caller paper-trades. A bad spec is a
 * usage error naming the flag. Nothing is sent.
 */
export async function openLiveVenue(
  opts: VenueOptions,
  start: Pick<LiveStart, 'clock' | 'logger' | 'instanceId' | 'exchange' | 'exchanges' | 'env'>,
): Promise<{ readonly venues: readonly LiveVenue[] } | null> {
  let spec: RunVenues;
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
    for (const v of spec.venues) checkExchangeId(v.exchange);
    endpoints = parseEndpoints(env[ENDPOINTS_ENV]);
  } catch (err) {
    throw err instanceof VenueSpecError ? new UsageError(err.message) : err;
  }
  const given = [...(start.exchange ? [start.exchange] : []), ...(start.exchanges ?? [])];
  const venues: LiveVenue[] = [];
  try {
    for (const v of spec.venues) {
      const exchange = given.find((e) => e.id === v.exchange);
      const venue = createCcxtVenue(v, { clock: start.clock, logger: start.logger, env, ...(exchange ? { exchange } : {}) });
      venues.push({ venue, symbols: v.symbols });
      if (endpoints) {
        await routeExchange(venue.exchange, endpoints);
        start.logger.warn({ endpoints, venue: venue.id }, `${ENDPOINTS_ENV}: the exchange is reached through these endpoints, not its own`);
      }
    }
  } catch (err) {
    for (const v of venues) await Promise.resolve(v.venue.close()).catch(() => undefined);
    throw err;
  }
  start.logger.info(
    { mode: 'live', venues: venues.map((v) => ({ venue: v.venue.id, symbols: v.symbols })), sandbox: spec.sandbox, instanceId: start.instanceId },
    'live trading starting',
  );
  return { venues };
}

/** Live trading until the signal, without the operator surfaces (tests, scripts); `mm run` uses openLiveVenue + startLiveService. */
export async function startVenue(opts: VenueOptions, start: LiveStart): Promise<{ readonly pairs: Record<string, PairSummary> } | null> {
  const live = await openLiveVenue(opts, start);
  if (!live) return null;
  return runLive({ venues: live.venues, store: start.store, config: start.config, logger: start.logger, clock: start.clock, instanceId: start.instanceId, signal: start.signal });
}
