/** A bounded set of recently seen ids (trade ids), oldest forgotten first: de-duplication across streams and backfills. */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 20_000) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Adds the id; false when it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next();
      if (!oldest.done) this.ids.delete(oldest.value);
    }
    return true;
  }

  get size(): number {
    return this.ids.size;
  }
}

/** Numeric ids compare as numbers (Binance), others as strings. */
export function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The order trades (ours or public) are emitted in when a stream batch and a backfill are merged. */
export const byTimeThenId = (a: { timestamp: number; id: string }, b: { timestamp: number; id: string }): number => a.timestamp - b.timestamp || compareIds(a.id, b.id);
