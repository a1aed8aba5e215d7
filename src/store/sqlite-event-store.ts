import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Subject, type Observable } from 'rxjs';
import { InvalidEventError, type NewEvent, type RecordedEvent } from '../../events/envelope.js';
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
  type StoredEventRef,
  type StoredEventRow,
} from './append-rules.js';
import { catchUpThenLive } from './catch-up-then-live.js';

export type SqliteSynchronous = 'full' | 'normal';

export interface SqliteEventStoreOptions {
  /** 'full' (default): a commit is on disk when append resolves. 'normal': WAL may lose the last commits on power loss, never corrupts. */
  readonly synchronous?: SqliteSynchronous;
  /** How often subscribers look for events committed through other connections. Default 100. */
  readonly pollIntervalMs?: number;
  /** How long a statement waits for another connection's write lock before failing. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** Events per read while a subscriber catches up. Default 500. */
  readonly catchUpPageSize?: number;
}

export interface SqliteEventStoreDiagnostics {
  readonly path: string;
  readonly journalMode: string;
  readonly synchronous: SqliteSynchronous;
  readonly busyTimeoutMs: number;
  readonly schemaVersion: number;
}

/** Marks the file as ours ('MMES'), so a foreign SQLite database is refused rather than written into. */
const APPLICATION_ID = 0x4d4d4553;

/**
 * Schema versions live in PRAGMA user_version. (SQLite's own `schema_version`
 * pragma is an internal change counter that must never be written.) Entry i
 * migrates version i to version i + 1.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     -- AUTOINCREMENT: positions start at 1 and are never reused, even after a delete.
     position INTEGER PRIMARY KEY AUTOINCREMENT,
     stream   TEXT    NOT NULL,
     revision INTEGER NOT NULL,
     id       TEXT    NOT NULL UNIQUE,
     type     TEXT    NOT NULL,
     version  INTEGER NOT NULL,
     time     TEXT    NOT NULL,
     data     TEXT    NOT NULL,
     metadata TEXT    NOT NULL
   ) STRICT;
   -- Reads a stream in revision order, and is the last line of defence against two writers taking one revision.
   CREATE UNIQUE INDEX events_stream_revision ON events (stream, revision);`,
];
const SCHEMA_VERSION = SQLITE_MIGRATIONS.length;

const EVENT_COLUMNS = 'position, stream, revision, id, type, version, time, data, metadata';
/** SQLite's "no limit". */
const NO_LIMIT = -1;

type SerialisedEvent = ReturnType<typeof serialiseEvent>;
type InsertParams = [stream: string, revision: number, id: string, type: string, version: number, time: string, data: string, metadata: string];

/**
 * The embedded default EventStore: one SQLite file in WAL mode via
 * better-sqlite3. Several instances (connections, processes) may share a file:
 * appends run in BEGIN IMMEDIATE transactions, so they serialise on SQLite's
 * write lock, and the unique (stream, revision) index makes a duplicate
 * revision impossible even for a writer that skipped the checks.
 */
export class SqliteEventStore implements EventStore {
  private readonly commits = new Subject<void>();
  private closed = false;
  private readonly pollIntervalMs: number;
  private readonly catchUpPageSize: number;
  private readonly statements: Statements;
  private readonly appendTransaction: Database.Transaction<(stream: string, rows: readonly SerialisedEvent[], expected: ExpectedRevision) => AppendResult>;

