import { setTimeout as sleep } from 'node:timers/promises';
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type EventData,
  type JSONType,
  type Position,
  type ReadPosition,
  type RecordedEvent as EsdbRecordedEvent,
  type StreamingRead,
} from '@eventstore/db-client';
import { Observable } from 'rxjs';
import { decodeRecordedEvent, InvalidEventError, type NewEvent, type RecordedEvent } from '../../events/envelope.js';
import {
  assertReadOptions,
  assertStreamName,
  checkAppendArguments,
  checkExpectedRevision,
  classifyRetry,
  isNonNegativeInteger,
  sortStreamNames,
  type StoredEventRef,
} from './append-rules.js';
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

/*
 * EventStore on EventStoreDB (22.6 or later, gRPC) through @eventstore/db-client.
 *
 * Mapping. Each of our events is one EventStoreDB event: our UUID is its event
 * id, our type its type, our data its JSON data (content type
 * application/json), and its JSON metadata is our metadata plus `version`
 * (schema version) and `time` (the event's own time), split apart again on
 * read. Revisions are EventStoreDB stream revisions; positions are $all commit
 * positions (log offsets: increasing, not dense), as JS numbers. Reads of $all
 * and subscriptions skip system events (type starting with "$") and system
 * streams (name starting with "$"). Every event read is validated by
 * decodeRecordedEvent, so a bad one is an InvalidEventError naming its stream
 * and revision.
 *
 * Where EventStoreDB and our contract differ, and what this adapter adds:
 *
 * - Idempotency. EventStoreDB recognises a repeated append by event id only in
 *   some cases: with a specific expected revision lower than the stream's, it
 *   compares the ids with the events stored right after that revision (all or
 *   a leading part of them matching = success with the original result;
 *   otherwise "wrong expected version"); with `any`/`stream_exists` it looks
 *   the ids up in a bounded in-memory cache of recently committed ids (best
 *   effort); with an expected revision equal to the current one, or on a new
 *   stream, it writes the events even if their ids are already stored, earlier
 *   in the stream or in another one (it keeps no index of event ids). The
 *   contract wants a repeated batch recognised whatever the expected revision,
 *   a partly repeated batch, a reordered one or ids stored in another stream
 *   rejected with IdempotencyConflictError. This adapter adds:
 *     1. an in-process cache of the ids it appended or read (bounded,
 *        `idCacheSize`), checked before sending: an exact repeat returns the
 *        original result without writing, any other overlap is an
 *        IdempotencyConflictError;
 *     2. on "wrong expected version", a scan of the newest `conflictScanLimit`
 *        events of the stream for the batch's ids: an exact repeat returns the
 *        original result, an overlap is an IdempotencyConflictError, no overlap
 *        is a WrongExpectedRevisionError with the stream's current revision.
 *   What remains EventStoreDB's behaviour: a batch whose ids are neither in
 *   this process's cache nor found by EventStoreDB's own check (e.g. a retry
 *   from another process with expected revision = current, or with `any` after
 *   EventStoreDB's id cache evicted them) is written again; ids already stored
 *   in another stream are only detected when this process saw them.
 * - Retries. UNAVAILABLE (including connection refused and a dropped
 *   connection), DEADLINE_EXCEEDED, the server's commit timeout, a server-side
 *   cancel and "Server Is Not Ready/Too Busy" are retried with bounded
 *   exponential backoff (`retryAttempts`, `retryBaseDelayMs`,
 *   `retryMaxDelayMs`); then, and for any other server error, the operation
 *   fails with StoreUnavailableError carrying the cause. Appends are safe to
 *   retry: the same ids with the same expected revision are recognised by
 *   EventStoreDB as a repeat and answered with the original result. (The
 *   client shares one table of pending BatchAppend calls per process, so a
 *   dropped connection fails every append in flight, other stores' too; they
 *   are retried like any other.)
 * - Empty appends are not sent: the adapter reads the stream's last event and
 *   checks the expected revision itself, so the result carries that event's
 *   position (the contract's answer for an empty append).
 * - Positions of stream reads need EventStoreDB 22.6 or later (older servers
 *   report no $all position for events read from a stream); a position beyond
 *   Number.MAX_SAFE_INTEGER (about 9 PB of log) fails with
 *   StoreUnavailableError rather than losing precision.
 * - `after` for readAll/subscribe must be 0 or a position this store
 *   returned: EventStoreDB reads $all from log positions and makes no promise
 *   for an offset inside a record.
 * - listStreams reads the whole of $all (EventStoreDB lists streams only
 *   through the optional $streams system projection): O(log size).
 * - subscribe is one catch-up subscription to $all from `after` (exclusive)
 *   filtered server-side on event type (excludeSystemEvents), then live; a
 *   consumer resumes after a failure by subscribing again from the last
 *   position it processed. It does not resubscribe by itself: any error ends
 *   the Observable.
 * - The 6.2.1 client ignores `tlsVerifyCert=false` (it prints a warning); use
 *   `tlsCAFile` for a private CA.
 */

