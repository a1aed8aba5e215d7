import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { PriceLevel } from '../../../src/market-data/binance-messages.js';
import { L2BookBuilder, type BookDiffInput } from '../../../src/market-data/l2-book.js';
import type { BookEvent, BookLevel, MarketEvent } from '../../../src/market-data/market-event.js';

/** The obvious model: one Map per side, sorted on read. */
class NaiveBook {
  readonly bids = new Map<number, number>();
  readonly asks = new Map<number, number>();

  load(bids: readonly PriceLevel[], asks: readonly PriceLevel[]): void {
    this.bids.clear();
    this.asks.clear();
    for (const [p, q] of bids) if (q > 0) this.bids.set(p, q);
    for (const [p, q] of asks) if (q > 0) this.asks.set(p, q);
  }

  apply(d: BookDiffInput): void {
    for (const [p, q] of d.bids) (q === 0 ? this.bids.delete(p) : this.bids.set(p, q));
    for (const [p, q] of d.asks) (q === 0 ? this.asks.delete(p) : this.asks.set(p, q));
  }

  top(n: number): { bids: BookLevel[]; asks: BookLevel[] } {
    const side = (m: Map<number, number>, dir: 1 | -1): BookLevel[] =>
      [...m.entries()]
        .sort((a, b) => dir * (a[0] - b[0]))
        .slice(0, n)
        .map(([price, size]) => ({ price, size }));
    return { bids: side(this.bids, -1), asks: side(this.asks, 1) };
  }

  crossed(): boolean {
    const t = this.top(1);
    return t.bids[0] !== undefined && t.asks[0] !== undefined && t.bids[0].price >= t.asks[0].price;
  }
}

// Bid and ask price ranges overlap so that crossings happen now and then.
const price = (tick: number): number => 60_000 + tick * 0.5;
const level = (lo: number, hi: number): fc.Arbitrary<PriceLevel> =>
  fc.tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: 0, max: 4 })).map(([t, q]) => [price(t), q * 0.25] as const);
const bidLevels = fc.array(level(0, 30), { maxLength: 8 });
const askLevels = fc.array(level(25, 55), { maxLength: 8 });

const scenario = fc.record({
  futures: fc.boolean(),
  startId: fc.integer({ min: 1, max: 1_000_000 }),
  snapshotBids: fc.array(level(0, 24), { maxLength: 12 }),
  snapshotAsks: fc.array(level(31, 55), { maxLength: 12 }),
  diffs: fc.array(fc.record({ span: fc.integer({ min: 0, max: 3 }), bids: bidLevels, asks: askLevels }), { maxLength: 40 }),
  /** Index of the last diff the snapshot already contains (-1: none). */
  snapshotAfter: fc.nat(),
  /** How many diffs arrive before the snapshot. */
  deliveredBefore: fc.nat(),
  depth: fc.integer({ min: 1, max: 6 }),
});

const kinds = (events: MarketEvent[]): string[] => events.map((e) => (e.kind === 'feed-problem' ? `problem:${e.problem}` : e.kind));

describe('L2BookBuilder against a naive Map model (property)', () => {
  it('holds the same book as the model and emits book/crossed/recovered exactly when the model says so', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        // A gap-free chain: U = prev u + 1, pu = prev u.
        const chain: BookDiffInput[] = [];
        let prev = s.startId;
        for (const d of s.diffs) {
          const U = prev + 1;
          const u = U + d.span;
          chain.push({ firstUpdateId: U, finalUpdateId: u, prevFinalUpdateId: s.futures ? prev : undefined, bids: d.bids, asks: d.asks });
          prev = u;
        }
        const n = chain.length;
        const snapAfter = n === 0 ? -1 : (s.snapshotAfter % (n + 1)) - 1;
        const before = s.deliveredBefore % (n + 1);
        // Spot snapshots name the last contained u; futures ones sit inside the next diff (U <= id <= u).
        const containedU = snapAfter >= 0 ? chain[snapAfter]!.finalUpdateId : s.startId;
        const lastUpdateId = s.futures ? containedU + 1 : containedU;

        const book = new L2BookBuilder({ venue: 'v', symbol: 'S', depth: s.depth, maxBufferedDiffs: 1_000 });
        const model = new NaiveBook();
        for (let j = 0; j < before; j++) expect(book.applyDiff(chain[j]!, j)).toEqual([]);

        model.load(s.snapshotBids, s.snapshotAsks);
        for (let j = snapAfter + 1; j < before; j++) model.apply(chain[j]!);
        let crossed = model.crossed();
        const atSnapshot = book.applySnapshot({ lastUpdateId, bids: s.snapshotBids, asks: s.snapshotAsks }, before);
        if (crossed) expect(kinds(atSnapshot)).toEqual(['problem:crossed']);
        else {
          expect(kinds(atSnapshot)).toEqual(['book']);
          expect((atSnapshot[0] as BookEvent).bids).toEqual(model.top(s.depth).bids);
          expect((atSnapshot[0] as BookEvent).asks).toEqual(model.top(s.depth).asks);
        }

        for (let j = before; j < n; j++) {
          const events = book.applyDiff(chain[j]!, j + 1);
          if (j <= snapAfter) {
            expect(events).toEqual([]); // already in the snapshot
            continue;
          }
          model.apply(chain[j]!);
          const nowCrossed = model.crossed();
          if (nowCrossed) expect(kinds(events)).toEqual(crossed ? [] : ['problem:crossed']);
          else {
            expect(kinds(events)).toEqual(crossed ? ['feed-recovered', 'book'] : ['book']);
            const ev = events[events.length - 1] as BookEvent;
            expect(ev.sequence).toBe(chain[j]!.finalUpdateId);
            expect({ bids: ev.bids, asks: ev.asks }).toEqual(model.top(s.depth));
          }
          crossed = nowCrossed;
        }

        expect(book.top(1_000)).toEqual(model.top(1_000));
        expect(book.stats.gaps).toBe(0);
        expect(book.state).toBe(crossed ? 'crossed' : 'ok');
      }),
      { numRuns: 500 },
    );
  });
});
