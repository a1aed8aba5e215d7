import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLITE_MIGRATIONS, SqliteEventStore } from '../src/store/sqlite-event-store.js';
import { medianSeconds, type Figure } from './measure.js';
import { BATCH, realisticBatches } from './realistic-events.js';

/** Durable, batched appends through the store, beside raw better-sqlite3 inserts of the same rows. */
export async function sqliteAppendThroughput(runs: number): Promise<Figure[]> {
  const batches = realisticBatches();
  const total = batches.length * BATCH;
  const dir = mkdtempSync(join(tmpdir(), 'mm-bench-'));
  let n = 0;

  const store = await medianSeconds(runs, async () => {
    const s = SqliteEventStore.open(join(dir, `store-${n++}.db`), { synchronous: 'full' });
    const revisions = new Map<string, number>();
    for (const b of batches) {
      const r = await s.append(b.stream, b.events, revisions.get(b.stream) ?? 'no_stream');
      revisions.set(b.stream, r.nextExpectedRevision);
    }
    await s.close();
  });

  const rows = batches.map((b) => b.events.map((e, i) => [b.stream, Number(e.id === '' ? 0 : i), e.id, e.type, e.version, e.time, JSON.stringify(e.data), JSON.stringify(e.metadata)] as const));
  const raw = await medianSeconds(runs, async () => {
    const db = new Database(join(dir, `raw-${n++}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    for (const ddl of SQLITE_MIGRATIONS) db.exec(ddl);
    const insert = db.prepare('INSERT INTO events (stream, revision, id, type, version, time, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const revisions = new Map<string, number>();
    const tx = db.transaction((batch: (typeof rows)[number]) => {
      for (const row of batch) {
        const next = (revisions.get(row[0]) ?? -1) + 1;
        revisions.set(row[0], next);
        insert.run(row[0], next, row[2], row[3], row[4], row[5], row[6], row[7]);
      }
    });
    for (const batch of rows) tx.immediate(batch);
    db.close();
  });
  rmSync(dir, { recursive: true, force: true });

  const rawFigure = { name: 'raw better-sqlite3 inserts', value: total / raw.median };
  return [
    { name: 'raw better-sqlite3 inserts (WAL, synchronous=FULL, 4/tx)', value: rawFigure.value, unit: 'events/s' },
    { name: 'SqliteEventStore.append (durable, 4/batch)', value: total / store.median, unit: 'events/s', baseline: rawFigure },
  ];
}
