import { describe, expect, it } from '@jest/globals';
import type { PriceLevel } from '../../../src/market-data/binance-messages.js';
import { L2BookBuilder, type BookDiffInput, type BookSnapshotInput } from '../../../src/market-data/l2-book.js';
import type { BookEvent, FeedProblemEvent, MarketEvent } from '../../../src/market-data/market-event.js';

const snap = (lastUpdateId: number, bids: PriceLevel[], asks: PriceLevel[]): BookSnapshotInput => ({ lastUpdateId, bids, asks });

/** Spot diff (no pu). */
const diff = (U: number, u: number, bids: PriceLevel[] = [], asks: PriceLevel[] = []): BookDiffInput => ({
  firstUpdateId: U,
  finalUpdateId: u,
  prevFinalUpdateId: undefined,
  bids,
  asks,
});

/** Futures diff (with pu). */
const fdiff = (U: number, u: number, pu: number, bids: PriceLevel[] = [], asks: PriceLevel[] = []): BookDiffInput => ({
  firstUpdateId: U,
  finalUpdateId: u,
  prevFinalUpdateId: pu,
  bids,
  asks,
});

const kinds = (events: MarketEvent[]): string[] => events.map((e) => (e.kind === 'feed-problem' ? `problem:${e.problem}` : e.kind));
const onlyBook = (events: MarketEvent[]): BookEvent => {
  expect(kinds(events)).toEqual(['book']);
  return events[0] as BookEvent;
};

const BASE_BIDS: PriceLevel[] = [
  [100, 1],
  [99, 2],
  [98, 3],
];
const BASE_ASKS: PriceLevel[] = [
  [101, 1],
  [102, 2],
  [103, 3],
];

const newBook = (depth = 20, maxBufferedDiffs?: number): L2BookBuilder =>
  new L2BookBuilder({ venue: 'binance', symbol: 'BTCUSDT', depth, maxBufferedDiffs });

