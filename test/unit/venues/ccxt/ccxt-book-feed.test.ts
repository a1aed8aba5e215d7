import { afterEach, describe, expect, it } from '@jest/globals';
import type { Subscription } from 'rxjs';
import { WallClock } from '../../../../src/clock/clock.js';
import type { BookEvent } from '../../../../src/market-data/market-event.js';
import { CcxtVenue } from '../../../../src/venues/ccxt/ccxt-venue.js';
import type { BookFeedEvent } from '../../../../src/venues/venue.js';
import { binanceWithRecordedHttp, readRecordedStreams, recordedCase, ReferenceBook, until, type DepthUpdate, type RecordedStreams } from './ccxt-fixtures.js';
import { LoopbackBinanceWs } from './loopback-binance-ws.js';
import { paramsOf } from './recorded-http.js';

const STREAM = 'btcusdt@depth@100ms';
const DEPTH = 10;

const label = (e: BookFeedEvent): string => (e.kind === 'feed-problem' ? `problem:${e.problem}` : e.kind);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every book the adapter emits must equal the recorded snapshot plus the recorded diffs up to its sequence. */
function expectBookMatchesRecording(rec: RecordedStreams, book: BookEvent): void {
  const ref = new ReferenceBook(rec.snapshot);
  for (const d of rec.depth) if (d.u <= book.sequence) ref.apply(d);
  expect(ref.lastUpdateId).toBe(book.sequence);
  const top = ref.top(DEPTH);
  expect({ bids: book.bids, asks: book.asks }).toEqual(top);
}

