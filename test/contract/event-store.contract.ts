import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Observable, Subscription } from 'rxjs';
import { deriveEventId, envelope, InvalidEventError, type EventMetadata, type NewEvent, type RecordedEvent } from '../../events/envelope.js';
import {
  IdempotencyConflictError,
  StoreUnavailableError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
} from '../../src/store/event-store.js';
import type { StoredEventPatch } from '../../src/store/append-rules.js';

/**
 * The EventStore contract: every adapter must pass this suite. Tests use
 * their own stream names and measure positions from a marker they append, so
 * the suite also runs against a shared, non-empty store (e.g. a real
 * EventStoreDB); it never assumes a store starts empty.
 */
export interface EventStoreHarness {
  /** A new, open store. The suite closes every store it creates. */
  create(): Promise<EventStore>;
  /** Overwrite stored columns of one event, as corruption would. Without it the invalid-read tests are skipped. */
  corrupt?(store: EventStore, stream: string, revision: number, patch: StoredEventPatch): Promise<void>;
  /** How long to wait before concluding "nothing more will arrive" (at least the adapter's poll interval). Default 50. */
  readonly quietMs?: number;
}

// ---------------------------------------------------------------------------
// Test events: real catalog types, built with the envelope helpers.

const BASE_TIME = Date.UTC(2024, 0, 2, 3, 4, 5, 678);

const metadataFor = (instanceId: string, revision: number): EventMetadata => ({
  correlationId: `corr-${instanceId}`,
  causationId: revision === 0 ? null : `cause-${revision - 1}`,
  instanceId,
  configVersion: 7,
});

/** Prices and sizes with trailing zeros and more digits than a float64 holds: they must come back byte for byte. */
export function orderFilled(stream: string, revision: number, instanceId = 'instance-a'): NewEvent {
  return envelope(
    {
      type: 'OrderFilled',
      data: {
        tradeId: `trade-${revision}`,
        clientOrderId: `mm-${revision}-b-0`,
        venueOrderId: `venue-${revision}`,
        side: revision % 4 === 0 ? 'buy' : 'sell',
        price: '65432.10000000',
        amount: '0.00012345',
        fee: '-0.000000012345678901234567890',
        feeCurrency: 'USDT',
        liquidity: 'maker',
        remaining: '0.00000000',
        fillTs: BASE_TIME + revision,
      },
    },
    { id: deriveEventId(instanceId, stream, revision), time: BASE_TIME + revision, metadata: metadataFor(instanceId, revision) },
  );
}

export function feedStale(stream: string, revision: number, instanceId = 'instance-a'): NewEvent {
  return envelope(
    { type: 'FeedStale', data: { lastDataTs: BASE_TIME - 1_500, ageMs: 1_500.25, maxAgeMs: 1_000 } },
    { id: deriveEventId(instanceId, stream, revision), time: BASE_TIME + revision, metadata: metadataFor(instanceId, revision) },
  );
}

/** Events for revisions from..from+count-1 of a stream, alternating types; ids derive from (instance, stream, revision). */
export function eventsFor(stream: string, fromRevision: number, count: number, instanceId = 'instance-a'): NewEvent[] {
  return Array.from({ length: count }, (_, i) =>
    (fromRevision + i) % 2 === 0 ? orderFilled(stream, fromRevision + i, instanceId) : feedStale(stream, fromRevision + i, instanceId),
  );
}

const recorded = (event: NewEvent, stream: string, revision: number, position: number): RecordedEvent => ({ ...event, stream, revision, position }) as RecordedEvent;

// ---------------------------------------------------------------------------
// Helpers

const runId = randomUUID().slice(0, 8);
let namespaceCounter = 0;

/** Stream names no other test (or run, on a shared store) uses. */
function namespace(): { stream: (label: string) => string; owns: (event: { stream: string }) => boolean } {
  const prefix = `pair-ct${runId}-${++namespaceCounter}-`;
  return { stream: (label) => prefix + label, owns: (event) => event.stream.startsWith(prefix) };
}