describe('L2BookBuilder', () => {
  it('emits a book event after the snapshot and after each applied diff, best level first', () => {
    const book = newBook();
    const first = onlyBook(book.applySnapshot(snap(10, BASE_BIDS, BASE_ASKS), 1_000));
    expect(first).toEqual({
      kind: 'book',
      venue: 'binance',
      symbol: 'BTCUSDT',
      ts: 1_000,
      sequence: 10,
      bids: [
        { price: 100, size: 1 },
        { price: 99, size: 2 },
        { price: 98, size: 3 },
      ],
      asks: [
        { price: 101, size: 1 },
        { price: 102, size: 2 },
        { price: 103, size: 3 },
      ],
    });
    const next = onlyBook(book.applyDiff(diff(11, 12, [[100.5, 4]], [[101, 7]]), 1_100));
    expect(next.ts).toBe(1_100);
    expect(next.sequence).toBe(12);
    expect(next.bids[0]).toEqual({ price: 100.5, size: 4 });
    expect(next.asks[0]).toEqual({ price: 101, size: 7 });
    expect(book.state).toBe('ok');
  });

  it('top(depth) orders bids descending and asks ascending, and cuts at depth', () => {
    const book = newBook(2);
    const shuffledBids: PriceLevel[] = [
      [97, 1],
      [100, 1],
      [98.5, 1],
      [99, 1],
    ];
    const shuffledAsks: PriceLevel[] = [
      [104, 1],
      [101, 1],
      [103, 1],
      [102.25, 1],
    ];
    const event = onlyBook(book.applySnapshot(snap(1, shuffledBids, shuffledAsks), 0));
    expect(event.bids.map((l) => l.price)).toEqual([100, 99]);
    expect(event.asks.map((l) => l.price)).toEqual([101, 102.25]);
    expect(book.top(10).bids.map((l) => l.price)).toEqual([100, 99, 98.5, 97]);
    expect(book.top(10).asks.map((l) => l.price)).toEqual([101, 102.25, 103, 104]);
    expect(book.top(3).asks).toHaveLength(3);
    expect(book.top(0)).toEqual({ bids: [], asks: [] });
    expect(book.bestBid()).toEqual({ price: 100, size: 1 });
    expect(book.bestAsk()).toEqual({ price: 101, size: 1 });
  });

  it('qty 0 deletes a level; qty 0 in a snapshot is not a level', () => {
    const book = newBook();
    book.applySnapshot(snap(10, [...BASE_BIDS, [97, 0]], BASE_ASKS), 0);
    expect(book.levelCount).toEqual({ bids: 3, asks: 3 });
    const event = onlyBook(book.applyDiff(diff(11, 11, [[100, 0]], [[101, 0], [102, 0]]), 1));
    expect(event.bids[0]).toEqual({ price: 99, size: 2 });
    expect(event.asks).toEqual([{ price: 103, size: 3 }]);
    // Deleting a level that is not there is harmless.
    onlyBook(book.applyDiff(diff(12, 12, [[50, 0]]), 2));
    expect(book.levelCount).toEqual({ bids: 2, asks: 1 });
  });

  describe('snapshot buffering', () => {
    it('buffers diffs received before the snapshot and applies those that pass the spot rule', () => {
      const book = newBook();
      expect(book.applyDiff(diff(100, 103, [[100, 9]]), 1)).toEqual([]); // u <= lastUpdateId: dropped
      expect(book.applyDiff(diff(104, 107, [[99.5, 5]]), 2)).toEqual([]); // bridges: 104 <= 106 <= 107
      expect(book.applyDiff(diff(108, 110, [], [[101, 0]]), 3)).toEqual([]); // U == prev u + 1
      expect(book.state).toBe('awaiting-snapshot');
      expect(book.bufferedDiffs).toBe(3);
      expect(book.bestBid()).toBeUndefined();

      const event = onlyBook(book.applySnapshot(snap(105, BASE_BIDS, BASE_ASKS), 4));
      expect(event.ts).toBe(4);
      expect(event.sequence).toBe(110);
      expect(event.bids.slice(0, 2)).toEqual([
        { price: 100, size: 1 }, // the stale diff's size 9 was not applied
        { price: 99.5, size: 5 },
      ]);
      expect(event.asks[0]).toEqual({ price: 102, size: 2 });
      expect(book.stats).toMatchObject({ diffsBeforeSnapshot: 3, diffsStale: 1, diffsApplied: 2, bookEvents: 1 });
      expect(book.bufferedDiffs).toBe(0);

      onlyBook(book.applyDiff(diff(111, 111), 5));
    });

    it('a diff with u == lastUpdateId is stale for spot but the bridging diff for futures', () => {
      const spot = newBook();
      spot.applyDiff(diff(90, 100, [[100, 9]]), 1);
      spot.applyDiff(diff(101, 101), 1);
      const s = onlyBook(spot.applySnapshot(snap(100, BASE_BIDS, BASE_ASKS), 2));
      expect(s.bids[0]).toEqual({ price: 100, size: 1 });
      expect(s.sequence).toBe(101);

      const fut = newBook();
      fut.applyDiff(fdiff(80, 89, 79, [[100, 7]]), 1); // u < lastUpdateId: dropped
      fut.applyDiff(fdiff(90, 100, 89, [[100, 9]]), 1); // U <= 100 <= u: first applied
      fut.applyDiff(fdiff(101, 105, 100), 1); // pu == prev u
      const f = onlyBook(fut.applySnapshot(snap(100, BASE_BIDS, BASE_ASKS), 2));
      expect(f.bids[0]).toEqual({ price: 100, size: 9 });
      expect(f.sequence).toBe(105);
      expect(fut.stats).toMatchObject({ diffsStale: 1, diffsApplied: 2 });
    });

    it('a buffered diff that cannot bridge the snapshot is a gap; later diffs stay buffered for the next snapshot', () => {
      const book = newBook();
      book.applyDiff(diff(107, 109), 1);
      book.applyDiff(diff(110, 112, [[99.9, 1]]), 2);
      const events = book.applySnapshot(snap(105, BASE_BIDS, BASE_ASKS), 3);
      expect(kinds(events)).toEqual(['problem:gap']);
      expect((events[0] as FeedProblemEvent).detail).toBe('first update after snapshot 105 must have U <= 106 <= u, got U=107 u=109');
      expect(book.state).toBe('invalid');
      expect(book.bufferedDiffs).toBe(2);

      const recovered = book.applySnapshot(snap(109, BASE_BIDS, BASE_ASKS), 4);
      expect(kinds(recovered)).toEqual(['feed-recovered', 'book']);
      expect((recovered[1] as BookEvent).sequence).toBe(112);
      expect((recovered[1] as BookEvent).bids[0]).toEqual({ price: 100, size: 1 });
      expect(book.top(5).bids.map((l) => l.price)).toContain(99.9);
    });

    it('bounds the buffer: overflow reports no-snapshot once, keeps the newest, and the snapshot recovers', () => {
      const book = newBook(20, 3);
      const out: MarketEvent[] = [];
      for (let id = 1; id <= 6; id++) out.push(...book.applyDiff(diff(id, id, [[90 + id, 1]]), id));
      expect(kinds(out)).toEqual(['problem:no-snapshot']);
      expect(out[0]!.ts).toBe(4);
      expect(book.bufferedDiffs).toBe(3);
      expect(book.stats.diffsOverflowed).toBe(3);

      const events = book.applySnapshot(snap(3, BASE_BIDS, BASE_ASKS), 7);
      expect(kinds(events)).toEqual(['feed-recovered', 'book']);
      expect((events[1] as BookEvent).sequence).toBe(6);
    });

    it('finish() reports a symbol that never got a snapshot', () => {
      const book = newBook();
      book.applyDiff(diff(1, 2), 5);
      const events = book.finish(9);
      expect(kinds(events)).toEqual(['problem:no-snapshot']);
      expect(events[0]!.ts).toBe(9);
      expect(book.finish(10)).toEqual([]);
      expect(newBook().finish(1)).toEqual([]);
    });
  });

  describe('sequence rules once in sync', () => {
    it('spot: U must be prev u + 1; a gap is emitted with numbers and the book goes silent until a fresh snapshot', () => {
      const book = newBook();
      book.applySnapshot(snap(10, BASE_BIDS, BASE_ASKS), 0);
      onlyBook(book.applyDiff(diff(11, 15), 1));

      const gap = book.applyDiff(diff(20, 22, [[100, 5]]), 2);
      expect(kinds(gap)).toEqual(['problem:gap']);
      expect(gap[0]).toEqual({
        kind: 'feed-problem',
        venue: 'binance',
        symbol: 'BTCUSDT',
        ts: 2,
        problem: 'gap',
        detail: 'expected U=16, got U=20 (u=22); 4 update ids missing',
      });
      expect(book.state).toBe('invalid');
      expect(book.bestBid()).toBeUndefined();

      expect(book.applyDiff(diff(23, 25), 3)).toEqual([]);
      expect(book.applyDiff(diff(26, 26), 4)).toEqual([]);
      expect(book.stats.diffsWhileInvalid).toBe(3);
      expect(book.stats.gaps).toBe(1);

      const after = book.applySnapshot(snap(24, [[200, 1]], [[201, 1]]), 5);
      expect(kinds(after)).toEqual(['feed-recovered', 'book']);
      expect((after[1] as BookEvent).sequence).toBe(26);
      expect(book.state).toBe('ok');
      onlyBook(book.applyDiff(diff(27, 27), 6));
    });

    it('futures: pu must equal prev u; U is not required to be contiguous', () => {
      const book = newBook();
      book.applySnapshot(snap(100, BASE_BIDS, BASE_ASKS), 0);
      onlyBook(book.applyDiff(fdiff(95, 110, 94), 1));
      onlyBook(book.applyDiff(fdiff(130, 140, 110), 2)); // U jumps, pu chains: fine on futures
      const gap = book.applyDiff(fdiff(150, 160, 145), 3);
      expect(kinds(gap)).toEqual(['problem:gap']);
      expect((gap[0] as FeedProblemEvent).detail).toBe('expected pu=140, got pu=145 (U=150 u=160)');
    });

    it('futures first diff must satisfy U <= lastUpdateId <= u', () => {
      const book = newBook();
      book.applySnapshot(snap(100, BASE_BIDS, BASE_ASKS), 0);
      const gap = book.applyDiff(fdiff(101, 110, 100), 1);
      expect((gap[0] as FeedProblemEvent).detail).toBe('first update after snapshot 100 must have U <= 100 <= u, got U=101 u=110');
    });

    it('drops a diff older than the book without calling it a gap', () => {
      const book = newBook();
      book.applySnapshot(snap(10, BASE_BIDS, BASE_ASKS), 0);
      onlyBook(book.applyDiff(diff(11, 15), 1));
      expect(book.applyDiff(diff(12, 14, [[100, 99]]), 2)).toEqual([]);
      expect(book.stats.diffsStale).toBe(1);
      expect(book.bestBid()).toEqual({ price: 100, size: 1 });
      onlyBook(book.applyDiff(diff(16, 16), 3));
    });
  });

  describe('crossed book', () => {
    it('reports a crossed or locked book once per episode, stays silent, and recovers when it uncrosses', () => {
      const book = newBook();
      book.applySnapshot(snap(10, BASE_BIDS, BASE_ASKS), 0);

      const locked = book.applyDiff(diff(11, 11, [[101, 1]]), 1); // bid == ask: locked
      expect(kinds(locked)).toEqual(['problem:crossed']);
      expect((locked[0] as FeedProblemEvent).detail).toBe('best bid 101 >= best ask 101 at update id 11');
      expect(book.state).toBe('crossed');

      expect(book.applyDiff(diff(12, 12, [[101.5, 1]]), 2)).toEqual([]); // deeper crossed: same episode
      expect(book.applyDiff(diff(13, 13, [], [[102, 0]]), 3)).toEqual([]);
      expect(book.stats.diffsApplied).toBe(3); // still applied while crossed

      const uncrossed = book.applyDiff(diff(14, 14, [[101, 0], [101.5, 0]]), 4);
      expect(kinds(uncrossed)).toEqual(['feed-recovered', 'book']);
      expect((uncrossed[1] as BookEvent).bids[0]).toEqual({ price: 100, size: 1 });
      expect((uncrossed[1] as BookEvent).asks[0]).toEqual({ price: 101, size: 1 });

      expect(kinds(book.applyDiff(diff(15, 15, [[102, 1]]), 5))).toEqual(['problem:crossed']); // a new episode
      expect(book.stats.crossedEpisodes).toBe(2);
    });

    it('a crossed snapshot is reported, and a later good snapshot recovers', () => {
      const book = newBook();
      expect(kinds(book.applySnapshot(snap(10, [[105, 1]], [[101, 1]]), 0))).toEqual(['problem:crossed']);
      expect(kinds(book.applySnapshot(snap(20, BASE_BIDS, BASE_ASKS), 1))).toEqual(['feed-recovered', 'book']);
    });

    it('a gap while crossed needs one recovery after the fresh snapshot', () => {
      const book = newBook();
      book.applySnapshot(snap(10, BASE_BIDS, BASE_ASKS), 0);
      expect(kinds(book.applyDiff(diff(11, 11, [[102, 1]]), 1))).toEqual(['problem:crossed']);
      expect(kinds(book.applyDiff(diff(13, 13), 2))).toEqual(['problem:gap']);
      expect(kinds(book.applySnapshot(snap(13, BASE_BIDS, BASE_ASKS), 3))).toEqual(['feed-recovered', 'book']);
    });
  });

  it('rejects nonsense options', () => {
    expect(() => new L2BookBuilder({ venue: 'v', symbol: 's', depth: 0 })).toThrow(RangeError);
    expect(() => new L2BookBuilder({ venue: 'v', symbol: 's', maxBufferedDiffs: 0 })).toThrow(RangeError);
  });
});
