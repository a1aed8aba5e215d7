import { describe, expect, it } from '@jest/globals';
import type { RecordedEvent } from '../../events/envelope.js';
import type { EventStore } from '../../src/store/event-store.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { describeEventStoreContract, eventsFor } from './event-store.contract.js';

function asMemory(store: EventStore): MemoryEventStore {
  if (!(store instanceof MemoryEventStore)) throw new Error('harness got a store it did not create');
  return store;
}

describeEventStoreContract('memory', {
  create: async () => new MemoryEventStore(),
  corrupt: async (store, stream, revision, patch) => asMemory(store).corruptForTest(stream, revision, patch),
  quietMs: 10,
});

describe('MemoryEventStore', () => {
  it('delivers an append to subscribers synchronously, before append() returns', async () => {
    const store = new MemoryEventStore();
    const seen: RecordedEvent[] = [];
    const subscription = store.subscribe().subscribe((event) => seen.push(event));
    const pending = store.append('pair-sync', eventsFor('pair-sync', 0, 2), 'no_stream');
    expect(seen.map((e) => e.revision)).toEqual([0, 1]);
    await pending;
    subscription.unsubscribe();
    await store.close();
  });

  it('hands out copies: mutating a read event does not change the log', async () => {
    const store = new MemoryEventStore();
    await store.append('pair-copy', eventsFor('pair-copy', 0, 1), 'no_stream');
    const [first] = await store.readStream('pair-copy');
    if (first?.type !== 'OrderFilled') throw new Error('expected an OrderFilled');
    (first.data as { price: string }).price = '1';
    const [again] = await store.readStream('pair-copy');
    expect(again?.type === 'OrderFilled' && again.data.price).toBe('65432.10000000');
    await store.close();
  });

  it('corruptForTest refuses an event that does not exist', () => {
    expect(() => new MemoryEventStore().corruptForTest('pair-none', 0, { data: '{}' })).toThrow(RangeError);
  });
});