/** The current end of the log, as a position to read "after". */
async function headPosition(store: EventStore): Promise<number> {
  const marker = namespace().stream('marker');
  return (await store.append(marker, eventsFor(marker, 0, 1, 'marker'), 'no_stream')).position;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise fulfilled');
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Subscribe and keep what arrives; `until(n)` resolves once n kept events arrived. */
function record(source: Observable<RecordedEvent>, keep: (event: RecordedEvent) => boolean = () => true) {
  const events: RecordedEvent[] = [];
  let failure: unknown;
  let completed = false;
  const waiters: Array<() => void> = [];
  const wake = (): void => waiters.splice(0).forEach((w) => w());
  const subscription: Subscription = source.subscribe({
    next: (event) => {
      if (keep(event)) events.push(event);
      wake();
    },
    error: (error: unknown) => {
      failure = error;
      wake();
    },
    complete: () => {
      completed = true;
      wake();
    },
  });
  const until = (predicate: () => boolean, what: string): Promise<void> =>
    within(
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (predicate()) resolve();
          else if (failure !== undefined) reject(failure);
          else if (completed) reject(new Error(`subscription completed before ${what}`));
          else waiters.push(check);
        };
        check();
      }),
      5_000,
      what,
    );
  return {
    events,
    subscription,
    get failure() {
      return failure;
    },
    get completed() {
      return completed;
    },
    count: (n: number) => until(() => events.length >= n, `${n} events`),
    ended: () => until(() => failure !== undefined || completed, 'the end of the subscription'),
  };
}

const positionsOf = (events: readonly RecordedEvent[]): number[] => events.map((e) => e.position);

function expectStrictlyIncreasing(values: readonly number[]): void {
  values.forEach((value, i) => {
    if (i > 0) expect(value).toBeGreaterThan(values[i - 1] ?? -Infinity);
  });
}

function expectWrongRevision(error: unknown, stream: string, expected: ExpectedRevision, actual: number | null): void {
  expect(error).toBeInstanceOf(WrongExpectedRevisionError);
  expect(error).toMatchObject({ stream, expected, actual });
}

// ---------------------------------------------------------------------------

