import type { RecordedEvent } from '../events/envelope.js';
import { applyPairEvent, emptyPairProjection, summarisePair, type PairProjection, type PairSummary } from './pair-projection.js';

/** Fold every pair stream of a log; non-pair streams are skipped. */
export function projectPairs(events: Iterable<RecordedEvent>): Map<string, PairProjection> {
  const pairs = new Map<string, PairProjection>();
  for (const e of events) {
    if (!e.stream.startsWith('pair-')) continue;
    pairs.set(e.stream, applyPairEvent(pairs.get(e.stream) ?? emptyPairProjection(), e));
  }
  return pairs;
}

/** Summaries keyed by venue symbol, or by pair id when two venues share a symbol (as the backtest keys them). */
export function summariseLog(pairs: ReadonlyMap<string, PairProjection>): Record<string, PairSummary> {
  const out: Record<string, PairSummary> = {};
  const symbolOf = (stream: string, p: PairProjection) => p.market?.symbol ?? stream;
  const all = [...pairs].map(([stream, p]) => symbolOf(stream, p));
  for (const [stream, p] of pairs) {
    const symbol = symbolOf(stream, p);
    out[all.filter((s) => s === symbol).length > 1 ? (p.pairId ?? stream) : symbol] = summarisePair(p);
  }
  return out;
}
