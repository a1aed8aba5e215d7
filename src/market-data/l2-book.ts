import sortedBtree from 'sorted-btree';
import type * as SortedBtree from 'sorted-btree';
import type { PriceLevel } from './binance-messages.js';
import type { BookLevel, MarketEvent } from './market-event.js';

// sorted-btree is CommonJS with `exports.default`: under Node ESM the default
// import is the whole `module.exports`; some loaders unwrap it to the class.
type BTreeClass = typeof sortedBtree.default;
const BTree: BTreeClass =
  (sortedBtree as { default?: BTreeClass }).default ?? (sortedBtree as unknown as BTreeClass);
type Side = SortedBtree.default<number, number>;

/** What the builder needs from a REST depth snapshot. */
export interface BookSnapshotInput {
  readonly lastUpdateId: number;
  readonly bids: readonly PriceLevel[];
  readonly asks: readonly PriceLevel[];
}

/** What the builder needs from a depth diff (Binance `U`, `u`, `pu`). */
export interface BookDiffInput {
  readonly firstUpdateId: number;
  readonly finalUpdateId: number;
  /** Present on futures only; selects the futures sequence rule. */
  readonly prevFinalUpdateId: number | undefined;
  readonly bids: readonly PriceLevel[];
  readonly asks: readonly PriceLevel[];
}

export interface L2BookOptions {
  readonly venue: string;
  readonly symbol: string;
  /** Levels per side in each `book` event. */
  readonly depth?: number;
  /** Diffs kept while waiting for a snapshot; the oldest are dropped beyond this. */
  readonly maxBufferedDiffs?: number;
}

export const DEFAULT_BOOK_DEPTH = 20;
/** About 100 s of spot @100ms diffs, or 10-50 s of futures @0ms diffs: far longer than a REST snapshot takes. */
export const DEFAULT_MAX_BUFFERED_DIFFS = 1_000;

/**
 * - `awaiting-snapshot`: no snapshot yet; diffs are buffered.
 * - `invalid`: a gap was seen; diffs are counted and buffered, never applied, until a new snapshot.
 * - `crossed`: in sequence but best bid >= best ask; diffs apply, no book events.
 * - `ok`: in sequence and uncrossed.
 */
export type L2BookState = 'awaiting-snapshot' | 'invalid' | 'crossed' | 'ok';

export interface L2BookStats {
  snapshots: number;
  diffsApplied: number;
  /** Diffs older than the book (u below the current update id): dropped per Binance's rule. */
  diffsStale: number;
  /** Diffs received before the first snapshot. */
  diffsBeforeSnapshot: number;
  /** Diffs received while the book was invalid after a gap: counted, not applied. */
  diffsWhileInvalid: number;
  /** Buffered diffs dropped because the buffer was full. */
  diffsOverflowed: number;
  gaps: number;
  crossedEpisodes: number;
  bookEvents: number;
}

interface Buffered {
  readonly diff: BookDiffInput;
  readonly ts: number;
}

type StepResult = 'applied' | 'stale' | 'gap';

const descending = (a: number, b: number): number => b - a;
const ascending = (a: number, b: number): number => a - b;

/**
 * L2 order book for one symbol, built from a REST snapshot plus Binance depth
 * diffs, with Binance's sequence rules:
 * - spot (no `pu`): drop u <= lastUpdateId; the first applied needs
 *   U <= lastUpdateId+1 <= u; then each needs U == prev u + 1;
 * - futures (`pu`): drop u < lastUpdateId; the first applied needs
 *   U <= lastUpdateId <= u; then each needs pu == prev u.
 *
 * Problems are emitted, never papered over: a gap makes the book invalid until
 * a fresh snapshot; a crossed/locked book is reported once per episode. While
 * either holds, no `book` events are emitted. A `feed-recovered` follows once
 * the book is consistent again.
 *
 * Cost per diff: O(levels touched * log n) plus the top-`depth` extraction.
 */
export class L2BookBuilder {
  readonly venue: string;
  readonly symbol: string;
  readonly depth: number;
  readonly maxBufferedDiffs: number;
  readonly stats: L2BookStats = {
    snapshots: 0,
    diffsApplied: 0,
    diffsStale: 0,
    diffsBeforeSnapshot: 0,
    diffsWhileInvalid: 0,
    diffsOverflowed: 0,
    gaps: 0,
    crossedEpisodes: 0,
    bookEvents: 0,
  };

  /** Best (highest) bid first. */
  private readonly bids: Side = new BTree<number, number>(undefined, descending);
  /** Best (lowest) ask first. */
  private readonly asks: Side = new BTree<number, number>(undefined, ascending);

  private needSnapshot = true;
  private hadGap = false;
  /** The next applied diff must bridge the snapshot (first-diff rule). */
  private bridging = false;
  private lastUpdateId = 0;
  private crossed = false;
  /** A problem was emitted (gap, no-snapshot, crossed) and no `feed-recovered` yet. */
  private problemOpen = false;
  private overflowReported = false;