  /** Open (creating the file and its parent directory if needed) and migrate the schema. Throws StoreUnavailableError. */
  static open(path: string, options: SqliteEventStoreOptions = {}): SqliteEventStore {
    const synchronous = options.synchronous ?? 'full';
    if (synchronous !== 'full' && synchronous !== 'normal') throw new RangeError(`synchronous must be 'full' or 'normal', got ${String(synchronous)}`);
    const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
    for (const [name, value, min] of [
      ['busyTimeoutMs', busyTimeoutMs, 0],
      ['pollIntervalMs', options.pollIntervalMs ?? 100, 1],
      ['catchUpPageSize', options.catchUpPageSize ?? 500, 1],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
    }

    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { timeout: busyTimeoutMs });
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      // Refuse a foreign or newer file before writing anything to it, the WAL switch included. Fails with SQLITE_NOTADB for a non-database.
      checkOwnership(db, path);
      const journalMode = db.pragma('journal_mode = WAL', { simple: true });
      if (journalMode !== 'wal') throw new Error(`could not switch to WAL journal mode (got ${String(journalMode)})`);
      db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
      migrate(db, path);
      return new SqliteEventStore(db, path, options);
    } catch (error) {
      db?.close();
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(`cannot open sqlite event store at ${path}: ${messageOf(error)}`, { cause: error });
    }
  }

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
    options: SqliteEventStoreOptions,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.catchUpPageSize = options.catchUpPageSize ?? 500;
    this.statements = prepareStatements(db);
    this.appendTransaction = db.transaction((stream: string, rows: readonly SerialisedEvent[], expected: ExpectedRevision): AppendResult => {
      const retry = classifyRetry(
        stream,
        rows,
        rows.map((row) => this.statements.byId.get(row.id)),
      );
      if (retry) return appendResultOf(retry);
      const head = this.statements.head.get(stream);
      checkExpectedRevision(stream, expected, head?.revision ?? null);
      let last = head;
      for (const row of rows) {
        const revision = (last?.revision ?? -1) + 1;
        const { lastInsertRowid } = this.statements.insert.run(stream, revision, row.id, row.type, row.version, row.time, row.data, row.metadata);
        last = { stream, revision, position: Number(lastInsertRowid) };
      }
      return appendResultOf(last);
    });
  }

  async append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    this.ensureOpen();
    checkAppendArguments(stream, events, expectedRevision);
    const rows = events.map(serialiseEvent);
    let result: AppendResult;
    try {
      // IMMEDIATE takes the write lock before the revision check, so the check and the insert see one state of the stream.
      result = this.appendTransaction.immediate(stream, rows, expectedRevision);
    } catch (error) {
      throw this.appendFailure(error, stream, rows, expectedRevision);
    }
    if (rows.length > 0) this.commits.next();
    return result;
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.ensureOpen();
    assertStreamName(stream);
    assertReadOptions(options);
    const rows = this.guard('readStream', () => this.statements.readStream.all(stream, options.fromRevision ?? 0, options.maxCount ?? NO_LIMIT));
    return rows.map(decodeStoredRow);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.ensureOpen();
    assertReadOptions(options);
    const rows = this.guard('readAll', () => this.statements.readAll.all(options.after ?? 0, options.maxCount ?? NO_LIMIT));
    return rows.map(decodeStoredRow);
  }

  async streamRevision(stream: string): Promise<number | null> {
    this.ensureOpen();
    assertStreamName(stream);
    return this.guard('streamRevision', () => this.statements.head.get(stream)?.revision ?? null);
  }

  async listStreams(): Promise<string[]> {
    this.ensureOpen();
    return sortStreamNames(this.guard('listStreams', () => this.statements.streams.all()));
  }

  /** Live delivery wakes at once on appends through this instance, and polls for appends through any other connection. */
  subscribe(options: { readonly after?: number } = {}): Observable<RecordedEvent> {
    return catchUpThenLive(
      {
        readAfter: (after, limit) => {
          this.ensureOpen();
          return this.guard('subscribe', () => this.statements.readAll.all(after, limit));
        },
        commits: this.commits,
        pageSize: this.catchUpPageSize,
        pollIntervalMs: this.pollIntervalMs,
      },
      options.after,
    );
  }

  /** Completes live subscriptions, then closes the connection (checkpointing the WAL). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.commits.complete();
    this.guard('close', () => this.db.close());
  }

  /** Settings in force on this connection, for health checks and tests. */
  diagnostics(): SqliteEventStoreDiagnostics {
    this.ensureOpen();
    return this.guard('diagnostics', () => ({
      path: this.path,
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      // Only FULL (2) and NORMAL (1) are ever set by open().
      synchronous: Number(this.db.pragma('synchronous', { simple: true })) === 1 ? 'normal' : 'full',
      busyTimeoutMs: Number(this.db.pragma('busy_timeout', { simple: true })),
      schemaVersion: Number(this.db.pragma('user_version', { simple: true })),
    }));
  }

  private ensureOpen(): void {
    if (this.closed) throw new StoreUnavailableError(`sqlite event store at ${this.path} is closed`);
  }

  /** Run a database call; storage failures become StoreUnavailableError, everything else passes through. */
  private guard<T>(operation: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      throw this.storageFailure(error, operation);
    }
  }

  private storageFailure(error: unknown, operation: string): unknown {
    const fromSqlite = isSqliteError(error) || (error instanceof TypeError && !this.db.open);
    if (!fromSqlite) return error;
    return new StoreUnavailableError(`sqlite event store at ${this.path}: ${operation} failed: ${messageOf(error)}`, { cause: error });
  }

  private appendFailure(error: unknown, stream: string, rows: ReadonlyArray<{ id: string }>, expected: ExpectedRevision): unknown {
    if (
      error instanceof WrongExpectedRevisionError ||
      error instanceof IdempotencyConflictError ||
      error instanceof InvalidEventError ||
      !isSqliteError(error) ||
      !error.code.startsWith('SQLITE_CONSTRAINT')
    ) {
      return this.storageFailure(error, 'append');
    }
    // Only a writer that bypassed BEGIN IMMEDIATE can get here; the unique indexes still decide who lost.
    if (error.message.includes('events.stream, events.revision')) {
      let actual: number | null = null;
      try {
        actual = this.statements.head.get(stream)?.revision ?? null;
      } catch {
        // The revision is only for the message; the conflict itself is certain.
      }
      return new WrongExpectedRevisionError(stream, expected, actual);
    }
    if (error.message.includes('events.id')) return new IdempotencyConflictError(stream, rows.map((row) => row.id));
    return this.storageFailure(error, 'append');
  }
}

