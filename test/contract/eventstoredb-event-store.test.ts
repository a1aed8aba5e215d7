import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { firstValueFrom, toArray, take, type Subscription } from 'rxjs';
import { InvalidEventError, type RecordedEvent } from '../../events/envelope.js';
import type { StoredEventPatch } from '../../src/store/append-rules.js';
import { IdempotencyConflictError, StoreUnavailableError, WrongExpectedRevisionError, type EventStore } from '../../src/store/event-store.js';
import { EventStoreDbEventStore, redactConnectionString, type EventStoreDbEventStoreOptions } from '../../src/store/eventstoredb-event-store.js';
import { InvalidStoreUrlError, openEventStore } from '../../src/store/store-url.js';
import { EventStoreDbEmulator, type EmulatorRecordPatch } from '../esdb-emulator/eventstoredb-emulator.js';
import { describeEventStoreContract, eventsFor } from './event-store.contract.js';

const REAL_SERVER = process.env.EVENTSTORE_CONNECTION_STRING;
/** Short backoffs keep the fault tests fast; the defaults are 3 attempts from 50 ms. */
const FAST_RETRY: EventStoreDbEventStoreOptions = { retryAttempts: 3, retryBaseDelayMs: 10 };

// One emulator for the contract suite; it also emits the `$>` links EventStoreDB's system projections write, so $all is as busy as a real server's.
const emulator = new EventStoreDbEmulator({ emulateSystemProjections: true });
let connectionString = '';
beforeAll(async () => {
  ({ connectionString } = await emulator.start());
});
afterAll(async () => {
  await emulator.stop();
});

/**
 * The adapter keeps `version` and `time` inside EventStoreDB's metadata JSON,
 * so a patch of those columns, or of our metadata, rewrites that JSON.
 */
function corruptThroughEmulator(target: EventStoreDbEmulator, stream: string, revision: number, patch: StoredEventPatch): void {
  const record = target.records(stream)[revision];
  if (!record) throw new RangeError(`no event ${revision} in ${stream}`);
  const rewrite: { -readonly [K in keyof EmulatorRecordPatch]: EmulatorRecordPatch[K] } = {};
  if (patch.type !== undefined) rewrite.type = patch.type;
  if (patch.data !== undefined) rewrite.data = patch.data;
  if (patch.metadata !== undefined || patch.version !== undefined || patch.time !== undefined) {
    const stored = JSON.parse(Buffer.from(record.metadata).toString('utf8')) as Record<string, unknown>;
    let metadata: string;
    if (patch.metadata === undefined) {
      metadata = JSON.stringify({ ...stored, ...(patch.version === undefined ? {} : { version: patch.version }), ...(patch.time === undefined ? {} : { time: patch.time }) });
    } else {
      let ours: unknown;
      try {
        ours = JSON.parse(patch.metadata);
      } catch {
        ours = undefined;
      }
      // Metadata that is not a JSON object replaces the whole EventStoreDB metadata, as a foreign writer's would.
      metadata = typeof ours === 'object' && ours !== null && !Array.isArray(ours) ? JSON.stringify({ ...ours, version: patch.version ?? stored.version, time: patch.time ?? stored.time }) : patch.metadata;
    }
    rewrite.metadata = metadata;
  }
  target.rewriteEvent(stream, revision, rewrite);
}

describeEventStoreContract('eventstoredb (emulator)', {
  create: async () => EventStoreDbEventStore.open(connectionString, FAST_RETRY),
  corrupt: async (_store, stream, revision, patch) => corruptThroughEmulator(emulator, stream, revision, patch),
  quietMs: 100,
});

if (REAL_SERVER) {
  // A real server cannot have its events rewritten, so the invalid-read tests are skipped there.
  describeEventStoreContract('eventstoredb (real server from EVENTSTORE_CONNECTION_STRING)', {
    create: async () => EventStoreDbEventStore.open(REAL_SERVER),
    quietMs: 300,
  });
} else {
  describe.skip('EventStore contract: eventstoredb (real server) — skipped: set EVENTSTORE_CONNECTION_STRING (e.g. esdb://localhost:2113?tls=false) to run it', () => {
    it('runs the contract suite against the server named by EVENTSTORE_CONNECTION_STRING', () => undefined);
  });
}