  // A deque over an array: `bufferHead` skips dropped entries, so dropping the oldest is O(1).
  private buffer: Buffered[] = [];
  private bufferHead = 0;

  constructor(options: L2BookOptions) {
    this.venue = options.venue;
    this.symbol = options.symbol;
    this.depth = options.depth ?? DEFAULT_BOOK_DEPTH;
    this.maxBufferedDiffs = options.maxBufferedDiffs ?? DEFAULT_MAX_BUFFERED_DIFFS;
    if (!Number.isInteger(this.depth) || this.depth < 1) throw new RangeError(`depth must be a positive integer, got ${this.depth}`);
    if (!Number.isInteger(this.maxBufferedDiffs) || this.maxBufferedDiffs < 1) {
      throw new RangeError(`maxBufferedDiffs must be a positive integer, got ${this.maxBufferedDiffs}`);
    }
  }

  get state(): L2BookState {
    if (this.needSnapshot) return this.hadGap ? 'invalid' : 'awaiting-snapshot';
    return this.crossed ? 'crossed' : 'ok';
  }

  /** Last applied update id (the snapshot's lastUpdateId, then each diff's `u`). */
  get sequence(): number {
    return this.lastUpdateId;
  }

  get bufferedDiffs(): number {
    return this.buffer.length - this.bufferHead;
  }

  get levelCount(): { bids: number; asks: number } {
    return { bids: this.bids.size, asks: this.asks.size };
  }

  bestBid(): BookLevel | undefined {
    return best(this.bids);
  }

  bestAsk(): BookLevel | undefined {
    return best(this.asks);
  }

  /** Top `depth` levels per side, best first. Reflects the book as held, even when not `ok`. */
  top(depth: number = this.depth): { bids: BookLevel[]; asks: BookLevel[] } {
    return { bids: topLevels(this.bids, depth), asks: topLevels(this.asks, depth) };
  }

  /**
   * Replace the book with a snapshot, then replay buffered diffs that pass the
   * rules. Emits at most one `book` event for the result: the buffered diffs
   * were received before this snapshot, so intermediate books never existed at
   * any data time.
   */
  applySnapshot(snapshot: BookSnapshotInput, ts: number): MarketEvent[] {
    const events: MarketEvent[] = [];
    this.stats.snapshots++;
    this.bids.clear();
    this.asks.clear();
    loadSide(this.bids, snapshot.bids);
    loadSide(this.asks, snapshot.asks);
    this.lastUpdateId = snapshot.lastUpdateId;
    this.bridging = true;
    this.needSnapshot = false;
    this.hadGap = false;
    this.overflowReported = false;

    const pending = this.buffer;
    const start = this.bufferHead;
    this.buffer = [];
    this.bufferHead = 0;
    for (let i = start; i < pending.length; i++) {
      const entry = pending[i]!;
      if (this.step(entry.diff, ts, events) === 'gap') {
        // The rest stays buffered for the next snapshot (the gap diff itself is already re-buffered by step()).
        for (let j = i + 1; j < pending.length; j++) this.buffer.push(pending[j]!);
        return events;
      }
    }
    this.afterChange(ts, events, 'snapshot');
    return events;
  }

  applyDiff(diff: BookDiffInput, ts: number): MarketEvent[] {
    const events: MarketEvent[] = [];
    if (this.needSnapshot) {
      if (this.hadGap) this.stats.diffsWhileInvalid++;
      else this.stats.diffsBeforeSnapshot++;
      this.bufferDiff(diff, ts, events);
      return events;
    }
    if (this.step(diff, ts, events) === 'applied') this.afterChange(ts, events, 'diff');
    return events;
  }

  /**
   * End of data: a symbol that buffered diffs but never got a snapshot is
   * reported, so a recording without its snapshot cannot pass silently.
   */
  finish(ts: number): MarketEvent[] {
    if (!this.needSnapshot || this.problemOpen || this.bufferedDiffs === 0) return [];
    this.problemOpen = true;
    return [
      this.problem(ts, 'no-snapshot', `${this.bufferedDiffs} depth updates buffered and no snapshot by the end of the data`),
    ];
  }

  // --- internals ---------------------------------------------------------------

