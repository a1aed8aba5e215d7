import type { EventStore } from './event-store.js';
import { MemoryEventStore } from './memory-event-store.js';
import { SqliteEventStore, type SqliteSynchronous } from './sqlite-event-store.js';

export type StoreUrl = { readonly kind: 'sqlite'; readonly path: string; readonly synchronous: SqliteSynchronous } | { readonly kind: 'memory' };

const ACCEPTED_FORMS = [
  'sqlite:<path>                 e.g. sqlite:./data/events.db (relative to the working directory)',
  'sqlite:<path>?sync=normal     (or ?sync=full, the default)',
  'sqlite:///<absolute path>     e.g. sqlite:///var/lib/mm/events.db',
  'memory:                       in-process, lost on exit (tests only)',
].join('\n  ');

export class InvalidStoreUrlError extends Error {
  override readonly name = 'InvalidStoreUrlError';
  constructor(
    readonly url: string,
    readonly problem: string,
  ) {
    super(
      `invalid event store URL ${JSON.stringify(url)}: ${problem}.\nAccepted forms:\n  ${ACCEPTED_FORMS}\n` +
        '(esdb:// URLs will be accepted once the EventStoreDB adapter lands.)',
    );
  }
}

/**
 * Parse an event store URL. Paths are taken literally (no percent-decoding),
 * so `sqlite:./data/my%20events.db` names a file with "%20" in it; a path
 * cannot contain "?".
 */
export function parseStoreUrl(url: string): StoreUrl {
  const fail = (problem: string): never => {
    throw new InvalidStoreUrlError(url, problem);
  };
  if (typeof url !== 'string' || url.trim() === '') return fail('it is empty');
  const text = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return fail('it has no scheme');
  const rest = text.slice(scheme.length + 1);

  if (scheme === 'memory') {
    if (rest !== '' && rest !== '//') return fail('memory: takes no path or options');
    return { kind: 'memory' };
  }
  if (scheme === 'esdb' || scheme === 'esdb+discover') return fail('EventStoreDB is not supported yet');
  if (scheme !== 'sqlite') return fail(`unknown scheme "${scheme}:"`);

  const queryAt = rest.indexOf('?');
  let path = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const query = queryAt === -1 ? undefined : rest.slice(queryAt + 1);
  if (path === '//') return fail('the path is missing');
  if (path.startsWith('//')) {
    // URL form: only an empty authority is meaningful for a local file.
    if (!path.startsWith('///')) return fail('a host is not allowed; use sqlite:<relative path> or sqlite:///<absolute path>');
    path = path.slice(2);
  }
  if (path === '') return fail('the path is missing');
  if (path.endsWith('/') || path.endsWith('\\')) return fail(`the path "${path}" names a directory, not a file`);

  let synchronous: SqliteSynchronous = 'full';
  if (query !== undefined) {
    const params = new URLSearchParams(query);
    for (const key of new Set(params.keys())) {
      if (key !== 'sync') return fail(`unknown option "${key}" (the only option is sync=full|normal)`);
    }
    const values = params.getAll('sync');
    if (values.length !== 1) return fail(values.length === 0 ? 'the query is empty' : 'sync is given more than once');
    const value = values[0];
    if (value !== 'full' && value !== 'normal') return fail(`sync must be "full" or "normal", got "${String(value)}"`);
    synchronous = value;
  }
  return { kind: 'sqlite', path, synchronous };
}

/** Open the store a URL names. Rejects with InvalidStoreUrlError or StoreUnavailableError. */
export async function openEventStore(url: string): Promise<EventStore> {
  const parsed = parseStoreUrl(url);
  switch (parsed.kind) {
    case 'memory':
      return new MemoryEventStore();
    case 'sqlite':
      return SqliteEventStore.open(parsed.path, { synchronous: parsed.synchronous });
  }
}
