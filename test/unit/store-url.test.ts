import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite-event-store.js';
import { EventStoreDbEventStore } from '../../src/store/eventstoredb-event-store.js';
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
    ['esdb://localhost:2113?tls=false', { kind: 'esdb', connectionString: 'esdb://localhost:2113?tls=false' }],
    ['esdb://localhost', { kind: 'esdb', connectionString: 'esdb://localhost' }],
    ['ESDB://Node1:2113?tls=false', { kind: 'esdb', connectionString: 'esdb://Node1:2113?tls=false' }],
    ['esdb://admin:changeit@localhost:2113?tls=true&tlsCAFile=ca.crt', { kind: 'esdb', connectionString: 'esdb://admin:changeit@localhost:2113?tls=true&tlsCAFile=ca.crt' }],
    ['esdb://a:2113,b:2113,c:2113?tls=true&nodePreference=leader', { kind: 'esdb', connectionString: 'esdb://a:2113,b:2113,c:2113?tls=true&nodePreference=leader' }],
    ['esdb+discover://a,b,c?tls=true&tlsVerifyCert=false', { kind: 'esdb', connectionString: 'esdb+discover://a,b,c?tls=true&tlsVerifyCert=false' }],
    ['esdb+discover://cluster.example.com:2113', { kind: 'esdb', connectionString: 'esdb+discover://cluster.example.com:2113' }],
    [' esdb://[::1]:2113/?tls=false ', { kind: 'esdb', connectionString: 'esdb://[::1]:2113/?tls=false' }],
  ])('accepts %j', (url, expected) => {
    expect(parseStoreUrl(url)).toEqual(expected);
  });

  it.each([
    ['', /it is empty/],
    ['   ', /it is empty/],
    ['./data/events.db', /no scheme/],
    ['postgres://db.example/mm', /unknown scheme "postgres:"/],
    ['esdb:localhost:2113', /esdb: URLs start with esdb:\/\//],
    ['esdb://', /the host is missing/],
    ['esdb://?tls=false', /the host is missing/],
    ['esdb://admin@', /the host is missing/],
    ['esdb://localhost:99999', /port 99999 is out of range/],
    ['esdb://localhost:abc', /"localhost:abc" is not a host or host:port/],
    ['esdb://a:2113,,b:2113', /"" is not a host or host:port/],
    ['esdb://localhost:2113?tls=maybe', /tls must be true or false, got "maybe"/],
    ['esdb+discover://cluster?', /query is empty/],
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
    // The message teaches the accepted forms.
    for (const form of ['sqlite:<path>', 'sqlite:<path>?sync=normal', 'sqlite:///<absolute path>', 'memory:', 'esdb://<host>:<port>?tls=false', 'esdb+discover://']) {
      expect(message).toContain(form);
    }
  });

  it('never shows an EventStoreDB password in the error', () => {
    let error: unknown;
    try {
      parseStoreUrl('esdb://admin:s3cret@localhost:99999');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidStoreUrlError);
    expect((error as Error).message).toContain('esdb://admin:***@localhost:99999');
    expect((error as Error).message).not.toContain('s3cret');
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

  it('opens an EventStoreDB store without connecting (the client connects on first use)', async () => {
    for (const url of ['esdb://127.0.0.1:1?tls=false', 'esdb://a:2113,b:2113?tls=true', 'esdb+discover://cluster.example.com:2113']) {
      const store = await openEventStore(url);
      expect(store).toBeInstanceOf(EventStoreDbEventStore);
      await store.close();
    }
  });

  it('reports a connection string the client rejects as a bad URL', async () => {
    const error = await openEventStore('esdb://localhost:2113?nodePreference=sideways').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidStoreUrlError);
    expect((error as Error).message).toMatch(/nodePreference/);
  });
});
