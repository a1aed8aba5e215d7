import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, jest } from '@jest/globals';
import Database from 'better-sqlite3';
import type { RecordedEvent } from '../../events/envelope.js';
import { StoreUnavailableError, WrongExpectedRevisionError, type EventStore } from '../../src/store/event-store.js';
import type { StoredEventPatch } from '../../src/store/append-rules.js';
import { SqliteEventStore, type SqliteEventStoreOptions } from '../../src/store/sqlite-event-store.js';
import { describeEventStoreContract, eventsFor } from './event-store.contract.js';

const POLL_MS = 20;
const dir = mkdtempSync(join(tmpdir(), 'mm-sqlite-store-'));
let fileCounter = 0;
const freshPath = (): string => join(dir, `events-${++fileCounter}.db`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A second, plain connection to the store's file: what another process or a corrupting disk would do. */
function withRawConnection<T>(path: string, run: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    return run(db);
  } finally {
    db.close();
  }
}

const PATCHABLE = new Set<keyof StoredEventPatch>(['type', 'version', 'time', 'data', 'metadata']);

describeEventStoreContract('sqlite', {
  // A small page makes the catch-up span several pages, so appends can race it.
  create: async () => SqliteEventStore.open(freshPath(), { pollIntervalMs: POLL_MS, catchUpPageSize: 16 }),
  corrupt: async (store, stream, revision, patch) => {
    if (!(store instanceof SqliteEventStore)) throw new Error('harness got a store it did not create');
    const entries = Object.entries(patch).filter(([column]) => PATCHABLE.has(column as keyof StoredEventPatch));
    withRawConnection(store.path, (db) => {
      const set = entries.map(([column]) => `${column} = ?`).join(', ');
      const changed = db.prepare(`UPDATE events SET ${set} WHERE stream = ? AND revision = ?`).run(...entries.map(([, value]) => value), stream, revision);
      if (changed.changes !== 1) throw new Error(`no event at revision ${revision} of "${stream}"`);
    });
  },
  quietMs: POLL_MS * 3,
});

