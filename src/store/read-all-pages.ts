import type { RecordedEvent } from '../../events/envelope.js';
import type { EventStore } from './event-store.js';

/** Stream the whole log in pages, so a large log never sits in memory at once. */
export async function* readAllPages(store: EventStore, pageSize = 5_000, stream?: string): AsyncGenerator<RecordedEvent> {
  if (stream !== undefined) {
    for (let from = 0; ; ) {
      const page = await store.readStream(stream, { fromRevision: from, maxCount: pageSize });
      yield* page;
      if (page.length < pageSize) return;
      from = (page[page.length - 1]?.revision ?? from) + 1;
    }
  }
  for (let after: number | undefined; ; ) {
    const page = await store.readAll(after === undefined ? { maxCount: pageSize } : { after, maxCount: pageSize });
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]?.position;
  }
}
