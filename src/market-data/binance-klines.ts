/**
 * Binance kline (candlestick) CSV files as market events, so bar data can
 * drive the same backtest pipeline as the recorded L2 files.
 *
 * FORMAT (Binance public kline dumps, e.g. `BTCUSDT-1m-2025-10-10.csv`): no
 * header, 12 columns: open_time, open, high, low, close, volume (base),
 * close_time, quote volume, trade count, taker-buy base volume, taker-buy
 * quote volume, ignore. Times are epoch MICROseconds in the 2025 spot dumps
 * and milliseconds before; each row's unit is told by magnitude (>= 1e14 is
 * µs: 1e14 ms would be the year 5138). A header row starting `open_time` on a
 * file's first line is skipped. The symbol comes from the file name.
 *
 * INTRA-BAR PRICE PATH (an assumption: bars do not say in which order
 * prices traded). Each bar is replayed as four path points at evenly spaced
 * instants of the bar, open_time + 0, 1/4, 2/4, 3/4 of its length (0, 15,
 * 30, 45 s for 1-minute bars):
 *   open -> the extreme (high or low) nearer to the open -> the other extreme -> close.
 * Ties: when high and low are equally far from the open, the one farther from
 * the close comes first; when that ties too, the low.
 * - Book: at each point a one-tick-wide book, best bid = the point's price,
 *   best ask = price + tick, each with size = bar volume / 4. The price JUMPS
 *   between points (nothing trades in between), so a bar's whole range can
 *   happen in one step: the shock detector sees the move as it came. Between
 *   points, and after the last one until the bar's end, the same book is
 *   re-sent every `refreshMs` (default 1 s) so the pair's stale-feed check
 *   (5 s) does not pause it inside a bar; nothing is re-sent across missing
 *   bars, so a gap in the data still pauses the pair as stale.
 * - Trades: each move between consecutive points is a sweep printed just
 *   before the new book, at the new point's instant: `tradesPerLeg` trades
 *   (default 5) at prices evenly spaced from the old price (exclusive) to the
 *   new one (inclusive), snapped to the tick. The aggressor is the direction
 *   of the move (up = buy, down = sell). The taker-buy base volume is split
 *   over the up moves and the rest of the volume (volume - taker-buy) over the
 *   down moves, in proportion to each move's length, evenly over its trades.
 *   A side with no move in its direction (a bar that only rose, only fell, or
 *   stayed flat) prints its volume as one trade at the close, at the last
 *   point. Sizes are rounded to 8 decimals; zero sizes are not printed.
 * So the simulated venue fills our quotes when a sweep prints through them or
 * the jumped book crosses them, and volume sets how much can fill.
 *
 * Bad rows (wrong column count, a non-numeric field, high < low, open or close
 * outside [low, high], taker-buy volume outside [0, volume], close_time not
 * after open_time, time not increasing from the previous row or overlapping
 * the previous bar) end the iteration with a MarketDataError naming file and line.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { knownMarket } from '../config/known-markets.js';
import { D, type Decimal } from '../core/decimal.js';
import type { Side } from '../core/types.js';
import { MarketDataError } from './binance-messages.js';
import { RecordingNotFoundError } from './binance-recording.js';
import type { BookEvent, MarketEvent, TradeEvent } from './market-event.js';

export const KLINE_COLUMNS = [
  'open_time',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'close_time',
  'quote_volume',
  'trade_count',
  'taker_buy_base_volume',
  'taker_buy_quote_volume',
  'ignore',
] as const;

/** Path points per bar. */
export const PATH_POINTS = 4;

/** Epoch values at or above this are microseconds (as milliseconds it would be the year 5138). */
const MICROS_THRESHOLD = 1e14;

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

const isCsvName = (name: string): boolean => name.toLowerCase().endsWith('.csv');

/**
 * A file -> itself. A folder -> its `*.csv` files sorted by name (Binance
 * names sort by date, so name order is time order; the reader checks it).
 */
