import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BACKWARDS, END, EventStoreDBClient, eventTypeFilter, excludeSystemEvents, jsonEvent, START, type Position } from '@eventstore/db-client';
import { EmulatorLog, EXPECTED_ANY, EXPECTED_NO_STREAM, EXPECTED_STREAM_EXISTS, type ProposedEvent } from './emulator-log.js';
import { EventStoreDbEmulator } from './eventstoredb-emulator.js';

/*
 * The EMULATOR's own rules, checked directly: its storage core, and what the
 * real @eventstore/db-client sees on the wire. These pin the EventStoreDB
 * behaviour the adapter is written against (IndexWriter.CheckCommit, error
 * statuses, read and subscription boundaries).
 */

const event = (id: string, type = 'Thing'): ProposedEvent => ({ id, type, isJson: true, data: Buffer.from('{}'), metadata: new Uint8Array() });
const ids = (...names: string[]): ProposedEvent[] => names.map((n) => event(`00000000-0000-4000-8000-${n.padStart(12, '0')}`));
const newLog = (cacheSize = 1_000): EmulatorLog => new EmulatorLog({ firstPosition: 100n, committedEventsCacheSize: cacheSize, now: () => 0 });

describe('EmulatorLog: EventStoreDB expected-version and idempotency rules', () => {
  it('writes a new stream with any or no_stream only', () => {
    const log = newLog();
    expect(log.write('s', EXPECTED_STREAM_EXISTS, ids('1'))).toEqual({ kind: 'wrong-expected-version', currentRevision: -1 });
    expect(log.write('s', 0, ids('1'))).toEqual({ kind: 'wrong-expected-version', currentRevision: -1 });
    expect(log.write('s', EXPECTED_NO_STREAM, ids('1', '2'))).toMatchObject({ kind: 'success', lastRevision: 1 });
    expect(log.write('t', EXPECTED_ANY, ids('3'))).toMatchObject({ kind: 'success', lastRevision: 0 });
  });

  it('gives strictly increasing, non-dense positions; an idempotent repeat reports the original last event and its position', () => {
    const log = newLog();
    const first = log.write('s', EXPECTED_NO_STREAM, ids('1', '2', '3'));
    const positions = log.all.map((r) => r.position);
    expect(positions[0]).toBe(100n);
    positions.slice(1).forEach((p, i) => expect(p - (positions[i] ?? 0n)).toBeGreaterThan(1n));
    expect(first).toEqual({ kind: 'success', lastRevision: 2, position: positions[2] });
    // Expected version below the current one: ids compared with the events right after it.
    expect(log.write('s', EXPECTED_NO_STREAM, ids('1', '2', '3'))).toEqual(first);
    expect(log.write('s', EXPECTED_NO_STREAM, ids('1', '2'))).toEqual({ kind: 'success', lastRevision: 1, position: positions[1] });
    expect(log.write('s', 0, ids('2', '3'))).toEqual(first);
    expect(log.write('s', 0, ids('2', '9'))).toEqual({ kind: 'wrong-expected-version', currentRevision: 2 });
    expect(log.write('s', 1, ids('2', '3'))).toEqual({ kind: 'wrong-expected-version', currentRevision: 2 });
    expect(log.write('s', 5, ids('1'))).toEqual({ kind: 'wrong-expected-version', currentRevision: 2 });
    expect(log.all).toHaveLength(3);
  });

  it('writes a repeat again when the expected version is the current one (EventStoreDB keeps no id index)', () => {
    const log = newLog();
    log.write('s', EXPECTED_NO_STREAM, ids('1'));
    expect(log.write('s', 0, ids('1'))).toMatchObject({ kind: 'success', lastRevision: 1 });
    expect(log.stream('s')?.map((r) => r.id)).toEqual([...ids('1'), ...ids('1')].map((e) => e.id));
  });

  it('recognises repeats with any/stream_exists only while the ids are in the committed-events cache', () => {
    const log = newLog(2);
    log.write('s', EXPECTED_ANY, ids('1', '2'));
    expect(log.write('s', EXPECTED_ANY, ids('1', '2'))).toMatchObject({ kind: 'success', lastRevision: 1 });
    expect(log.write('s', EXPECTED_STREAM_EXISTS, ids('1', '7'))).toEqual({ kind: 'wrong-expected-version', currentRevision: 1 });
    // Same id in another stream: not a repeat there.
    expect(log.write('other', EXPECTED_ANY, ids('1'))).toMatchObject({ kind: 'success', lastRevision: 0 });
    log.write('s', EXPECTED_ANY, ids('3', '4'));
    // '2' fell out of the two-entry cache: written again.
    expect(log.write('s', EXPECTED_ANY, ids('2'))).toMatchObject({ kind: 'success', lastRevision: 4 });
  });

  it('lets stream_exists write to a stream that only has metadata', () => {
    const log = newLog();
    log.write('$$s', EXPECTED_ANY, [event('00000000-0000-4000-8000-00000000000a', '$metadata')]);
    expect(log.write('s', EXPECTED_STREAM_EXISTS, ids('1'))).toMatchObject({ kind: 'success', lastRevision: 0 });
  });
});

