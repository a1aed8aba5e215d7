import { Subject, type Observable } from 'rxjs';
import type { NewEvent, RecordedEvent } from '../../events/envelope.js';
import {
  appendResultOf,
  assertReadOptions,
  assertStreamName,
  checkAppendArguments,
  checkExpectedRevision,
  classifyRetry,
  decodeStoredRow,
  serialiseEvent,
  sortStreamNames,
  type StoredEventPatch,
  type StoredEventRow,
} from './append-rules.js';
import { catchUpThenLive } from './catch-up-then-live.js';
import { StoreUnavailableError, type AppendResult, type EventStore, type ExpectedRevision, type ReadAllOptions, type ReadStreamOptions } from './event-store.js';

type MutableRow = { -readonly [K in keyof StoredEventRow]: StoredEventRow[K] };

/**
 * In-memory EventStore for unit tests. Same contract as the SQLite adapter:
 * events are validated on append, stored as JSON text and decoded on every
 * read, so nothing a caller holds aliases the log. Subscribers get an append's
 * events synchronously, before append() returns.
 */
export class MemoryEventStore implements EventStore {
  private readonly log: MutableRow[] = [];
  private readonly streams = new Map<string, MutableRow[]>();
  private readonly byId = new Map<string, MutableRow>();
  private readonly commits = new Subject<void>();
  private closed = false;

  async append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    this.ensureOpen();
    checkAppendArguments(stream, events, expectedRevision);
    const serialised = events.map(serialiseEvent);
    const retry = classifyRetry(
      stream,
      events,
      events.map((event) => this.byId.get(event.id)),
    );
    if (retry) return appendResultOf(retry);
    const existing = this.streams.get(stream);
    const last = existing?.at(-1);
    checkExpectedRevision(stream, expectedRevision, last?.revision ?? null);
    if (serialised.length === 0) return appendResultOf(last);

    const rows = serialised.map((fields, i): MutableRow => ({ ...fields, stream, revision: (last?.revision ?? -1) + 1 + i, position: this.log.length + 1 + i }));
    const streamRows = existing ?? [];
    for (const row of rows) {
      this.log.push(row);
      streamRows.push(row);
      this.byId.set(row.id, row);
    }
    this.streams.set(stream, streamRows);
    this.commits.next();
    return appendResultOf(rows.at(-1));
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.ensureOpen();
    assertStreamName(stream);
    assertReadOptions(options);
    const from = options.fromRevision ?? 0;
    const rows = this.streams.get(stream) ?? [];
    return rows.slice(from, options.maxCount === undefined ? undefined : from + options.maxCount).map(decodeStoredRow);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.ensureOpen();
    assertReadOptions(options);
    const after = options.after ?? 0;
    // Positions are 1-based and dense here, so position p sits at index p - 1.
    return this.log.slice(after, after + (options.maxCount ?? this.log.length)).map(decodeStoredRow);
  }

  async streamRevision(stream: string): Promise<number | null> {
    this.ensureOpen();
    assertStreamName(stream);
    return this.streams.get(stream)?.at(-1)?.revision ?? null;
  }

  async listStreams(): Promise<string[]> {
    this.ensureOpen();
    return sortStreamNames(this.streams.keys());
  }

  subscribe(options: { readonly after?: number } = {}): Observable<RecordedEvent> {
    return catchUpThenLive(
      {
        readAfter: (after, limit) => {
          this.ensureOpen();
          return this.log.slice(after, after + limit);
        },
        commits: this.commits,
        pageSize: Number.MAX_SAFE_INTEGER,
      },
      options.after,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.commits.complete();
  }

  /**
   * Test hook: overwrite stored columns of one event, as disk corruption or a
   * buggy writer would, so tests can check that reads reject it. Memory store only.
   */
  corruptForTest(stream: string, revision: number, patch: StoredEventPatch): void {
    const row = this.streams.get(stream)?.[revision];
    if (!row) throw new RangeError(`no event at revision ${revision} of stream "${stream}"`);
    Object.assign(row, patch);
  }

  private ensureOpen(): void {
    if (this.closed) throw new StoreUnavailableError('memory event store is closed');
  }
}