export async function resolveKlineFiles(fileOrFolder: string): Promise<string[]> {
  let info;
  try {
    info = await stat(fileOrFolder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RecordingNotFoundError(fileOrFolder, `kline data not found: ${fileOrFolder}`);
    throw err;
  }
  if (!info.isDirectory()) return [fileOrFolder];
  // Code-unit order, not localeCompare: the order must not depend on the machine's locale.
  const names = (await readdir(fileOrFolder)).filter(isCsvName).sort();
  if (names.length === 0) throw new RecordingNotFoundError(fileOrFolder, `no .csv kline files in folder ${fileOrFolder}`);
  return names.map((n) => join(fileOrFolder, n));
}

/**
 * Does this path hold kline CSVs (vs `.gz` L2 recordings)? A folder: it has
 * `.csv` files and no `.gz` files. A file: a `.csv` name, or otherwise a first
 * line that looks like a kline row (not gzip). A missing path is false, so
 * the caller's default reader reports it.
 */
export async function isKlineCsvPath(path: string): Promise<boolean> {
  let info;
  try {
    info = await stat(path);
  } catch {
    return false;
  }
  if (info.isDirectory()) {
    const names = await readdir(path);
    return names.some(isCsvName) && !names.some((n) => n.toLowerCase().endsWith('.gz'));
  }
  if (isCsvName(path)) return true;
  if (path.toLowerCase().endsWith('.gz')) return false;
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return false;
    const firstLine = buffer.subarray(0, bytesRead).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
    const cols = firstLine.split(',');
    return cols.length === KLINE_COLUMNS.length && (/^\d+$/.test(cols[0] ?? '') || cols[0] === 'open_time');
  } finally {
    await handle.close();
  }
}

/** `BTCUSDT-1m-2025-10-10.csv` -> `BTCUSDT`. Binance names are `<SYMBOL>-<interval>-<date>`. */
export function klineSymbolFromFileName(file: string): string {
  const m = /^([A-Za-z0-9]{2,})-(\d+[smhdwM]|1mo)-.*\.csv$/i.exec(basename(file));
  if (!m?.[1]) {
    throw new MarketDataError(
      file,
      undefined,
      'cannot infer the symbol from the file name: expected <SYMBOL>-<interval>-<date>.csv, e.g. BTCUSDT-1m-2025-10-10.csv (rename the file, or pass the symbol option)',
    );
  }
  return m[1].toUpperCase();
}

interface TextLine {
  readonly lineNo: number;
  readonly line: string;
}

async function* readTextLines(file: string): AsyncGenerator<TextLine> {
  const source = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 });
  let lineNo = 0;
  let rest = '';
  try {
    for await (const chunk of source as AsyncIterable<string>) {
      const text = rest + chunk;
      let start = 0;
      for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
        lineNo++;
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        yield { lineNo, line: text.slice(start, end) };
        start = nl + 1;
      }
      rest = text.slice(start);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RecordingNotFoundError(file, `kline data not found: ${file}`);
    throw new MarketDataError(file, undefined, `cannot read after line ${lineNo} (${(err as Error).message})`, { cause: err });
  } finally {
    source.destroy();
  }
  if (rest.length > 0) yield { lineNo: lineNo + 1, line: rest.endsWith('\r') ? rest.slice(0, -1) : rest };
}

// ---------------------------------------------------------------------------
// Rows: the trust boundary
// ---------------------------------------------------------------------------

export interface KlineBar {
  readonly openTimeMs: number;
  /** Bar length, from close_time - open_time + 1 unit (60 000 for 1-minute bars). */
  readonly durationMs: number;
  readonly unit: 'ms' | 'us';
  /** Prices as decimal strings exactly as written (trailing zeros trimmed), for exact tick maths. */
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly volume: number;
  readonly quoteVolume: number;
  readonly tradeCount: number;
  readonly takerBuyBase: number;
  readonly takerBuyQuote: number;
}

const EpochInt = z.string().regex(/^\d{1,16}$/, 'must be a whole number (epoch time)');
const DecimalField = z.string().regex(/^\d+(\.\d+)?$/, 'must be a non-negative decimal number');
const CountField = z.string().regex(/^\d+$/, 'must be a whole number');

const KlineFieldsSchema = z.tuple([
  EpochInt,
  DecimalField,
  DecimalField,
  DecimalField,
  DecimalField,
  DecimalField,
  EpochInt,
  DecimalField,
  CountField,
  DecimalField,
  DecimalField,
  z.string(),
]);

