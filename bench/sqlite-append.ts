import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveEventId, envelope, type NewEvent } from '../events/envelope.js';
import { SQLITE_MIGRATIONS, SqliteEventStore } from '../src/store/sqlite-event-store.js';
import { medianSeconds, type Figure } from './measure.js';

const BATCH = 4;
const STREAMS = 8;
const PER_STREAM = 2_500;

/** Realistic rows: a decision batch of one QuoteDecided-sized payload and three order events. */
function makeBatches(): Array<{ stream: string; events: NewEvent[] }> {
  const batches: Array<{ stream: string; events: NewEvent[] }> = [];
  for (let s = 0; s < STREAMS; s++) {
    const stream = `pair-bench-${s}`;
    for (let rev = 0; rev < PER_STREAM; rev += BATCH) {
      const events: NewEvent[] = [];
      for (let i = 0; i < BATCH; i++) {
        const revision = rev + i;
        const id = deriveEventId('bench', stream, revision);
        events.push(
          envelope(
            { type: 'OrderFilled', data: { tradeId: `t-${s}-${revision}`, clientOrderId: `c${revision}`, venueOrderId: `v${revision}`, side: i % 2 ? 'buy' : 'sell', price: '61837.63', amount: '0.00323', fee: '0.19973554490', feeCurrency: 'USDT', liquidity: 'maker', remaining: '0', fillTs: 1_723_161_254_000 + revision } },
            { id, time: 1_723_161_254_000 + revision, metadata: { correlationId: id, causationId: null, instanceId: 'bench', configVersion: 1 } },
          ),
        );
      }
      batches.push({ stream, events });
    }
  }
  return batches;
}

/** Durable, batched appends through the store, beside raw better-sqlite3 inserts of the same rows. */
export async function sqliteAppendThroughput(runs: number): Promise<Figure[]> {
  const batches = makeBatches();
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
