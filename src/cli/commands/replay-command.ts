import { projectPairs, summariseLog } from '../../../projections/log-summary.js';
import { readAllPages } from '../../store/read-all-pages.js';
import { openExistingStore } from '../open-store.js';
import { printPairTable } from '../print-summary.js';

export interface ReplayCommandOptions {
  readonly store: string;
  readonly json?: boolean;
}

/** Rebuild the projections from the log alone. */
export async function replayCommand(opts: ReplayCommandOptions): Promise<void> {
  const store = await openExistingStore(opts.store);
  try {
    let count = 0;
    const events = [];
    for await (const e of readAllPages(store)) {
      events.push(e);
      count++;
    }
    const pairs = summariseLog(projectPairs(events));
    if (opts.json) process.stdout.write(`${JSON.stringify({ events: count, pairs })}\n`);
    else {
      process.stdout.write(`replayed ${count} events from ${opts.store}\n`);
      printPairTable(pairs);
    }
  } finally {
    await store.close();
  }
}
