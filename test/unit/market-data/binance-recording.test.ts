import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MarketDataError } from '../../../src/market-data/binance-messages.js';
import {
  readRecordedLines,
  recordedMarketEvents,
  RecordingNotFoundError,
  resolveRecordingFiles,
} from '../../../src/market-data/binance-recording.js';
import type { BookEvent, FeedProblemEvent, MarketEvent } from '../../../src/market-data/market-event.js';
import {
  BUNDLED_RECORDING,
  collect,
  futDepth,
  futTrade,
  ns,
  recordLines,
  spotBbo,
  spotDepth,
  spotSnapshot,
  spotTrade,
  T0,
  tempDir,
  type TempDir,
} from './fixtures.js';

let tmp: TempDir;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.cleanup();
});

const kinds = (events: MarketEvent[]): string[] => events.map((e) => (e.kind === 'feed-problem' ? `problem:${e.problem}` : e.kind));

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('resolveRecordingFiles', () => {
  it('a folder gives its .gz files sorted by name; a file gives itself', async () => {
    const dir = join(tmp.dir, 'resolve');
    await mkdir(dir);
    await tmp.raw('resolve/b_20240809.gz', gzipSync(''));
    await tmp.raw('resolve/a_20240808.gz', gzipSync(''));
    await tmp.raw('resolve/README.md', 'not data');
    expect(await resolveRecordingFiles(dir)).toEqual([join(dir, 'a_20240808.gz'), join(dir, 'b_20240809.gz')]);
    expect(await resolveRecordingFiles(join(dir, 'b_20240809.gz'))).toEqual([join(dir, 'b_20240809.gz')]);
  });

  it('a missing path is RecordingNotFoundError with the path', async () => {
    const missing = join(tmp.dir, 'nope', 'btcusdt_20240808.gz');
    const err = await rejection(resolveRecordingFiles(missing));
    expect(err).toBeInstanceOf(RecordingNotFoundError);
    expect((err as RecordingNotFoundError).path).toBe(missing);
    expect((err as Error).message).toContain(missing);
  });

  it('a folder without .gz files is a clear error', async () => {
    const dir = join(tmp.dir, 'empty');
    await mkdir(dir);
    await tmp.raw('empty/notes.txt', 'x');
    const err = await rejection(resolveRecordingFiles(dir));
    expect(err).toBeInstanceOf(RecordingNotFoundError);
    expect((err as Error).message).toBe(`no .gz recording files in folder ${dir}`);
  });
});