// ---------------------------------------------------------------------------
// Adapter-specific behaviour, on emulators of their own (faults, stops and odd payloads stay out of the contract run).

const uniqueStream = (label: string): string => `pair-esdb-${label}-${randomUUID().slice(0, 8)}`;

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise fulfilled');
}

describe('EventStoreDbEventStore', () => {
  const emulators: EventStoreDbEmulator[] = [];
  const stores: EventStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(emulators.splice(0).map((e) => e.stop()));
  });
  async function setup(options: ConstructorParameters<typeof EventStoreDbEmulator>[0] = {}, storeOptions: EventStoreDbEventStoreOptions = FAST_RETRY) {
    const em = new EventStoreDbEmulator(options);
    emulators.push(em);
    const { connectionString: cs } = await em.start();
    const store = EventStoreDbEventStore.open(cs, storeOptions);
    stores.push(store);
    return { em, store, cs };
  }
  const openStore = (cs: string, options: EventStoreDbEventStoreOptions = FAST_RETRY): EventStoreDbEventStore => {
    const store = EventStoreDbEventStore.open(cs, options);
    stores.push(store);
    return store;
  };

  describe('storage format', () => {
    it('stores our id, type, JSON data, and metadata with version and time, as plain EventStoreDB events', async () => {
      const { em, store } = await setup();
      const s = uniqueStream('format');
      const [event] = eventsFor(s, 0, 1);
      await store.append(s, [event!], 'no_stream');
      const [stored] = em.records(s);
      expect(stored).toMatchObject({ id: event!.id, type: event!.type, isJson: true, revision: 0 });
      expect(JSON.parse(Buffer.from(stored!.data).toString('utf8'))).toEqual(event!.data);
      expect(JSON.parse(Buffer.from(stored!.metadata).toString('utf8'))).toEqual({ ...event!.metadata, version: event!.version, time: event!.time });
    });
  });

  describe('transient failures: retried with backoff, then StoreUnavailableError', () => {
    it('fails every operation with StoreUnavailableError, after the retries, while the server is down, and recovers when it is back', async () => {
      const { em, store } = await setup();
      const s = uniqueStream('down');
      await store.append(s, eventsFor(s, 0, 1), 'no_stream');
      await em.stop();

      const started = performance.now();
      const error = await rejectionOf(store.append(s, eventsFor(s, 1, 1), 0));
      expect(performance.now() - started).toBeGreaterThanOrEqual(10 + 20 - 2);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/append failed after 3 attempts/);
      // UNAVAILABLE (connection refused), as the client's UnavailableError or as grpc-js reports it before the client converts it.
      expect((error as Error).cause).toMatchObject({ code: 14 });
      for (const operation of [() => store.readStream(s), () => store.readAll(), () => store.streamRevision(s), () => store.listStreams()]) {
        await expect(operation()).rejects.toBeInstanceOf(StoreUnavailableError);
      }

      await em.start();
      expect(await store.append(s, eventsFor(s, 1, 1), 0)).toMatchObject({ nextExpectedRevision: 1 });
      expect((await store.readStream(s)).map((e) => e.revision)).toEqual([0, 1]);
    });

    it('rides out a restart that ends within the retry budget', async () => {
      const { em, cs } = await setup();
      const store = openStore(cs, { retryAttempts: 6, retryBaseDelayMs: 20 });
      const s = uniqueStream('restart');
      await store.append(s, eventsFor(s, 0, 1), 'no_stream');
      await em.stop();
      const restarted = new Promise<void>((resolve, reject) => setTimeout(() => em.start().then(() => resolve(), reject), 60));
      expect(await store.append(s, eventsFor(s, 1, 2), 0)).toMatchObject({ nextExpectedRevision: 2 });
      await restarted;
      expect((await store.readStream(s)).map((e) => e.revision)).toEqual([0, 1, 2]);
    });

    it.each(['unavailable', 'timeout', 'deadline-exceeded', 'not-ready'] as const)(
      'retries an append that fails with %s within the budget, and writes it once',
      async (fault) => {
        const { em, store } = await setup();
        const s = uniqueStream(fault);
        em.failNext(2, fault, { rpcs: ['append'] });
        const result = await store.append(s, eventsFor(s, 0, 3), 'no_stream');
        expect(em.calls.append).toBe(3);
        const read = await store.readStream(s);
        expect(read.map((e) => e.id)).toEqual(eventsFor(s, 0, 3).map((e) => e.id));
        expect(result).toEqual({ nextExpectedRevision: 2, position: read[2]?.position });
      },
    );

    it.each(['no_stream', 'any'] as const)('answers a retry after a lost reply (expected %s) with the original result, without writing twice', async (expected) => {
      const { em, store } = await setup();
      const s = uniqueStream('lost-reply');
      em.failNext(1, 'unavailable', { rpcs: ['append'], afterCommit: true });
      const result = await store.append(s, eventsFor(s, 0, 2), expected);
      expect(em.calls.append).toBe(2);
      expect(em.records(s).map((r) => r.revision)).toEqual([0, 1]);
      expect(result).toEqual({ nextExpectedRevision: 1, position: Number(em.records(s)[1]?.position) });
    });

    it('gives up after the last attempt, having written nothing', async () => {
      const { em, store } = await setup();
      const s = uniqueStream('exhausted');
      em.failNext(3, 'unavailable', { rpcs: ['append'] });
      const error = await rejectionOf(store.append(s, eventsFor(s, 0, 1), 'no_stream'));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/after 3 attempts/);
      expect(em.calls.append).toBe(3);
      expect(em.records(s)).toHaveLength(0);
    });

    it('does not retry an unexpected server error', async () => {
      const { em, store } = await setup();
      const s = uniqueStream('unknown');
      em.failNext(1, 'unknown', { rpcs: ['append'] });
      const error = await rejectionOf(store.append(s, eventsFor(s, 0, 1), 'no_stream'));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).cause).toMatchObject({ type: 'unknown' });
      expect(em.calls.append).toBe(1);
    });

    it('retries reads', async () => {
      const { em, store } = await setup();
      const s = uniqueStream('reads');
      await store.append(s, eventsFor(s, 0, 2), 'no_stream');
      em.failNext(2, 'unavailable', { rpcs: ['read'] });
      expect(await store.readStream(s)).toHaveLength(2);
      em.failNext(1, 'not-ready', { rpcs: ['read'] });
      expect((await store.readAll()).map((e) => e.stream)).toEqual([s, s]);
      expect(em.pendingFaults).toBe(0);
    });
  });

  describe('conflicts and repeats', () => {
    it('reports WrongExpectedRevisionError with the stream, the expected revision as given and the actual one', async () => {
      const { store } = await setup();
      const s = uniqueStream('wev');
      const absent = await rejectionOf(store.append(s, eventsFor(s, 0, 1), 3));
      expect(absent).toBeInstanceOf(WrongExpectedRevisionError);
      expect(absent).toMatchObject({ stream: s, expected: 3, actual: null });
      await store.append(s, eventsFor(s, 0, 3), 'no_stream');
      for (const expected of ['no_stream', 0, 7] as const) {
        const error = await rejectionOf(store.append(s, eventsFor(s, 3, 1, 'other'), expected));
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ stream: s, expected, actual: 2 });
        expect((error as Error).message).toBe(`append to "${s}" expected revision ${String(expected)} but the stream is at 2`);
      }
      const nothing = uniqueStream('nothing');
      const exists = await rejectionOf(store.append(nothing, eventsFor(nothing, 0, 1), 'stream_exists'));
      expect(exists).toMatchObject({ stream: nothing, expected: 'stream_exists', actual: null });
    });

    it('recognises a repeat from another instance (nothing cached) with a different expected revision, by scanning the stream', async () => {
      const { store, cs } = await setup();
      const s = uniqueStream('scan');
      const original = await store.append(s, eventsFor(s, 0, 3), 'no_stream');
      await store.append(s, eventsFor(s, 3, 2), 2);
      const fresh = openStore(cs);
      // EventStoreDB answers "wrong expected version" (it compares revision 2 with the first id); the adapter finds the batch.
      expect(await fresh.append(s, eventsFor(s, 0, 3), 1)).toEqual(original);
      expect(await openStore(cs).append(s, eventsFor(s, 0, 3), 17)).toEqual(original);
      const partial = await rejectionOf(openStore(cs).append(s, [...eventsFor(s, 4, 1), ...eventsFor(s, 9, 1)], 1));
      expect(partial).toBeInstanceOf(IdempotencyConflictError);
      expect(partial).toMatchObject({ eventIds: [eventsFor(s, 4, 1)[0]!.id] });
      expect(await store.streamRevision(s)).toBe(4);
    });

    it('documents EventStoreDB itself: a repeat it does not recognise, from an instance that never saw the ids, is written again', async () => {
      const { store, cs, em } = await setup();
      const s = uniqueStream('gap');
      await store.append(s, eventsFor(s, 0, 2), 'no_stream');
      // Expected revision = current: EventStoreDB writes without looking at ids (it has no id index).
      const fresh = openStore(cs);
      expect(await fresh.append(s, eventsFor(s, 0, 2), 1)).toMatchObject({ nextExpectedRevision: 3 });
      expect(em.records(s).map((r) => r.id)).toEqual([...eventsFor(s, 0, 2), ...eventsFor(s, 0, 2)].map((e) => e.id));
      // The instance that wrote them recognises them from its own cache.
      expect(await store.append(s, eventsFor(s, 0, 2), 3)).toMatchObject({ nextExpectedRevision: 1 });
    });

    it('works the same through the older Streams.Append call (a server without BatchAppend)', async () => {
      const { em, store } = await setup({ advertiseBatchAppend: false });
      const s = uniqueStream('append-rpc');
      const first = await store.append(s, eventsFor(s, 0, 2), 'no_stream');
      expect(await store.append(s, eventsFor(s, 0, 2), 'no_stream')).toEqual(first);
      expect(await rejectionOf(store.append(s, eventsFor(s, 2, 1, 'other'), 0))).toMatchObject({ stream: s, expected: 0, actual: 1 });
      em.failNext(1, 'timeout', { rpcs: ['append'], afterCommit: true });
      expect(await store.append(s, eventsFor(s, 2, 1), 1)).toMatchObject({ nextExpectedRevision: 2 });
      expect(em.records(s)).toHaveLength(3);
      expect((await store.readStream(s)).map((e) => e.revision)).toEqual([0, 1, 2]);
    });
  });

  describe('invalid events read back', () => {
    const planted: Array<{ title: string; event: Parameters<EventStoreDbEmulator['appendRaw']>[1][number]; problem: RegExp }> = [
      { title: 'data that is not JSON', event: { type: 'FeedStale', data: '{"lastDataTs": 1, ', metadata: '{"version":1,"time":"2024-01-02T03:04:05.678Z"}' }, problem: /data: not valid JSON/ },
      { title: 'binary data', event: { type: 'FeedStale', data: new Uint8Array([1, 2, 3]), metadata: '{}' }, problem: /data: stored as binary/ },
      { title: 'no metadata', event: { type: 'FeedStale', data: '{"lastDataTs":1,"ageMs":2,"maxAgeMs":1}' }, problem: /metadata: missing/ },
      { title: 'metadata that is not JSON', event: { type: 'FeedStale', data: '{"lastDataTs":1,"ageMs":2,"maxAgeMs":1}', metadata: 'null}' }, problem: /metadata: not valid JSON/ },
      { title: 'metadata without a version', event: { type: 'FeedStale', data: '{"lastDataTs":1,"ageMs":2,"maxAgeMs":1}', metadata: '{"time":"2024-01-02T03:04:05.678Z"}' }, problem: /"version" is missing/ },
      {
        title: 'an event another writer stored without our envelope',
        event: { type: 'FeedStale', data: '{"lastDataTs":1,"ageMs":2,"maxAgeMs":1}', metadata: '{"version":1,"time":"2024-01-02T03:04:05.678Z","user":"bob"}' },
        problem: /metadata: .*user/,
      },
    ];

    it.each(planted)('$title: readStream, readAll and subscribe fail with InvalidEventError naming stream and revision', async ({ event, problem }) => {
      const { em, store } = await setup();
      const s = uniqueStream('planted');
      await store.append(s, eventsFor(s, 0, 1), 'no_stream');
      em.appendRaw(s, [event], 0);
      for (const read of [() => store.readStream(s), () => store.readAll()]) {
        const error = await rejectionOf(read());
        expect(error).toBeInstanceOf(InvalidEventError);
        expect(error).toMatchObject({ stream: s, revision: 1 });
        expect((error as Error).message).toContain(`stream "${s}" at revision 1`);
        expect((error as Error).message).toMatch(problem);
      }
      const delivered: RecordedEvent[] = [];
      const failure = await new Promise<unknown>((resolve) => {
        store.subscribe().subscribe({ next: (e) => delivered.push(e), error: resolve, complete: () => resolve(undefined) });
      });
      expect(delivered.map((e) => e.revision)).toEqual([0]);
      expect(failure).toBeInstanceOf(InvalidEventError);
      expect(failure).toMatchObject({ stream: s, revision: 1 });
    });

    it('a raw client append with a foreign payload reads back as InvalidEventError too', async () => {
      const { store, cs } = await setup();
      const s = uniqueStream('raw-client');
      const client = EventStoreDBClient.connectionString(cs);
      try {
        await client.appendToStream(s, jsonEvent({ type: 'OrderFilled', data: { price: 65432.1 }, metadata: { version: 2, time: '2024-01-02T03:04:05.678Z' } }));
      } finally {
        await client.dispose();
      }
      const error = await rejectionOf(store.readStream(s));
      expect(error).toBeInstanceOf(InvalidEventError);
      expect(error).toMatchObject({ stream: s, revision: 0, eventType: 'OrderFilled' });
    });
  });

  describe('$all: system events and positions', () => {
    it('leaves system events and system streams out of readAll, listStreams and subscribe', async () => {
      const { em, store } = await setup({ emulateSystemProjections: true });
      const s = uniqueStream('sys');
      em.appendRaw(`$$${s}`, [{ type: '$metadata', data: '{"$maxAge":60}' }]);
      em.appendRaw('$custom-stream', [{ type: 'FeedStale', data: '{}' }]);
      em.appendRaw('pair-not-system', [{ type: '$internal', data: '{}' }]);
      await store.append(s, eventsFor(s, 0, 3), 'no_stream');
      expect(em.records().some((r) => r.stream.startsWith('$ce-'))).toBe(true);

      const all = await store.readAll();
      expect(all.map((e) => `${e.stream}@${e.revision}`)).toEqual([`${s}@0`, `${s}@1`, `${s}@2`]);
      expect(await store.listStreams()).toEqual([s]);
      expect(await firstValueFrom(store.subscribe().pipe(take(3), toArray()))).toEqual(all);
      // Paging through $all with a page smaller than the system noise between events.
      const paged = EventStoreDbEventStore.open(em.connectionString, { ...FAST_RETRY, readPageSize: 2 });
      stores.push(paged);
      expect(await paged.readAll()).toEqual(all);
      expect(await paged.readAll({ after: all[0]!.position, maxCount: 1 })).toEqual([all[1]]);
    });

    it('fails with StoreUnavailableError rather than round a position beyond Number.MAX_SAFE_INTEGER', async () => {
      const { store } = await setup({ firstPosition: BigInt(Number.MAX_SAFE_INTEGER) - 100n });
      const s = uniqueStream('huge');
      const error = await rejectionOf(store.append(s, eventsFor(s, 0, 1), 'no_stream'));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/MAX_SAFE_INTEGER/);
    });
  });

  describe('subscriptions', () => {
    it('unsubscribing closes the server-side subscription; so does close()', async () => {
      const { em, store } = await setup();
      const s = uniqueStream('unsub');
      await store.append(s, eventsFor(s, 0, 1), 'no_stream');
      const seen: RecordedEvent[] = [];
      const a: Subscription = store.subscribe().subscribe((e) => seen.push(e));
      const b: Subscription = store.subscribe().subscribe(() => undefined);
      await waitFor(() => em.activeSubscriptions === 2 && seen.length === 1);
      a.unsubscribe();
      await waitFor(() => em.activeSubscriptions === 1);
      await store.close();
      await waitFor(() => em.activeSubscriptions === 0);
      expect(b.closed).toBe(true);
    });

    it('ends the Observable with StoreUnavailableError when the server goes away', async () => {
      const { em, store } = await setup();
      const failure = new Promise<unknown>((resolve) => store.subscribe().subscribe({ error: resolve, complete: () => resolve('completed') }));
      await waitFor(() => em.activeSubscriptions === 1);
      await em.stop();
      const error = await failure;
      expect(error).toBeInstanceOf(StoreUnavailableError);
    });

    it('resumes after a position with no gap and no duplicate', async () => {
      const { store } = await setup();
      const s = uniqueStream('resume');
      await store.append(s, eventsFor(s, 0, 5), 'no_stream');
      const firstTwo = await firstValueFrom(store.subscribe().pipe(take(2), toArray()));
      const pending = firstValueFrom(store.subscribe({ after: firstTwo[1]!.position }).pipe(take(4), toArray()));
      await store.append(s, eventsFor(s, 5, 1), 4);
      expect((await pending).map((e) => e.revision)).toEqual([2, 3, 4, 5]);
    });
  });

  describe('connection strings', () => {
    it('connects through single-node, cluster (gossip) and discovery forms; a TLS string fails cleanly against a plaintext server', async () => {
      const { em } = await setup();
      const host = `127.0.0.1:${new URL(em.connectionString.replace('esdb://', 'http://')).port}`;
      const forms = [`esdb://${host}?tls=false`, `esdb://${host},${host}?tls=false`, `esdb+discover://${host}?tls=false&maxDiscoverAttempts=2`];
      for (const [i, url] of forms.entries()) {
        const store = await openEventStore(url);
        stores.push(store);
        const s = uniqueStream(`url-${i}`);
        await store.append(s, eventsFor(s, 0, 1), 'no_stream');
        expect(await store.readStream(s)).toHaveLength(1);
      }
      expect(em.calls.gossip).toBeGreaterThanOrEqual(2);

      const tls = EventStoreDbEventStore.open(`esdb://${host}?defaultDeadline=2000`, { retryAttempts: 2, retryBaseDelayMs: 10 });
      stores.push(tls);
      expect(await rejectionOf(tls.streamRevision('pair-tls'))).toBeInstanceOf(StoreUnavailableError);
    });

    it('rejects a malformed string and never shows a password', async () => {
      expect(await rejectionOf(openEventStore('esdb://localhost:2113?nodePreference=nearest'))).toBeInstanceOf(InvalidStoreUrlError);
      expect(redactConnectionString('esdb://admin:changeit@db:2113?tls=true')).toBe('esdb://admin:***@db:2113?tls=true');
      const store = EventStoreDbEventStore.open('esdb://admin:changeit@127.0.0.1:1?tls=false', { retryAttempts: 1 });
      stores.push(store);
      const error = await rejectionOf(store.streamRevision('pair-x'));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).not.toContain('changeit');
    });
  });
});

async function waitFor(condition: () => boolean, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