describe('SqliteEventStore', () => {
  const opened: EventStore[] = [];
  const open = (path: string, options: SqliteEventStoreOptions = {}): SqliteEventStore => {
    const store = SqliteEventStore.open(path, { pollIntervalMs: POLL_MS, ...options });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  describe('settings and schema', () => {
    it('runs in WAL mode, synchronous FULL by default, with a busy timeout and a schema version', () => {
      const path = freshPath();
      expect(open(path).diagnostics()).toEqual({ path, journalMode: 'wal', synchronous: 'full', busyTimeoutMs: 5_000, schemaVersion: 1 });
      expect(open(freshPath(), { synchronous: 'normal', busyTimeoutMs: 250 }).diagnostics()).toMatchObject({ synchronous: 'normal', busyTimeoutMs: 250 });
      // WAL is a property of the file, so another connection sees it too.
      withRawConnection(path, (db) => {
        expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(db.pragma('user_version', { simple: true })).toBe(1);
      });
    });

    it('creates the parent directory when it is missing', async () => {
      const store = open(join(dir, 'nested', 'deeper', 'events.db'));
      await store.append('pair-nested', eventsFor('pair-nested', 0, 1), 'no_stream');
      expect(await store.streamRevision('pair-nested')).toBe(0);
    });

    it('keeps the data across close and reopen, and positions continue', async () => {
      const path = freshPath();
      const first = open(path);
      await first.append('pair-a', eventsFor('pair-a', 0, 3), 'no_stream');
      const before = await first.readAll();
      await first.close();

      const reopened = open(path);
      expect(await reopened.readAll()).toEqual(before);
      const next = await reopened.append('pair-b', eventsFor('pair-b', 0, 1), 'no_stream');
      expect(next.position).toBe((before.at(-1)?.position ?? 0) + 1);
      expect(await reopened.append('pair-a', eventsFor('pair-a', 3, 1), 2)).toMatchObject({ nextExpectedRevision: 3 });
    });

    it('refuses a file that is not a database, without touching it', () => {
      const path = freshPath();
      const text = 'these are not the pages you are looking for\n'.repeat(200);
      writeFileSync(path, text);
      const error = captureSync(() => SqliteEventStore.open(path));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).cause).toMatchObject({ code: 'SQLITE_NOTADB' });
      expect(readFileSync(path, 'utf8')).toBe(text);
    });

    it('refuses another application’s database and a newer schema', () => {
      const foreign = freshPath();
      withRawConnection(foreign, (db) => db.exec('CREATE TABLE users (name TEXT)'));
      expect(captureSync(() => SqliteEventStore.open(foreign))).toBeInstanceOf(StoreUnavailableError);
      withRawConnection(foreign, (db) => expect(db.pragma('journal_mode', { simple: true })).toBe('delete'));

      const newer = freshPath();
      open(newer);
      withRawConnection(newer, (db) => db.pragma('user_version = 99'));
      const error = captureSync(() => SqliteEventStore.open(newer));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toContain('schema version 99');
    });

    it('reports a store it cannot write (write lock held past the busy timeout) as StoreUnavailableError with the cause', async () => {
      const path = freshPath();
      const store = open(path, { busyTimeoutMs: 30 });
      const blocker = new Database(path);
      try {
        blocker.exec('BEGIN IMMEDIATE');
        const error = await store.append('pair-busy', eventsFor('pair-busy', 0, 1), 'no_stream').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect((error as Error).cause).toMatchObject({ code: 'SQLITE_BUSY' });
        // WAL readers are not blocked by a writer.
        expect(await store.streamRevision('pair-busy')).toBeNull();
      } finally {
        blocker.exec('ROLLBACK');
        blocker.close();
      }
      await expect(store.append('pair-busy', eventsFor('pair-busy', 0, 1), 'no_stream')).resolves.toMatchObject({ nextExpectedRevision: 0 });
    });
  });

  describe('several connections on one file', () => {
    it('gives the loser of a cross-connection race WrongExpectedRevisionError, never a duplicate revision', async () => {
      const path = freshPath();
      const a = open(path);
      const b = open(path);
      await a.append('pair-shared', eventsFor('pair-shared', 0, 1, 'instance-a'), 'no_stream');
      const error = await b.append('pair-shared', eventsFor('pair-shared', 0, 1, 'instance-b'), 'no_stream').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(error).toMatchObject({ stream: 'pair-shared', expected: 'no_stream', actual: 0 });

      const outcomes = await Promise.allSettled([
        a.append('pair-shared', eventsFor('pair-shared', 1, 2, 'instance-a'), 0),
        b.append('pair-shared', eventsFor('pair-shared', 1, 2, 'instance-b'), 0),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect((await b.readStream('pair-shared')).map((e) => e.revision)).toEqual([0, 1, 2]);
    });

    it('lets the unique (stream, revision) index stop a writer that bypassed the revision check', async () => {
      const path = freshPath();
      const store = open(path);
      // A trigger plays a rogue writer that slips a row in at the same revision inside our transaction.
      withRawConnection(path, (db) =>
        db.exec(`CREATE TRIGGER rogue BEFORE INSERT ON events WHEN NEW.stream = 'pair-rogue' BEGIN
                   INSERT INTO events (stream, revision, id, type, version, time, data, metadata)
                   VALUES (NEW.stream, NEW.revision, NEW.id || '-rogue', NEW.type, NEW.version, NEW.time, NEW.data, NEW.metadata);
                 END`),
      );
      const error = await store.append('pair-rogue', eventsFor('pair-rogue', 0, 1), 'no_stream').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      withRawConnection(path, (db) => {
        expect(db.prepare("SELECT count(*) FROM events WHERE stream = 'pair-rogue'").pluck().get()).toBe(0);
        db.exec('DROP TRIGGER rogue');
      });
      await expect(store.append('pair-rogue', eventsFor('pair-rogue', 0, 1), 'no_stream')).resolves.toMatchObject({ nextExpectedRevision: 0 });
    });

    it('delivers to a subscriber on instance B what instance A appends (by polling)', async () => {
      const path = freshPath();
      const a = open(path);
      const b = open(path, { pollIntervalMs: POLL_MS });
      await a.append('pair-poll', eventsFor('pair-poll', 0, 2), 'no_stream');
      const seen: RecordedEvent[] = [];
      const enough = new Promise<void>((resolve, reject) => {
        const subscription = b.subscribe().subscribe({
          next: (event) => {
            seen.push(event);
            if (seen.length === 5) {
              subscription.unsubscribe();
              resolve();
            }
          },
          error: reject,
        });
      });
      await a.append('pair-poll', eventsFor('pair-poll', 2, 3), 1);
      await enough;
      expect(seen).toEqual(await a.readAll());
    });

    it('stops the poll timer on unsubscribe', async () => {
      const store = open(freshPath());
      const setSpy = jest.spyOn(globalThis, 'setInterval');
      const clearSpy = jest.spyOn(globalThis, 'clearInterval');
      try {
        const subscription = store.subscribe().subscribe(() => undefined);
        expect(setSpy).toHaveBeenCalledTimes(1);
        expect(setSpy.mock.calls[0]?.[1]).toBe(POLL_MS);
        const timer = setSpy.mock.results[0]?.value as ReturnType<typeof setInterval>;
        subscription.unsubscribe();
        expect(clearSpy).toHaveBeenCalledWith(timer);
      } finally {
        setSpy.mockRestore();
        clearSpy.mockRestore();
      }
    });

    it('never writes a duplicate revision when separate processes race on one stream', async () => {
      const path = freshPath();
      open(path); // create the schema once, so the writers only race on appends
      const root = fileURLToPath(new URL('../../', import.meta.url));
      const writers = ['p1', 'p2', 'p3'];
      const attempts = 30;
      const children = writers.map((writer) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', RACING_WRITER], {
          cwd: root,
          env: { ...process.env, STORE_PATH: path, WRITER: writer, ATTEMPTS: String(attempts), ROOT: root },
          stdio: ['pipe', 'pipe', 'inherit'],
        });
        let output = '';
        child.stdout.setEncoding('utf8');
        const ready = new Promise<void>((resolve) => {
          child.stdout.on('data', (chunk: string) => {
            output += chunk;
            if (output.includes('ready\n')) resolve();
          });
        });
        const exited = new Promise<{ wins: number; conflicts: number }>((resolve, reject) => {
          child.on('error', reject);
          child.on('exit', (code) => {
            if (code === 0) resolve(JSON.parse(output.slice(output.indexOf('ready\n') + 'ready\n'.length)) as { wins: number; conflicts: number });
            else reject(new Error(`writer ${writer} exited with ${String(code)}: ${output}`));
          });
        });
        return { child, ready, exited };
      });
      // Start together (module loading takes a while), so the writers really overlap.
      await Promise.all(children.map((c) => c.ready));
      for (const { child } of children) child.stdin.end('go');
      const results = await Promise.all(children.map((c) => c.exited));
      const stream = await open(path).readStream('pair-contended');
      const wins = results.reduce((sum, r) => sum + r.wins, 0);
      expect(results.every((r) => r.wins + r.conflicts === attempts)).toBe(true);
      expect(stream.map((e) => e.revision)).toEqual(stream.map((_, i) => i));
      expect(stream).toHaveLength(wins);
      // The writers did overlap; otherwise this test would prove nothing.
      expect(results.reduce((sum, r) => sum + r.conflicts, 0)).toBeGreaterThan(0);
    }, 30_000);
  });
});

