import { deriveEventId, envelope, type NewEvent } from '../events/envelope.js';

/** Events per append: one decision's worth. */
export const BATCH = 4;
/** Pair streams written side by side. */
export const STREAMS = 8;
/** Events per stream. */
export const PER_STREAM = 2_500;

export const benchStream = (s: number): string => `pair-bench-${s}`;

export interface RealisticBatch {
  readonly stream: string;
  readonly events: NewEvent[];
}

/**
 * Realistic rows for the store benchmarks: STREAMS x PER_STREAM = 20,000
 * OrderFilled events of real size (a BTC/USDT maker fill), in appends of BATCH
 * per pair stream, stream by stream, with deterministic ids and data-time
 * timestamps.
 */
export function realisticBatches(): RealisticBatch[] {
  const batches: RealisticBatch[] = [];
  for (let s = 0; s < STREAMS; s++) {
    const stream = benchStream(s);
    for (let rev = 0; rev < PER_STREAM; rev += BATCH) {
      const events: NewEvent[] = [];
      for (let i = 0; i < BATCH; i++) {
        const revision = rev + i;
        const id = deriveEventId('bench', stream, revision);
        events.push(
          envelope(
            { type: 'OrderFilled', data: { tradeId: `t-${s}-${revision}`, clientOrderId: `c${revision}`, venueOrderId: `v${revision}`, side: i % 2 ? 'buy' : 'sell', price: '61837.63', amount: '0.00323', fee: '0.19973554490', feeCurrency: 'USDT', liquidity: 'maker', remaining: '0', fillTs: 1_723_161_254_000 + revision } },
            { id, time: 1_723_161_254_000 + revision, metadata: { correlationId: id, causationId: null, instanceId: 'bench', configVersion: 1 } },
          ),
        );
      }
      batches.push({ stream, events });
    }
  }
  return batches;
}
