import { EventStoreDBClient } from '@eventstore/db-client';
import { EventStoreDbEventStore } from '../src/store/eventstoredb-event-store.js';
import { EventStoreDbEmulator } from '../test/esdb-emulator/eventstoredb-emulator.js';
import { medianSeconds, type Figure } from './measure.js';
import { BATCH, benchStream, realisticBatches, STREAMS } from './realistic-events.js';

/**
 * Catch-up throughput of EventStoreDbEventStore.subscribe() (events/s from
 * subscribing at the start of $all until the last event arrives: gRPC,
 * decoding, envelope split and validation), beside the client's raw readAll of
 * the same log. Both read from the in-process EventStoreDB EMULATOR
 * (test/esdb-emulator) on the same thread, so both include its encoding cost
 * alike and neither says how fast a real server is. The appends that fill the
 * log go through the adapter and are not timed.
 */
export async function esdbCatchUpThroughput(runs: number): Promise<Figure[]> {
  const emulator = new EventStoreDbEmulator();
  const { connectionString } = await emulator.start();
  const writer = EventStoreDbEventStore.open(connectionString);
  const batches = realisticBatches();
  const total = batches.length * BATCH;
  let lastPosition = 0;
  try {
    // One writer per stream, the streams side by side, as pair runtimes write.
    await Promise.all(
      Array.from({ length: STREAMS }, async (_, s) => {
        let expected: number | 'no_stream' = 'no_stream';
        for (const batch of batches.filter((b) => b.stream === benchStream(s))) {
          const result = await writer.append(batch.stream, batch.events, expected);
          expected = result.nextExpectedRevision;
          lastPosition = Math.max(lastPosition, result.position);
        }
      }),
    );

    const reader = EventStoreDbEventStore.open(connectionString);
    const client = EventStoreDBClient.connectionString(connectionString);
    const catchUp = async (): Promise<void> => {
      let seen = 0;
      await new Promise<void>((resolve, reject) => {
        const subscription = reader.subscribe().subscribe({
          next: (event) => {
            seen += 1;
            if (event.position >= lastPosition) {
              subscription.unsubscribe();
              resolve();
            }
          },
          error: reject,
          complete: () => reject(new Error('subscription completed before catching up')),
        });
      });
      if (seen !== total) throw new Error(`caught up with ${seen} events, expected ${total}`);
    };
    const rawRead = async (): Promise<void> => {
      let read = 0;
      for await (const resolved of client.readAll()) if (resolved.event && !resolved.event.streamId.startsWith('$')) read += 1;
      if (read !== total) throw new Error(`read ${read} events, expected ${total}`);
    };
    // Interleaved, so a noisy neighbour slows both sides alike.
    const subscribeTimes: number[] = [];
    const rawTimes: number[] = [];
    for (let i = 0; i < runs; i++) {
      subscribeTimes.push((await medianSeconds(1, catchUp)).median);
      rawTimes.push((await medianSeconds(1, rawRead)).median);
    }
    await reader.close();
    await client.dispose();
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
    const subscribe = { median: median(subscribeTimes) };
    const raw = { median: median(rawTimes) };

    const rawFigure = { name: 'raw client readAll', value: total / raw.median };
    return [
      { name: 'raw @eventstore/db-client readAll of $all (emulator)', value: rawFigure.value, unit: 'events/s' },
      { name: 'EventStoreDbEventStore.subscribe catch-up (emulator)', value: total / subscribe.median, unit: 'events/s', baseline: rawFigure },
    ];
  } finally {
    await writer.close();
    await emulator.stop();
  }
}
