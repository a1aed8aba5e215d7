import { validate as isUuid } from 'uuid';
import { eventCatalog, isEventType } from '../../events/catalog.js';
import { assertValidNewEvent, decodeRecordedEvent, InvalidEventError, type NewEvent, type RecordedEvent } from '../../events/envelope.js';
import {
  IdempotencyConflictError,
  WrongExpectedRevisionError,
  type AppendResult,
  type ExpectedRevision,
  type ReadAllOptions,
  type ReadStreamOptions,
} from './event-store.js';

/*
 * Append and read rules shared by the embedded adapters (memory and SQLite),
 * so both enforce one set of rules.
 */


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

export const isNonNegativeInteger = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

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