/**
 * Recognised by shape, not `instanceof`: the native addon keeps the error class
 * (and realm) of the first module instance that loaded it, so where JS modules
 * are loaded more than once per process (Jest gives each test file its own
 * module registry and realm) `instanceof` misses.
 */
function isSqliteError(error: unknown): error is Error & { code: string } {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown; message?: unknown };
  return e.name === 'SqliteError' && typeof e.code === 'string' && typeof e.message === 'string';
}

function prepareStatements(db: Database.Database) {
  return {
    head: db.prepare<[string], StoredEventRef>('SELECT stream, revision, position FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1'),
    byId: db.prepare<[string], StoredEventRef>('SELECT stream, revision, position FROM events WHERE id = ?'),
    insert: db.prepare<InsertParams>('INSERT INTO events (stream, revision, id, type, version, time, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    readStream: db.prepare<[string, number, number], StoredEventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
    ),
    readAll: db.prepare<[number, number], StoredEventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`),
    streams: db.prepare<[], string>('SELECT DISTINCT stream FROM events').pluck(),
  };
}
type Statements = ReturnType<typeof prepareStatements>;

/** Returns the file's schema version; throws if the file is another application's database or from a newer build. */
function checkOwnership(db: Database.Database, path: string): number {
  const version = Number(db.pragma('user_version', { simple: true }));
  const applicationId = Number(db.pragma('application_id', { simple: true }));
  if (version > SCHEMA_VERSION) {
    throw new StoreUnavailableError(`sqlite event store at ${path} has schema version ${version}, newer than this build understands (${SCHEMA_VERSION})`);
  }
  const empty = Number(db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").pluck().get()) === 0;
  const ours = version === 0 ? empty && (applicationId === 0 || applicationId === APPLICATION_ID) : applicationId === APPLICATION_ID;
  if (!ours) throw new StoreUnavailableError(`${path} is an SQLite database but not an event store; refusing to open it`);
  return version;
}

function migrate(db: Database.Database, path: string): void {
  db.transaction(() => {
    // Checked again under the write lock: another process may have migrated since.
    const version = checkOwnership(db, path);
    for (let v = version; v < SCHEMA_VERSION; v += 1) db.exec(SQLITE_MIGRATIONS[v] ?? '');
    if (version !== SCHEMA_VERSION) {
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }
  }).immediate();
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
