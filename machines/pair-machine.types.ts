import type { DomainEvent } from '../events/catalog.js';
import type { StrategyParams } from '../src/config/strategy-params.js';
import type { Side } from '../src/core/types.js';
import type { FeedProblemKind } from '../src/market-data/market-event.js';
import type { ShockWindow } from '../src/strategy/shock.js';
import type { BookDepth } from '../src/strategy/signals/book-depth.js';
import type { QuoteSignalState } from '../src/strategy/signals/quote-signals.js';
import type { VolatilityState } from '../src/strategy/volatility.js';
import type { PairRiskState, RiskHold } from '../src/risk/pair-risk.js';
import type { PnlSeed } from '../src/risk/running-pnl.js';
import type { MarketSpec } from '../src/venues/venue.js';
import type { GroupView } from '../src/service/multi-venue/pair-group.js';

export type PauseReason =
  | 'feed-stale'
  | 'feed-problem'
  | 'shock-rearms-exhausted'
  | 'risk-limit'
  | 'operator'
  | 'fenced'
  | 'store-failure'
  /** The venue does not answer (network failure, maintenance); everything is cancelled once it does. */
  | 'venue-unavailable'
  /** The venue refused an order for lack of funds. */
  | 'insufficient-funds'
  /** The venue refused in a way that needs an operator (credentials, permissions, an unsupported operation). */
  | 'venue-error'
  /** A toxicity signal from the market's flow (trade imbalance, short-term volatility); resumes after toxicity.calmPeriodMs. */
  | 'toxic-flow'
  /** A toxicity signal from our own fills (one-sided, volume spike, markout); resumes after toxicity.calmPeriodMs. */
  | 'adverse-selection'
  /** The supervisor gave up restarting a pair that kept crashing. */
  | 'crash-loop'
  /** On start the venue's balances or fills disagreed with the log. */
  | 'reconciliation';

/** Pause reasons that clear by themselves when the market data (and the venue) are healthy again. */
export const AUTO_RESUMABLE: ReadonlySet<PauseReason> = new Set<PauseReason>(['feed-stale', 'feed-problem', 'venue-unavailable']);

export interface PairMachineInput {
  readonly pairId: string;
  readonly market: MarketSpec;
  readonly params: StrategyParams;
  readonly paramsVersion: number;
  /** Signed base position rebuilt from the stream. */
  readonly position: string;
  readonly now: number;
  /** Inventory, fees and mark from the runtime's projection: the running PnL of the loss and drawdown limits starts there. */
  readonly pnl?: PnlSeed;
  /** Restart recovery: the state the log left the pair in (service/restored-state.ts); START goes there instead of quoting. */
  readonly restore?: RestoredMachineState;
}

/** A state to resume on START, rebuilt from the stream (restart recovery). */
export type RestoredMachineState =
  /** `riskHold`: a risk or toxicity pause with its recorded deadline, which resumes by itself at it. */
  | { readonly state: 'paused'; readonly reason: PauseReason; readonly detail: string; readonly riskHold?: RiskHold | null }
  | { readonly state: 'shock-cooldown'; readonly referencePrice: number; readonly cooldownUntil: number; readonly rearms: number };

export interface PairContext {
  readonly pairId: string;
  readonly market: MarketSpec;
  readonly params: StrategyParams;
  readonly paramsVersion: number;
  /** Latest time seen on any input: data time in backtests. */
  readonly now: number;
  readonly startedAt: number;
  readonly bestBid: number | null;
  readonly bestAsk: number | null;
  readonly mid: number | null;
  readonly lastDataTs: number | null;
  readonly feedProblem: { readonly problem: FeedProblemKind; readonly detail: string; readonly since: number } | null;
  readonly feedStaleSince: number | null;
  readonly volatility: VolatilityState;
  readonly shockWindow: ShockWindow;
  readonly position: string;
  /** Set while cooling down after a shock; the deadline is also in the ShockDetected event. */
  readonly shock: { readonly referencePrice: number; readonly cooldownUntil: number; readonly rearms: number } | null;
  readonly pause: { readonly reason: PauseReason; readonly detail: string } | null;
  /** Set while the venue is unavailable (VENUE_DOWN until VENUE_UP): no quoting, no resume. */
  readonly venueDown: { readonly since: number; readonly detail: string } | null;
  readonly lastQuoteTs: number | null;
  /** Output of the last recorded decision, to record only decisions that change something. */
  readonly lastQuoteKey: string | null;
  /** Something changed (entry to a quoting state, a fill) that warrants a decision now. */
  readonly quoteDirty: boolean;
  /** Signals of the optional quoting rules (book depth, trade flow, own fills, estimators), folded by src/strategy/signals. */
  readonly quoteSignals: QuoteSignalState;
  /** Risk limits and toxicity signals (src/risk/pair-risk.ts): windows, running PnL, the hold that paused the pair. */
  readonly risk: PairRiskState;
  /** Multi-venue: the pair group as last reported (GROUP_POSITION); null for a lone pair. Decisions record it and are cut to its room. */
  readonly group: GroupView | null;
  /** Restart recovery (input.restore); consumed by START. */
  readonly restore?: RestoredMachineState | null;
}

