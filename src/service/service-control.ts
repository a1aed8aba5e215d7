import type { RecordedEvent } from '../../events/envelope.js';
import type { PairState } from '../../events/primitives.js';
import type { PairPerformance } from '../../projections/performance.js';
import type { StrategyParams } from '../config/strategy-params.js';

/*
 * What the operator surfaces (HTTP API, dashboard, metrics) may see and do.
 * The supervisor implements it; the surfaces depend on nothing else, so they
 * never reach into a pair runtime.
 */

export type PairCommand = 'start' | 'stop' | 'pause' | 'resume';
export type Role = 'viewer' | 'operator' | 'admin';

/** Who asked: the token's name (never the token itself) and its role. */
export interface Identity {
  readonly name: string;
  readonly role: Role;
}

export interface QuoteLevelView {
  readonly price: string;
  readonly amount: string;
}

export interface OpenOrderView {
  readonly clientOrderId: string;
  readonly side: 'buy' | 'sell';
  readonly price: string;
  readonly amount: string;
  readonly remaining: string;
  readonly status: string;
}

export interface RiskStatus {
  /** Pause reason while paused, else null. */
  readonly pauseReason: string | null;
  readonly pauseDetail: string | null;
  /** Position as a fraction of the soft limit (inventory.maxPosition), signed. */
  readonly inventoryRatio: number;
  /** Limits currently breached or near (names as in RiskLimitBreached.limit). */
  readonly alerts: readonly string[];
  /** Crashes of this pair's actor since the process started. */
  readonly crashes: number;
}

/** One pair as the operator sees it. Money and sizes are decimal strings. */
export interface PairView {
  readonly id: string;
  readonly venue: string;
  readonly symbol: string;
  readonly state: PairState;
  readonly paramsVersion: number;
  readonly quotes: { readonly bids: readonly QuoteLevelView[]; readonly asks: readonly QuoteLevelView[]; readonly ts: number | null };
  /** Top of the book and a few levels for the depth view. */
  readonly book: { readonly bids: readonly QuoteLevelView[]; readonly asks: readonly QuoteLevelView[]; readonly ts: number | null };
  readonly openOrders: readonly OpenOrderView[];
  readonly inventory: { readonly position: string; readonly averageCost: string };
  readonly pnl: { readonly realised: string; readonly unrealised: string; readonly fees: string; readonly net: string };
  readonly risk: RiskStatus;
}

/** One point of the PnL / inventory history (for charts). */
export interface HistoryPoint {
  readonly ts: number;
  readonly netPnl: number;
  /** Drawdown from the running PnL peak, <= 0. */
  readonly drawdown: number;
  readonly position: number;
}

export interface RiskAlert {
  readonly pairId: string;
  readonly ts: number;
  readonly kind: string;
  readonly detail: string;
}

/** Pushed to live surfaces (SSE): every appended event, and a fresh view of its pair. */
export type ServiceUpdate =
  | { readonly type: 'event'; readonly pairId: string; readonly event: RecordedEvent | { readonly type: string; readonly data: unknown; readonly revision?: number } }
  | { readonly type: 'pair'; readonly pair: PairView };

export class UnknownPairError extends Error {
  override readonly name = 'UnknownPairError';
}

/** A request the service refuses with a reason (bad params, a command not valid in this state): HTTP 400 / 409. */
export class CommandRejectedError extends Error {
  override readonly name = 'CommandRejectedError';
  constructor(
    message: string,
    readonly status: 400 | 409 = 400,
  ) {
    super(message);
  }
}

export interface ServiceControl {
  listPairs(): readonly PairView[];
  /** Throws UnknownPairError. */
  getPair(id: string): PairView;
  /** Records an OperatorCommand event carrying the identity, then acts. */
  command(id: string, command: PairCommand, identity: Identity, reason: string): Promise<PairView>;
  /**
   * Validates a partial parameter patch (deep-merged onto the current
   * parameters), records ParametersChanged with a new version, and applies it.
   * Throws CommandRejectedError (400) naming the key, value and allowed range.
   */
  changeParams(id: string, patch: unknown, identity: Identity, reason: string): Promise<{ readonly paramsVersion: number; readonly params: StrategyParams }>;
  performance(id: string): PairPerformance;
  history(id: string): readonly HistoryPoint[];
  /** The pair's recorded events, oldest first, from a revision. */
  events(id: string, opts: { readonly fromRevision?: number; readonly limit?: number }): Promise<readonly RecordedEvent[]>;
  riskAlerts(): readonly RiskAlert[];
  /** live: the process works; ready: every pair started and reconciled. */
  health(): { readonly live: boolean; readonly ready: boolean; readonly detail: string };
  /** Live updates; returns the unsubscribe function. */
  subscribe(listener: (update: ServiceUpdate) => void): () => void;
}
