/*
 * Storage core of the EventStoreDB EMULATOR (see eventstoredb-emulator.ts).
 * This is NOT EventStoreDB: an in-memory log that reproduces, for the gRPC
 * Streams operations our adapter uses, what EventStoreDB decides:
 *
 * - $all positions are log offsets: each record starts where the previous one
 *   ended (a size estimated like EventStoreDB's prepare records), so they are
 *   strictly increasing and not dense. Commit and prepare positions are equal,
 *   as they are for every event EventStoreDB writes through gRPC.
 * - The expected-version and idempotency rules are a port of EventStoreDB's
 *   IndexWriter.CheckCommit (v21+): with a specific expected version lower
 *   than the stream's, the ids are compared with the events stored right after
 *   it (a full or prefix match is an idempotent success, a partial one is a
 *   wrong expected version); with `any` or `stream_exists` they are looked up
 *   in a bounded cache of recently committed event ids, so idempotency is best
 *   effort once ids fall out of it; when the expected version equals the
 *   current one the events are written, even if their ids are already stored
 *   (EventStoreDB does not index event ids).
 * - An idempotent success reports the last event of the batch as found in the
 *   stream and its position (EventStoreDB's IdempotentLogPosition).
 *
 * Not implemented: deletes, tombstones, stream metadata semantics (only the
 * "a metadata stream makes the stream exist for stream_exists" rule), $maxAge
 * and truncation, scavenging, explicit transactions, link resolution, ACLs.
 */

export const EXPECTED_NO_STREAM = -1;
export const EXPECTED_ANY = -2;
export const EXPECTED_STREAM_EXISTS = -4;

export interface ProposedEvent {
  readonly id: string;
  readonly type: string;
  readonly isJson: boolean;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
}

export interface LogRecord extends ProposedEvent {
  readonly stream: string;
  readonly revision: number;
  /** Commit and prepare position: the record's offset in the log. */
  readonly position: bigint;
  /** .NET ticks (100 ns) since the Unix epoch, as the server reports `created`. */
  readonly created: bigint;
}

export type WriteOutcome =
  | { readonly kind: 'success'; readonly lastRevision: number; readonly position: bigint | undefined }
  | { readonly kind: 'wrong-expected-version'; readonly currentRevision: number };

export type RecordPatch = Partial<Pick<ProposedEvent, 'type' | 'isJson' | 'data' | 'metadata'>>;

export interface EmulatorLogOptions {
  readonly firstPosition: bigint;
  /** Entries of the committed-event-id cache the `any`/`stream_exists` idempotency check uses. */
  readonly committedEventsCacheSize: number;
  readonly now: () => number;
}

type Decision =
  | { readonly decision: 'ok'; readonly current: number }
  | { readonly decision: 'idempotent'; readonly end: number }
  | { readonly decision: 'wrong-expected-version'; readonly current: number };

const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Roughly the bytes of a v2 prepare record: fixed fields plus stream, type, data and metadata. */
const recordSize = (stream: string, event: ProposedEvent): bigint =>
  BigInt(88 + utf8Length(stream) + utf8Length(event.type) + event.data.length + event.metadata.length);

export class EmulatorLog {
  private readonly records: LogRecord[] = [];
  private readonly streams = new Map<string, LogRecord[]>();
  private readonly committedEvents = new Map<string, { readonly stream: string; readonly revision: number }>();
  private readonly listeners = new Set<() => void>();
  private nextPosition: bigint;

  constructor(private readonly options: EmulatorLogOptions) {
    this.nextPosition = options.firstPosition;
  }

  /** Every record in $all order. */
  get all(): readonly LogRecord[] {
    return this.records;
  }

  stream(name: string): readonly LogRecord[] | undefined {
    return this.streams.get(name);
  }

  /** Position the next record will get: what the server reports as the end of $all. */
  get endPosition(): bigint {
    return this.nextPosition;
  }

