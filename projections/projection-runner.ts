import type { RecordedEvent } from '../events/envelope.js';
import { StoreUnavailableError, type EventStore } from '../src/store/event-store.js';
import { CheckpointMismatchError, type ReadModelCheckpoint, type ReadModelStore, type StreamCommit } from './read-model-store.js';
import {
  applyReadModelEvent,
  emptyStreamProjection,
  isProjectedStream,
  restoreStreamProjection,
  serialiseStreamProjection,
  upsertsOf,
  type ReadModelTable,
  type RememberedKey,
  type StreamProjection,
} from './read-models.js';

export interface ProjectionRunnerOptions {
  readonly events: EventStore;
  readonly readModels: ReadModelStore;
  /** Most events per commit while catching up; a commit also happens whenever the runner has caught up. Default 500. */
  readonly batchSize?: number;
  /** Called after each commit, once it is durable: progress logs, tests. */
  readonly onCommit?: (commit: CommitInfo) => void;
}

export interface CommitInfo {
  /** Global position of the last event in the commit. */
  readonly checkpoint: number;
  readonly events: number;
  readonly streams: number;
}

export interface ProjectionRunResult {
  /** Checkpoint when the run began. */
  readonly from: number;
  /** Checkpoint when the run ended: every event up to here is applied, and nothing after it. */
  readonly checkpoint: number;
  /** The log's head when the run began (null with `follow`). */
  readonly head: number | null;
  /** Events applied (and committed) by this run. */
  readonly events: number;
  readonly commits: number;
  /** 'caught-up': reached the head it started with. 'stopped': stop() was called. */
  readonly reason: 'caught-up' | 'stopped';
}

