import { basename } from 'node:path';
import { z } from 'zod';

/**
 * Recorded Binance market-data lines: `<receive time, ns since epoch> <raw JSON>`.
 *
 * This is the trust boundary for recordings: every line is checked here with
 * zod and turned into a typed record with float64 numbers. Code past this
 * module (book builder, reader) trusts the records and does not re-check.
 */

/** A recorded line that cannot be used. Names the file, the 1-based line and why. */
export class MarketDataError extends Error {
  override readonly name = 'MarketDataError';

  constructor(
    readonly file: string,
    /** 1-based line number, when the problem belongs to one line. */
    readonly line: number | undefined,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${basename(file)}${line === undefined ? '' : ` line ${line}`}: ${reason}`, options);
  }
}

/** ccxt exchange ids, so the venue matches the live adapter's naming. */
export type BinanceVenueId = 'binance' | 'binanceusdm' | 'binancecoinm';

/** `[price, qty]`; qty 0 deletes the level in a depth update. */
export type PriceLevel = readonly [price: number, qty: number];

/** REST depth snapshot. Spot and USD-M snapshots carry no symbol; COIN-M ones do. */
export interface DepthSnapshot {
  readonly kind: 'snapshot';
  readonly lastUpdateId: number;
  readonly symbol: string | undefined;
  readonly bids: readonly PriceLevel[];
  readonly asks: readonly PriceLevel[];
}

/** `depthUpdate` diff. Levels carry absolute sizes. */
export interface DepthUpdate {
  readonly kind: 'depthUpdate';
  readonly symbol: string;
  /** Binance `U`. */
  readonly firstUpdateId: number;
  /** Binance `u`. */
  readonly finalUpdateId: number;
  /** Binance `pu`: the previous diff's `u`. Futures only; its presence selects the futures sequence rule. */
  readonly prevFinalUpdateId: number | undefined;
  readonly bids: readonly PriceLevel[];
  readonly asks: readonly PriceLevel[];
}

export interface BookTicker {
  readonly kind: 'bookTicker';
  readonly symbol: string;
  readonly updateId: number;
  readonly bid: number;
  readonly bidSize: number;
  readonly ask: number;
  readonly askSize: number;
}

export interface Trade {
  readonly kind: 'trade';
  readonly symbol: string;
  readonly tradeId: number;
  readonly price: number;
  readonly qty: number;
  /** Exchange trade time `T`, epoch ms (exchange clock, not receive time). */
  readonly tradeTime: number;
  /** `m`: the buyer was the maker, so the aggressor sold. */
  readonly buyerIsMaker: boolean;
  /** Futures `X` (MARKET, ADL, INSURANCE_FUND, NA); undefined on spot, where every trade is a market trade. */
  readonly executionType: string | undefined;
}

export type BinanceMessage = DepthSnapshot | DepthUpdate | BookTicker | Trade;

export interface RecordedMessage<M extends BinanceMessage = BinanceMessage> {
  /** Receive time, integer epoch ms (ns truncated). This is the data time. */
  readonly ts: number;
  readonly venue: BinanceVenueId;
  readonly message: M;
}

// --- zod schemas (raw wire shapes) -----------------------------------------

// Binance sends plain non-negative decimals ("61737.63000000"); anything else
// (empty, sign, exponent, NaN) is a corrupt line, not a value to coerce.
const PLAIN_DECIMAL = /^\d+(?:\.\d+)?$/;

const positiveDecimal = z.string().transform((s, ctx) => {
  const n = PLAIN_DECIMAL.test(s) ? Number(s) : Number.NaN;
  if (!(n > 0)) {
    ctx.issues.push({ code: 'custom', message: `not a positive decimal: "${s}"`, input: s });
    return z.NEVER;
  }
  return n;
});

const nonNegativeDecimal = z.string().transform((s, ctx) => {
  if (!PLAIN_DECIMAL.test(s)) {
    ctx.issues.push({ code: 'custom', message: `not a non-negative decimal: "${s}"`, input: s });
    return z.NEVER;
  }
  return Number(s);
});

const updateId = z.number().int().nonnegative();
const levels = z.array(z.tuple([positiveDecimal, nonNegativeDecimal]));
const symbol = z.string().min(1);

const SnapshotSchema = z.object({
  lastUpdateId: updateId,
  symbol: symbol.optional(),
  /** Futures snapshots carry the transaction time; spot ones do not. */
  T: z.number().optional(),
  bids: levels,
  asks: levels,
});

const DepthUpdateSchema = z
  .object({
    e: z.literal('depthUpdate'),
    s: symbol,
    U: updateId,
    u: updateId,
    pu: updateId.optional(),
    b: levels,
    a: levels,
  })
  .refine((d) => d.U <= d.u, { message: 'U > u' });

const BookTickerSchema = z.object({
  e: z.literal('bookTicker').optional(),
  /** Futures tickers carry `T`/`E`; spot ones do not. */
  T: z.number().optional(),
  u: updateId,
  s: symbol,
  b: positiveDecimal,
  B: nonNegativeDecimal,
  a: positiveDecimal,
  A: nonNegativeDecimal,
});

const TradeSchema = z.object({
  e: z.literal('trade'),
  s: symbol,
  t: z.number().int().nonnegative(),
  p: positiveDecimal,
  q: positiveDecimal,
  T: z.number().int().nonnegative(),
  m: z.boolean(),
  X: z.string().optional(),
});

const StreamEnvelopeSchema = z.object({ stream: z.string(), data: z.record(z.string(), z.unknown()) });

// --- venue inference ---------------------------------------------------------

/**
 * The recorded streams carry no venue marker, so the venue is read from the
 * message shapes: futures messages add fields spot never sends (depth `pu`,
 * ticker `e`/`T`, trade `X`, snapshot `T`), and COIN-M symbols end in `_PERP`.
 * Limitation: a COIN-M delivery contract (`BTCUSD_240927`) would be taken for
 * USD-M; only perpetuals are recorded here.
 */
function futuresVenue(sym: string | undefined): BinanceVenueId {
  return sym !== undefined && sym.endsWith('_PERP') ? 'binancecoinm' : 'binanceusdm';
}

// --- parser ------------------------------------------------------------------

const NS_PATTERN = /^\d{1,19}$/;

/** ns-since-epoch string -> integer ms. 19-digit ns exceed 2^53, so cut the string instead of Number()-ing it whole. */
export function nsStringToMs(ns: string): number | undefined {
  if (!NS_PATTERN.test(ns)) return undefined;
  return ns.length <= 6 ? 0 : Number(ns.slice(0, -6));
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  return issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

/**
 * Parse one recorded line. Throws MarketDataError (file, 1-based line, reason)
 * for anything malformed: it never guesses or skips.
 */
export function parseRecordedLine(line: string, lineNo: number, file: string): RecordedMessage {
  const fail = (reason: string, cause?: unknown): never => {
    throw new MarketDataError(file, lineNo, reason, cause === undefined ? undefined : { cause });
  };

  const space = line.indexOf(' ');
  if (space < 0) return fail(line.length === 0 ? 'empty line' : 'no space between receive time and JSON');
  const nsText = line.slice(0, space);
  const ts = nsStringToMs(nsText);
  if (ts === undefined) return fail(`bad receive time "${nsText.slice(0, 40)}"`);

  let raw: unknown;
  try {
    raw = JSON.parse(line.slice(space + 1));
  } catch (err) {
    return fail(`bad JSON (${(err as Error).message})`, err);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('JSON is not an object');

  if ('stream' in raw) {
    const env = StreamEnvelopeSchema.safeParse(raw);
    if (!env.success) return fail(`bad stream envelope (${firstIssue(env.error)})`);
    const { stream, data } = env.data;
    const at = stream.indexOf('@');
    const channel = at < 0 ? '' : stream.slice(at + 1);

    if (channel.startsWith('depth')) {
      const r = DepthUpdateSchema.safeParse(data);
      if (!r.success) return fail(`bad depthUpdate (${firstIssue(r.error)})`);
      const d = r.data;
      return {
        ts,
        venue: d.pu === undefined ? 'binance' : futuresVenue(d.s),
        message: {
          kind: 'depthUpdate',
          symbol: d.s,
          firstUpdateId: d.U,
          finalUpdateId: d.u,
          prevFinalUpdateId: d.pu,
          bids: d.b,
          asks: d.a,
        },
      };
    }
    if (channel === 'bookTicker') {
      const r = BookTickerSchema.safeParse(data);
      if (!r.success) return fail(`bad bookTicker (${firstIssue(r.error)})`);
      const d = r.data;
      return {
        ts,
        venue: d.e === undefined && d.T === undefined ? 'binance' : futuresVenue(d.s),
        message: { kind: 'bookTicker', symbol: d.s, updateId: d.u, bid: d.b, bidSize: d.B, ask: d.a, askSize: d.A },
      };
    }
    if (channel === 'trade') {
      const r = TradeSchema.safeParse(data);
      if (!r.success) return fail(`bad trade (${firstIssue(r.error)})`);
      const d = r.data;
      return {
        ts,
        venue: d.X === undefined ? 'binance' : futuresVenue(d.s),
        message: {
          kind: 'trade',
          symbol: d.s,
          tradeId: d.t,
          price: d.p,
          qty: d.q,
          tradeTime: d.T,
          buyerIsMaker: d.m,
          executionType: d.X,
        },
      };
    }
    return fail(`unknown stream "${stream.slice(0, 60)}"`);
  }

  if ('lastUpdateId' in raw) {
    const r = SnapshotSchema.safeParse(raw);
    if (!r.success) return fail(`bad depth snapshot (${firstIssue(r.error)})`);
    const d = r.data;
    return {
      ts,
      venue: d.T === undefined ? 'binance' : futuresVenue(d.symbol),
      message: { kind: 'snapshot', lastUpdateId: d.lastUpdateId, symbol: d.symbol, bids: d.bids, asks: d.asks },
    };
  }

  return fail('unknown message shape (neither a stream message nor a depth snapshot)');
}
