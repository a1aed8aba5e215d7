import type { RecordedEvent } from '../events/envelope.js';
import type { StoredReadModels } from './read-model-store.js';
import {
  applyReadModelEvent,
  emptyStreamProjection,
  isProjectedStream,
  READ_MODEL_COLUMNS,
  READ_MODEL_TABLES,
  readModelRows,
  type ReadModelSnapshot,
  type ReadModelTable,
  type StreamProjection,
} from './read-models.js';

export interface RebuiltReadModels {
  /** Events folded: those up to `position`. */
  readonly events: number;
  /** Pair streams with rows. */
  readonly streams: number;
  /** Global position of the last event folded; 0 when none. */
  readonly position: number;
  /** Id of that event; null when none. */
  readonly eventId: string | null;
  /** Global position of the last event seen, folded or not: the log's head when given the whole log. */
  readonly head: number;
  /** Events seen, folded or not. */
  readonly seen: number;
  readonly rows: ReadModelSnapshot;
}

/**
 * Fold the read models from zero with the runner's own fold, so the result is
 * what the runner must have stored. With `upTo`, events after that position
 * are counted towards the head but not folded: a stored projection whose
 * checkpoint is behind the log is compared with the log as of its checkpoint.
 */
export class ReadModelRebuild {
  private readonly states = new Map<string, StreamProjection>();
  private folded = 0;
  private position = 0;
  private eventId: string | null = null;
  private head = 0;
  private seen = 0;

  constructor(private readonly upTo: number = Number.POSITIVE_INFINITY) {}

  add(event: RecordedEvent): void {
    if (event.position <= this.head) throw new RangeError(`events must come in position order: ${event.position} after ${this.head}`);
    this.head = event.position;
    this.seen += 1;
    if (event.position > this.upTo) return;
    this.folded += 1;
    this.position = event.position;
    this.eventId = event.id;
    if (!isProjectedStream(event.stream)) return;
    const state = this.states.get(event.stream) ?? emptyStreamProjection(event.stream);
    this.states.set(event.stream, applyReadModelEvent(state, event).state);
  }

  result(): RebuiltReadModels {
    const rows = [...this.states.values()].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0)).map(readModelRows);
    return {
      events: this.folded,
      streams: rows.length,
      position: this.position,
      eventId: this.eventId,
      head: this.head,
      seen: this.seen,
      rows: { inventory: rows.map((r) => r.inventory), pnl: rows.map((r) => r.pnl), performance: rows.map((r) => r.performance) },
    };
  }
}

/** Recompute every read-model row from zero. */
export function rebuildReadModels(events: Iterable<RecordedEvent>, options: { readonly upTo?: number } = {}): RebuiltReadModels {
  const rebuild = new ReadModelRebuild(options.upTo);
  for (const e of events) rebuild.add(e);
  return rebuild.result();
}

/** The same from a paged read of the log (e.g. readAllPages), so a long log never sits in memory. */
export async function rebuildReadModelsFrom(events: AsyncIterable<RecordedEvent>, options: { readonly upTo?: number } = {}): Promise<RebuiltReadModels> {
  const rebuild = new ReadModelRebuild(options.upTo);
  for await (const e of events) rebuild.add(e);
  return rebuild.result();
}

/**
 * `column` is '(row)' when a whole row is missing on one side; its values are
 * then 'present' or 'absent'. Table `checkpoint` (stream '(log)') compares the
 * stored checkpoint's own counts with the log.
 */
export interface ReadModelDifference {
  readonly stream: string;
  readonly table: ReadModelTable | 'checkpoint';
  readonly column: string;
  readonly stored: string | number | null;
  readonly rebuilt: string | number | null;
}

export interface ReadModelComparison {
  readonly differences: readonly ReadModelDifference[];
  /** The stored checkpoint. */
  readonly checkpoint: number;
  /** The log's head. */
  readonly head: number;
  /** The stored read models have not yet applied the events after the checkpoint: not a difference, just late. */
  readonly behind: boolean;
  /** Events the stored model has applied, by its own count, and the events the log holds up to the checkpoint: equal when each was applied once. */
  readonly eventsApplied: number;
  readonly eventsToCheckpoint: number;
}

/**
 * Every value where the stored read models and the rebuild disagree, by stream,
 * table and column, compared exactly. Rebuild with `upTo: stored.position` so a
 * checkpoint behind the head is reported as `behind`, not as differences.
 */
export function diffReadModels(stored: StoredReadModels, rebuilt: RebuiltReadModels): ReadModelComparison {
  const differences: ReadModelDifference[] = [];
  for (const table of READ_MODEL_TABLES) {
    const storedRows = byStream(stored.rows[table]);
    const rebuiltRows = byStream(rebuilt.rows[table]);
    const streams = [...new Set([...storedRows.keys(), ...rebuiltRows.keys()])].sort();
    for (const stream of streams) {
      const s = storedRows.get(stream);
      const r = rebuiltRows.get(stream);
      if (!s || !r) {
        differences.push({ stream, table, column: '(row)', stored: s ? 'present' : 'absent', rebuilt: r ? 'present' : 'absent' });
        continue;
      }
      for (const column of Object.keys(READ_MODEL_COLUMNS[table])) {
        const a = s[column] ?? null;
        const b = r[column] ?? null;
        if (a !== b) differences.push({ stream, table, column, stored: a, rebuilt: b });
      }
    }
  }
  // Rows can look right while an event of no consequence was applied twice or not at all; the count cannot.
  if (stored.eventsApplied !== rebuilt.events) {
    differences.push({ stream: '(log)', table: 'checkpoint', column: 'events_applied', stored: stored.eventsApplied, rebuilt: rebuilt.events });
  }
  // A checkpoint past the head, or on another event: these read models were projected from another log.
  if (stored.position > rebuilt.head) differences.push({ stream: '(log)', table: 'checkpoint', column: 'position', stored: stored.position, rebuilt: rebuilt.head });
  else if (stored.position > 0 && (rebuilt.position !== stored.position || rebuilt.eventId !== stored.eventId)) {
    differences.push({ stream: '(log)', table: 'checkpoint', column: 'event_id', stored: stored.eventId, rebuilt: rebuilt.position === stored.position ? rebuilt.eventId : null });
  }
  return {
    differences,
    checkpoint: stored.position,
    head: rebuilt.head,
    behind: stored.position < rebuilt.head,
    eventsApplied: stored.eventsApplied,
    eventsToCheckpoint: rebuilt.events,
  };
}

type Cell = string | number | null;
const byStream = (rows: readonly object[]): Map<string, Record<string, Cell>> => new Map(rows.map((r) => [(r as { stream: string }).stream, r as Record<string, Cell>]));
