import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { MarketDataError, parseRecordedLine, type BinanceVenueId, type DepthSnapshot, type RecordedMessage } from './binance-messages.js';
import { L2BookBuilder, type L2BookStats } from './l2-book.js';
import type { MarketEvent } from './market-event.js';

/** The recording path does not exist, or a folder holds no `.gz` files. */
export class RecordingNotFoundError extends Error {
  override readonly name = 'RecordingNotFoundError';

  constructor(
    readonly path: string,
    message = `recording not found: ${path}`,
  ) {
    super(message);
  }
}

/**
 * A file -> itself. A folder -> its `*.gz` files sorted by name: a folder is
 * one continuous recording split into parts (the 0809 file continues the 0808
 * book with no new snapshot), so name order must be time order.
 */
export async function resolveRecordingFiles(fileOrFolder: string): Promise<string[]> {
  let info;
  try {
    info = await stat(fileOrFolder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RecordingNotFoundError(fileOrFolder);
    throw err;
  }
  if (!info.isDirectory()) return [fileOrFolder];
  // Plain code-unit order, not localeCompare: the order must not depend on the machine's locale.
  const names = (await readdir(fileOrFolder)).filter((n) => n.endsWith('.gz')).sort();
  if (names.length === 0) {
    throw new RecordingNotFoundError(fileOrFolder, `no .gz recording files in folder ${fileOrFolder}`);
  }
  return names.map((n) => join(fileOrFolder, n));
}

export interface RecordedLine {
  readonly file: string;
  /** 1-based, per file. */
  readonly lineNo: number;
  readonly line: string;
}

/**
 * Stream the lines of gzipped files, one file after another, without loading a
 * whole file. A corrupt or truncated gzip throws MarketDataError naming the file.
 */
export async function* readRecordedLines(files: readonly string[]): AsyncGenerator<RecordedLine> {
  for (const file of files) {
    const source = createReadStream(file, { highWaterMark: 1 << 18 });
    const gunzip = createGunzip({ chunkSize: 1 << 18 });
    source.on('error', (err) => gunzip.destroy(err));
    source.pipe(gunzip);
    gunzip.setEncoding('utf8');
    let lineNo = 0;
    let rest = '';
    try {
      for await (const chunk of gunzip as AsyncIterable<string>) {
        const text = rest + chunk;
        let start = 0;
        for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
          lineNo++;
          const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
          yield { file, lineNo, line: text.slice(start, end) };
          start = nl + 1;
        }
        rest = text.slice(start);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RecordingNotFoundError(file);
      throw new MarketDataError(file, undefined, `corrupt gzip after line ${lineNo} (${(err as Error).message})`, { cause: err });
    } finally {
      source.destroy();
      gunzip.destroy();
    }
    // A last line without a trailing newline is still a line.
    if (rest.length > 0) yield { file, lineNo: lineNo + 1, line: rest.endsWith('\r') ? rest.slice(0, -1) : rest };
  }
}

export interface RecordedMarketEventsOptions {
  /** Levels per side in `book` events (default 20). */
  readonly depth?: number;
  /** Per-symbol bound on diffs buffered while waiting for a snapshot. */
  readonly maxBufferedDiffs?: number;
  /** Counters to fill; pass your own to read them from an Observable built on this. */
  readonly stats?: RecordingStats;
}

export interface RecordingStats {
  files: string[];
  /** Recorded lines parsed (one message each). */
  messagesRead: number;
  messagesByKind: { snapshot: number; depthUpdate: number; bookTicker: number; trade: number };
  /** Futures trades with `X` other than MARKET (liquidations, ADL): not counted as trades. */
  nonMarketTradesSkipped: number;
  eventsEmitted: number;
  eventsByKind: Record<MarketEvent['kind'], number>;
  /** Book builder counters per symbol. */
  books: Record<string, L2BookStats>;
  /** Data time of the first and last line, epoch ms. */
  firstTs: number | undefined;
  lastTs: number | undefined;
}

export function createRecordingStats(): RecordingStats {
  return {
    files: [],
    messagesRead: 0,
    messagesByKind: { snapshot: 0, depthUpdate: 0, bookTicker: 0, trade: 0 },
    nonMarketTradesSkipped: 0,
    eventsEmitted: 0,
    eventsByKind: { book: 0, trade: 0, bbo: 0, 'feed-problem': 0, 'feed-recovered': 0 },
    books: {},
    firstTs: undefined,
    lastTs: undefined,
  };
}

function resetStats(stats: RecordingStats): void {
  Object.assign(stats, createRecordingStats());
}

export interface RecordedMarketEvents extends AsyncIterable<MarketEvent> {
  /** Filled during iteration; reset when a new iteration starts. */
  readonly stats: RecordingStats;
}

/**
 * Market events from a recorded Binance file or folder, in file order (which
 * is receive-time order). Each iteration re-reads from the start. A corrupt
 * line ends the iteration with its MarketDataError.
 */
export function recordedMarketEvents(fileOrFolder: string, options: RecordedMarketEventsOptions = {}): RecordedMarketEvents {
  const stats = options.stats ?? createRecordingStats();
  return {
    stats,
    [Symbol.asyncIterator]: () => generateEvents(fileOrFolder, options, stats),
  };
}

async function* generateEvents(
  fileOrFolder: string,
  options: RecordedMarketEventsOptions,
  stats: RecordingStats,
): AsyncGenerator<MarketEvent> {
  resetStats(stats);
  const files = await resolveRecordingFiles(fileOrFolder);
  stats.files = files;
  const books = new Map<string, L2BookBuilder>();

  const bookFor = (venue: BinanceVenueId, symbol: string): L2BookBuilder => {
    let book = books.get(symbol);
    if (book === undefined) {
      book = new L2BookBuilder({ venue, symbol, depth: options.depth, maxBufferedDiffs: options.maxBufferedDiffs });
      books.set(symbol, book);
      stats.books[symbol] = book.stats;
    }
    return book;
  };

  const count = (event: MarketEvent): MarketEvent => {
    stats.eventsEmitted++;
    stats.eventsByKind[event.kind]++;
    return event;
  };

  // A symbol-less snapshot seen before any depth update waits for the first one to name its book.
  let pendingSnapshot: { record: RecordedMessage<DepthSnapshot>; file: string; lineNo: number } | undefined;

  for await (const { file, lineNo, line } of readRecordedLines(files)) {
    const record = parseRecordedLine(line, lineNo, file);
    const { ts, venue, message } = record;
    stats.messagesRead++;
    stats.messagesByKind[message.kind]++;
    stats.firstTs ??= ts;
    stats.lastTs = ts;

    switch (message.kind) {
      case 'depthUpdate': {
        const book = bookFor(venue, message.symbol);
        for (const e of book.applyDiff(message, ts)) yield count(e);
        if (pendingSnapshot !== undefined) {
          // The diff was buffered (no snapshot yet); the snapshot now replays it. Stamped with this
          // diff's time, as data time never goes back.
          const snapshot = pendingSnapshot.record.message;
          pendingSnapshot = undefined;
          for (const e of book.applySnapshot(snapshot, ts)) yield count(e);
        }
        break;
      }
      case 'snapshot': {
        const snapshot = record as RecordedMessage<DepthSnapshot>;
        const symbol = snapshotSymbol(snapshot, books, file, lineNo);
        if (symbol === undefined) {
          pendingSnapshot = { record: snapshot, file, lineNo };
          break;
        }
        for (const e of bookFor(venue, symbol).applySnapshot(message, ts)) yield count(e);
        break;
      }
      case 'bookTicker':
        yield count({
          kind: 'bbo',
          venue,
          symbol: message.symbol,
          ts,
          bid: message.bid,
          bidSize: message.bidSize,
          ask: message.ask,
          askSize: message.askSize,
        });
        break;
      case 'trade':
        if (message.executionType !== undefined && message.executionType !== 'MARKET') {
          stats.nonMarketTradesSkipped++;
          break;
        }
        yield count({
          kind: 'trade',
          venue,
          symbol: message.symbol,
          ts,
          tradeId: String(message.tradeId),
          price: message.price,
          size: message.qty,
          aggressor: message.buyerIsMaker ? 'sell' : 'buy',
        });
        break;
    }
  }

  if (pendingSnapshot !== undefined) {
    const { file, lineNo } = pendingSnapshot;
    throw new MarketDataError(file, lineNo, 'depth snapshot without a symbol, and no depth update followed to name its book');
  }
  if (stats.lastTs !== undefined) {
    for (const book of books.values()) for (const e of book.finish(stats.lastTs)) yield count(e);
  }
}

/**
 * Spot and USD-M REST snapshots carry no symbol. The recording tells which
 * book it is: the snapshot's own `symbol`, else the only symbol whose depth
 * updates were seen so far (those received before the snapshot), else, when
 * none was seen yet, the symbol of the next depth update (undefined here: the
 * caller holds the snapshot until then). File names are not trusted: files
 * get renamed. Several symbols and no `symbol` field is ambiguous and refused.
 */
function snapshotSymbol(
  record: RecordedMessage<DepthSnapshot>,
  books: ReadonlyMap<string, L2BookBuilder>,
  file: string,
  lineNo: number,
): string | undefined {
  if (record.message.symbol !== undefined) return record.message.symbol;
  if (books.size === 0) return undefined;
  if (books.size === 1) return books.keys().next().value!;
  throw new MarketDataError(
    file,
    lineNo,
    `depth snapshot without a symbol, and ${books.size} symbols seen so far: cannot tell which book it belongs to`,
  );
}
