import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  CheckpointConflictError,
  type ReadModelCheckpoint,
  type ReadModelCommit,
  type ReadModelStore,
  type StoredReadModels,
} from '../../projections/read-model-store.js';
import {
  READ_MODEL_COLUMNS,
  READ_MODEL_TABLES,
  type ReadModelSnapshot,
  type ReadModelTable,
  type RememberedKind,
  type StoredStreamProjection,
} from '../../projections/read-models.js';
import { StoreUnavailableError } from './event-store.js';
import type { SqliteSynchronous } from './sqlite-event-store.js';
import { InvalidStoreUrlError, parseStoreUrl } from './store-url.js';

export interface SqliteReadModelStoreOptions {
  /** 'full' (default): a commit is on disk when it resolves. 'normal': survives a process crash, not a power cut. */
  readonly synchronous?: SqliteSynchronous;
  /** How long a statement waits for another connection's write lock. Default 5000. */
  readonly busyTimeoutMs?: number;
}

/** Marks the file as read models ('MMRM'): never an event store ('MMES') or a stranger's database. */
const APPLICATION_ID = 0x4d4d524d;

/** The SQL name of each read-model table. */
export const READ_MODEL_TABLE_NAMES: { readonly [T in ReadModelTable]: string } = {
  inventory: 'read_inventory',
  pnl: 'read_pnl',
  performance: 'read_performance',
};

/**
 * Versions live in PRAGMA user_version; entry i migrates version i to i + 1.
 * Written out (not generated) so the schema a tool reads is here to read; open()
 * checks the columns against READ_MODEL_COLUMNS, so the two cannot drift.
 * Decimals are TEXT: exact, and what the projections compute.
 */
export const READ_MODEL_MIGRATIONS: readonly string[] = [
  `CREATE TABLE read_inventory (
     stream       TEXT NOT NULL PRIMARY KEY,
     pair_id      TEXT,
     venue        TEXT,
     symbol       TEXT,
     base         TEXT,
     quote        TEXT,
     position     TEXT NOT NULL,
     average_cost TEXT NOT NULL,
     realized_pnl TEXT NOT NULL,
     fills        INTEGER NOT NULL,
     bought_base  TEXT NOT NULL,
     sold_base    TEXT NOT NULL
   ) STRICT;
   CREATE TABLE read_pnl (
     stream         TEXT NOT NULL PRIMARY KEY,
     pair_id        TEXT,
     realized_pnl   TEXT NOT NULL,
     unrealized_pnl TEXT NOT NULL,
     mark_price     TEXT,
     fees           TEXT NOT NULL,
     net_pnl        TEXT NOT NULL
   ) STRICT;
   CREATE TABLE read_performance (
     stream                 TEXT NOT NULL PRIMARY KEY,
     pair_id                TEXT,
     state                  TEXT NOT NULL,
     decisions              INTEGER NOT NULL,
     orders_placed          INTEGER NOT NULL,
     orders_acknowledged    INTEGER NOT NULL,
     orders_rejected        INTEGER NOT NULL,
     orders_cancelled       INTEGER NOT NULL,
     orders_filled          INTEGER NOT NULL,
     orders_fully_filled    INTEGER NOT NULL,
     fill_ratio             TEXT NOT NULL,
     fills                  INTEGER NOT NULL,
     maker_fills            INTEGER NOT NULL,
     taker_fills            INTEGER NOT NULL,
     repeated_fills         INTEGER NOT NULL,
     volume_base            TEXT NOT NULL,
     turnover_quote         TEXT NOT NULL,
     fees                   TEXT NOT NULL,
     state_changes          INTEGER NOT NULL,
     pauses                 INTEGER NOT NULL,
     pauses_by_reason       TEXT NOT NULL,
     resumes                INTEGER NOT NULL,
     shocks                 INTEGER NOT NULL,
     shock_rearms           INTEGER NOT NULL,
     shocks_cleared         INTEGER NOT NULL,
     liquidations           INTEGER NOT NULL,
     liquidations_completed INTEGER NOT NULL
   ) STRICT;
   -- The fold state of each stream (JSON), so a restart continues the fold without re-reading the log.
   CREATE TABLE projection_state (
     stream       TEXT NOT NULL PRIMARY KEY,
     revision     INTEGER NOT NULL,
     log_position INTEGER NOT NULL,
     state        TEXT NOT NULL
   ) STRICT;
   -- Keys applied once and for ever (trade ids, filled orders). The primary key refuses a second application.
   CREATE TABLE projection_seen (
     stream TEXT NOT NULL,
     kind   TEXT NOT NULL,
     key    TEXT NOT NULL,
     PRIMARY KEY (stream, kind, key)
   ) STRICT, WITHOUT ROWID;
   -- One row: the global position (and id) of the last applied event, written in the same transaction as the rows.
   CREATE TABLE projection_checkpoint (
     id             INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
     position       INTEGER NOT NULL,
     events_applied INTEGER NOT NULL,
     event_id       TEXT
   ) STRICT;
   INSERT INTO projection_checkpoint (id, position, events_applied, event_id) VALUES (1, 0, 0, NULL);`,
];
const SCHEMA_VERSION = READ_MODEL_MIGRATIONS.length;

