import { afterEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Observable } from 'rxjs';
import type { NewEvent, RecordedEvent } from '../../events/envelope.js';
import { WrongExpectedRevisionError, type AppendResult, type EventStore, type ExpectedRevision, type ReadAllOptions, type ReadStreamOptions } from '../../src/store/event-store.js';
import { EventStoreDbEventStore } from '../../src/store/eventstoredb-event-store.js';
import { EventStoreDbEmulator } from '../esdb-emulator/eventstoredb-emulator.js';
import { book, runtimeHarness, STREAM, T0 } from './runtime-harness.js';

const REAL_SERVER = process.env.EVENTSTORE_CONNECTION_STRING;

/** Passes everything through and keeps what append threw, so the test can see the fenced writer's failed append. */
class AppendFailureRecorder implements EventStore {
  readonly appendFailures: unknown[] = [];
  constructor(private readonly inner: EventStore) {}
  async append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    try {
      return await this.inner.append(stream, events, expectedRevision);
    } catch (error) {
      this.appendFailures.push(error);
      throw error;
    }
  }
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.inner.readStream(stream, options);
  }
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.inner.readAll(options);
  }
  streamRevision(stream: string): Promise<number | null> {
    return this.inner.streamRevision(stream);
  }
  listStreams(): Promise<string[]> {
    return this.inner.listStreams();
  }
  subscribe(options?: { readonly after?: number }): Observable<RecordedEvent> {
    return this.inner.subscribe(options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The scenario of pair-runtime.test.ts ("a second instance claiming the stream fences the first"), on two EventStoreDB clients. */
async function fencingScenario(connectionString: string, stream: string): Promise<void> {
  const storeA = new AppendFailureRecorder(EventStoreDbEventStore.open(connectionString));
  const storeB = EventStoreDbEventStore.open(connectionString);
  try {
    const a = runtimeHarness(storeA, { instanceId: 'instance-a', stream });
    await a.runtime.start();
    await a.feed(book(T0 + 100, 60_000, 60_000.01));
    expect((await a.venue.fetchOpenOrders('BTCUSDT')).length).toBeGreaterThan(0);

    const b = runtimeHarness(storeB, { instanceId: 'instance-b', clock: a.clock, stream });
    await b.runtime.start();
    const claim = (await storeB.readStream(stream)).filter((e) => e.type === 'PairStarted').at(-1);
    expect(claim?.type === 'PairStarted' && claim.data.instanceId).toBe('instance-b');

    await a.feed(book(T0 + 3_000, 60_050, 60_050.01));
    // A's next append was refused: the stream moved on under it.
    const refused = storeA.appendFailures[0];
    if (!(refused instanceof WrongExpectedRevisionError)) throw new Error(`expected A's append to fail with WrongExpectedRevisionError, got ${String(refused)}`);
    expect(refused.stream).toBe(stream);
    expect(refused.actual).toBeGreaterThanOrEqual(claim?.revision ?? Number.NaN);
    expect(a.runtime.haltReason).toBe('fenced');
    expect(await a.venue.fetchOpenOrders('BTCUSDT')).toHaveLength(0);
    // Nothing A wrote follows B's claim.
    const afterClaim = (await storeB.readStream(stream)).filter((e) => claim && e.revision > claim.revision);
    expect(afterClaim.every((e) => e.metadata.instanceId === 'instance-b')).toBe(true);
    await b.runtime.stop('done');
    expect((await storeB.readStream(stream)).at(-1)?.type).toBe('PairStopped');
  } finally {
    await storeA.close();
    await storeB.close();
  }
}

describe('pair runtime on EventStoreDB: fencing', () => {
  const emulators: EventStoreDbEmulator[] = [];
  afterEach(async () => {
    await Promise.all(emulators.splice(0).map((e) => e.stop()));
  });

  it('a second instance claiming the stream fences the first: it halts and cancels its orders (EventStoreDB emulator, two clients)', async () => {
    const emulator = new EventStoreDbEmulator();
    emulators.push(emulator);
    const { connectionString } = await emulator.start();
    await fencingScenario(connectionString, STREAM);
  });

  (REAL_SERVER ? it : it.skip)(
    `the same on a real server${REAL_SERVER ? '' : ' — skipped: set EVENTSTORE_CONNECTION_STRING'}`,
    async () => {
      // A stream of its own per run, so the server may hold earlier runs.
      await fencingScenario(REAL_SERVER ?? '', `${STREAM}-${randomUUID()}`);
    },
  );
});