export function describeEventStoreContract(adapterName: string, harness: EventStoreHarness): void {
  const quietMs = harness.quietMs ?? 50;

  describe(`EventStore contract: ${adapterName}`, () => {
    const opened: EventStore[] = [];
    const create = async (): Promise<EventStore> => {
      const store = await harness.create();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    describe('append and read back', () => {
      it('returns every envelope field unchanged, decimal strings included', async () => {
        const store = await create();
        const s = namespace().stream('roundtrip');
        const base = await headPosition(store);
        const events = eventsFor(s, 0, 2);
        const result = await store.append(s, events, 'no_stream');

        const read = await store.readStream(s);
        // Positions need not be dense (EventStoreDB's are log offsets), only increasing.
        const firstPosition = read[0]?.position ?? Number.NaN;
        expect(firstPosition).toBeGreaterThan(base);
        expect(read).toEqual([recorded(events[0]!, s, 0, firstPosition), recorded(events[1]!, s, 1, result.position)]);
        expect(result).toEqual({ nextExpectedRevision: 1, position: read[1]?.position });
        const fill = read[0];
        if (fill?.type !== 'OrderFilled') throw new Error('expected an OrderFilled first');
        expect(fill.data.price).toBe('65432.10000000');
        expect(fill.data.fee).toBe('-0.000000012345678901234567890');
        expect(fill.data.remaining).toBe('0.00000000');
        expect(fill.time).toBe('2024-01-02T03:04:05.678Z');
        expect(read[1]?.metadata).toEqual({ correlationId: 'corr-instance-a', causationId: 'cause-0', instanceId: 'instance-a', configVersion: 7 });

        expect(await store.readAll({ after: base })).toEqual(read);
      });

      it('numbers revisions from 0 without gaps and reports the last revision and position', async () => {
        const store = await create();
        const s = namespace().stream('revisions');
        const results: AppendResult[] = [];
        results.push(await store.append(s, eventsFor(s, 0, 1), 'no_stream'));
        results.push(await store.append(s, eventsFor(s, 1, 3), 0));
        results.push(await store.append(s, eventsFor(s, 4, 2), 3));

        const read = await store.readStream(s);
        expect(read.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5]);
        expect(results.map((r) => r.nextExpectedRevision)).toEqual([0, 3, 5]);
        expect(results.map((r) => r.position)).toEqual([read[0]?.position, read[3]?.position, read[5]?.position]);
        expect(await store.streamRevision(s)).toBe(5);
      });

      it('gives strictly increasing global positions across streams, in commit order', async () => {
        const store = await create();
        const ns = namespace();
        const base = await headPosition(store);
        const appended: string[] = [];
        const plan: Array<[label: string, count: number]> = [['a', 2], ['b', 1], ['a', 1], ['c', 3], ['b', 2]];
        for (const [label, count] of plan) {
          const s = ns.stream(label);
          const from = ((await store.streamRevision(s)) ?? -1) + 1;
          const events = eventsFor(s, from, count);
          const result = await store.append(s, events, 'any');
          expect(result.position).toBeGreaterThan(base);
          appended.push(...events.map((e) => e.id));
        }
        const all = (await store.readAll({ after: base })).filter(ns.owns);
        expect(all.map((e) => e.id)).toEqual(appended);
        expectStrictlyIncreasing(positionsOf(all));
        expect(all[0]?.position).toBeGreaterThan(base);
      });
    });

    describe('expected revision', () => {
      const cases: Array<{ title: string; existing: number; expected: ExpectedRevision; accepted: boolean }> = [
        { title: "'no_stream' on an absent stream", existing: 0, expected: 'no_stream', accepted: true },
        { title: "'any' on an absent stream", existing: 0, expected: 'any', accepted: true },
        { title: "'stream_exists' on an absent stream", existing: 0, expected: 'stream_exists', accepted: false },
        { title: '0 on an absent stream', existing: 0, expected: 0, accepted: false },
        { title: 'the last revision', existing: 2, expected: 1, accepted: true },
        { title: "'any' on an existing stream", existing: 2, expected: 'any', accepted: true },
        { title: "'stream_exists' on an existing stream", existing: 2, expected: 'stream_exists', accepted: true },
        { title: "'no_stream' on an existing stream", existing: 2, expected: 'no_stream', accepted: false },
        { title: 'a revision behind the last', existing: 2, expected: 0, accepted: false },
        { title: 'a revision ahead of the last', existing: 2, expected: 2, accepted: false },
      ];

      it.each(cases)('$title: accepted=$accepted', async ({ existing, expected, accepted }) => {
        const store = await create();
        const s = namespace().stream('expect');
        if (existing > 0) await store.append(s, eventsFor(s, 0, existing), 'no_stream');
        const attempt = store.append(s, eventsFor(s, existing, 2), expected);
        if (accepted) {
          await expect(attempt).resolves.toMatchObject({ nextExpectedRevision: existing + 1 });
          expect(await store.streamRevision(s)).toBe(existing + 1);
        } else {
          expectWrongRevision(await rejectionOf(attempt), s, expected, existing > 0 ? existing - 1 : null);
          expect(await store.readStream(s)).toHaveLength(existing);
        }
      });

      it('rejects a malformed expected revision without writing', async () => {
        const store = await create();
        const s = namespace().stream('malformed');
        for (const bad of [-1, 1.5, Number.NaN, 'latest' as unknown as ExpectedRevision]) {
          await expect(store.append(s, eventsFor(s, 0, 1), bad)).rejects.toBeInstanceOf(RangeError);
        }
        expect(await store.streamRevision(s)).toBeNull();
      });

      it('lets exactly one of several concurrent appends at the same expected revision win', async () => {
        const store = await create();
        const s = namespace().stream('race');
        await store.append(s, eventsFor(s, 0, 1), 'no_stream');
        const writers = ['w1', 'w2', 'w3', 'w4', 'w5'];
        const outcomes = await Promise.allSettled(writers.map((w) => store.append(s, eventsFor(s, 1, 2, w), 0)));

        const winners = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [writers[i]] : []));
        expect(winners).toHaveLength(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') expectWrongRevision(outcome.reason, s, 0, 2);
        }
        const read = await store.readStream(s);
        expect(read.map((e) => e.revision)).toEqual([0, 1, 2]);
        expect(read.slice(1).map((e) => e.metadata.instanceId)).toEqual([winners[0], winners[0]]);
      });

      it('fences a second writer: its events at a taken revision are not a retry', async () => {
        const store = await create();
        const s = namespace().stream('fence');
        await store.append(s, eventsFor(s, 0, 2, 'owner'), 'no_stream');
        expectWrongRevision(await rejectionOf(store.append(s, eventsFor(s, 0, 2, 'intruder'), 'no_stream')), s, 'no_stream', 1);
        expect((await store.readStream(s)).map((e) => e.metadata.instanceId)).toEqual(['owner', 'owner']);
      });
    });

    describe('idempotency', () => {
      it('treats a retry of the same events as a no-op that returns the original result, whatever the expected revision', async () => {
        const store = await create();
        const ns = namespace();
        const s = ns.stream('retry');
        const base = await headPosition(store);
        const first = eventsFor(s, 0, 3);
        const original = await store.append(s, first, 'no_stream');
        expect(await store.append(s, first, 'no_stream')).toEqual(original);

        await store.append(s, eventsFor(s, 3, 2), 2);
        const before = await store.readAll({ after: base });
        for (const expected of ['no_stream', 'any', 'stream_exists', 2, 4, 17] as const) {
          expect(await store.append(s, first, expected)).toEqual(original);
        }
        // A tail of the original batch is a retry too.
        expect(await store.append(s, first.slice(1), 0)).toEqual(original);
        const [firstStored] = await store.readStream(s, { maxCount: 1 });
        expect(await store.append(s, first.slice(0, 1), 'no_stream')).toEqual({ nextExpectedRevision: 0, position: firstStored?.position });

        expect(await store.readAll({ after: base })).toEqual(before);
        expect(await store.streamRevision(s)).toBe(4);
        // Nothing was written by the retries, so the next append continues right after.
        const next = await store.append(s, eventsFor(s, 5, 1), 4);
        expect(next.nextExpectedRevision).toBe(5);
      });

      it('rejects a batch that partly repeats stored events, and writes nothing', async () => {
        const store = await create();
        const s = namespace().stream('partial');
        const stored = eventsFor(s, 0, 3);
        await store.append(s, stored, 'no_stream');
        const fresh = eventsFor(s, 3, 1);

        const error = await rejectionOf(store.append(s, [stored[2]!, ...fresh], 2));
        expect(error).toBeInstanceOf(IdempotencyConflictError);
        expect(error).toMatchObject({ stream: s, eventIds: [stored[2]!.id] });
        expect(await store.streamRevision(s)).toBe(2);
      });

      it('rejects stored ids in another order, ids stored in another stream, and an id twice in one batch', async () => {
        const store = await create();
        const ns = namespace();
        const s = ns.stream('one');
        const other = ns.stream('two');
        const stored = eventsFor(s, 0, 2);
        await store.append(s, stored, 'no_stream');

        await expect(store.append(s, [stored[1]!, stored[0]!], 'any')).rejects.toBeInstanceOf(IdempotencyConflictError);
        const elsewhere = await rejectionOf(store.append(other, stored, 'no_stream'));
        expect(elsewhere).toBeInstanceOf(IdempotencyConflictError);
        expect(elsewhere).toMatchObject({ stream: other, eventIds: stored.map((e) => e.id) });
        const twice = eventsFor(s, 2, 1);
        await expect(store.append(s, [twice[0]!, twice[0]!], 1)).rejects.toBeInstanceOf(IdempotencyConflictError);

        expect(await store.streamRevision(s)).toBe(1);
        expect(await store.streamRevision(other)).toBeNull();
      });
    });

    describe('empty append', () => {
      it('checks the expected revision, writes nothing, and returns the current state (-1 and 0 for an absent stream)', async () => {
        const store = await create();
        const ns = namespace();
        const s = ns.stream('empty');
        const base = await headPosition(store);

        expect(await store.append(s, [], 'no_stream')).toEqual({ nextExpectedRevision: -1, position: 0 });
        expect(await store.append(s, [], 'any')).toEqual({ nextExpectedRevision: -1, position: 0 });
        expectWrongRevision(await rejectionOf(store.append(s, [], 'stream_exists')), s, 'stream_exists', null);
        expect(await store.streamRevision(s)).toBeNull();
        expect(await store.listStreams()).not.toContain(s);

        const written = await store.append(s, eventsFor(s, 0, 2), 'no_stream');
        expect(await store.append(s, [], 1)).toEqual(written);
        expect(await store.append(s, [], 'stream_exists')).toEqual(written);
        expectWrongRevision(await rejectionOf(store.append(s, [], 0)), s, 0, 1);
        expect((await store.readAll({ after: base })).filter(ns.owns)).toHaveLength(2);
      });
    });

    describe('validation and atomicity', () => {
      it('rejects a batch holding one invalid event and writes none of it', async () => {
        const store = await create();
        const ns = namespace();
        const s = ns.stream('atomic');
        await store.append(s, eventsFor(s, 0, 1), 'no_stream');
        const base = await headPosition(store);
        const [good1, bad, good2] = eventsFor(s, 1, 3);
        const broken = { ...bad!, type: 'OrderFilled', data: { ...orderFilled(s, 2).data, price: '6.5e4' } } as NewEvent;

        const error = await rejectionOf(store.append(s, [good1!, broken, good2!], 0));
        expect(error).toBeInstanceOf(InvalidEventError);
        expect(String(error)).toContain('price');
        expect(await store.streamRevision(s)).toBe(0);
        expect(await store.readAll({ after: base })).toEqual([]);

        const fresh = ns.stream('atomic-new');
        await expect(store.append(fresh, [eventsFor(fresh, 0, 1)[0]!, broken], 'no_stream')).rejects.toBeInstanceOf(InvalidEventError);
        expect(await store.streamRevision(fresh)).toBeNull();
      });

      it('rejects an unknown type, a stale schema version, a non-UUID id, bad metadata and a float price', async () => {
        const store = await create();
        const s = namespace().stream('invalid');
        const valid = orderFilled(s, 0);
        const invalid: Array<Record<string, unknown>> = [
          { ...valid, type: 'OrderTeleported' },
          { ...valid, version: 99 },
          { ...valid, id: 'not-a-uuid' },
          { ...valid, metadata: { ...valid.metadata, configVersion: -1 } },
          { ...valid, data: { ...valid.data, price: 65432.1 } },
          { ...valid, time: '2024-01-02 03:04:05' },
        ];
        for (const event of invalid) {
          await expect(store.append(s, [event as unknown as NewEvent], 'any')).rejects.toBeInstanceOf(InvalidEventError);
        }
        expect(await store.streamRevision(s)).toBeNull();
      });
    });

    describe('reading', () => {
      it('readStream honours fromRevision and maxCount', async () => {
        const store = await create();
        const s = namespace().stream('paging');
        await store.append(s, eventsFor(s, 0, 10), 'no_stream');
        const revisions = async (options: { fromRevision?: number; maxCount?: number }) => (await store.readStream(s, options)).map((e) => e.revision);

        expect(await revisions({ fromRevision: 3, maxCount: 4 })).toEqual([3, 4, 5, 6]);
        expect(await revisions({ fromRevision: 8 })).toEqual([8, 9]);
        expect(await revisions({ maxCount: 2 })).toEqual([0, 1]);
        expect(await revisions({ fromRevision: 10 })).toEqual([]);
        expect(await revisions({ maxCount: 0 })).toEqual([]);
        await expect(store.readStream(s, { maxCount: -1 })).rejects.toBeInstanceOf(RangeError);
        await expect(store.readStream(s, { fromRevision: -1 })).rejects.toBeInstanceOf(RangeError);
      });

      it('readAll honours after (exclusive) and maxCount, and pages through the log', async () => {
        const store = await create();
        const ns = namespace();
        const base = await headPosition(store);
        for (const label of ['x', 'y', 'x', 'y']) {
          const s = ns.stream(label);
          await store.append(s, eventsFor(s, ((await store.streamRevision(s)) ?? -1) + 1, 3), 'any');
        }
        const all = await store.readAll({ after: base });
        expect(all.filter(ns.owns)).toHaveLength(12);

        const firstThree = await store.readAll({ after: base, maxCount: 3 });
        expect(firstThree).toEqual(all.slice(0, 3));
        expect(await store.readAll({ after: all[4]!.position, maxCount: 2 })).toEqual(all.slice(5, 7));

        const paged: RecordedEvent[] = [];
        let after = base;
        for (;;) {
          const page = await store.readAll({ after, maxCount: 5 });
          if (page.length === 0) break;
          paged.push(...page);
          after = page[page.length - 1]!.position;
        }
        expect(paged).toEqual(all);
        expect(await store.readAll({ after: all[all.length - 1]!.position })).toEqual([]);
        expect(await store.readAll({ after: base, maxCount: 0 })).toEqual([]);
        await expect(store.readAll({ after: -1 })).rejects.toBeInstanceOf(RangeError);
      });

      it('reads an absent stream as empty with revision null', async () => {
        const store = await create();
        const s = namespace().stream('absent');
        expect(await store.readStream(s)).toEqual([]);
        expect(await store.streamRevision(s)).toBeNull();
      });

      it('lists streams sorted, only those holding events', async () => {
        const store = await create();
        const ns = namespace();
        const names = ['pair-b', 'pair-A', 'pair-a', 'pair-a_b'].map(ns.stream);
        for (const s of names) await store.append(s, eventsFor(s, 0, 1), 'no_stream');
        const neverCreated = ns.stream('rejected');
        await rejectionOf(store.append(neverCreated, eventsFor(neverCreated, 0, 1), 'stream_exists'));

        const listed = await store.listStreams();
        expect(listed.filter((name) => ns.owns({ stream: name }))).toEqual([...names].sort());
        expect(listed).not.toContain(neverCreated);
        expect([...listed].sort()).toEqual(listed);
      });
    });

    describe('subscribe', () => {
      it('catches up from after (exclusive), then delivers live appends', async () => {
        const store = await create();
        const ns = namespace();
        const s = ns.stream('live');
        const base = await headPosition(store);
        await store.append(s, eventsFor(s, 0, 3), 'no_stream');

        const sub = record(store.subscribe({ after: base }), ns.owns);
        const [firstStored] = await store.readStream(s, { maxCount: 1 });
        const skipFirst = record(store.subscribe({ after: firstStored?.position ?? Number.NaN }), ns.owns);
        await sub.count(3);
        await store.append(s, eventsFor(s, 3, 2), 2);
        const t = ns.stream('live-2');
        await store.append(t, eventsFor(t, 0, 1), 'no_stream');
        await sub.count(6);
        await skipFirst.count(5);
        sub.subscription.unsubscribe();
        skipFirst.subscription.unsubscribe();

        const all = (await store.readAll({ after: base })).filter(ns.owns);
        expect(sub.events).toEqual(all);
        expect(skipFirst.events).toEqual(all.slice(1));
      });

      it('has no gap and no duplicate when appends race the catch-up, including appends made from inside the subscriber', async () => {
        const store = await create();
        const ns = namespace();
        const base = await headPosition(store);
        for (let batch = 0; batch < 6; batch += 1) {
          const s = ns.stream(batch % 2 === 0 ? 'even' : 'odd');
          await store.append(s, eventsFor(s, ((await store.streamRevision(s)) ?? -1) + 1, 20), 'any');
        }
        const racing = ns.stream('racing');
        const reentrant = ns.stream('reentrant');
        let reentrantRevision = 0;
        const reentrantFailures: unknown[] = [];
        const expectedTotal = 120 + 40 + 5;

        const sub = record(store.subscribe({ after: base }), ns.owns);
        // Append from inside next(), during the catch-up, as a projection that writes would.
        const inner = store.subscribe({ after: base }).subscribe((event) => {
          if (event.stream === ns.stream('odd') && event.revision % 12 === 0 && reentrantRevision < 5) {
            const revision = reentrantRevision++;
            store.append(reentrant, eventsFor(reentrant, revision, 1), 'any').catch((error: unknown) => reentrantFailures.push(error));
          }
        });
        for (let i = 0; i < 40; i += 1) {
          await store.append(racing, eventsFor(racing, i, 1), i === 0 ? 'no_stream' : i - 1);
          await new Promise((resolve) => setImmediate(resolve));
        }
        await sub.count(expectedTotal);
        inner.unsubscribe();
        sub.subscription.unsubscribe();

        expect(reentrantFailures).toEqual([]);
        const all = (await store.readAll({ after: base })).filter(ns.owns);
        expect(all).toHaveLength(expectedTotal);
        expect(positionsOf(sub.events)).toEqual(positionsOf(all));
        expect(sub.events).toEqual(all);
      });

      it('stops delivering once unsubscribed', async () => {
        const store = await create();
        const ns = namespace();
        const s = ns.stream('unsubscribe');
        const base = await headPosition(store);
        const sub = record(store.subscribe({ after: base }), ns.owns);
        await store.append(s, eventsFor(s, 0, 2), 'no_stream');
        await sub.count(2);
        sub.subscription.unsubscribe();

        await store.append(s, eventsFor(s, 2, 2), 1);
        await sleep(quietMs);
        expect(sub.events).toHaveLength(2);
      });

      it('completes live subscriptions when the store closes', async () => {
        const store = await create();
        const sub = record(store.subscribe({ after: await headPosition(store) }));
        await store.close();
        await sub.ended();
        expect(sub.completed).toBe(true);
      });

      it('rejects a malformed after', async () => {
        const store = await create();
        const sub = record(store.subscribe({ after: -5 }));
        await sub.ended();
        expect(sub.failure).toBeInstanceOf(RangeError);
      });
    });

    (harness.corrupt ? describe : describe.skip)('invalid stored events', () => {
      const corrupt = async (store: EventStore, stream: string, revision: number, patch: StoredEventPatch): Promise<void> => {
        if (!harness.corrupt) throw new Error('unreachable: the suite is skipped without corrupt()');
        await harness.corrupt(store, stream, revision, patch);
      };
      const patches: Array<{ title: string; patch: (s: string) => StoredEventPatch; problem: RegExp }> = [
        { title: 'data breaking the schema', patch: (s) => ({ data: JSON.stringify({ ...feedStale(s, 1).data, maxAgeMs: 'soon' }) }), problem: /data: maxAgeMs/ },
        { title: 'data that is not JSON', patch: () => ({ data: '{"tradeId": "t-1", ' }), problem: /data: not valid JSON/ },
        { title: 'metadata that is not JSON', patch: () => ({ metadata: 'null}' }), problem: /metadata: not valid JSON/ },
        { title: 'an unknown type', patch: () => ({ type: 'OrderTeleported' }), problem: /unknown event type "OrderTeleported"/ },
        { title: 'a future schema version', patch: () => ({ version: 2 }), problem: /unsupported schema version 2/ },
      ];

      it.each(patches)('$title: reads fail with InvalidEventError naming stream and revision', async ({ patch, problem }) => {
        const store = await create();
        const s = namespace().stream('corrupt');
        const base = await headPosition(store);
        await store.append(s, eventsFor(s, 0, 3), 'no_stream');
        await corrupt(store, s, 1, patch(s));

        for (const read of [() => store.readStream(s), () => store.readAll({ after: base })]) {
          const error = await rejectionOf(read());
          expect(error).toBeInstanceOf(InvalidEventError);
          expect(error).toMatchObject({ stream: s, revision: 1 });
          expect((error as Error).message).toContain(`stream "${s}" at revision 1`);
          expect((error as Error).message).toMatch(problem);
        }
        // Events before the bad one still read.
        expect((await store.readStream(s, { maxCount: 1 })).map((e) => e.revision)).toEqual([0]);
      });

      it('errors a subscription at the invalid event, after delivering the ones before it', async () => {
        const store = await create();
        const ns = namespace();
        const s = ns.stream('corrupt-live');
        const base = await headPosition(store);
        await store.append(s, eventsFor(s, 0, 3), 'no_stream');
        await corrupt(store, s, 1, { data: '{}' });

        const sub = record(store.subscribe({ after: base }), ns.owns);
        await sub.ended();
        expect(sub.events.map((e) => e.revision)).toEqual([0]);
        expect(sub.failure).toBeInstanceOf(InvalidEventError);
        expect(sub.failure).toMatchObject({ stream: s, revision: 1 });
      });
    });

    describe('after close', () => {
      it('rejects every operation with StoreUnavailableError, and closing again is harmless', async () => {
        const store = await create();
        const s = namespace().stream('closed');
        await store.append(s, eventsFor(s, 0, 1), 'no_stream');
        await store.close();

        for (const operation of [
          () => store.append(s, eventsFor(s, 1, 1), 0),
          () => store.readStream(s),
          () => store.readAll(),
          () => store.streamRevision(s),
          () => store.listStreams(),
        ]) {
          await expect(operation()).rejects.toBeInstanceOf(StoreUnavailableError);
        }
        const sub = record(store.subscribe());
        await sub.ended();
        expect(sub.failure).toBeInstanceOf(StoreUnavailableError);
        await expect(store.close()).resolves.toBeUndefined();
      });
    });

    describe('model', () => {
      type Expectation = 'right' | 'any' | 'no_stream' | 'stream_exists' | { readonly offBy: number };
      const command = fc.record({
        stream: fc.integer({ min: 0, max: 2 }),
        count: fc.integer({ min: 0, max: 3 }),
        expect: fc.oneof(
          fc.constantFrom<Expectation>('right', 'any', 'no_stream', 'stream_exists'),
          fc.integer({ min: -2, max: 2 }).map((offBy): Expectation => ({ offBy })),
        ),
      });

      it('random appends with right and wrong expected revisions leave each stream equal to a simple model', async () => {
        const store = await create();
        await fc.assert(
          fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 12 }), async (commands) => {
            const ns = namespace();
            const streams = [ns.stream('p0'), ns.stream('p1'), ns.stream('p2')];
            const model = new Map<string, string[]>(streams.map((s) => [s, []]));
            // Each accepted append's result must name the position of the stream's last event at that moment.
            const reported: Array<{ stream: string; lastIndex: number; position: number }> = [];
            let lastPosition = 0;

            for (const cmd of commands) {
              const s = streams[cmd.stream]!;
              const ids = model.get(s)!;
              const current = ids.length - 1;
              const expected: ExpectedRevision =
                cmd.expect === 'right'
                  ? current < 0
                    ? 'no_stream'
                    : current
                  : typeof cmd.expect === 'object'
                    ? Math.max(0, current + cmd.expect.offBy)
                    : cmd.expect;
              const accepts =
                expected === 'any' || (expected === 'no_stream' && current < 0) || (expected === 'stream_exists' && current >= 0) || expected === current;
              const events = eventsFor(s, ids.length, cmd.count);

              if (!accepts) {
                expectWrongRevision(await rejectionOf(store.append(s, events, expected)), s, expected, current < 0 ? null : current);
                continue;
              }
              const result = await store.append(s, events, expected);
              ids.push(...events.map((e) => e.id));
              expect(result.nextExpectedRevision).toBe(ids.length - 1);
              if (events.length > 0) {
                expect(result.position).toBeGreaterThan(lastPosition);
                lastPosition = result.position;
              }
              if (ids.length === 0) expect(result.position).toBe(0);
              else reported.push({ stream: s, lastIndex: ids.length - 1, position: result.position });
            }

            const reads = new Map<string, RecordedEvent[]>();
            for (const s of streams) {
              const ids = model.get(s)!;
              const read = await store.readStream(s);
              reads.set(s, read);
              expect(read.map((e) => e.id)).toEqual(ids);
              expect(read.map((e) => e.revision)).toEqual(ids.map((_, i) => i));
              expect(await store.streamRevision(s)).toBe(ids.length === 0 ? null : ids.length - 1);
            }
            for (const { stream, lastIndex, position } of reported) expect(reads.get(stream)?.[lastIndex]?.position).toBe(position);
          }),
          { numRuns: 40 },
        );
      });
    });
  });
}