// A pipe, so the relations are only checked once every field is known to be a number.
const KlineRowSchema = KlineFieldsSchema.pipe(
  z.custom<z.output<typeof KlineFieldsSchema>>().superRefine((r, ctx) => {
    const [openTime, o, h, l, c, volume, closeTime, , , takerBase] = r;
    const issue = (column: number, message: string): void => {
      ctx.addIssue({ code: 'custom', path: [column], message });
    };
    const [O, H, L, C] = [D(o), D(h), D(l), D(c)];
    if (!L.gt(0)) issue(3, `low ${l} must be > 0`);
    if (H.lt(L)) issue(2, `high ${h} is below low ${l}`);
    if (O.lt(L) || O.gt(H)) issue(1, `open ${o} is outside [low ${l}, high ${h}]`);
    if (C.lt(L) || C.gt(H)) issue(4, `close ${c} is outside [low ${l}, high ${h}]`);
    if (D(takerBase).gt(volume)) issue(9, `taker-buy volume ${takerBase} exceeds volume ${volume}`);
    const unitOpen = Number(openTime) >= MICROS_THRESHOLD;
    if (unitOpen !== Number(closeTime) >= MICROS_THRESHOLD) issue(6, `close_time ${closeTime} and open_time ${openTime} are not in the same unit`);
    else if (Number(closeTime) <= Number(openTime)) issue(6, `close_time ${closeTime} is not after open_time ${openTime}`);
  }),
);

const trimDecimal = (s: string): string => D(s).toFixed();

/** One CSV line -> a bar, or MarketDataError naming file, line, column and reason. */
export function parseKlineRow(line: string, lineNo: number, file: string): KlineBar {
  const cols = line.split(',');
  if (cols.length !== KLINE_COLUMNS.length) {
    throw new MarketDataError(file, lineNo, `expected ${KLINE_COLUMNS.length} columns (${KLINE_COLUMNS.join(', ')}), got ${cols.length}`);
  }
  const parsed = KlineRowSchema.safeParse(cols.map((c) => c.trim()));
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const column = typeof first?.path[0] === 'number' ? KLINE_COLUMNS[first.path[0]] : undefined;
    const value = typeof first?.path[0] === 'number' ? cols[first.path[0]] : undefined;
    const detail = first?.code === 'custom' ? first.message : `"${value ?? ''}" ${first?.message ?? 'is invalid'}`;
    throw new MarketDataError(file, lineNo, column ? `${column}: ${detail}` : detail);
  }
  const [openTime, o, h, l, c, volume, closeTime, quoteVolume, tradeCount, takerBase, takerQuote] = parsed.data;
  const unit = Number(openTime) >= MICROS_THRESHOLD ? 'us' : 'ms';
  const perMs = unit === 'us' ? 1000 : 1;
  const durationMs = Math.round((Number(closeTime) + 1 - Number(openTime)) / perMs);
  if (durationMs < PATH_POINTS) throw new MarketDataError(file, lineNo, `bar of ${durationMs} ms is too short for ${PATH_POINTS} path points`);
  return {
    openTimeMs: Math.floor(Number(openTime) / perMs),
    durationMs,
    unit,
    open: trimDecimal(o),
    high: trimDecimal(h),
    low: trimDecimal(l),
    close: trimDecimal(c),
    volume: Number(volume),
    quoteVolume: Number(quoteVolume),
    tradeCount: Number(tradeCount),
    takerBuyBase: Number(takerBase),
    takerBuyQuote: Number(takerQuote),
  };
}

// ---------------------------------------------------------------------------
// The intra-bar path
// ---------------------------------------------------------------------------

/** open -> nearer extreme -> other extreme -> close (ties: see the module comment). */
export function intraBarPrices(bar: Pick<KlineBar, 'open' | 'high' | 'low' | 'close'>): [string, string, string, string] {
  const [O, H, L, C] = [D(bar.open), D(bar.high), D(bar.low), D(bar.close)];
  const byOpen = H.minus(O).cmp(O.minus(L)); // < 0: high nearer
  const byClose = H.minus(C).cmp(C.minus(L)); // > 0: high farther from the close
  const highFirst = byOpen !== 0 ? byOpen < 0 : byClose > 0;
  return highFirst ? [bar.open, bar.high, bar.low, bar.close] : [bar.open, bar.low, bar.high, bar.close];
}

/** Data time of path point j (0-based): evenly spaced inside the bar. */
export const pathPointTime = (bar: Pick<KlineBar, 'openTimeMs' | 'durationMs'>, j: number): number =>
  bar.openTimeMs + Math.floor((j * bar.durationMs) / PATH_POINTS);

const round8 = (x: number): number => Number(x.toFixed(8));

export interface KlineEventOptions {
  /** Default `binance` (spot). */
  readonly venue?: string;
  /** Overrides the symbol taken from the file name. */
  readonly symbol?: string;
  /** Book tick; default the known market's tick for venue + symbol (0.01 for Binance spot BTCUSDT). */
  readonly tickSize?: string;
  /** Trades printed per move between path points (default 5). */
  readonly tradesPerLeg?: number;
  /** Re-send the current book this often inside a bar, ms (default 1000; 0 = never). */
  readonly refreshMs?: number;
}

