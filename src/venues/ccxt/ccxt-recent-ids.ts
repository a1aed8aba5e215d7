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
