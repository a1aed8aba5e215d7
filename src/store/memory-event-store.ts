import { Observable, Subject } from 'rxjs';
import { validate as isUuid } from 'uuid';
import { eventCatalog, isEventType } from '../../events/catalog.js';
import { assertValidNewEvent, decodeRecordedEvent, InvalidEventError, type NewEvent, type RecordedEvent } from '../../events/envelope.js';
import {
  IdempotencyConflictError,
  StoreUnavailableError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type ReadAllOptions,
  type ReadStreamOptions,
} from './event-store.js';

// ---------------------------------------------------------------------------
// Append and read rules shared by the embedded adapters (memory and SQLite).
// They live here because this module has no native dependency; the SQLite
// adapter imports them so both adapters enforce one set of rules.
// ---------------------------------------------------------------------------

/** One event as an embedded adapter stores it: data and metadata as JSON text, like a database row. */
export interface StoredEventRow {
  readonly position: number;
  readonly stream: string;
  readonly revision: number;
  readonly id: string;
  readonly type: string;
  readonly version: number;
  readonly time: string;
  readonly data: string;
  readonly metadata: string;
}

/** Columns a test may overwrite to simulate a corrupt log (data and metadata are raw JSON text). */
export type StoredEventPatch = Partial<Pick<StoredEventRow, 'type' | 'version' | 'time' | 'data' | 'metadata'>>;

/** Where an already stored event sits. */
export interface StoredEventRef {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
}

const isNonNegativeInteger = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

function assertExpectedRevision(expected: ExpectedRevision): void {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return;
  if (isNonNegativeInteger(expected)) return;
  throw new RangeError(
    `expected revision must be a non-negative integer, 'any', 'no_stream' or 'stream_exists', got ${JSON.stringify(expected) ?? String(expected)}`,
  );
}

export function assertStreamName(stream: string): void {
  if (typeof stream !== 'string' || stream.length === 0) throw new RangeError('stream name must be a non-empty string');
}

/** Options are checked, not clamped: a negative maxCount would mean "no limit" to SQLite. */
export function assertReadOptions(options: ReadStreamOptions & ReadAllOptions): void {
  for (const key of ['fromRevision', 'maxCount', 'after'] as const) {
    const value = options[key];
    if (value !== undefined && !isNonNegativeInteger(value)) throw new RangeError(`${key} must be a non-negative integer, got ${String(value)}`);
  }
}

/**
 * Everything that can be checked before touching storage, so a bad batch
 * never writes anything. Adds to assertValidNewEvent the checks it leaves out:
 * a known type, the current schema version, a UUID id (EventStoreDB requires
 * one, so every adapter does), and no id twice in one batch.
 */
export function checkAppendArguments(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): void {
  assertStreamName(stream);
  assertExpectedRevision(expectedRevision);
  if (!Array.isArray(events)) throw new TypeError('events must be an array');
  const seen = new Set<string>();
  const repeated: string[] = [];
  for (const event of events) {
    const type: string = event.type;
    if (!isEventType(type)) throw new InvalidEventError(stream, -1, type, `unknown event type "${type}"`);
    if (event.version !== eventCatalog[type].version) {
      throw new InvalidEventError(stream, -1, type, `schema version ${String(event.version)} is not the current one (${eventCatalog[type].version})`);
    }
    if (typeof event.id !== 'string' || !isUuid(event.id)) throw new InvalidEventError(stream, -1, type, `event id must be a UUID, got ${String(event.id)}`);
    assertValidNewEvent(stream, event);
    if (seen.has(event.id)) repeated.push(event.id);
    seen.add(event.id);
  }
  if (repeated.length > 0) throw new IdempotencyConflictError(stream, repeated);
}

export function checkExpectedRevision(stream: string, expected: ExpectedRevision, actual: number | null): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && actual === null) ||
    (expected === 'stream_exists' && actual !== null) ||
    (typeof expected === 'number' && expected === actual);
  if (!ok) throw new WrongExpectedRevisionError(stream, expected, actual);
}

/**
 * Decide what to do with a batch given where its ids are already stored
 * (`found[i]` for `events[i]`). Returns null when none is stored (a new
 * append), the last stored event when the batch is an exact retry (all ids, in
 * this stream, at consecutive revisions, in order), and throws
 * IdempotencyConflictError for anything in between. Like EventStoreDB, a retry
 * is recognised whatever the expected revision, so a writer whose first
 * attempt committed but whose reply was lost gets the original result.
 */