interface BarContext {
  readonly venue: string;
  readonly symbol: string;
  readonly tick: Decimal;
  readonly tradesPerLeg: number;
  readonly refreshMs: number;
  sequence: number;
}

/** The events of one bar, in order (see the module comment). */
function* barEvents(bar: KlineBar, ctx: BarContext): Generator<MarketEvent> {
  const prices = intraBarPrices(bar);
  const bookSize = round8(bar.volume / PATH_POINTS);
  const book = (ts: number, price: string): BookEvent => ({
    kind: 'book',
    venue: ctx.venue,
    symbol: ctx.symbol,
    ts,
    sequence: ++ctx.sequence,
    bids: [{ price: Number(price), size: bookSize }],
    asks: [{ price: D(price).plus(ctx.tick).toNumber(), size: bookSize }],
  });
  let tradeNo = 0;
  const trade = (ts: number, price: number, size: number, aggressor: Side): TradeEvent => ({
    kind: 'trade',
    venue: ctx.venue,
    symbol: ctx.symbol,
    ts,
    tradeId: `k${bar.openTimeMs}-${++tradeNo}`,
    price,
    size,
    aggressor,
  });

  // Volume per leg: taker buys over the up moves, the rest over the down moves, by length.
  const legs = [1, 2, 3].map((j) => {
    const from = D(prices[j - 1] as string);
    const to = D(prices[j] as string);
    return { from, to, move: to.minus(from) };
  });
  const buyVolume = bar.takerBuyBase;
  const sellVolume = Math.max(0, bar.volume - bar.takerBuyBase);
  const upLength = legs.reduce((a, l) => (l.move.gt(0) ? a.plus(l.move) : a), D(0));
  const downLength = legs.reduce((a, l) => (l.move.lt(0) ? a.minus(l.move) : a), D(0));

  const refreshUntil = (from: number, until: number, price: string): BookEvent[] => {
    const out: BookEvent[] = [];
    if (ctx.refreshMs <= 0) return out;
    for (let t = from + ctx.refreshMs; t < until; t += ctx.refreshMs) out.push(book(t, price));
    return out;
  };

  for (let j = 0; j < PATH_POINTS; j++) {
    const ts = pathPointTime(bar, j);
    const price = prices[j] as string;
    if (j > 0) {
      const leg = legs[j - 1]!;
      if (!leg.move.isZero()) {
        const up = leg.move.gt(0);
        const legVolume = up ? (buyVolume * leg.move.div(upLength).toNumber()) : (sellVolume * leg.move.neg().div(downLength).toNumber());
        const size = round8(legVolume / ctx.tradesPerLeg);
        if (size > 0) {
          for (let n = 1; n <= ctx.tradesPerLeg; n++) {
            const p = leg.from.plus(leg.move.mul(n).div(ctx.tradesPerLeg)).toNearest(ctx.tick);
            yield trade(ts, p.toNumber(), size, up ? 'buy' : 'sell');
          }
        }
      }
      if (j === PATH_POINTS - 1) {
        // A side with no move in its direction prints at the close.
        if (upLength.isZero() && round8(buyVolume) > 0) yield trade(ts, Number(bar.close), round8(buyVolume), 'buy');
        if (downLength.isZero() && round8(sellVolume) > 0) yield trade(ts, Number(bar.close), round8(sellVolume), 'sell');
      }
    }
    yield book(ts, price);
    const next = j + 1 < PATH_POINTS ? pathPointTime(bar, j + 1) : bar.openTimeMs + bar.durationMs;
    yield* refreshUntil(ts, next, price);
  }
}

// ---------------------------------------------------------------------------
// The reader
// ---------------------------------------------------------------------------

export interface KlineStats {
  files: string[];
  /** Symbols read, in first-seen order. */
  symbols: string[];
  /** Bars (CSV rows) parsed. Named like the recording reader's counter so a runner can report either. */
  messagesRead: number;
  headerRowsSkipped: number;
  /** Rows per time unit of open_time (Binance switched from ms to µs). */
  rowsByUnit: { ms: number; us: number };
  eventsEmitted: number;
  eventsByKind: Record<MarketEvent['kind'], number>;
  /** Data time of the first and last event, epoch ms. */
  firstTs: number | undefined;
  lastTs: number | undefined;
}

