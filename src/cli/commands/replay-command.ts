import type { RecordedEvent } from '../../../events/envelope.js';
import { projectPairs, summariseLog } from '../../../projections/log-summary.js';
import { pairAt } from '../../audit/pair-at.js';
import { verifyDecisions, type VerifyReport } from '../../audit/verify-decisions.js';
import { pairStreamOf } from '../../core/types.js';
import { readAllPages } from '../../store/read-all-pages.js';
import { UsageError } from '../errors.js';
import { openExistingStore } from '../open-store.js';
import { printPairTable } from '../print-summary.js';

export interface ReplayCommandOptions {
  readonly store: string;
  readonly json?: boolean;
  readonly verify?: boolean;
  readonly maxMismatches?: string;
  readonly pair?: string;
  readonly at?: string;
}

async function readLog(url: string): Promise<RecordedEvent[]> {
  const store = await openExistingStore(url);
  try {
    const events: RecordedEvent[] = [];
    for await (const e of readAllPages(store)) events.push(e);
    return events;
  } finally {
    await store.close();
  }
}

const out = (text: string) => process.stdout.write(`${text}\n`);

/** Rebuild from the log alone: summaries, a verification of every decision, or one pair at a moment. */
export async function replayCommand(opts: ReplayCommandOptions): Promise<void> {
  if (opts.at !== undefined && opts.pair === undefined) throw new UsageError('--at needs --pair <id>');
  if (opts.verify && opts.pair !== undefined) throw new UsageError('--verify checks the whole log; drop --pair');
  const atMs = opts.at === undefined ? Number.POSITIVE_INFINITY : Date.parse(opts.at);
  if (Number.isNaN(atMs)) throw new UsageError(`--at must be an ISO 8601 time such as 2024-08-09T00:00:00Z, got "${opts.at}"`);
  const maxReported = opts.maxMismatches === undefined ? 10 : Number(opts.maxMismatches);
  if (!Number.isInteger(maxReported) || maxReported < 0) throw new UsageError(`--max-mismatches must be a whole number, got "${opts.maxMismatches}"`);

  const events = await readLog(opts.store);

  if (opts.verify) {
    const report = verifyDecisions(events, { maxReported });
    if (opts.json) out(JSON.stringify(report));
    else printVerifyReport(report);
    if (report.mismatches > 0) process.exitCode = 1;
    return;
  }

  if (opts.pair !== undefined) {
    const stream = opts.pair.startsWith('pair-') ? opts.pair : pairStreamOf(opts.pair);
    if (!events.some((e) => e.stream === stream)) {
      const pairs = [...new Set(events.filter((e) => e.stream.startsWith('pair-')).map((e) => e.stream.slice(5)))];
      throw new UsageError(`no pair "${opts.pair}" in ${opts.store}; pairs: ${pairs.join(', ') || '(none)'}`);
    }
    const snapshot = pairAt(stream, events, atMs);
    if (opts.json) out(JSON.stringify(snapshot));
    else printSnapshot(snapshot);
    return;
  }

  const pairs = summariseLog(projectPairs(events));
  if (opts.json) out(JSON.stringify({ events: events.length, pairs }));
  else {
    out(`replayed ${events.length} events from ${opts.store}`);
    printPairTable(pairs);
  }
}

function printVerifyReport(r: VerifyReport): void {
  out(`checked ${r.decisionsChecked} decisions in ${r.streams} pair stream(s): ${r.mismatches} mismatch(es)`);
  for (const m of r.firstMismatches) {
    out(`\n${m.stream}@${m.revision} (position ${m.position}, ${m.time})`);
    for (const p of m.problems) out(`  problem: ${p}`);
    for (const d of m.differences) out(`  ${d.path}: recorded ${JSON.stringify(d.recorded)}, recomputed ${JSON.stringify(d.recomputed)}`);
  }
  if (r.mismatches > r.firstMismatches.length) out(`\n(${r.mismatches - r.firstMismatches.length} more not shown; see --max-mismatches)`);
}

function printSnapshot(s: ReturnType<typeof pairAt>): void {
  out(`${s.stream} at ${s.at ?? 'the end of the log'}`);
  out(`  last event: ${s.lastEvent ? `${s.lastEvent.type} @${s.lastEvent.revision} (${s.lastEvent.time})` : 'none (the pair had not started)'}`);
  out(`  state: ${s.state}   params version: ${s.paramsVersion}`);
  const q = s.quotes;
  out(`  last decision: ${q ? `mid ${q.inputs.mid}; bids ${q.output.bids.map((l) => `${l.amount}@${l.price}`).join(', ') || '-'}; asks ${q.output.asks.map((l) => `${l.amount}@${l.price}`).join(', ') || '-'}` : 'none'}`);
  out(`  open orders: ${s.openOrders.length === 0 ? 'none' : ''}`);
  for (const o of s.openOrders) out(`    ${o.clientOrderId} ${o.side} ${o.remaining}/${o.amount} @ ${o.price} (${o.status})`);
  const m = s.summary;
  out(`  inventory: position ${m.position} at average cost ${m.averageCost}; fills ${m.fills}`);
  out(`  pnl: realized ${m.realizedPnl}, unrealized ${m.unrealizedPnl}, fees ${m.fees}, net ${m.netPnl}`);
}
