import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { decodeRecordedEvent, InvalidEventError, type RawRecordedEvent } from '../../../events/envelope.js';
import { projectPairs, summariseLog } from '../../../projections/log-summary.js';
import { SqliteEventStore } from '../../../src/store/sqlite-event-store.js';

const OLD_LOG = fileURLToPath(new URL('../../fixtures/logs/v1-backtest-btcusdt-20240808.jsonl.gz', import.meta.url));

const v1Fill: RawRecordedEvent = {
  stream: 'pair-binance-BTC_USDT',
  revision: 7,
  position: 8,
  id: '0b0f4c4e-6c0f-5e1b-9d4b-111111111111',
  type: 'OrderFilled',
  version: 1,
  time: '2024-08-08T23:55:01.250Z',
  data: { tradeId: 'sim-t-1', clientOrderId: 'mmabcr5', venueOrderId: 'sim-1', side: 'buy', price: '61837.62', amount: '0.00323', fee: '0.000199735', feeCurrency: 'USDT', liquidity: 'maker', remaining: '0' },
  metadata: { correlationId: 'c', causationId: null, instanceId: 'backtest', configVersion: 1 },
};

describe('schema evolution: OrderFilled v1 -> v2', () => {
  it('reads a v1 fill as v2, taking the recorded time as the fill time', () => {
    const e = decodeRecordedEvent(v1Fill);
    expect(e.version).toBe(2);
    expect(e.type === 'OrderFilled' && e.data.fillTs).toBe(Date.parse('2024-08-08T23:55:01.250Z'));
    expect(e.type === 'OrderFilled' && e.data.price).toBe('61837.62');
  });

  it('validates old data against the old schema, naming stream, revision and version', () => {
    const bad = { ...v1Fill, data: { ...(v1Fill.data as object), amount: 'lots' } };
    expect(() => decodeRecordedEvent(bad)).toThrow(InvalidEventError);
    expect(() => decodeRecordedEvent(bad)).toThrow(/"pair-binance-BTC_USDT" at revision 7.*schema version 1.*amount/);
  });

  it('refuses versions it cannot read', () => {
    expect(() => decodeRecordedEvent({ ...v1Fill, version: 3 })).toThrow(/unsupported schema version 3/);
    expect(() => decodeRecordedEvent({ ...v1Fill, version: 0 })).toThrow(/unsupported schema version 0/);
  });

  it('a v2 fill without fillTs is invalid (the field is required from v2 on)', () => {
    expect(() => decodeRecordedEvent({ ...v1Fill, version: 2 })).toThrow(/fillTs/);
  });

  it('reads a whole log written by the v1 engine and reproduces its numbers', async () => {
    const rows = gunzipSync(readFileSync(OLD_LOG)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
    const path = join(mkdtempSync(join(tmpdir(), 'mm-v1-')), 'old.db');
    SqliteEventStore.open(path).close();
    const db = new Database(path);
    const insert = db.prepare('INSERT INTO events (position, stream, revision, id, type, version, time, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (const r of rows) insert.run(r.position, r.stream, r.revision, r.id, r.type, r.version, r.time, JSON.stringify(r.data), JSON.stringify(r.metadata));
    })();
    db.close();

    const store = SqliteEventStore.open(path);
    const events = await store.readAll();
    await store.close();
    expect(events).toHaveLength(rows.length);
    const fills = events.filter((e) => e.type === 'OrderFilled');
    expect(rows.filter((r) => r.type === 'OrderFilled' && r.version === 1)).toHaveLength(404);
    expect(fills).toHaveLength(404);
    for (const f of fills) expect(f.type === 'OrderFilled' && f.version === 2 && f.data.fillTs === Date.parse(f.time)).toBe(true);
    expect(summariseLog(projectPairs(events)).BTCUSDT).toMatchObject({ fills: 404, position: '0.01866', realizedPnl: '2.8581848', fees: '23.7715618836' });
  });
});