export function createKlineStats(): KlineStats {
  return {
    files: [],
    symbols: [],
    messagesRead: 0,
    headerRowsSkipped: 0,
    rowsByUnit: { ms: 0, us: 0 },
    eventsEmitted: 0,
    eventsByKind: { book: 0, trade: 0, bbo: 0, 'feed-problem': 0, 'feed-recovered': 0 },
    firstTs: undefined,
    lastTs: undefined,
  };
}

export interface KlineMarketEventsOptions extends KlineEventOptions {
  /** Counters to fill; pass your own to read them from an Observable built on this. */
  readonly stats?: KlineStats;
}

export interface KlineMarketEvents extends AsyncIterable<MarketEvent> {
  /** Filled during iteration; reset when a new iteration starts. */
  readonly stats: KlineStats;
}

/**
 * Market events from a kline CSV file or a folder of them (name order, read
 * as one continuous stream). Each iteration re-reads from the start. A bad row
 * ends the iteration with its MarketDataError; a missing path or an empty
 * folder with RecordingNotFoundError.
 */
export function klineMarketEvents(fileOrFolder: string, options: KlineMarketEventsOptions = {}): KlineMarketEvents {
  const stats = options.stats ?? createKlineStats();
  const tradesPerLeg = options.tradesPerLeg ?? 5;
  const refreshMs = options.refreshMs ?? 1000;
  if (!Number.isInteger(tradesPerLeg) || tradesPerLeg < 1) throw new RangeError(`tradesPerLeg must be a whole number >= 1, got ${tradesPerLeg}`);
  if (!Number.isInteger(refreshMs) || refreshMs < 0) throw new RangeError(`refreshMs must be a whole number of ms >= 0, got ${refreshMs}`);
  return {
    stats,
    [Symbol.asyncIterator]: () => generateKlineEvents(fileOrFolder, { ...options, tradesPerLeg, refreshMs }, stats),
  };
}

async function* generateKlineEvents(
  fileOrFolder: string,
  options: KlineEventOptions & { tradesPerLeg: number; refreshMs: number },
  stats: KlineStats,
): AsyncGenerator<MarketEvent> {
  Object.assign(stats, createKlineStats());
  const files = await resolveKlineFiles(fileOrFolder);
  stats.files = files;
  const venue = options.venue ?? 'binance';
  const contexts = new Map<string, BarContext>();
  let previous: { bar: KlineBar; file: string; lineNo: number } | undefined;

  for (const file of files) {
    const symbol = options.symbol ?? klineSymbolFromFileName(file);
    let ctx = contexts.get(symbol);
    if (!ctx) {
      const tickSize = options.tickSize ?? knownMarket(venue, symbol)?.tickSize;
      if (tickSize === undefined) {
        throw new MarketDataError(file, undefined, `no tick size known for ${venue} ${symbol}: pass the tickSize option (the kline book is one tick wide)`);
      }
      if (!/^\d+(\.\d+)?$/.test(tickSize) || !D(tickSize).gt(0)) throw new MarketDataError(file, undefined, `tick size must be a positive decimal, got "${tickSize}"`);
      ctx = { venue, symbol, tick: D(tickSize), tradesPerLeg: options.tradesPerLeg, refreshMs: options.refreshMs, sequence: 0 };
      contexts.set(symbol, ctx);
      stats.symbols.push(symbol);
    }

    for await (const { lineNo, line } of readTextLines(file)) {
      if (line.trim() === '') continue;
      if (lineNo === 1 && line.startsWith('open_time')) {
        stats.headerRowsSkipped++;
        continue;
      }
      const bar = parseKlineRow(line, lineNo, file);
      if (previous) {
        const where = `${basename(previous.file)} line ${previous.lineNo}`;
        if (bar.openTimeMs <= previous.bar.openTimeMs) {
          throw new MarketDataError(file, lineNo, `open_time ${bar.openTimeMs} ms is not after the previous row's ${previous.bar.openTimeMs} ms (${where}); rows and files must be in time order`);
        }
        const previousEnd = previous.bar.openTimeMs + previous.bar.durationMs;
        if (bar.openTimeMs < previousEnd) {
          throw new MarketDataError(file, lineNo, `bar opens at ${bar.openTimeMs} ms, inside the previous bar (${where}), which ends at ${previousEnd} ms`);
        }
      }
      previous = { bar, file, lineNo };
      stats.messagesRead++;
      stats.rowsByUnit[bar.unit]++;
      for (const event of barEvents(bar, ctx)) {
        stats.eventsEmitted++;
        stats.eventsByKind[event.kind]++;
        stats.firstTs ??= event.ts;
        stats.lastTs = event.ts;
        yield event;
      }
    }
  }
}
