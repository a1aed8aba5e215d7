/**
 * A FIFO of actions due at given clock times: the simulated venue's latency.
 *
 * Every action runs at (or, on a wall clock, just after) its due time, from a
 * timer on the injected Clock, in (due, scheduling) order: two actions due at
 * the same time run in the order they were scheduled, so a fill scheduled
 * before the book that caused it is delivered before it. Only one clock timer
 * is armed at a time, for the earliest due action.
 *
 * On a VirtualClock nothing runs until the driver advances the clock;
 * `nextDue()` tells it where the next action is, so it can step there and let
 * the consumers react at that time (see TradingSession.advanceTo).
 */
import type { Clock } from '../clock/clock.js';

interface Entry {
  readonly due: number;
  readonly run: () => void;
}

export class DelayLine {
  private queue: Entry[] = [];
  private timer: unknown = undefined;
  private timerDue: number | undefined = undefined;

  constructor(private readonly clock: Clock) {}

  /** Runs `run` `delayMs` from now (clock time). A delay <= 0 still waits for the clock's next timer turn. */
  schedule(delayMs: number, run: () => void): void {
    const due = this.clock.now() + Math.max(0, delayMs);
    // Stable insertion: after every entry due at or before `due`.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.queue[mid] as Entry).due <= due) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, { due, run });
    this.arm();
  }

  /** Clock time of the earliest pending action, if any. */
  nextDue(): number | undefined {
    return this.queue[0]?.due;
  }

  get pending(): number {
    return this.queue.length;
  }

  private arm(): void {
    const head = this.queue[0];
    if (head === undefined) {
      if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.timerDue = undefined;
      return;
    }
    if (this.timer !== undefined && this.timerDue === head.due) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerDue = head.due;
    this.timer = this.clock.setTimeout(() => this.fire(), head.due - this.clock.now());
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDue = undefined;
    const now = this.clock.now();
    // Actions scheduled while running (a reply after an effect) are picked up if already due.
    for (let head = this.queue[0]; head !== undefined && head.due <= now; head = this.queue[0]) {
      this.queue.shift();
      head.run();
    }
    this.arm();
  }
}