export function classifyRetry(
  stream: string,
  events: ReadonlyArray<{ readonly id: string }>,
  found: ReadonlyArray<StoredEventRef | undefined>,
): StoredEventRef | null {
  const stored = events.flatMap((event, i) => (found[i] ? [event.id] : []));
  if (stored.length === 0) return null;
  const first = found[0];
  const exactRetry =
    stored.length === events.length &&
    first !== undefined &&
    found.every((ref, i) => ref !== undefined && ref.stream === stream && ref.revision === first.revision + i);
  if (!exactRetry) throw new IdempotencyConflictError(stream, stored);
  return found[found.length - 1] ?? null;
}

/**
 * What an append of no events returns: the stream's last event, or -1 and 0
 * when it does not exist (the values just before the first revision and the
 * first position), so the result can still be fed back as "after".
 */
export const appendResultOf = (last: StoredEventRef | undefined): AppendResult =>
  last ? { nextExpectedRevision: last.revision, position: last.position } : { nextExpectedRevision: -1, position: 0 };

/** JSON text of data and metadata, computed before any write so a failure leaves nothing behind. */
export function serialiseEvent(event: NewEvent): Pick<StoredEventRow, 'id' | 'type' | 'version' | 'time' | 'data' | 'metadata'> {
  return { id: event.id, type: event.type, version: event.version, time: event.time, data: JSON.stringify(event.data), metadata: JSON.stringify(event.metadata) };
}

function parseJsonColumn(row: StoredEventRow, column: 'data' | 'metadata'): unknown {
  try {
    return JSON.parse(row[column]) as unknown;
  } catch (error) {
    throw new InvalidEventError(row.stream, row.revision, row.type, `${column}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** Validate a stored row; a corrupt row, JSON included, becomes InvalidEventError naming stream and revision. */
export function decodeStoredRow(row: StoredEventRow): RecordedEvent {
  return decodeRecordedEvent({
    stream: row.stream,
    revision: row.revision,
    position: row.position,
    id: row.id,
    type: row.type,
    version: row.version,
    time: row.time,
    data: parseJsonColumn(row, 'data'),
    metadata: parseJsonColumn(row, 'metadata'),
  });
}

/** Same order as every adapter's listStreams: UTF-16 code units, as Array.prototype.sort does. */
export const sortStreamNames = (names: Iterable<string>): string[] => [...names].sort();

export interface LiveSource {
  /** Up to `limit` stored rows with position > `after`, in position order; one consistent read. */
  readAfter(after: number, limit: number): readonly StoredEventRow[];
  /** Ticks after each commit through this store; completes when the store closes. */
  readonly commits: Observable<void>;
  /** Events per read; a full page means "more to catch up", so the next page waits for the event loop. */
  readonly pageSize: number;
  /** Also look for events committed elsewhere (another connection or process) this often. */
  readonly pollIntervalMs?: number;
}

/**
 * Catch up from `after` (exclusive), then stay live. The position cursor is
 * the only source of truth: a commit tick or a poll just says "read again
 * after the cursor", so an append racing the catch-up can be neither skipped
 * nor delivered twice. This relies on positions becoming visible in order,
 * which holds for one writer at a time (a memory array, SQLite's write lock).
 */
export function catchUpThenLive(source: LiveSource, after = 0): Observable<RecordedEvent> {
  return new Observable<RecordedEvent>((subscriber) => {
    if (!isNonNegativeInteger(after)) {
      subscriber.error(new RangeError(`after must be a non-negative integer, got ${String(after)}`));
      return undefined;
    }
    let cursor = after;
    let running = false;
    let wokenWhileRunning = false;
    let continuation: NodeJS.Immediate | undefined;

    const pump = (): void => {
      // A subscriber that appends from inside next() re-enters here; finish this page first.
      if (running) {
        wokenWhileRunning = true;
        return;
      }
      running = true;
      try {
        for (;;) {
          wokenWhileRunning = false;
          if (subscriber.closed) return;
          const page = source.readAfter(cursor, source.pageSize);
          for (const row of page) {
            if (subscriber.closed) return;
            // Decoded one at a time, so the events before a corrupt one are still delivered.
            const event = decodeStoredRow(row);
            cursor = event.position;
            subscriber.next(event);
          }
          if (page.length >= source.pageSize) {
            continuation ??= setImmediate(() => {
              continuation = undefined;
              pump();
            });
            return;
          }
          if (!wokenWhileRunning) return;
        }
      } catch (error) {
        subscriber.error(error);
      } finally {
        running = false;
      }
    };

    pump();
    const commits = source.commits.subscribe({ next: pump, complete: () => subscriber.complete() });
    const poll = source.pollIntervalMs === undefined || subscriber.closed ? undefined : setInterval(pump, source.pollIntervalMs);
    return () => {
      commits.unsubscribe();
      if (poll !== undefined) clearInterval(poll);
      if (continuation !== undefined) clearImmediate(continuation);
    };
  });
}

// ---------------------------------------------------------------------------

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
