import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite-event-store.js';
import { InvalidStoreUrlError, openEventStore, parseStoreUrl } from '../../src/store/store-url.js';

describe('parseStoreUrl', () => {
  it.each([
    ['sqlite:./data/events.db', { kind: 'sqlite', path: './data/events.db', synchronous: 'full' }],
    ['sqlite:data/events.db', { kind: 'sqlite', path: 'data/events.db', synchronous: 'full' }],
    ['sqlite:/var/lib/mm/events.db', { kind: 'sqlite', path: '/var/lib/mm/events.db', synchronous: 'full' }],
    ['sqlite:///var/lib/mm/events.db', { kind: 'sqlite', path: '/var/lib/mm/events.db', synchronous: 'full' }],
    ['sqlite:./data/events.db?sync=normal', { kind: 'sqlite', path: './data/events.db', synchronous: 'normal' }],
    ['sqlite:///abs/events.db?sync=full', { kind: 'sqlite', path: '/abs/events.db', synchronous: 'full' }],
    ['SQLite:events.db', { kind: 'sqlite', path: 'events.db', synchronous: 'full' }],
    ['  sqlite:events.db \n', { kind: 'sqlite', path: 'events.db', synchronous: 'full' }],
    ['sqlite:./my%20events.db', { kind: 'sqlite', path: './my%20events.db', synchronous: 'full' }],
    ['memory:', { kind: 'memory' }],
  ])('accepts %j', (url, expected) => {
    expect(parseStoreUrl(url)).toEqual(expected);
  });

  it.each([
    ['', /it is empty/],
    ['   ', /it is empty/],
    ['./data/events.db', /no scheme/],
    ['postgres://db.example/mm', /unknown scheme "postgres:"/],
    ['esdb://localhost:2113?tls=false', /EventStoreDB is not supported yet/],
    ['sqlite:', /path is missing/],
    ['sqlite://', /path is missing/],
    ['sqlite:?sync=normal', /path is missing/],
    ['sqlite://data/events.db', /a host is not allowed/],
    ['sqlite:///', /names a directory/],
    ['sqlite:./data/', /names a directory/],
    ['sqlite:events.db?sync=off', /sync must be "full" or "normal", got "off"/],
    ['sqlite:events.db?sync=normal&sync=full', /more than once/],
    ['sqlite:events.db?mode=ro', /unknown option "mode"/],
    ['sqlite:events.db?', /query is empty/],
    ['memory:cache', /memory: takes no path/],
  ])('rejects %j', (url, problem) => {
    let error: unknown;
    try {
      parseStoreUrl(url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidStoreUrlError);
    const message = (error as Error).message;
    expect(message).toMatch(problem);
    expect(message).toContain(JSON.stringify(url));
    // The message teaches the accepted forms, and says where esdb:// stands.
    for (const form of ['sqlite:<path>', 'sqlite:<path>?sync=normal', 'sqlite:///<absolute path>', 'memory:', 'esdb://']) expect(message).toContain(form);
  });
});

describe('openEventStore', () => {
  it('opens a memory store', async () => {
    const store = await openEventStore('memory:');
    expect(store).toBeInstanceOf(MemoryEventStore);
    await store.close();
  });

  it('opens an SQLite store with the requested durability, creating its directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-store-url-'));
    try {
      const store = await openEventStore(`sqlite://${join(dir, 'sub', 'events.db')}?sync=normal`);
      expect(store).toBeInstanceOf(SqliteEventStore);
      expect((store as SqliteEventStore).diagnostics()).toMatchObject({ path: join(dir, 'sub', 'events.db'), synchronous: 'normal', journalMode: 'wal' });
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bad URL', async () => {
    await expect(openEventStore('mongodb://x')).rejects.toBeInstanceOf(InvalidStoreUrlError);
  });
});