  /** Called after every commit, once the records are visible. */
  onCommit(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  write(stream: string, expected: number, events: readonly ProposedEvent[]): WriteOutcome {
    const check = this.checkCommit(stream, expected, events.map((e) => e.id));
    if (check.decision === 'wrong-expected-version') return { kind: 'wrong-expected-version', currentRevision: check.current };
    if (check.decision === 'idempotent') {
      const last = this.streams.get(stream)?.[check.end];
      return { kind: 'success', lastRevision: check.end, position: last?.position };
    }
    if (events.length === 0) return { kind: 'success', lastRevision: check.current, position: undefined };

    let records = this.streams.get(stream);
    if (!records) {
      records = [];
      this.streams.set(stream, records);
    }
    const created = BigInt(this.options.now()) * 10_000n;
    let last: LogRecord | undefined;
    for (const event of events) {
      last = { ...event, stream, revision: records.length, position: this.nextPosition, created };
      this.nextPosition += recordSize(stream, event);
      records.push(last);
      this.records.push(last);
      this.remember(event.id, stream, last.revision);
    }
    for (const listener of [...this.listeners]) listener();
    return { kind: 'success', lastRevision: last?.revision ?? -1, position: last?.position };
  }

  /** Index in `all` of the first record at or after `position` (a forward read from a position includes it). */
  firstIndexAtOrAfter(position: bigint): number {
    let lo = 0;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.records[mid]?.position ?? 0n) < position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index in `all` of the first record strictly after `position` (catch-up subscriptions exclude their start). */
  firstIndexAfter(position: bigint): number {
    const i = this.firstIndexAtOrAfter(position);
    return this.records[i]?.position === position ? i + 1 : i;
  }

  /** Overwrite a stored record in place, as disk corruption or a foreign writer would: tests only. */
  patch(stream: string, revision: number, patch: RecordPatch): void {
    const records = this.streams.get(stream);
    const old = records?.[revision];
    if (!records || !old) throw new RangeError(`emulator: no event at revision ${revision} of "${stream}"`);
    const replacement: LogRecord = { ...old, ...patch };
    records[revision] = replacement;
    const i = this.firstIndexAtOrAfter(old.position);
    this.records[i] = replacement;
  }

  private remember(id: string, stream: string, revision: number): void {
    this.committedEvents.delete(id);
    this.committedEvents.set(id, { stream, revision });
    if (this.committedEvents.size > this.options.committedEventsCacheSize) {
      const oldest = this.committedEvents.keys().next();
      if (!oldest.done) this.committedEvents.delete(oldest.value);
    }
  }

  /** Port of IndexWriter.CheckCommit (deletes and transactions left out). */
  private checkCommit(stream: string, expected: number, ids: readonly string[]): Decision {
    const records = this.streams.get(stream);
    const metadataExists = (this.streams.get(`$$${stream}`)?.length ?? 0) > 0;
    if (!records && !metadataExists) {
      // Fast path for a stream never written.
      return expected === EXPECTED_ANY || expected === EXPECTED_NO_STREAM
        ? { decision: 'ok', current: -1 }
        : { decision: 'wrong-expected-version', current: -1 };
    }
    const current = (records?.length ?? 0) - 1;
    if (expected === EXPECTED_STREAM_EXISTS && current < 0 && !metadataExists) return { decision: 'wrong-expected-version', current };

    if (expected === EXPECTED_ANY || expected === EXPECTED_STREAM_EXISTS) {
      let end = -1;
      let first = true;
      for (const id of ids) {
        const info = this.committedEvents.get(id);
        if (!info || info.stream !== stream) {
          // A partly known batch is "corrupted idempotency", which the server answers as a wrong expected version.
          return first ? { decision: 'ok', current } : { decision: 'wrong-expected-version', current };
        }
        end = info.revision;
        first = false;
      }
      return first ? { decision: 'ok', current } : { decision: 'idempotent', end };
    }

    if (expected < current) {
      let revision = expected;
      for (const id of ids) {
        revision += 1;
        const info = this.committedEvents.get(id);
        if (info && info.stream === stream && info.revision === revision) continue;
        if (records?.[revision]?.id === id) continue;
        return { decision: 'wrong-expected-version', current };
      }
      if (revision === expected) return { decision: 'wrong-expected-version', current };
      return { decision: 'idempotent', end: revision };
    }
    if (expected > current) return { decision: 'wrong-expected-version', current };
    return { decision: 'ok', current };
  }
}