const REMEMBERED_KINDS: readonly RememberedKind[] = ['trade-id', 'filled-order'];

/**
 * The SQLite adapter of ReadModelStore (better-sqlite3, WAL). A commit is one
 * BEGIN IMMEDIATE transaction holding the rows, the fold state, the new
 * remembered keys and, last, the checkpoint: with synchronous=FULL it is on
 * disk when commit() resolves, and a kill at any moment leaves either all of it
 * or none of it. Readers (other processes, plain SQL tools) see whole commits.
 */
export class SqliteReadModelStore implements ReadModelStore {
  private closed = false;
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly commitTransaction: Database.Transaction<(batch: ReadModelCommit) => void>;
  private readonly readAllTransaction: Database.Transaction<() => StoredReadModels>;

  /** Open (creating the file and its directory if needed) and migrate. `:memory:` gives a private in-memory database. Throws StoreUnavailableError. */
  static open(path: string, options: SqliteReadModelStoreOptions = {}): SqliteReadModelStore {
    const synchronous = options.synchronous ?? 'full';
    if (synchronous !== 'full' && synchronous !== 'normal') throw new RangeError(`synchronous must be 'full' or 'normal', got ${String(synchronous)}`);
    const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
    if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new RangeError(`busyTimeoutMs must be an integer >= 0, got ${String(busyTimeoutMs)}`);
    const inMemory = path === ':memory:';
    let db: Database.Database | undefined;
    try {
      if (!inMemory) mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { timeout: busyTimeoutMs });
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      checkOwnership(db, path);
      if (!inMemory) {
        const journalMode = db.pragma('journal_mode = WAL', { simple: true });
        if (journalMode !== 'wal') throw new Error(`could not switch to WAL journal mode (got ${String(journalMode)})`);
      }
      db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
      migrate(db, path);
      checkColumns(db, path);
      return new SqliteReadModelStore(db, path);
    } catch (error) {
      db?.close();
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(`cannot open sqlite read models at ${path}: ${messageOf(error)}`, { cause: error });
    }
  }

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {
    const statements = prepareStatements(db);
    this.statements = statements;
    this.commitTransaction = db.transaction((batch: ReadModelCommit) => {
      const current = statements.checkpoint.get();
      if (!current) throw new StoreUnavailableError(`sqlite read models at ${path}: the checkpoint row is missing`);
      if (current.position !== batch.expectedCheckpoint) throw new CheckpointConflictError(batch.expectedCheckpoint, current.position);
      for (const s of batch.streams) {
        for (const u of s.upserts) statements.upsert[u.table].run(u.row);
        statements.saveState.run(s.stream, s.revision, s.logPosition, s.state);
        for (const k of s.remembered) statements.remember.run(s.stream, k.kind, k.key);
      }
      // Last: a failure anywhere above leaves the checkpoint where it was, along with everything else.
      statements.advance.run(batch.checkpoint, batch.events, batch.checkpointEventId);
    });
    this.readAllTransaction = db.transaction((): StoredReadModels => {
      const checkpoint = statements.checkpoint.get();
      if (!checkpoint) throw new StoreUnavailableError(`sqlite read models at ${path}: the checkpoint row is missing`);
      const rows = Object.fromEntries(READ_MODEL_TABLES.map((t) => [t, statements.readTable[t].all()])) as unknown as ReadModelSnapshot;
      return { position: checkpoint.position, eventsApplied: checkpoint.events_applied, eventId: checkpoint.event_id, rows };
    });
  }

  async checkpoint(): Promise<ReadModelCheckpoint> {
    const row = this.guard('checkpoint', () => this.statements.checkpoint.get());
    if (!row) throw new StoreUnavailableError(`sqlite read models at ${this.path}: the checkpoint row is missing`);
    return { position: row.position, eventsApplied: row.events_applied, eventId: row.event_id };
  }

  async loadStream(stream: string): Promise<StoredStreamProjection | null> {
    return this.guard('loadStream', () => {
      const state = this.statements.loadState.get(stream);
      if (!state) return null;
      const remembered: Record<RememberedKind, string[]> = { 'trade-id': [], 'filled-order': [] };
      for (const row of this.statements.loadSeen.all(stream)) {
        if (!REMEMBERED_KINDS.includes(row.kind as RememberedKind)) throw new StoreUnavailableError(`sqlite read models at ${this.path}: unknown remembered kind "${row.kind}"`);
        remembered[row.kind as RememberedKind].push(row.key);
      }
      return { stream, revision: state.revision, logPosition: state.log_position, state: state.state, remembered };
    });
  }

  async commit(batch: ReadModelCommit): Promise<void> {
    if (!Number.isSafeInteger(batch.checkpoint) || batch.checkpoint <= batch.expectedCheckpoint) {
      throw new RangeError(`a commit must move the checkpoint forward (from ${batch.expectedCheckpoint} to ${batch.checkpoint})`);
    }
    // IMMEDIATE: take the write lock before reading the checkpoint, so the compare and the write see one state.
    this.guard('commit', () => this.commitTransaction.immediate(batch));
  }

  async readAll(): Promise<StoredReadModels> {
    return this.guard('readAll', () => this.readAllTransaction());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.guard('close', () => this.db.close());
  }

  diagnostics(): { path: string; journalMode: string; synchronous: SqliteSynchronous; schemaVersion: number } {
    return this.guard('diagnostics', () => ({
      path: this.path,
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.db.pragma('synchronous', { simple: true })) === 1 ? 'normal' : 'full',
      schemaVersion: Number(this.db.pragma('user_version', { simple: true })),
    }));
  }

  private guard<T>(operation: string, run: () => T): T {
    if (this.closed && operation !== 'close') throw new StoreUnavailableError(`sqlite read models at ${this.path} are closed`);
    try {
      return run();
    } catch (error) {
      const fromSqlite = isSqliteError(error) || (error instanceof TypeError && !this.db.open);
      if (!fromSqlite) throw error;
      throw new StoreUnavailableError(`sqlite read models at ${this.path}: ${operation} failed: ${messageOf(error)}`, { cause: error });
    }
  }
}