describe('EventStoreDbEmulator on the wire (real client)', () => {
  const emulator = new EventStoreDbEmulator();
  let client: EventStoreDBClient;
  beforeAll(async () => {
    client = EventStoreDBClient.connectionString((await emulator.start()).connectionString);
  });
  afterAll(async () => {
    await client.dispose();
    await emulator.stop();
  });

  it('answers a wrong expected version with the details the client maps (BatchAppend and Append)', async () => {
    await client.appendToStream('wev', [jsonEvent({ type: 'A', data: {} })], { expectedRevision: 'no_stream' });
    const batch = await client.appendToStream('wev', [jsonEvent({ type: 'A', data: {} })], { expectedRevision: 5n }).catch((e: unknown) => e);
    expect(batch).toMatchObject({ type: 'wrong-expected-version', streamName: 'wev', expectedVersion: 5n, actualVersion: 0n });

    const legacy = new EventStoreDbEmulator({ advertiseBatchAppend: false });
    const other = EventStoreDBClient.connectionString((await legacy.start()).connectionString);
    try {
      const error = await other.appendToStream('wev', [jsonEvent({ type: 'A', data: {} })], { expectedRevision: 'stream_exists' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ type: 'wrong-expected-version', streamName: 'wev', expectedVersion: 'stream_exists', actualVersion: 'no_stream' });
      expect(legacy.calls.append).toBe(1);
    } finally {
      await other.dispose();
      await legacy.stop();
    }
  });

  it('refuses an append over the maximum append size', async () => {
    const error = await client.appendToStream('big', [jsonEvent({ type: 'A', data: { pad: 'x'.repeat(1_100_000) } })]).catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'maximum-append-size-exceeded', maxAppendSize: 1_048_576 });
  });

  it('reads $all forwards from a position inclusively, backwards exclusively; a stream that does not exist is StreamNotFound', async () => {
    await client.appendToStream('bounds', [1, 2, 3].map((i) => jsonEvent({ type: 'B', data: { i } })));
    const all: Position[] = [];
    for await (const e of client.readAll()) if (e.event?.streamId === 'bounds' && e.event.position) all.push(e.event.position);
    const middle = all[1];
    if (!middle) throw new Error('expected three events');
    const forwards: Position[] = [];
    for await (const e of client.readAll({ fromPosition: middle, maxCount: 2 })) if (e.event?.position) forwards.push(e.event.position);
    expect(forwards).toEqual([all[1], all[2]]);
    const backwards: Position[] = [];
    for await (const e of client.readAll({ fromPosition: middle, direction: BACKWARDS, maxCount: 1 })) if (e.event?.position) backwards.push(e.event.position);
    expect(backwards).toEqual([all[0]]);
    const missing = await (async () => {
      for await (const e of client.readStream('never-written', { fromRevision: END, direction: BACKWARDS, maxCount: 1 })) void e;
    })().catch((e: unknown) => e);
    expect(missing).toMatchObject({ type: 'stream-not-found' });
  });

  it('subscribes to $all after a position (excluded), with filters, checkpoints and a caught-up signal, then live', async () => {
    await client.appendToStream('sub', [1, 2, 3].map((i) => jsonEvent({ type: 'S', data: { i } })));
    const positions: bigint[] = [];
    for await (const e of client.readStream('sub')) positions.push(e.event?.position?.commit ?? -1n);
    const checkpoints: Position[] = [];
    const subscription = client.subscribeToAll({
      fromPosition: { commit: positions[0] ?? 0n, prepare: positions[0] ?? 0n },
      filter: eventTypeFilter({ prefixes: ['S'], maxSearchWindow: 1, checkpointInterval: 1, checkpointReached: (_s, p) => void checkpoints.push(p) }),
    });
    const seen: bigint[] = [];
    let caughtUp = false;
    subscription.on('caughtUp', () => (caughtUp = true));
    await new Promise<void>((resolve, reject) => {
      subscription.on('error', reject);
      subscription.on('data', (e) => {
        seen.push(BigInt(e.event?.revision ?? -1n));
        if (seen.length === 2) void client.appendToStream('sub', jsonEvent({ type: 'S', data: { i: 4 } }));
        if (seen.length === 3) resolve();
      });
    });
    await subscription.unsubscribe();
    expect(seen).toEqual([1n, 2n, 3n]);
    expect(caughtUp).toBe(true);
    expect(checkpoints.length).toBeGreaterThan(0);

    const system = client.subscribeToAll({ fromPosition: START, filter: excludeSystemEvents() });
    const first = await new Promise<string>((resolve) => system.once('data', (e) => resolve(e.event?.type ?? '')));
    await system.unsubscribe();
    expect(first.startsWith('$')).toBe(false);
  });
});
