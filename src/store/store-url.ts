import type { EventStore } from './event-store.js';
import { MemoryEventStore } from './memory-event-store.js';
import { SqliteEventStore, type SqliteSynchronous } from './sqlite-event-store.js';

export type StoreUrl =
  | { readonly kind: 'sqlite'; readonly path: string; readonly synchronous: SqliteSynchronous }
  | { readonly kind: 'memory' }
  /** EventStoreDB: the connection string is handed to @eventstore/db-client as given (scheme lower-cased). */
  | { readonly kind: 'esdb'; readonly connectionString: string };

const ACCEPTED_FORMS = [
  'sqlite:<path>                           e.g. sqlite:./data/events.db (relative to the working directory)',
  'sqlite:<path>?sync=normal               (or ?sync=full, the default)',
  'sqlite:///<absolute path>               e.g. sqlite:///var/lib/mm/events.db',
  'memory:                                 in-process, lost on exit (tests only)',
  'esdb://<host>:<port>?tls=false          EventStoreDB, one node without TLS (e.g. esdb://localhost:2113?tls=false)',
  'esdb://<host>:<port>,<host>:<port>,...  an EventStoreDB cluster, TLS by default (add &tlsCAFile=<path> for a private CA)',
  'esdb+discover://<host>:<port>           an EventStoreDB cluster found through DNS and gossip (the client asks the first host)',
].join('\n  ');

export class InvalidStoreUrlError extends Error {
  override readonly name = 'InvalidStoreUrlError';
  constructor(
    readonly url: string,
    readonly problem: string,
  ) {
    super(`invalid event store URL ${JSON.stringify(redactPassword(url))}: ${problem}.\nAccepted forms:\n  ${ACCEPTED_FORMS}`);
  }
}

/** An EventStoreDB URL may carry `user:password@`; error messages show the user only. */
const redactPassword = (url: string): string => url.replace(/^(\s*esdb(?:\+discover)?:\/\/[^:/@,?]+):[^@/]*@/i, '$1:***@');

const ESDB_BOOLEAN_OPTIONS = new Set(['tls', 'tlsVerifyCert', 'dnsDiscover', 'throwOnAppendFailure']);

/**
 * Checks the shape the client's parser needs (hosts, ports, boolean options)
 * so a typo is reported as a bad URL up front; the client parses it again and
 * interprets every option.
 */
function parseEsdbUrl(scheme: string, rest: string, fail: (problem: string) => never): StoreUrl {
  if (!rest.startsWith('//')) return fail(`${scheme}: URLs start with ${scheme}://`);
  const body = rest.slice(2);
  const queryAt = body.indexOf('?');
  const authority = (queryAt === -1 ? body : body.slice(0, queryAt)).replace(/\/$/, '');
  const hosts = authority.slice(authority.lastIndexOf('@') + 1);
  if (hosts === '') return fail('the host is missing');
  for (const host of hosts.split(',')) {
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
    if (!match) return fail(`"${host}" is not a host or host:port`);
    const port = match[2] === undefined ? undefined : Number(match[2]);
    if (port !== undefined && (port < 1 || port > 65_535)) return fail(`port ${match[2] ?? ''} is out of range`);
  }
  if (queryAt !== -1) {
    const query = body.slice(queryAt + 1);
    if (query === '') return fail('the query is empty');
    for (const [key, value] of new URLSearchParams(query)) {
      if (ESDB_BOOLEAN_OPTIONS.has(key) && value !== 'true' && value !== 'false') return fail(`${key} must be true or false, got "${value}"`);
    }
  }
  return { kind: 'esdb', connectionString: `${scheme}:${rest}` };
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
  if (scheme === 'esdb' || scheme === 'esdb+discover') return parseEsdbUrl(scheme, rest, fail);
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
    case 'esdb': {
      // Loaded on demand: the gRPC client is not needed for the embedded stores.
      const { EventStoreDbEventStore, InvalidConnectionStringError } = await import('./eventstoredb-event-store.js');
      try {
        return EventStoreDbEventStore.open(parsed.connectionString);
      } catch (error) {
        if (error instanceof InvalidConnectionStringError) throw new InvalidStoreUrlError(url, error.message);
        throw error;
      }
    }
  }
}