/**
 * Open the read models a URL names: `sqlite:<path>[?sync=normal]`,
 * `sqlite:///<absolute path>`, or `memory:` (a private in-memory database,
 * for tests). Any other kind of store URL is refused. Rejects with
 * InvalidStoreUrlError or StoreUnavailableError.
 */
export async function openReadModelStore(url: string): Promise<SqliteReadModelStore> {
  const parsed = parseStoreUrl(url);
  switch (parsed.kind) {
    case 'memory':
      return SqliteReadModelStore.open(':memory:');
    case 'sqlite':
      return SqliteReadModelStore.open(parsed.path, { synchronous: parsed.synchronous });
    default:
      throw new InvalidStoreUrlError(url, `read models live in SQLite, not in ${parsed.kind}; use sqlite:<path>`);
  }
}

/** Every read-model row of an existing file, as plain objects, and its checkpoint. */
export async function readStoredReadModels(path: string): Promise<StoredReadModels> {
  if (path !== ':memory:' && !existsSync(path)) throw new StoreUnavailableError(`no read models at ${path}`);
  const store = SqliteReadModelStore.open(path);
  try {
    return await store.readAll();
  } finally {
    await store.close();
  }
}

/** Recognised by shape, not `instanceof`: better-sqlite3's error class belongs to the realm that first loaded it (see sqlite-event-store.ts). */
function isSqliteError(error: unknown): error is Error & { code: string } {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown; message?: unknown };
  return e.name === 'SqliteError' && typeof e.code === 'string' && typeof e.message === 'string';
}

