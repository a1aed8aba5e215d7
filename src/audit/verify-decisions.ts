import diff from 'microdiff';
import type { EventData } from '../../events/catalog.js';
import type { RecordedEvent } from '../../events/envelope.js';
import { exactMid } from '../../machines/pair-guards.js';
import { applyPairEvent, emptyPairProjection, type PairProjection } from '../../projections/pair-projection.js';
import type { StrategyParams } from '../config/strategy-params.js';
import { D } from '../core/decimal.js';
import { decideMemberQuotes } from '../service/multi-venue/group-limit.js';
import { fromQuoteInputsData, toQuoteOutputData } from '../strategy/decision-record.js';
import type { MarketSpec } from '../venues/venue.js';

export interface Difference {
  readonly path: string;
  readonly recorded: unknown;
  readonly recomputed: unknown;
}

export interface DecisionMismatch {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly time: string;
  /** Why the recorded decision cannot be trusted. */
  readonly problems: readonly string[];
  /** Recorded output against today's strategy code on the recorded inputs. */
  readonly differences: readonly Difference[];
}

export interface VerifyReport {
  readonly decisionsChecked: number;
  readonly mismatches: number;
  readonly streams: number;
  /** The first mismatches, in log order. */
  readonly firstMismatches: readonly DecisionMismatch[];
}

interface StreamAudit {
  projection: PairProjection;
  market: MarketSpec | null;
  readonly params: Map<number, StrategyParams>;
  lastDecisionTs: number | null;
}

const describePath = (path: readonly (string | number)[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

/**
 * Recompute every QuoteDecided from its recorded inputs and the parameters of
 * its recorded version with today's strategy code, and check the inputs
 * against what the log itself implies (mid from best bid and ask, position
 * from the fills before it, time order). Pure: the caller reads the log.
 */
export function verifyDecisions(events: Iterable<RecordedEvent>, options: { maxReported?: number } = {}): VerifyReport {
  const maxReported = options.maxReported ?? 10;
  const streams = new Map<string, StreamAudit>();
  const first: DecisionMismatch[] = [];
  let checked = 0;
  let mismatches = 0;

  for (const e of events) {
    if (!e.stream.startsWith('pair-')) continue;
    let audit = streams.get(e.stream);
    if (!audit) {
      audit = { projection: emptyPairProjection(), market: null, params: new Map(), lastDecisionTs: null };
      streams.set(e.stream, audit);
    }
    if (e.type === 'PairStarted') {
      audit.market = e.data.market;
      audit.params.set(e.data.paramsVersion, e.data.params);
    } else if (e.type === 'ParametersChanged') {
      audit.params.set(e.data.paramsVersion, e.data.params);
    } else if (e.type === 'QuoteDecided') {
      checked++;
      const problems = checkInputs(e.data, audit, Date.parse(e.time));
      const differences: Difference[] = [];
      const params = audit.params.get(e.data.paramsVersion);
      if (!params || !audit.market) {
        problems.push(`parameters version ${e.data.paramsVersion} is not in the log before this decision`);
      } else {
        try {
          const recomputed = toQuoteOutputData(decideMemberQuotes(fromQuoteInputsData(e.data.inputs), params, audit.market));
          for (const d of diff(e.data.output, recomputed)) {
            differences.push({ path: `output.${describePath(d.path)}`, recorded: 'oldValue' in d ? d.oldValue : undefined, recomputed: 'value' in d ? d.value : undefined });
          }
        } catch (err) {
          problems.push(`the strategy rejects the recorded inputs: ${(err as Error).message}`);
        }
      }
      if (problems.length > 0 || differences.length > 0) {
        mismatches++;
        if (first.length < maxReported) first.push({ stream: e.stream, revision: e.revision, position: e.position, time: e.time, problems, differences });
      }
      audit.lastDecisionTs = e.data.inputs.ts;
    }
    audit.projection = applyPairEvent(audit.projection, e);
  }
  return { decisionsChecked: checked, mismatches, streams: streams.size, firstMismatches: first };
}

function checkInputs(data: EventData<'QuoteDecided'>, audit: StreamAudit, recordedAt: number): string[] {
  const problems: string[] = [];
  const { inputs } = data;
  const mid = exactMid(Number(inputs.bestBid), Number(inputs.bestAsk));
  if (Number(inputs.mid) !== mid) problems.push(`inputs.mid ${inputs.mid} is not the mid of best bid ${inputs.bestBid} and best ask ${inputs.bestAsk} (${mid})`);
  if (!D(inputs.position).eq(audit.projection.inventory.position)) {
    problems.push(`inputs.position ${inputs.position} differs from the position the log implies at this point (${audit.projection.inventory.position})`);
  }
  problems.push(...checkSignals(inputs.signals));
  if (inputs.ts > recordedAt) problems.push(`inputs.ts ${inputs.ts} is later than the time the decision was recorded (${recordedAt})`);
  if (audit.lastDecisionTs !== null && inputs.ts < audit.lastDecisionTs) problems.push(`inputs.ts ${inputs.ts} is earlier than the previous decision's (${audit.lastDecisionTs})`);
  return problems;
}

/** Ranges the recorded signals must lie in, whatever the market did (a recomputation alone would trust them). */
function checkSignals(signals: EventData<'QuoteDecided'>['inputs']['signals']): string[] {
  if (!signals) return [];
  const problems: string[] = [];
  const within = (key: keyof typeof signals, lo: number, hi: number) => {
    const v = signals[key];
    if (typeof v !== 'string') return;
    const n = Number(v);
    if (!(n >= lo && n <= hi)) problems.push(`inputs.signals.${key} ${v} is outside [${lo}, ${hi}]`);
  };
  within('bookImbalance', -1, 1);
  within('tradeFlowImbalance', -1, 1);
  for (const k of ['bestBidSize', 'bestAskSize', 'depthBidAvgSize', 'depthAskAvgSize', 'lastTradeAgeMs', 'externalMidAgeMs', 'fillsPerMinute', 'inventoryAgeMs', 'sigmaBps'] as const) {
    within(k, 0, Number.MAX_VALUE);
  }
  for (const k of ['lastTradePrice', 'externalMid', 'intensityA', 'intensityK'] as const) within(k, Number.MIN_VALUE, Number.MAX_VALUE);
  return problems;
}