/** Sends recorded depth diffs one by one, as the exchange would, a few ms apart. */
async function replay(server: LoopbackBinanceWs, diffs: readonly DepthUpdate[]): Promise<void> {
  for (const d of diffs) {
    server.publish(STREAM, d);
    await pause(2);
  }
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setUp(book: Partial<ConstructorParameters<typeof CcxtVenue>[0]['book']> = {}) {
  const rec = await readRecordedStreams(900);
  const server = await LoopbackBinanceWs.start();
  const { exchange, http } = binanceWithRecordedHttp();
  await server.install(exchange);
  const venue = new CcxtVenue({
    exchange,
    clock: new WallClock(),
    deadMansSwitch: false,
    book: { depth: DEPTH, maxAgeMs: 200, reconnectBaseDelayMs: 20, reconnectMaxDelayMs: 50, ...book },
  });
  const events: BookFeedEvent[] = [];
  let sub: Subscription | undefined;
  cleanup.push(async () => {
    sub?.unsubscribe();
    await venue.close();
    await server.close();
  });
  const start = () => {
    sub = venue.watchBook('BTCUSDT').subscribe((e) => events.push(e));
  };
  return { rec, server, exchange, http, venue, events, start };
}

describe('CcxtVenue.watchBook over a loopback websocket server standing in for the exchange (recorded Binance depth diffs, recorded HTTP layer for snapshots)', () => {
  it('reconnects after the exchange drops the connection, resyncs from a fresh snapshot, reports gap, stale, then recovered', async () => {
    const { rec, server, http, venue, events, start } = await setUp();
    const A = 30; // diffs the first connection delivers
    const B = 36; // the second connection resumes here: diffs A+1..B-1 print while we are away
    const C = 60;
    const secondSnapshot = new ReferenceBook(rec.snapshot);
    for (const d of rec.depth.slice(0, B)) secondSnapshot.apply(d);
    let depthRequests = 0;
    http.on('GET', '/api/v3/depth', () => {
      depthRequests++;
      // The exchange's book as it is now; the second answer is slow (longer than maxAgeMs) so the feed goes stale.
      return depthRequests === 1 ? { body: rec.snapshot } : { body: secondSnapshot.snapshot(), delayMs: 400 };
    });
    server.onSubscribe = (stream) => {
      if (stream !== STREAM) return;
      const n = server.subscribed.filter((s) => s === STREAM).length;
      void replay(server, n === 1 ? rec.depth.slice(0, A + 1) : rec.depth.slice(B, C + 1));
    };
    start();

    const lastOfFirst = rec.depth[A]!.u;
    await until(() => events.some((e) => e.kind === 'book' && e.sequence === lastOfFirst), 4_000, 'the first connection to deliver its diffs');
    const beforeDrop = events.length;
    server.dropAll();
    const lastOfSecond = rec.depth[C]!.u;
    await until(() => events.some((e) => e.kind === 'book' && e.sequence === lastOfSecond), 4_000, 'books after the reconnect');

    expect(venue.feedHealthy('BTCUSDT')).toBe(true);
    const after = events.slice(beforeDrop).map(label);
    expect(after.slice(0, 4)).toEqual(['problem:gap', 'problem:stale', 'feed-recovered', 'book']);
    expect(after.slice(3).every((k) => k === 'book')).toBe(true);
    expect(events.slice(0, beforeDrop).every((e) => e.kind === 'book')).toBe(true);

    // A fresh snapshot was requested through the HTTP layer after the drop, before any book was emitted again.
    expect(depthRequests).toBe(2);
    expect(http.to('GET', '/api/v3/depth').map((r) => paramsOf(r)['symbol'])).toEqual(['BTCUSDT', 'BTCUSDT']);
    expect(server.connections).toBe(2);
    const firstAfter = events.slice(beforeDrop).find((e): e is BookEvent => e.kind === 'book');
    expect(firstAfter!.sequence).toBeGreaterThanOrEqual(secondSnapshot.lastUpdateId);

    // Every book, before and after the drop, is the recorded book at its sequence: nothing stale survived the reconnect.
    const books = events.filter((e): e is BookEvent => e.kind === 'book');
    for (const b of books) expectBookMatchesRecording(rec, b);
    const seqs = books.map((b) => b.sequence);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    const recovered = events.find((e) => e.kind === 'feed-recovered');
    expect(recovered && 'detail' in recovered ? recovered.detail : '').toMatch(/resynced from a fresh snapshot .* \(after gap, stale; down \d+ ms\)/);
  });

  it('resyncs from a fresh snapshot when the diff sequence breaks (ChecksumError), on the same connection', async () => {
    const { rec, server, http, events, start } = await setUp({ maxAgeMs: 2_000 });
    const A = 20;
    const skipped = A + 1; // this diff never arrives: the U/u chain breaks
    const resume = A + 8;
    const secondSnapshot = new ReferenceBook(rec.snapshot);
    for (const d of rec.depth.slice(0, resume)) secondSnapshot.apply(d);
    let depthRequests = 0;
    http.on('GET', '/api/v3/depth', () => (++depthRequests === 1 ? { body: rec.snapshot } : { body: secondSnapshot.snapshot() }));
    server.onSubscribe = (stream) => {
      if (stream !== STREAM) return;
      const n = server.subscribed.filter((s) => s === STREAM).length;
      void replay(server, n === 1 ? [...rec.depth.slice(0, skipped), ...rec.depth.slice(skipped + 1, skipped + 3)] : rec.depth.slice(resume, resume + 10));
    };
    start();
    const last = rec.depth[resume + 9]!.u;
    await until(() => events.some((e) => e.kind === 'book' && e.sequence === last), 4_000, 'books after the resync');
    const kinds = events.map(label);
    const gapAt = kinds.indexOf('problem:gap');
    expect(gapAt).toBeGreaterThan(0);
    expect(kinds.slice(gapAt, gapAt + 3)).toEqual(['problem:gap', 'feed-recovered', 'book']);
    expect(depthRequests).toBe(2);
    expect(server.connections).toBe(1);
    expect(server.subscribed.filter((s) => s === STREAM)).toHaveLength(2);
    for (const b of events.filter((e): e is BookEvent => e.kind === 'book')) expectBookMatchesRecording(rec, b);
  });

  it('falls back to REST polling (fetchOrderBook, recorded reply) when the websocket cannot connect', async () => {
    const { server, http, events, start } = await setUp({ wsFailuresBeforePolling: 2, pollIntervalMs: 30, wsRetryAfterMs: 60_000, maxAgeMs: 5_000 });
    server.accepting = false;
    http.on('GET', '/api/v3/depth', { body: recordedCase('binance-responses.json', 'fetchOrderBook', 'spot orderbook').httpResponse });
    start();
    await until(() => events.filter((e) => e.kind === 'book').length >= 2, 4_000, 'polled books');
    expect(events.map(label).slice(0, 3)).toEqual(['problem:gap', 'feed-recovered', 'book']);
    const book = events.find((e): e is BookEvent => e.kind === 'book')!;
    expect(book).toMatchObject({
      venue: 'binance',
      symbol: 'BTCUSDT',
      sequence: 25445101,
      bids: [
        { price: 42574.3, size: 0.0107 },
        { price: 42574.2, size: 0.00646 },
      ],
      asks: [
        { price: 42574.31, size: 0.0087 },
        { price: 42574.8, size: 0.00893 },
      ],
    });
    expect(server.connections).toBe(0);
  });

  it('REST-only exchange: polls snapshots; a crossed book is a feed problem and is not emitted', async () => {
    const { exchange, http, events, start } = await setUp({ pollIntervalMs: 20, maxAgeMs: 5_000 });
    exchange.has['watchOrderBook'] = false;
    const recorded = recordedCase('binance-responses.json', 'fetchOrderBook', 'spot orderbook').httpResponse;
    // The recorded reply, then the same reply with its sides swapped (bid above ask), then the recorded one again.
    http.on('GET', '/api/v3/depth', { body: recorded });
    http.once('GET', '/api/v3/depth', { body: { ...recorded, bids: recorded.asks, asks: recorded.bids } });
    http.once('GET', '/api/v3/depth', { body: recorded });
    start();
    await until(() => events.filter((e) => e.kind === 'book').length >= 2, 4_000, 'books after the crossed one');
    expect(events.map(label).slice(0, 4)).toEqual(['book', 'problem:crossed', 'feed-recovered', 'book']);
    const problem = events[1];
    expect(problem && problem.kind === 'feed-problem' ? problem.detail : '').toBe('best bid 42574.8 >= best ask 42574.2 at sequence 25445101') // ccxt sorts each side itself;
  });
});
