import type { ReadModelSnapshot, ReadModelUpsert, RememberedKey, SerialisedStreamProjection, StoredStreamProjection } from './read-models.js';

/** What one commit writes for one stream: its latest rows, its folded state, and keys first seen in this batch. */
export interface StreamCommit extends SerialisedStreamProjection {
  readonly upserts: readonly ReadModelUpsert[];
  readonly remembered: readonly RememberedKey[];
}

export interface ReadModelCommit {
  /** The checkpoint this batch was folded from: the commit fails if the store is no longer there. */
  readonly expectedCheckpoint: number;
  /** Global position of the last event in the batch: the new checkpoint. */
  readonly checkpoint: number;
  /** Id of that event, so a later run can tell the log it resumes is the log it left. */
  readonly checkpointEventId: string;
  /** Events in the batch, other streams' included (they advance the checkpoint and nothing else). */
  readonly events: number;
  readonly streams: readonly StreamCommit[];
}

export interface ReadModelCheckpoint {
  /** Global position of the last applied event; 0 when none. */
  readonly position: number;
  /** Events applied since the read models were created: one per log event up to `position`, if each was applied once. */
  readonly eventsApplied: number;
  /** Id of the event at `position`; null when none was applied. */
  readonly eventId: string | null;
}

export interface StoredReadModels extends ReadModelCheckpoint {
  readonly rows: ReadModelSnapshot;
}

/**
 * Where the projection runner keeps read models. The one promise that makes
 * a projection exactly-once: `commit` writes the rows, the per-stream fold
 * state and the checkpoint in one atomic transaction. After a crash at any
 * point a batch is either entirely there, checkpoint included, or not at all,
 * so resuming from the checkpoint re-applies exactly the events that were lost.
 */
export interface ReadModelStore {
  checkpoint(): Promise<ReadModelCheckpoint>;
  /** The fold state of one stream as of the checkpoint, or null when the stream has not been seen. */
  loadStream(stream: string): Promise<StoredStreamProjection | null>;
  /**
   * Atomic: all of it or none of it. Rejects with CheckpointConflictError when
   * the stored checkpoint is not `expectedCheckpoint` (another runner got
   * there first), and with StoreUnavailableError when storage fails.
   */
  commit(batch: ReadModelCommit): Promise<void>;
  /** Every read-model row and the checkpoint, from one consistent read: for comparison and display. */
  readAll(): Promise<StoredReadModels>;
  close(): Promise<void>;
}

/** The event at the checkpoint is not the one the read models applied: they were projected from another log. */
export class CheckpointMismatchError extends Error {
  override readonly name = 'CheckpointMismatchError';
  constructor(
    readonly position: number,
    readonly expectedEventId: string,
    readonly actualEventId: string | null,
  ) {
    super(
      `the read models were projected from another log: their checkpoint is event ${expectedEventId} at position ${position}, ` +
        `but this log has ${actualEventId === null ? 'no event' : `event ${actualEventId}`} there; project into a fresh file`,
    );
  }
}

/** Two runners on one set of read models: the later commit loses, so no event is applied twice. */
export class CheckpointConflictError extends Error {
  override readonly name = 'CheckpointConflictError';
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`read-model checkpoint moved from ${expected} to ${actual} under this runner: another projection runner is writing the same read models`);
  }
}