  /** Check the sequence rule and apply one diff to an in-sync book. */
  private step(diff: BookDiffInput, ts: number, events: MarketEvent[]): StepResult {
    const U = diff.firstUpdateId;
    const u = diff.finalUpdateId;
    const pu = diff.prevFinalUpdateId;
    const last = this.lastUpdateId;
    const futures = pu !== undefined;

    if (this.bridging) {
      if (futures ? u < last : u <= last) {
        this.stats.diffsStale++;
        return 'stale';
      }
      const ok = futures ? U <= last && last <= u : U <= last + 1 && last + 1 <= u;
      if (!ok) {
        const want = futures ? `U <= ${last} <= u` : `U <= ${last + 1} <= u`;
        return this.gap(diff, ts, events, `first update after snapshot ${last} must have ${want}, got U=${U} u=${u}`);
      }
    } else {
      // Older than the book: already reflected in it, so not a gap.
      if (u <= last) {
        this.stats.diffsStale++;
        return 'stale';
      }
      if (futures) {
        if (pu !== last) return this.gap(diff, ts, events, `expected pu=${last}, got pu=${pu} (U=${U} u=${u})`);
      } else if (U !== last + 1) {
        return this.gap(diff, ts, events, `expected U=${last + 1}, got U=${U} (u=${u}); ${U - last - 1} update ids missing`);
      }
    }

    applySide(this.bids, diff.bids);
    applySide(this.asks, diff.asks);
    this.lastUpdateId = u;
    this.bridging = false;
    this.stats.diffsApplied++;
    return 'applied';
  }

  private gap(diff: BookDiffInput, ts: number, events: MarketEvent[], detail: string): 'gap' {
    this.stats.gaps++;
    events.push(this.problem(ts, 'gap', detail));
    this.problemOpen = true;
    this.needSnapshot = true;
    this.hadGap = true;
    // The crossed episode, if any, is subsumed: one feed-recovered after the next snapshot clears both.
    this.crossed = false;
    // Nothing in the book can be trusted any more; do not leave stale levels readable.
    this.bids.clear();
    this.asks.clear();
    this.stats.diffsWhileInvalid++;
    this.bufferDiff(diff, ts, events);
    return 'gap';
  }

  private bufferDiff(diff: BookDiffInput, ts: number, events: MarketEvent[]): void {
    this.buffer.push({ diff, ts });
    if (this.buffer.length - this.bufferHead > this.maxBufferedDiffs) {
      // Keep the newest: a later snapshot is bridged by diffs received around it, not by old ones.
      this.bufferHead++;
      this.stats.diffsOverflowed++;
      if (this.bufferHead > 1024 && this.bufferHead * 2 > this.buffer.length) {
        this.buffer = this.buffer.slice(this.bufferHead);
        this.bufferHead = 0;
      }
      if (!this.overflowReported) {
        this.overflowReported = true;
        this.problemOpen = true;
        events.push(
          this.problem(ts, 'no-snapshot', `more than ${this.maxBufferedDiffs} depth updates buffered without a usable snapshot; dropping the oldest`),
        );
      }
    }
  }

  /** After a snapshot or an applied diff: crossed check, recovery, book event. */
  private afterChange(ts: number, events: MarketEvent[], cause: 'snapshot' | 'diff'): void {
    const bid = this.bids.minKey();
    const ask = this.asks.minKey();
    if (bid !== undefined && ask !== undefined && bid >= ask) {
      if (!this.crossed) {
        this.crossed = true;
        this.problemOpen = true;
        this.stats.crossedEpisodes++;
        events.push(this.problem(ts, 'crossed', `best bid ${bid} >= best ask ${ask} at update id ${this.lastUpdateId}`));
      }
      return;
    }
    if (this.problemOpen) {
      const why = this.crossed ? 'book uncrossed' : 'fresh snapshot';
      events.push({
        kind: 'feed-recovered',
        venue: this.venue,
        symbol: this.symbol,
        ts,
        detail: `${why} at update id ${this.lastUpdateId} (after ${cause})`,
      });
      this.problemOpen = false;
    }
    this.crossed = false;
    this.stats.bookEvents++;
    events.push({
      kind: 'book',
      venue: this.venue,
      symbol: this.symbol,
      ts,
      sequence: this.lastUpdateId,
      bids: topLevels(this.bids, this.depth),
      asks: topLevels(this.asks, this.depth),
    });
  }

  private problem(ts: number, problem: 'gap' | 'crossed' | 'no-snapshot', detail: string): MarketEvent {
    return { kind: 'feed-problem', venue: this.venue, symbol: this.symbol, ts, problem, detail };
  }
}

function loadSide(side: Side, levels: readonly PriceLevel[]): void {
  for (const [price, qty] of levels) if (qty > 0) side.set(price, qty);
}

function applySide(side: Side, levels: readonly PriceLevel[]): void {
  for (const [price, qty] of levels) {
    if (qty === 0) side.delete(price);
    else side.set(price, qty);
  }
}

function best(side: Side): BookLevel | undefined {
  const price = side.minKey();
  if (price === undefined) return undefined;
  return { price, size: side.get(price)! };
}

function topLevels(side: Side, depth: number): BookLevel[] {
  const out: BookLevel[] = [];
  if (depth <= 0) return out;
  // Trees are ordered best-first, so the first `depth` entries are the top.
  const it = side.entries();
  for (let r = it.next(); !r.done; r = it.next()) {
    out.push({ price: r.value[0], size: r.value[1] });
    if (out.length >= depth) break;
  }
  return out;
}