export interface EventStoreDbEventStoreOptions {
  /** Attempts per operation when the failure is transient. Default 3. */
  readonly retryAttempts?: number;
  /** First backoff; doubles each attempt. Default 50. */
  readonly retryBaseDelayMs?: number;
  /** Cap on one backoff. Default 1000. */
  readonly retryMaxDelayMs?: number;
  /** Events per $all read while paging (at least 2). Default 1000. */
  readonly readPageSize?: number;
  /** Event ids this instance remembers for idempotency checks. Default 65,536. */
  readonly idCacheSize?: number;
  /** Newest events of a stream searched for a batch's ids after a "wrong expected version". Default 4096. */
  readonly conflictScanLimit?: number;
}

/** The connection string is malformed (the client's own parser rejected it). */
export class InvalidConnectionStringError extends Error {
  override readonly name = 'InvalidConnectionStringError';
}

interface KnownEvent {
  readonly stream: string;
  readonly revision: number;
  /** -1 when only the revision is known (an event before the last of an appended batch). */
  readonly position: number;
}

type AppendAttempt = { readonly kind: 'written'; readonly revision: bigint; readonly commit: bigint | undefined } | { readonly kind: 'conflict'; readonly actual: number | null };

/** What EventStoreDB reports instead of a position on stream reads before 22.6. */
const NO_POSITION = 0xffff_ffff_ffff_ffffn;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Client error types (CommandError.type) worth retrying. */
const TRANSIENT_TYPES = new Set(['unavailable', 'deadline-exceeded', 'timeout', 'cancelled']);
/** gRPC status codes worth retrying when an error reaches us unconverted: UNAVAILABLE, DEADLINE_EXCEEDED. */
const TRANSIENT_CODES = new Set([14, 4]);

/*
 * Client errors are recognised by shape (their `type` string, or a gRPC
 * `code`), not by class: the client may be loaded in another module registry
 * or realm than this file (Jest gives each test file its own), where
 * `instanceof` misses.
 */
const errorField = (error: unknown, field: string): unknown =>
  typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[field] : undefined;
const errorType = (error: unknown): string | undefined => {
  const type = errorField(error, 'type');
  return typeof type === 'string' ? type : undefined;
};
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : typeof errorField(error, 'message') === 'string' ? String(errorField(error, 'message')) : String(error));
const isStreamNotFound = (error: unknown): boolean => errorType(error) === 'stream-not-found';

function isTransient(error: unknown): boolean {
  const type = errorType(error);
  if (type !== undefined) {
    // BatchAppend reports a node that is not ready as an "unknown" error with this text.
    return TRANSIENT_TYPES.has(type) || (type === 'unknown' && /Server Is (Not Ready|Too Busy|Busy)/.test(messageOf(error)));
  }
  const code = errorField(error, 'code');
  return typeof code === 'number' && TRANSIENT_CODES.has(code);
}

/** Errors this adapter raises on purpose: never wrapped, never retried. */
const isOwnError = (error: unknown): boolean =>
  error instanceof StoreUnavailableError ||
  error instanceof WrongExpectedRevisionError ||
  error instanceof IdempotencyConflictError ||
  error instanceof InvalidEventError ||
  error instanceof RangeError;

/** Hide a password in `esdb://user:password@host` before it reaches a message or a log. */
export const redactConnectionString = (connectionString: string): string => connectionString.replace(/(\/\/[^:/@,?]+):[^@/]*@/, '$1:***@');

