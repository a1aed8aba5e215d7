import { readAllPages } from '../../store/read-all-pages.js';
import { toJsonLine, toTextLine } from '../event-format.js';
import { UsageError } from '../errors.js';
import { openExistingStore } from '../open-store.js';

export interface EventsCommandOptions {
  readonly store: string;
  readonly stream?: string;
  readonly format: string;
}

export async function eventsCommand(opts: EventsCommandOptions): Promise<void> {
  if (opts.format !== 'jsonl' && opts.format !== 'text') throw new UsageError(`--format must be jsonl or text, got "${opts.format}"`);
  const format = opts.format === 'jsonl' ? toJsonLine : toTextLine;
  const store = await openExistingStore(opts.store);
  try {
    if (opts.stream !== undefined && (await store.streamRevision(opts.stream)) === null) {
      throw new UsageError(`no stream "${opts.stream}" in ${opts.store}; streams: ${(await store.listStreams()).join(', ') || '(none)'}`);
    }
    let buffer = '';
    for await (const e of readAllPages(store, 5_000, opts.stream)) {
      buffer += `${format(e)}\n`;
      if (buffer.length > 1 << 20) {
        await write(buffer);
        buffer = '';
      }
    }
    await write(buffer);
  } finally {
    await store.close();
  }
}

/** Respect back-pressure so a large export piped to `head` or a file stays bounded in memory. */
function write(chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (chunk === '') return resolve();
    process.stdout.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}
