import type { EventData } from '../../events/catalog.js';
import type { RecordedEvent } from '../../events/envelope.js';
import type { PairState } from '../../events/primitives.js';
import type { TrackedOrder } from '../../projections/open-orders.js';
import { applyPairEvent, emptyPairProjection, summarisePair, type PairProjection, type PairSummary } from '../../projections/pair-projection.js';

export interface PairSnapshotAt {
  readonly stream: string;
  /** The moment asked for, ISO 8601; without one, the time of the last event. */
  readonly at: string | null;
  /** The last event at or before that moment. */
  readonly lastEvent: { readonly revision: number; readonly type: string; readonly time: string } | null;
  readonly state: PairState;
  readonly paramsVersion: number;
  readonly quotes: EventData<'QuoteDecided'> | null;
  readonly openOrders: readonly TrackedOrder[];
  readonly summary: PairSummary;
}

/** A pair as it was at a moment (Infinity: the end of the log): its stream folded up to and including that time. */
export function pairAt(stream: string, events: Iterable<RecordedEvent>, atMs: number): PairSnapshotAt {
  let projection: PairProjection = emptyPairProjection();
  let last: RecordedEvent | null = null;
  for (const e of events) {
    if (e.stream !== stream) continue;
    if (Date.parse(e.time) > atMs) break;
    projection = applyPairEvent(projection, e);
    last = e;
  }
  return {
    stream,
    at: Number.isFinite(atMs) ? new Date(atMs).toISOString() : (last?.time ?? null),
    lastEvent: last ? { revision: last.revision, type: last.type, time: last.time } : null,
    state: projection.state,
    paramsVersion: projection.paramsVersion,
    quotes: projection.lastQuote,
    openOrders: [...projection.openOrders.values()],
    summary: summarisePair(projection),
  };
}