describe('readRecordedLines', () => {
  it('streams the lines of several files in order, numbering lines per file', async () => {
    const a = await tmp.gz('lines-a.gz', ['one', 'two']);
    const b = await tmp.raw('lines-b.gz', gzipSync('three\r\nfour')); // CRLF and no final newline
    const lines = await collect(readRecordedLines([a, b]));
    expect(lines).toEqual([
      { file: a, lineNo: 1, line: 'one' },
      { file: a, lineNo: 2, line: 'two' },
      { file: b, lineNo: 1, line: 'three' },
      { file: b, lineNo: 2, line: 'four' },
    ]);
  });

  it('a truncated gzip is MarketDataError naming the file', async () => {
    const full = gzipSync(Array.from({ length: 2_000 }, (_, i) => `line ${i} ${'x'.repeat(50)}`).join('\n'));
    const truncated = await tmp.raw('truncated_20240808.gz', full.subarray(0, Math.floor(full.length / 2)));
    const err = await rejection(collect(readRecordedLines([truncated])));
    expect(err).toBeInstanceOf(MarketDataError);
    expect((err as MarketDataError).file).toBe(truncated);
    expect((err as Error).message).toMatch(/^truncated_20240808\.gz: corrupt gzip after line \d+ \(/);
  });

  it('a file that is not gzip is MarketDataError naming the file', async () => {
    const plain = await tmp.raw('plain.gz', `${ns(T0)} {"lastUpdateId":1,"bids":[],"asks":[]}\n`);
    const err = await rejection(collect(readRecordedLines([plain])));
    expect(err).toBeInstanceOf(MarketDataError);
    expect((err as Error).message).toMatch(/^plain\.gz: corrupt gzip after line 0 \(incorrect header check\)/);
  });

  it('a file that vanished is RecordingNotFoundError', async () => {
    const err = await rejection(collect(readRecordedLines([join(tmp.dir, 'gone.gz')])));
    expect(err).toBeInstanceOf(RecordingNotFoundError);
  });
});

describe('recordedMarketEvents on small fixtures', () => {
  const BIDS: Array<[string, string]> = [
    ['100.00', '1.0'],
    ['99.00', '2.0'],
  ];
  const ASKS: Array<[string, string]> = [
    ['101.00', '1.0'],
    ['102.00', '2.0'],
  ];

  it('maps tickers and trades, buffers diffs before the snapshot, and yields in file order with data time', async () => {
    const file = await tmp.gz(
      'btcusdt_20240808.gz',
      recordLines([
        spotDepth(8, 10, [['100.00', '5.0']]), // stale: inside the snapshot
        spotDepth(11, 12, [['100.50', '0.5']]), // bridges 10
        spotBbo(12, '100.50', '0.5', '101.00', '1.0'),
        spotSnapshot(10, BIDS, ASKS), // no symbol: attributed to the only depth symbol seen
        spotTrade(77, '101.00', '0.25', false),
        spotTrade(78, '100.50', '0.10', true),
        spotDepth(13, 13, [], [['101.00', '0']]),
      ]),
    );
    const source = recordedMarketEvents(file, { depth: 2 });
    const events = await collect(source);
    expect(kinds(events)).toEqual(['bbo', 'book', 'trade', 'trade', 'book']);
    expect(events[0]).toEqual({ kind: 'bbo', venue: 'binance', symbol: 'BTCUSDT', ts: T0 + 2, bid: 100.5, bidSize: 0.5, ask: 101, askSize: 1 });
    expect(events[1]).toEqual({
      kind: 'book',
      venue: 'binance',
      symbol: 'BTCUSDT',
      ts: T0 + 3,
      sequence: 12,
      bids: [
        { price: 100.5, size: 0.5 },
        { price: 100, size: 1 },
      ],
      asks: [
        { price: 101, size: 1 },
        { price: 102, size: 2 },
      ],
    });
    expect(events[2]).toEqual({ kind: 'trade', venue: 'binance', symbol: 'BTCUSDT', ts: T0 + 4, tradeId: '77', price: 101, size: 0.25, aggressor: 'buy' });
    expect(events[3]).toMatchObject({ tradeId: '78', aggressor: 'sell' }); // buyer was maker: the aggressor sold
    expect((events[4] as BookEvent).asks[0]).toEqual({ price: 102, size: 2 });

    expect(source.stats).toMatchObject({
      files: [file],
      messagesRead: 7,
      messagesByKind: { snapshot: 1, depthUpdate: 3, bookTicker: 1, trade: 2 },
      eventsEmitted: 5,
      eventsByKind: { book: 2, trade: 2, bbo: 1, 'feed-problem': 0, 'feed-recovered': 0 },
      firstTs: T0,
      lastTs: T0 + 6,
    });
    expect(source.stats.books['BTCUSDT']).toMatchObject({ diffsBeforeSnapshot: 2, diffsStale: 1, diffsApplied: 2 });

    // Iterating again re-reads from the start and resets the counters.
    expect(await collect(source)).toEqual(events);
    expect(source.stats.messagesRead).toBe(7);
  });

  it('a folder is one stream: the second file continues the first file\'s book', async () => {
    const dir = join(tmp.dir, 'split');
    await mkdir(dir);
    await tmp.gz('split/ethusdt_20240809.gz', recordLines([spotDepth(12, 12, [], [], 'ETHUSDT')], T0 + 100));
    await tmp.gz(
      'split/ethusdt_20240808.gz',
      // Snapshot first, with no symbol: the next depth update names its book.
      recordLines([spotSnapshot(10, BIDS, ASKS), spotDepth(11, 11, [], [], 'ETHUSDT')]),
    );
    const events = await collect(recordedMarketEvents(dir));
    expect(kinds(events)).toEqual(['book', 'book']);
    expect(events.map((e) => (e as BookEvent).sequence)).toEqual([11, 12]);
    expect(events.map((e) => e.ts)).toEqual([T0 + 1, T0 + 100]);
    expect(events.every((e) => e.symbol === 'ETHUSDT')).toBe(true);
  });

  it('emits a gap with numbers, stays silent until the next snapshot, then recovers', async () => {
    const file = await tmp.gz(
      'gap_20240808.gz',
      recordLines([
        spotSnapshot(10, BIDS, ASKS),
        spotDepth(11, 12, [], [], 'BTCUSDT'),
        spotDepth(20, 21, [], [], 'BTCUSDT'), // 13..19 missing
        spotDepth(22, 22, [], [], 'BTCUSDT'),
        spotBbo(22, '100.00', '1.0', '101.00', '1.0'),
        spotSnapshot(21, BIDS, ASKS),
        spotDepth(23, 23, [], [], 'BTCUSDT'),
      ]),
    );
    const source = recordedMarketEvents(file);
    const events = await collect(source);
    expect(kinds(events)).toEqual(['book', 'problem:gap', 'bbo', 'feed-recovered', 'book', 'book']);
    const gap = events[1] as FeedProblemEvent;
    expect(gap.detail).toBe('expected U=13, got U=20 (u=21); 7 update ids missing');
    expect(gap.ts).toBe(T0 + 2);
    expect((events[4] as BookEvent).sequence).toBe(22);
    expect(source.stats.books['BTCUSDT']).toMatchObject({ gaps: 1, diffsWhileInvalid: 2, snapshots: 2 });
    expect(source.stats.eventsByKind['feed-problem']).toBe(1);
  });

  it('reports a recording whose snapshot is missing (e.g. the 0809 part read alone)', async () => {
    const file = await tmp.gz('alone_20240809.gz', recordLines([spotDepth(11, 11), spotDepth(12, 12), spotTrade(1, '100.0', '1.0', true)]));
    const events = await collect(recordedMarketEvents(file));
    expect(kinds(events)).toEqual(['trade', 'problem:no-snapshot']);
    expect(events[1]!.ts).toBe(T0 + 2);
  });

  it('futures: infers the venue from the shapes and skips non-MARKET trades', async () => {
    const file = await tmp.gz(
      'btcusd_perp_20240808.gz',
      recordLines([
        futDepth(95, 105, 94, [['61000.0', '10']], [], 'BTCUSD_PERP'),
        `{"lastUpdateId":100,"E":1,"T":1,"symbol":"BTCUSD_PERP","pair":"BTCUSD","bids":[["60999.9","5"]],"asks":[["61000.1","7"]]}`,
        futTrade(1, '61000.1', '3', false, 'MARKET', 'BTCUSD_PERP'),
        futTrade(2, '60000.0', '9', true, 'INSURANCE_FUND', 'BTCUSD_PERP'),
        futDepth(106, 110, 105, [], [['61000.1', '0']], 'BTCUSD_PERP'),
      ]),
    );
    const source = recordedMarketEvents(file);
    const events = await collect(source);
    expect(kinds(events)).toEqual(['book', 'trade', 'book']);
    expect(events.every((e) => e.venue === 'binancecoinm')).toBe(true);
    expect((events[0] as BookEvent).bids[0]).toEqual({ price: 61000, size: 10 });
    expect((events[2] as BookEvent).asks).toEqual([]);
    expect(source.stats.nonMarketTradesSkipped).toBe(1);
  });

  it('a malformed line ends the iteration with MarketDataError naming file and line', async () => {
    const file = await tmp.gz('bad_20240808.gz', [
      ...recordLines([spotBbo(1, '100.00', '1.0', '101.00', '1.0'), spotBbo(2, '100.00', '1.0', '101.00', '1.0')]),
      `${ns(T0 + 5)} {"stream":"btcusdt@bookTicker","data":{"u":3,"s":"BTCUSDT","b":"","B":"1.0","a":"101.00","A":"1.0"}}`,
      ...recordLines([spotBbo(4, '100.00', '1.0', '101.00', '1.0')]),
    ]);
    const seen: MarketEvent[] = [];
    const err = await rejection(
      (async () => {
        for await (const e of recordedMarketEvents(file)) seen.push(e);
      })(),
    );
    expect(seen).toHaveLength(2);
    expect(err).toBeInstanceOf(MarketDataError);
    expect((err as MarketDataError).line).toBe(3);
    expect((err as Error).message).toBe('bad_20240808.gz line 3: bad bookTicker (b: not a positive decimal: "")');
  });

  it('a snapshot with no symbol among several symbols and no symbol in the file name is refused', async () => {
    const file = await tmp.gz('mixed.gz', recordLines([spotDepth(1, 1, [], [], 'BTCUSDT'), spotDepth(1, 1, [], [], 'ETHUSDT'), spotSnapshot(1, BIDS, ASKS)]));
    const err = await rejection(collect(recordedMarketEvents(file)));
    expect(err).toBeInstanceOf(MarketDataError);
    expect((err as Error).message).toMatch(/^mixed\.gz line 3: depth snapshot without a symbol, and 2 symbols seen/);
  });

  it('a symbol-less snapshot that no depth update follows is refused', async () => {
    const file = await tmp.gz('snaponly.gz', recordLines([spotTrade(1, '100.0', '1.0', true), spotSnapshot(1, BIDS, ASKS)]));
    const err = await rejection(collect(recordedMarketEvents(file)));
    expect(err).toBeInstanceOf(MarketDataError);
    expect((err as MarketDataError).line).toBe(2);
  });

  it('a missing recording is RecordingNotFoundError', async () => {
    const err = await rejection(collect(recordedMarketEvents(join(tmp.dir, 'missing-folder'))));
    expect(err).toBeInstanceOf(RecordingNotFoundError);
  });
});

describe('the bundled recording (recordings/binance-spot-btcusdt)', () => {
  it('replays 650 s of spot BTCUSDT with no gaps and an uncrossed book on every book event', async () => {
    const source = recordedMarketEvents(BUNDLED_RECORDING);
    let books = 0;
    let badBooks = 0;
    let lastTs = 0;
    let backwards = 0;
    let lastSeq = 0;
    const problems: MarketEvent[] = [];
    for await (const e of source) {
      if (e.ts < lastTs) backwards++;
      lastTs = e.ts;
      if (e.kind === 'book') {
        books++;
        const bid = e.bids[0];
        const ask = e.asks[0];
        if (bid === undefined || ask === undefined || !(bid.price < ask.price) || e.bids.length !== 20 || e.asks.length !== 20) badBooks++;
        if (e.sequence <= lastSeq) badBooks++;
        lastSeq = e.sequence;
      } else if (e.kind === 'feed-problem' || e.kind === 'feed-recovered') problems.push(e);
    }
    expect(problems).toEqual([]);
    expect(badBooks).toBe(0);
    expect(backwards).toBe(0);
    const { stats } = source;
    expect(stats.files.map((f) => f.slice(-19))).toEqual(['btcusdt_20240808.gz', 'btcusdt_20240809.gz']);
    expect(stats.messagesRead).toBe(41_249 + 58_325);
    expect(stats.messagesByKind.snapshot).toBe(1);
    expect(stats.books['BTCUSDT']).toMatchObject({ gaps: 0, crossedEpisodes: 0, snapshots: 1, diffsOverflowed: 0 });
    expect(books).toBe(stats.eventsByKind.book);
    expect(books).toBeGreaterThan(6_000);
    expect(stats.lastTs! - stats.firstTs!).toBeGreaterThan(640_000);
  });
});