function captureSync(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

/** One racing writer process: read the head, append at it, count wins and conflicts. Plain JS run by tsx. */
const RACING_WRITER = `
const root = process.env.ROOT;
const { SqliteEventStore } = await import(root + 'src/store/sqlite-event-store.ts');
const { WrongExpectedRevisionError } = await import(root + 'src/store/event-store.ts');
const { envelope, deriveEventId } = await import(root + 'events/envelope.ts');
const writer = process.env.WRITER;
const stream = 'pair-contended';
const store = SqliteEventStore.open(process.env.STORE_PATH, { busyTimeoutMs: 20000 });
process.stdout.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
let wins = 0;
let conflicts = 0;
for (let i = 0; i < Number(process.env.ATTEMPTS); i += 1) {
  const head = await store.streamRevision(stream);
  const revision = (head ?? -1) + 1;
  // Widen the gap between reading the head and appending, as a slow writer would.
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
  const event = envelope(
    { type: 'FeedStale', data: { lastDataTs: null, ageMs: i, maxAgeMs: 1000 } },
    { id: deriveEventId(writer, stream, revision), time: Date.UTC(2024, 0, 1), metadata: { correlationId: writer, causationId: null, instanceId: writer, configVersion: 1 } },
  );
  try {
    await store.append(stream, [event], head ?? 'no_stream');
    wins += 1;
  } catch (error) {
    if (!(error instanceof WrongExpectedRevisionError)) throw error;
    conflicts += 1;
  }
}
await store.close();
process.stdout.write(JSON.stringify({ wins, conflicts }));
`;