/** A fold failed on an event: the events before it are committed, it and everything after are not. */
export class ProjectionFailedError extends Error {
  override readonly name = 'ProjectionFailedError';
  constructor(
    readonly stream: string,
    readonly revision: number,
    readonly position: number,
    cause: unknown,
  ) {
    super(`projection stopped at stream "${stream}" revision ${revision} (position ${position}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export const DEFAULT_BATCH_SIZE = 500;

/**
 * Global position of the last event in the log; 0 when it is empty. Through
 * the port, so any adapter will do (one read per stream; a `head()` on the
 * port would make it one). It reads each stream's last event, so a corrupt
 * last event fails the run here, before anything is applied: still never skipped.
 */
export async function logHeadPosition(store: EventStore): Promise<number> {
  let head = 0;
  for (const stream of await store.listStreams()) {
    const revision = await store.streamRevision(stream);
    if (revision === null) continue;
    const [last] = await store.readStream(stream, { fromRevision: revision, maxCount: 1 });
    if (last && last.position > head) head = last.position;
  }
  return head;
}

/** The event at the checkpoint must be the one applied there: resuming another log would fold it onto these rows. */
async function checkSameLog(log: EventStore, checkpoint: ReadModelCheckpoint): Promise<void> {
  if (checkpoint.position === 0 || checkpoint.eventId === null) return;
  const [atCheckpoint] = await log.readAll({ after: checkpoint.position - 1, maxCount: 1 });
  const actual = atCheckpoint?.position === checkpoint.position ? atCheckpoint.id : null;
  if (actual !== checkpoint.eventId) throw new CheckpointMismatchError(checkpoint.position, checkpoint.eventId, actual);
}

interface PendingStream {
  state: StreamProjection;
  /** Tables changed in this batch: each row is computed and written once per commit, however many events changed it. */
  readonly changed: Set<ReadModelTable>;
  readonly remembered: RememberedKey[];
}

/**
 * Keeps the read models up to date with the log, exactly once.
 *
 * It reads the checkpoint, subscribes to the log after it (catch-up, then
 * live), folds each event into its stream's rows and commits rows, fold
 * state and the new checkpoint in one transaction (ReadModelStore.commit).
 * Events are folded in memory and committed in batches (at most `batchSize`
 * events, and whenever it has caught up with what the log delivered), so a
 * crash loses at most an uncommitted batch, which the next run re-applies
 * from the checkpoint: never half a batch, never an event twice.
 *
 * Any failure (an invalid event read back, a fold that throws, a store that
 * fails) commits the events before it and ends the run with that error: an
 * event is never skipped. A run keeps no state beyond itself: the next run
 * (of this runner or a new one, in this process or another) resumes from the
 * checkpoint and the fold state stored with it.
 */
export class ProjectionRunner {
  private readonly batchSize: number;
  private running = false;
  private stopRequested = false;
  private wake: (() => void) | null = null;

  constructor(private readonly options: ProjectionRunnerOptions) {
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) throw new RangeError(`batchSize must be an integer >= 1, got ${String(options.batchSize)}`);
  }

  /**
   * Without `follow`: apply every event up to the log's head at start, then
   * resolve. With `follow`: keep applying new events until stop().
   */
  async run(opts: { readonly follow?: boolean } = {}): Promise<ProjectionRunResult> {
    if (this.running) throw new Error('this projection runner is already running');
    this.running = true;
    this.stopRequested = false;
    try {
      return await this.runToEnd(opts.follow ?? false);
    } finally {
      this.running = false;
      this.wake = null;
    }
  }

  /** Finish the event in hand, commit what is pending, and end the run ('stopped'). */
  stop(): void {
    this.stopRequested = true;
    this.wake?.();
  }

  private async runToEnd(follow: boolean): Promise<ProjectionRunResult> {
    const { events: log, readModels } = this.options;
    const start = await readModels.checkpoint();
    await checkSameLog(log, start);
    const from = start.position;
    const head = follow ? null : await logHeadPosition(log);
    let committed = from;
    let applied = 0;
    let commits = 0;
    const result = (reason: ProjectionRunResult['reason']): ProjectionRunResult => ({ from, checkpoint: committed, head, events: applied, commits, reason });
    if (head !== null && head <= from) return result('caught-up');
    if (this.stopRequested) return result('stopped');

    const states = new Map<string, StreamProjection>();
    const pending = new Map<string, PendingStream>();
    let pendingEvents = 0;
    let lastPosition = from;
    let lastEventId = start.eventId ?? '';

    const flush = async (): Promise<void> => {
      if (pendingEvents === 0) return;
      const streams: StreamCommit[] = [...pending.values()].map((p) => ({ ...serialiseStreamProjection(p.state), upserts: upsertsOf(p.state, p.changed), remembered: p.remembered }));
      await readModels.commit({ expectedCheckpoint: committed, checkpoint: lastPosition, checkpointEventId: lastEventId, events: pendingEvents, streams });
      committed = lastPosition;
      applied += pendingEvents;
      commits += 1;
      const info: CommitInfo = { checkpoint: committed, events: pendingEvents, streams: streams.length };
      pending.clear();
      pendingEvents = 0;
      this.options.onCommit?.(info);
    };

    const apply = async (event: RecordedEvent): Promise<void> => {
      if (event.position <= lastPosition) {
        throw new ProjectionFailedError(event.stream, event.revision, event.position, new Error(`delivered after position ${lastPosition}: the log went backwards`));
      }
      if (isProjectedStream(event.stream)) {
        try {
          const state = states.get(event.stream) ?? (await this.load(event.stream));
          const step = applyReadModelEvent(state, event);
          states.set(event.stream, step.state);
          const p: PendingStream = pending.get(event.stream) ?? { state: step.state, changed: new Set(), remembered: [] };
          p.state = step.state;
          for (const table of step.changed) p.changed.add(table);
          p.remembered.push(...step.remembered);
          pending.set(event.stream, p);
        } catch (error) {
          if (error instanceof StoreUnavailableError) throw error;
          throw new ProjectionFailedError(event.stream, event.revision, event.position, error);
        }
      }
      pendingEvents += 1;
      lastPosition = event.position;
      lastEventId = event.id;
    };

    // Deliveries land in an inbox and are folded from there: the subscription pushes a whole page synchronously, and the commits are async.
    let inbox: RecordedEvent[] = [];
    let next = 0;
    let failure: { error: unknown } | null = null;
    let ended = false;
    const wake = (): void => {
      const w = this.wake;
      this.wake = null;
      w?.();
    };
    const subscription = log.subscribe({ after: from }).subscribe({
      next: (event) => {
        inbox.push(event);
        wake();
      },
      error: (error: unknown) => {
        failure ??= { error };
        wake();
      },
      complete: () => {
        ended = true;
        wake();
      },
    });

    try {
      for (;;) {
        let reachedHead = false;
        while (next < inbox.length && !this.stopRequested && !reachedHead) {
          const event = inbox[next++] as RecordedEvent;
          try {
            await apply(event);
          } catch (error) {
            // The events before this one were folded without fault: keep them.
            await flush();
            throw error;
          }
          if (pendingEvents >= this.batchSize) await flush();
          reachedHead = head !== null && event.position >= head;
        }
        if (next >= inbox.length) {
          inbox = [];
          next = 0;
        }
        // Caught up with what the log has delivered so far (or stopping): make it durable.
        await flush();
        if (reachedHead) return result('caught-up');
        if (this.stopRequested) return result('stopped');
        if (next < inbox.length) continue;
        if (failure) throw (failure as { error: unknown }).error;
        if (ended) throw new StoreUnavailableError(`the event store ended the subscription at position ${committed}${head === null ? '' : `, before the head (${head})`}`);
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      subscription.unsubscribe();
    }
  }

  private async load(stream: string): Promise<StreamProjection> {
    const stored = await this.options.readModels.loadStream(stream);
    return stored ? restoreStreamProjection(stored) : emptyStreamProjection(stream);
  }
}