const isSystemEvent = (event: EsdbRecordedEvent): boolean => event.streamId.startsWith('$') || event.type.startsWith('$');

function toExpected(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

function toNumber(value: bigint, what: string): number {
  if (value < 0n || value > MAX_SAFE) {
    throw new StoreUnavailableError(`EventStoreDB reported ${what} ${value}, beyond what this adapter can represent exactly (Number.MAX_SAFE_INTEGER)`);
  }
  return Number(value);
}

function positionOf(event: EsdbRecordedEvent): number {
  const commit = event.position?.commit;
  if (commit === undefined || commit === NO_POSITION) {
    throw new StoreUnavailableError(
      `EventStoreDB did not report the $all position of event ${event.revision} of "${event.streamId}"; this adapter needs EventStoreDB 22.6 or later`,
    );
  }
  return toNumber(commit, 'the position');
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => Object.prototype.toString.call(value) === '[object Object]';

function jsonProblem(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    return messageOf(error);
  }
}

/** Our envelope, back from an EventStoreDB event, validated. */
function decodeEvent(event: EsdbRecordedEvent, revision: number, position: number): RecordedEvent {
  const fail = (problem: string): never => {
    throw new InvalidEventError(event.streamId, revision, event.type, problem);
  };
  if (!event.isJson) return fail('data: stored as binary (application/octet-stream), not JSON');
  let data: unknown = event.data;
  if (typeof data === 'string') {
    // The client hands back the raw text when the JSON does not parse; a string that parses was a JSON string literal.
    const problem = jsonProblem(data);
    if (problem !== undefined) fail(`data: not valid JSON (${problem})`);
  }
  const rawMetadata: unknown = event.metadata;
  if (rawMetadata === undefined) return fail('metadata: missing (no schema version and time)');
  if (ArrayBuffer.isView(rawMetadata)) {
    const text = Buffer.from(rawMetadata.buffer, rawMetadata.byteOffset, rawMetadata.byteLength).toString('utf8');
    return fail(`metadata: not valid JSON (${jsonProblem(text) ?? 'not an object'})`);
  }
  if (!isPlainObject(rawMetadata)) return fail('metadata: not a JSON object');
  const { version, time, ...metadata } = rawMetadata;
  if (typeof version !== 'number') return fail('metadata: "version" is missing or not a number');
  if (typeof time !== 'string') return fail('metadata: "time" is missing or not a string');
  return decodeRecordedEvent({ stream: event.streamId, revision, position, id: event.id, type: event.type, version, time, data, metadata });
}

function toEsdbEvent(event: NewEvent): EventData {
  return jsonEvent({
    id: event.id,
    type: event.type,
    data: event.data as JSONType,
    metadata: { ...event.metadata, version: event.version, time: event.time },
  });
}

export class EventStoreDbEventStore implements EventStore {
  private closed = false;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly pageSize: number;
  private readonly idCacheSize: number;
  private readonly conflictScanLimit: number;
  /** Ids this instance appended or read, oldest first (a Map keeps insertion order). */
  private readonly known = new Map<string, KnownEvent>();
  private readonly liveSubscriptions = new Set<() => void>();
  /** The connection string with any password hidden. */
  readonly target: string;

  /** Create the client; it connects on first use. Throws InvalidConnectionStringError or RangeError. */
  static open(connectionString: string, options: EventStoreDbEventStoreOptions = {}): EventStoreDbEventStore {
    let client: EventStoreDBClient;
    try {
      client = EventStoreDBClient.connectionString(connectionString);
    } catch (error) {
      throw new InvalidConnectionStringError(`invalid EventStoreDB connection string ${redactConnectionString(connectionString)}: ${messageOf(error)}`, { cause: error });
    }
    return new EventStoreDbEventStore(client, redactConnectionString(connectionString), options);
  }

  private constructor(
    private readonly client: EventStoreDBClient,
    target: string,
    options: EventStoreDbEventStoreOptions,
  ) {
    this.target = target;
    const setting = (name: string, value: number | undefined, fallback: number, min: number): number => {
      const v = value ?? fallback;
      if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${String(v)}`);
      return v;
    };
    this.attempts = setting('retryAttempts', options.retryAttempts, 3, 1);
    this.baseDelayMs = setting('retryBaseDelayMs', options.retryBaseDelayMs, 50, 0);
    this.maxDelayMs = setting('retryMaxDelayMs', options.retryMaxDelayMs, 1_000, 0);
    // A page restarts at the last event of the previous one (reads are inclusive), so it must hold at least two.
    this.pageSize = setting('readPageSize', options.readPageSize, 1_000, 2);
    this.idCacheSize = setting('idCacheSize', options.idCacheSize, 65_536, 0);
    this.conflictScanLimit = setting('conflictScanLimit', options.conflictScanLimit, 4_096, 1);
  }

  async append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    this.ensureOpen();
    checkAppendArguments(stream, events, expectedRevision);
    if (events.length === 0) return this.emptyAppend(stream, expectedRevision);

    // 1. A repeat of events this instance already saw: answered without writing.
    const seen = classifyRetry(
      stream,
      events,
      events.map((event) => this.known.get(event.id.toLowerCase())),
    );
    if (seen) return this.resultFor(stream, seen, events[events.length - 1]?.id ?? '');

    // 2. Ask the server; a retried attempt whose first try committed is recognised by EventStoreDB by id.
    const proposed = events.map(toEsdbEvent);
    const attempt = await this.withRetry('append', async (): Promise<AppendAttempt> => {
      try {
        const result = await this.client.appendToStream(stream, proposed, { expectedRevision: toExpected(expectedRevision) });
        return { kind: 'written', revision: result.nextExpectedRevision, commit: result.position?.commit };
      } catch (error) {
        if (errorType(error) !== 'wrong-expected-version') throw error;
        const actual = errorField(error, 'actualVersion');
        return { kind: 'conflict', actual: typeof actual === 'bigint' ? toNumber(actual, 'the revision') : null };
      }
    });

    if (attempt.kind === 'conflict') return this.resolveConflict(stream, events, expectedRevision, attempt.actual);
    const last = toNumber(attempt.revision, 'the revision');
    const position = attempt.commit === undefined ? await this.positionAt(stream, last) : toNumber(attempt.commit, 'the position');
    events.forEach((event, i) => this.remember(event.id, { stream, revision: last - events.length + 1 + i, position: i === events.length - 1 ? position : -1 }));
    return { nextExpectedRevision: last, position };
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.ensureOpen();
    assertStreamName(stream);
    assertReadOptions(options);
    if (options.maxCount === 0) return [];
    return this.withRetry('readStream', async () => {
      const events: RecordedEvent[] = [];
      try {
        await this.consume(
          this.client.readStream(stream, { fromRevision: BigInt(options.fromRevision ?? 0), direction: FORWARDS, maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER }),
          ({ event }) => {
            if (!event) return;
            const revision = toNumber(event.revision, 'the revision');
            const position = positionOf(event);
            this.remember(event.id, { stream, revision, position });
            events.push(decodeEvent(event, revision, position));
          },
        );
      } catch (error) {
        if (isStreamNotFound(error)) return [];
        throw error;
      }
      return events;
    });
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.ensureOpen();
    assertReadOptions(options);
    const maxCount = options.maxCount ?? Number.POSITIVE_INFINITY;
    if (maxCount === 0) return [];
    return this.withRetry('readAll', async () => {
      const events: RecordedEvent[] = [];
      await this.scanAll(options.after ?? 0, (event, position) => {
        events.push(decodeEvent(event, toNumber(event.revision, 'the revision'), position));
        return events.length < maxCount;
      });
      return events;
    });
  }

  async streamRevision(stream: string): Promise<number | null> {
    this.ensureOpen();
    assertStreamName(stream);
    return (await this.head(stream))?.revision ?? null;
  }

  async listStreams(): Promise<string[]> {
    this.ensureOpen();
    return this.withRetry('listStreams', async () => {
      const names = new Set<string>();
      await this.scanAll(0, (event) => {
        names.add(event.streamId);
      });
      return sortStreamNames(names);
    });
  }

  subscribe(options: { readonly after?: number } = {}): Observable<RecordedEvent> {
    return new Observable<RecordedEvent>((subscriber) => {
      const after = options.after ?? 0;
      if (!isNonNegativeInteger(after)) {
        subscriber.error(new RangeError(`after must be a non-negative integer, got ${String(after)}`));
        return undefined;
      }
      if (this.closed) {
        subscriber.error(this.closedError());
        return undefined;
      }
      const from: ReadPosition = after === 0 ? START : { commit: BigInt(after), prepare: BigInt(after) };
      const subscription = this.client.subscribeToAll({ fromPosition: from, filter: excludeSystemEvents() });
      let cursor = after;
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        this.liveSubscriptions.delete(completeOnClose);
        // Cancels the server-side subscription.
        subscription.unsubscribe().catch(() => undefined);
      };
      const completeOnClose = (): void => {
        end();
        subscriber.complete();
      };
      this.liveSubscriptions.add(completeOnClose);

      subscription.on('data', (resolved: AllStreamResolvedEvent) => {
        if (ended) return;
        try {
          const event = resolved.event;
          if (!event) return;
          const position = positionOf(event);
          // The server excludes `after` and never repeats; this only guards the contract.
          if (position <= cursor || isSystemEvent(event)) return;
          const decoded = decodeEvent(event, toNumber(event.revision, 'the revision'), position);
          cursor = position;
          subscriber.next(decoded);
        } catch (error) {
          end();
          subscriber.error(error);
        }
      });
      subscription.on('error', (error: unknown) => {
        if (ended) return;
        end();
        subscriber.error(this.closed ? this.closedError() : this.unavailable('subscribe', error));
      });
      // A subscription never ends by itself: the server (or something under the client) dropped it.
      const dropped = (): void => {
        if (ended) return;
        end();
        subscriber.error(this.closed ? this.closedError() : new StoreUnavailableError(`eventstoredb ${this.target}: the server ended the subscription`));
      };
      subscription.on('end', dropped);
      subscription.on('close', dropped);
      return end;
    });
  }

  /** Completes live subscriptions, then disposes the client. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const complete of [...this.liveSubscriptions]) complete();
    await this.client.dispose().catch(() => undefined);
  }

  // ---------------------------------------------------------------------------

  private ensureOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private closedError(): StoreUnavailableError {
    return new StoreUnavailableError(`eventstoredb event store ${this.target} is closed`);
  }

  private unavailable(operation: string, error: unknown, attempts?: number): StoreUnavailableError {
    const tries = attempts === undefined || attempts === 1 ? '' : ` after ${attempts} attempts`;
    return new StoreUnavailableError(`eventstoredb ${this.target}: ${operation} failed${tries}: ${messageOf(error)}`, { cause: error });
  }

  /** Run a client call; retry transient failures with bounded exponential backoff; anything else from the client becomes StoreUnavailableError. */
  private async withRetry<T>(operation: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      this.ensureOpen();
      try {
        return await run();
      } catch (error) {
        if (isOwnError(error)) throw error;
        if (this.closed) throw this.closedError();
        if (!isTransient(error) || attempt >= this.attempts) throw this.unavailable(operation, error, attempt);
        await sleep(Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  /** Drain a client read; `visit` returns false to stop early, which cancels the server-side read. */
  private async consume<E>(read: StreamingRead<E>, visit: (item: E) => boolean | void): Promise<void> {
    let finished = false;
    try {
      for await (const item of read) {
        if (visit(item as E) === false) return;
      }
      finished = true;
    } finally {
      if (!finished) await read.cancel().catch(() => undefined);
    }
  }

  /** Non-system events of $all with position > after, in pages; stops when `visit` returns false. */
  private async scanAll(after: number, visit: (event: EsdbRecordedEvent, position: number) => boolean | void): Promise<void> {
    let from: ReadPosition = after === 0 ? START : { commit: BigInt(after), prepare: BigInt(after) };
    let cursor = after;
    for (;;) {
      let scanned = 0;
      let last: Position | undefined;
      let stopped = false;
      await this.consume(this.client.readAll({ fromPosition: from, direction: FORWARDS, maxCount: this.pageSize }), ({ event }) => {
        scanned += 1;
        if (!event) return;
        const position = positionOf(event);
        last = { commit: BigInt(position), prepare: event.position?.prepare ?? BigInt(position) };
        // A forward read of $all includes its start position.
        if (position <= cursor || isSystemEvent(event)) return;
        if (visit(event, position) === false) {
          stopped = true;
          return false;
        }
      });
      if (stopped || scanned < this.pageSize || last === undefined) return;
      const next = Number(last.commit);
      if (next <= cursor) throw new StoreUnavailableError(`eventstoredb ${this.target}: reading $all made no progress at position ${cursor}`);
      from = last;
      cursor = next;
    }
  }

  /** The stream's last event, or null when the stream does not exist. */
  private async head(stream: string): Promise<KnownEvent | null> {
    return this.withRetry('streamRevision', async () => {
      let head: KnownEvent | null = null;
      try {
        await this.consume(this.client.readStream(stream, { fromRevision: END, direction: BACKWARDS, maxCount: 1 }), ({ event }) => {
          if (event) head = { stream, revision: toNumber(event.revision, 'the revision'), position: positionOf(event) };
        });
      } catch (error) {
        if (isStreamNotFound(error)) return null;
        throw error;
      }
      return head;
    });
  }

  private async positionAt(stream: string, revision: number): Promise<number> {
    const [position] = await this.withRetry('append', async () => {
      const found: number[] = [];
      await this.consume(this.client.readStream(stream, { fromRevision: BigInt(revision), direction: FORWARDS, maxCount: 1 }), ({ event }) => {
        if (event) found.push(positionOf(event));
      });
      return found;
    });
    if (position === undefined) throw new StoreUnavailableError(`eventstoredb ${this.target}: event ${revision} of "${stream}" vanished after it was written`);
    return position;
  }

  /** The original result of a repeated batch, from where its last event is stored. */
  private async resultFor(stream: string, last: StoredEventRef, lastId: string): Promise<AppendResult> {
    if (last.position >= 0) return { nextExpectedRevision: last.revision, position: last.position };
    const position = await this.positionAt(stream, last.revision);
    this.remember(lastId, { stream, revision: last.revision, position });
    return { nextExpectedRevision: last.revision, position };
  }

  private async emptyAppend(stream: string, expected: ExpectedRevision): Promise<AppendResult> {
    const head = await this.head(stream);
    checkExpectedRevision(stream, expected, head?.revision ?? null);
    return head ? { nextExpectedRevision: head.revision, position: head.position } : { nextExpectedRevision: -1, position: 0 };
  }

  /**
   * EventStoreDB answered "wrong expected version": either another writer got
   * there first, or (part of) this batch is already stored where EventStoreDB
   * did not look. Search the stream's newest events for the batch's ids.
   */
  private async resolveConflict(stream: string, events: readonly NewEvent[], expected: ExpectedRevision, actual: number | null): Promise<AppendResult> {
    const wanted = new Set(events.map((event) => event.id.toLowerCase()));
    const stored = await this.withRetry('append', async () => {
      const found = new Map<string, KnownEvent>();
      try {
        await this.consume(
          this.client.readStream(stream, { fromRevision: END, direction: BACKWARDS, maxCount: this.conflictScanLimit }),
          ({ event }) => {
            if (!event || !wanted.has(event.id)) return;
            found.set(event.id, { stream, revision: toNumber(event.revision, 'the revision'), position: positionOf(event) });
            return found.size < wanted.size;
          },
        );
      } catch (error) {
        if (!isStreamNotFound(error)) throw error;
      }
      return found;
    });
    for (const [id, known] of stored) this.remember(id, known);
    const repeat = classifyRetry(
      stream,
      events,
      events.map((event) => stored.get(event.id.toLowerCase()) ?? this.known.get(event.id.toLowerCase())),
    );
    if (repeat) return this.resultFor(stream, repeat, events[events.length - 1]?.id ?? '');
    throw new WrongExpectedRevisionError(stream, expected, actual);
  }

  private remember(id: string, event: KnownEvent): void {
    if (this.idCacheSize === 0 || id === '') return;
    const key = id.toLowerCase();
    const previous = this.known.get(key);
    // Keep a known position rather than overwrite it with "unknown".
    const entry = previous && previous.stream === event.stream && previous.revision === event.revision && event.position < 0 ? previous : event;
    this.known.delete(key);
    this.known.set(key, entry);
    if (this.known.size > this.idCacheSize) {
      const oldest = this.known.keys().next();
      if (!oldest.done) this.known.delete(oldest.value);
    }
  }
}
