/**
 * Time is injected everywhere. The shape matches XState's `clock` option so the
 * same object drives actor timers, heartbeats and event timestamps.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export class WallClock implements Clock {
  now(): number {
    return Date.now();
  }
  setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown {
    return setTimeout(fn, ms);
  }
  clearTimeout(id: unknown): void {
    clearTimeout(id as NodeJS.Timeout);
  }
}

interface PendingTimer {
  id: number;
  due: number;
  fn: (...args: unknown[]) => void;
}

/**
 * Simulated time for backtests: nothing happens until `advanceTo` is called
 * with the next data timestamp. Due timers fire in (due, creation) order, with
 * `now()` equal to their due time, so a run is deterministic.
 */
export class VirtualClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: PendingTimer[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown {
    const timer = { id: this.nextId++, due: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(id: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Move time forward, firing every timer due on the way. Time never goes back. */
  advanceTo(time: number): void {
    if (time < this.current) return;
    for (;;) {
      const next = this.earliestDue(time);
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.due;
      next.fn();
    }
    this.current = time;
  }

  pendingTimers(): number {
    return this.timers.length;
  }

  private earliestDue(limit: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers) {
      if (t.due > limit) continue;
      if (!best || t.due < best.due || (t.due === best.due && t.id < best.id)) best = t;
    }
    return best;
  }
}
