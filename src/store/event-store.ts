import type { Observable } from 'rxjs';
import type { NewEvent, RecordedEvent } from '../../events/envelope.js';

/**
 * Expected revision of the stream before the append (0-based revision of its
 * last event), or a named condition. Mirrors EventStoreDB's semantics so the
 * adapters share one contract.
 */
export type ExpectedRevision = number | 'any' | 'no_stream' | 'stream_exists';

export interface AppendResult {
  /** Revision of the last event now in the stream. */
  readonly nextExpectedRevision: number;
  /** Global position of the last event appended (or already present, for an idempotent retry). */
  readonly position: number;
}

export interface ReadStreamOptions {
  /** First revision to return (inclusive). Default 0. */
  readonly fromRevision?: number;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Return events with a global position strictly greater than this. Default: from the start. */
  readonly after?: number;
  readonly maxCount?: number;
}

export interface EventStore {
  /**
   * Append atomically. Fails with WrongExpectedRevisionError when the stream is
   * not at `expectedRevision`. Appending events whose ids are already stored in
   * that stream, in the same order, is an idempotent no-op.
   */
  append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  /** Events of one stream in revision order. An absent stream reads as empty. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Events of all streams in global position order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Revision of the stream's last event, or null when the stream does not exist. */
  streamRevision(stream: string): Promise<number | null>;
  /** Names of all streams, sorted. */
  listStreams(): Promise<string[]>;
  /** Catch up from `after` (exclusive), then stay live. Errors (e.g. an invalid event) end the stream. */
  subscribe(options?: { readonly after?: number }): Observable<RecordedEvent>;
  close(): Promise<void>;
}

export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | null,
  ) {
    super(`append to "${stream}" expected revision ${String(expected)} but the stream is at ${actual === null ? 'no stream' : actual}`);
  }
}

/** Some but not all of the appended event ids already exist: neither a retry nor a new append. */
export class IdempotencyConflictError extends Error {
  override readonly name = 'IdempotencyConflictError';
  constructor(
    readonly stream: string,
    readonly eventIds: readonly string[],
  ) {
    super(`append to "${stream}" partly repeats events already stored (${eventIds.join(', ')})`);
  }
}

/** The store could not do its job (I/O, corruption, closed). The caller must go to a safe state. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