interface CheckpointRow {
  readonly position: number;
  readonly events_applied: number;
  readonly event_id: string | null;
}
interface StateRow {
  readonly revision: number;
  readonly log_position: number;
  readonly state: string;
}

function prepareStatements(db: Database.Database) {
  const upsertOf = (table: ReadModelTable) => {
    const columns = Object.keys(READ_MODEL_COLUMNS[table]);
    const updates = columns.filter((c) => c !== 'stream').map((c) => `${c} = excluded.${c}`);
    return db.prepare<[object]>(
      `INSERT INTO ${READ_MODEL_TABLE_NAMES[table]} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})
       ON CONFLICT (stream) DO UPDATE SET ${updates.join(', ')}`,
    );
  };
  const readOf = (table: ReadModelTable) => db.prepare<[], object>(`SELECT ${Object.keys(READ_MODEL_COLUMNS[table]).join(', ')} FROM ${READ_MODEL_TABLE_NAMES[table]} ORDER BY stream`);
  return {
    checkpoint: db.prepare<[], CheckpointRow>('SELECT position, events_applied, event_id FROM projection_checkpoint WHERE id = 1'),
    advance: db.prepare<[number, number, string]>('UPDATE projection_checkpoint SET position = ?, events_applied = events_applied + ?, event_id = ? WHERE id = 1'),
    loadState: db.prepare<[string], StateRow>('SELECT revision, log_position, state FROM projection_state WHERE stream = ?'),
    saveState: db.prepare<[string, number, number, string]>(
      `INSERT INTO projection_state (stream, revision, log_position, state) VALUES (?, ?, ?, ?)
       ON CONFLICT (stream) DO UPDATE SET revision = excluded.revision, log_position = excluded.log_position, state = excluded.state`,
    ),
    loadSeen: db.prepare<[string], { kind: string; key: string }>('SELECT kind, key FROM projection_seen WHERE stream = ?'),
    remember: db.prepare<[string, string, string]>('INSERT INTO projection_seen (stream, kind, key) VALUES (?, ?, ?)'),
    upsert: { inventory: upsertOf('inventory'), pnl: upsertOf('pnl'), performance: upsertOf('performance') },
    readTable: { inventory: readOf('inventory'), pnl: readOf('pnl'), performance: readOf('performance') },
  };
}

function checkOwnership(db: Database.Database, path: string): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  const applicationId = Number(db.pragma('application_id', { simple: true }));
  if (version > SCHEMA_VERSION) {
    throw new StoreUnavailableError(`sqlite read models at ${path} have schema version ${version}, newer than this build understands (${SCHEMA_VERSION})`);
  }
  const empty = Number(db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").pluck().get()) === 0;
  const ours = version === 0 ? empty && (applicationId === 0 || applicationId === APPLICATION_ID) : applicationId === APPLICATION_ID;
  if (!ours) throw new StoreUnavailableError(`${path} is an SQLite database but not a read-model store (an event store, perhaps?); refusing to open it`);
}

function migrate(db: Database.Database, path: string): void {
  db.transaction(() => {
    checkOwnership(db, path);
    const version = Number(db.pragma('user_version', { simple: true }));
    for (let v = version; v < SCHEMA_VERSION; v += 1) db.exec(READ_MODEL_MIGRATIONS[v] ?? '');
    if (version !== SCHEMA_VERSION) {
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }
  }).immediate();
}

/** The tables must have exactly the columns the rows have, in order: the upserts bind by name. */
function checkColumns(db: Database.Database, path: string): void {
  for (const table of READ_MODEL_TABLES) {
    const name = READ_MODEL_TABLE_NAMES[table];
    const actual = db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${name}')`).all().map((c) => c.name);
    const expected = Object.keys(READ_MODEL_COLUMNS[table]);
    if (actual.join(',') !== expected.join(',')) {
      throw new StoreUnavailableError(`sqlite read models at ${path}: table ${name} has columns (${actual.join(', ')}), this build expects (${expected.join(', ')})`);
    }
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
