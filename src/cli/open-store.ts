import { existsSync } from 'node:fs';
import type { EventStore } from '../store/event-store.js';
import { openEventStore, parseStoreUrl } from '../store/store-url.js';
import { UsageError } from './errors.js';

/** Commands that read a log must not silently create an empty one. */
export async function openExistingStore(url: string): Promise<EventStore> {
  const parsed = parseStoreUrl(url);
  if (parsed.kind === 'sqlite' && !existsSync(parsed.path)) throw new UsageError(`no event store at ${parsed.path} (from --store ${url})`);
  return openEventStore(url);
}

/** A backtest writes into an empty store, so its log holds exactly one run. */
export async function openEmptyStore(url: string): Promise<EventStore> {
  const store = await openEventStore(url);
  const streams = await store.listStreams();
  if (streams.length > 0) {
    await store.close();
    throw new UsageError(`the store ${url} already holds ${streams.length} stream(s); a backtest writes into an empty store, so give it a new path`);
  }
  return store;
}
