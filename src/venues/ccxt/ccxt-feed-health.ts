/**
 * The health of one market-data feed: `feed-problem` when something breaks
 * (each kind once per outage: 'gap' on a disconnect or a sequence gap,
 * 'crossed', and 'stale' when no update arrived within `maxAgeMs`) and one
 * `feed-recovered` when data flows again. Time is the injected clock's.
 */
import type { Clock } from '../../clock/clock.js';
import type { FeedProblemEvent, FeedProblemKind, FeedRecoveredEvent } from '../../market-data/market-event.js';

export interface FeedHealthOptions {
  readonly venue: string;
  readonly symbol: string;
  readonly clock: Clock;
  readonly maxAgeMs: number;
  readonly emit: (event: FeedProblemEvent | FeedRecoveredEvent) => void;
}

export class FeedHealth {
  private lastDataAt = 0;
  private timer: unknown = null;
  private outage: { readonly since: number; readonly kinds: Set<FeedProblemKind> } | null = null;
  private running = false;

  constructor(private readonly o: FeedHealthOptions) {}

  /** Starts the staleness watch: no data within maxAgeMs from now is already a problem. */
  start(): void {
    this.running = true;
    this.lastDataAt = this.o.clock.now();
    this.arm(this.o.maxAgeMs);
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  get healthy(): boolean {
    return this.outage === null;
  }

  /** Trustworthy data arrived. Closes an open outage with one feed-recovered. */
  data(recoveredDetail: string): void {
    this.lastDataAt = this.o.clock.now();
    if (this.outage) {
      const { since, kinds } = this.outage;
      this.outage = null;
      this.o.emit({
        kind: 'feed-recovered',
        venue: this.o.venue,
        symbol: this.o.symbol,
        ts: this.lastDataAt,
        detail: `${recoveredDetail} (after ${[...kinds].join(', ')}; down ${this.lastDataAt - since} ms)`,
      });
    }
    if (this.timer === null && this.running) this.arm(this.o.maxAgeMs);
  }

  /** Something broke; reported once per kind until the feed recovers. */
  problem(problem: FeedProblemKind, detail: string): void {
    const ts = this.o.clock.now();
    if (!this.outage) this.outage = { since: ts, kinds: new Set() };
    if (this.outage.kinds.has(problem)) return;
    this.outage.kinds.add(problem);
    this.o.emit({ kind: 'feed-problem', venue: this.o.venue, symbol: this.o.symbol, ts, problem, detail });
  }

  private arm(ms: number): void {
    this.timer = this.o.clock.setTimeout(() => this.check(), Math.max(1, ms));
  }

  /** One timer, re-armed for what is left of the window rather than on every message. */
  private check(): void {
    this.timer = null;
    if (!this.running) return;
    const age = this.o.clock.now() - this.lastDataAt;
    if (age >= this.o.maxAgeMs) {
      this.problem('stale', `no update for ${age} ms (max ${this.o.maxAgeMs} ms)`);
      // Re-armed by the next data.
      return;
    }
    this.arm(this.o.maxAgeMs - age);
  }
}