/** One of our own fills, as the machine sees it (signal maths in float64; the log keeps the decimals). */
export interface OwnFill {
  readonly side: Side;
  readonly price: number;
  readonly amount: number;
  readonly fee: number;
  readonly liquidity: 'maker' | 'taker';
  /** Absent: the fee is in quote currency. */
  readonly feeCurrency?: string;
}

export type PairMachineEvent =
  | { type: 'START'; ts: number }
  /** `depth`: the top levels and the 1 % band of the book, for the quoting rules (absent from sources without sizes). */
  | { type: 'BOOK'; ts: number; bestBid: number; bestAsk: number; depth?: BookDepth }
  /** The mid of the same instrument on another venue (reference price source external-mid). */
  | { type: 'EXTERNAL_MID'; ts: number; venue: string; mid: number }
  /** Recent fill rate of each venue the pair quotes on (multi-venue size allocation). */
  | { type: 'VENUE_FILL_RATES'; ts: number; rates: Readonly<Record<string, number>> }
  | { type: 'TRADE'; ts: number; price: number; size: number; aggressor: Side }
  | { type: 'FEED_PROBLEM'; ts: number; problem: FeedProblemKind; detail: string }
  | { type: 'FEED_RECOVERED'; ts: number; detail: string }
  | { type: 'HEARTBEAT'; ts: number }
  /** The position after a recorded fill; `fill` is that fill (absent when the position is set without one). */
  | { type: 'POSITION'; ts: number; position: string; fill?: OwnFill }
  | { type: 'OPERATOR_PAUSE'; ts: number; identity: string; reason: string }
  | { type: 'OPERATOR_RESUME'; ts: number; identity: string; reason: string }
  | { type: 'FENCED'; ts: number; detail: string }
  | { type: 'STORE_FAILED'; ts: number; detail: string }
  /** The order manager lost the venue (a network failure): pause until VENUE_UP. */
  | { type: 'VENUE_DOWN'; ts: number; detail: string }
  /** The venue answers again and everything was cancelled: a venue-unavailable pause clears by itself. */
  | { type: 'VENUE_UP'; ts: number; detail: string }
  /** The venue refused an order in a way that needs a pause an operator lifts. */
  | { type: 'VENUE_REFUSED'; ts: number; reason: 'insufficient-funds' | 'venue-error'; detail: string }
  | { type: 'STOP'; ts: number; reason: string; openOrders: number }
  /** New parameters, already recorded as ParametersChanged: later decisions use them and name their version. */
  | { type: 'PARAMS_CHANGED'; ts: number; params: StrategyParams; paramsVersion: number }
  /** Multi-venue: the pair group's total (pair-group.ts) changed; the next decision uses it. */
  | { type: 'GROUP_POSITION'; ts: number; group: GroupView; members: number }
  /** Internal: re-evaluate guards after the context changed. */
  | { type: 'EVALUATE' }
  /**
   * Internal: re-check the position limits after a fill. Requoting waits for
   * the next book: a fill can arrive before the book that caused it, and
   * quotes made on the older book would cross the newer one.
   */
  | { type: 'EVALUATE_RISK' }
  /** Internal: a toxicity alarm was raised by an input that does not otherwise evaluate (a trade, a fill). */
  | { type: 'EVALUATE_TOXICITY' }
  /** Internal: check the feed age after a heartbeat. */
  | { type: 'CHECK_FEED' };

/** The machine's only output: domain events, which the runtime appends and acts on. */
export interface DomainEmitted {
  readonly type: 'domain';
  readonly event: DomainEvent;
}
