import { Observable } from 'rxjs';
import type { RecordedEvent } from '../../events/envelope.js';
import { decodeStoredRow, isNonNegativeInteger, type StoredEventRow } from './append-rules.js';

export interface LiveSource {
  /** Up to `limit` stored rows with position > `after`, in position order; one consistent read. */
  readAfter(after: number, limit: number): readonly StoredEventRow[];
  /** Ticks after each commit through this store; completes when the store closes. */
  readonly commits: Observable<void>;
  /** Events per read; a full page means "more to catch up", so the next page waits for the event loop. */
  readonly pageSize: number;
  /** Also look for events committed elsewhere (another connection or process) this often. */
  readonly pollIntervalMs?: number;
}

/**
 * Catch up from `after` (exclusive), then stay live. The position cursor is
 * the only source of truth: a commit tick or a poll just says "read again
 * after the cursor", so an append racing the catch-up can be neither skipped
 * nor delivered twice. This relies on positions becoming visible in order,
 * which holds for one writer at a time (a memory array, SQLite's write lock).
 */
export function catchUpThenLive(source: LiveSource, after = 0): Observable<RecordedEvent> {
  return new Observable<RecordedEvent>((subscriber) => {
    if (!isNonNegativeInteger(after)) {
      subscriber.error(new RangeError(`after must be a non-negative integer, got ${String(after)}`));
      return undefined;
    }
    let cursor = after;
    let running = false;
    let wokenWhileRunning = false;
    let continuation: NodeJS.Immediate | undefined;

    const pump = (): void => {
      // A subscriber that appends from inside next() re-enters here; finish this page first.
      if (running) {
        wokenWhileRunning = true;
        return;
      }
      running = true;
      try {
        for (;;) {
          wokenWhileRunning = false;
          if (subscriber.closed) return;
          const page = source.readAfter(cursor, source.pageSize);
          for (const row of page) {
            if (subscriber.closed) return;
            // Decoded one at a time, so the events before a corrupt one are still delivered.
            const event = decodeStoredRow(row);
            cursor = event.position;
            subscriber.next(event);
          }
          if (page.length >= source.pageSize) {
            continuation ??= setImmediate(() => {
              continuation = undefined;
              pump();
            });
            return;
          }
          if (!wokenWhileRunning) return;
        }
      } catch (error) {
        subscriber.error(error);
      } finally {
        running = false;
      }
    };

    pump();
    const commits = source.commits.subscribe({ next: pump, complete: () => subscriber.complete() });
    const poll = source.pollIntervalMs === undefined || subscriber.closed ? undefined : setInterval(pump, source.pollIntervalMs);
    return () => {
      commits.unsubscribe();
      if (poll !== undefined) clearInterval(poll);
      if (continuation !== undefined) clearImmediate(continuation);
    };
  });
}
