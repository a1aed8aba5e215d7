import { Set as ImmutableSet } from 'immutable';
import type { EventData } from '../events/catalog.js';
import { D, Decimal, toDecimalString } from '../src/core/decimal.js';
import type { RecordedOrNew } from './pair-projection.js';
import { applyFillFee, emptyFeesAndMark } from './pnl.js';

/**
 * How one pair performed, folded from its stream: what it decided, what it
 * sent, what the venue did with it, what it traded and paid, and why its state
 * changed. Counts are integers; amounts are decimal strings at full precision.
 */
export interface PairPerformance {
  readonly decisions: number;
  readonly ordersPlaced: number;
  readonly ordersAcknowledged: number;
  readonly ordersRejected: number;
  readonly ordersCancelled: number;
  /** Orders with at least one fill. */
  readonly ordersFilled: number;
  /** Orders whose fills left nothing remaining. */
  readonly ordersFullyFilled: number;
  /** Fills applied: a repeated trade id is not one (see `repeatedFills`). */
  readonly fills: number;
  readonly makerFills: number;
  readonly takerFills: number;
  /** Fills whose trade id was already applied: ignored, but counted so an audit sees the venue repeat itself. */
  readonly repeatedFills: number;
  /** Base traded, buys plus sells. */
  readonly volumeBase: string;
  /** Quote traded: sum of price × amount. */
  readonly turnoverQuote: string;
  /** Fees in quote currency (negative = rebates), valued as pnl.ts values them. */
  readonly fees: string;
  /** Transition events (every event carrying `from` and `to`). */
  readonly stateChanges: number;
  readonly pauses: number;
  readonly pausesByReason: Readonly<Record<string, number>>;
  readonly resumes: number;
  /** First detections; a re-arm during the cooldown is counted in `shockRearms`. */
  readonly shocks: number;
  readonly shockRearms: number;
  readonly shocksCleared: number;
  readonly liquidations: number;
  readonly liquidationsCompleted: number;
  /** Client order ids with at least one fill, so a second fill of one order does not count it twice. */
  /** A persistent set, so the fold stays pure without copying every id on every fill. */
  readonly filledOrderIds: ImmutableSet<string>;
}

export const emptyPerformance = (): PairPerformance => ({
  decisions: 0,
  ordersPlaced: 0,
  ordersAcknowledged: 0,
  ordersRejected: 0,
  ordersCancelled: 0,
  ordersFilled: 0,
  ordersFullyFilled: 0,
  fills: 0,
  makerFills: 0,
  takerFills: 0,
  repeatedFills: 0,
  volumeBase: '0',
  turnoverQuote: '0',
  fees: '0',
  stateChanges: 0,
  pauses: 0,
  pausesByReason: {},
  resumes: 0,
  shocks: 0,
  shockRearms: 0,
  shocksCleared: 0,
  liquidations: 0,
  liquidationsCompleted: 0,
  filledOrderIds: ImmutableSet<string>(),
});

/**
 * What the fold needs from outside the performance state. The pair projection
 * owns the trade-id set and the market, so the caller passes its verdict
 * rather than this fold keeping a second copy of every trade id.
 */
export interface PerformanceContext {
  /** Base and quote of the pair, to value a fee charged in base; null before PairStarted. */
  readonly market: { readonly base: string; readonly quote: string } | null;
  /** True when this fill's trade id was already applied. */
  readonly repeatedFill: boolean;
}

export function applyPerformanceEvent(p: PairPerformance, event: RecordedOrNew, ctx: PerformanceContext): PairPerformance {
  const transition = 'to' in event.data && typeof event.data.to === 'string';
  const base: PairPerformance = transition ? { ...p, stateChanges: p.stateChanges + 1 } : p;
  switch (event.type) {
    case 'QuoteDecided':
      return { ...base, decisions: p.decisions + 1 };
    case 'OrderPlaced':
      return { ...base, ordersPlaced: p.ordersPlaced + 1 };
    case 'OrderAcknowledged':
      return { ...base, ordersAcknowledged: p.ordersAcknowledged + 1 };
    case 'OrderRejected':
      return { ...base, ordersRejected: p.ordersRejected + 1 };
    case 'OrderCancelled':
      return { ...base, ordersCancelled: p.ordersCancelled + 1 };
    case 'OrderFilled':
      return ctx.repeatedFill ? { ...base, repeatedFills: p.repeatedFills + 1 } : applyFill(base, event.data, ctx);
    case 'Paused':
      return { ...base, pauses: p.pauses + 1, pausesByReason: { ...p.pausesByReason, [event.data.reason]: (p.pausesByReason[event.data.reason] ?? 0) + 1 } };
    case 'Resumed':
      return { ...base, resumes: p.resumes + 1 };
    case 'ShockDetected':
      return event.data.rearms === 0 ? { ...base, shocks: p.shocks + 1 } : { ...base, shockRearms: p.shockRearms + 1 };
    case 'ShockCleared':
      return { ...base, shocksCleared: p.shocksCleared + 1 };
    case 'LiquidationStarted':
      return { ...base, liquidations: p.liquidations + 1 };
    case 'LiquidationCompleted':
      return { ...base, liquidationsCompleted: p.liquidationsCompleted + 1 };
    default:
      return base;
  }
}

function applyFill(p: PairPerformance, fill: EventData<'OrderFilled'>, ctx: PerformanceContext): PairPerformance {
  // Same fallback as the pair projection: without a market, only a quote-currency fee is understood.
  const market = ctx.market ?? { base: '', quote: fill.feeCurrency };
  const fee = applyFillFee(emptyFeesAndMark(), fill, market).fees;
  const firstFillOfOrder = !p.filledOrderIds.has(fill.clientOrderId);
  return {
    ...p,
    fills: p.fills + 1,
    makerFills: p.makerFills + (fill.liquidity === 'maker' ? 1 : 0),
    takerFills: p.takerFills + (fill.liquidity === 'taker' ? 1 : 0),
    ordersFilled: p.ordersFilled + (firstFillOfOrder ? 1 : 0),
    ordersFullyFilled: p.ordersFullyFilled + (D(fill.remaining).isZero() ? 1 : 0),
    filledOrderIds: firstFillOfOrder ? p.filledOrderIds.add(fill.clientOrderId) : p.filledOrderIds,
    volumeBase: toDecimalString(D(p.volumeBase).plus(fill.amount)),
    turnoverQuote: toDecimalString(D(p.turnoverQuote).plus(D(fill.price).times(fill.amount))),
    fees: toDecimalString(D(p.fees).plus(fee)),
  };
}

/** Ratios are reported to 12 decimal places (half-even), like the money in reports. */
export const RATIO_DECIMALS = 12;

/** Orders with at least one fill per order placed; "0" before the first order. */
export function fillRatio(p: Pick<PairPerformance, 'ordersFilled' | 'ordersPlaced'>): string {
  if (p.ordersPlaced === 0) return '0';
  return toDecimalString(D(p.ordersFilled).div(p.ordersPlaced).toDecimalPlaces(RATIO_DECIMALS, Decimal.ROUND_HALF_EVEN));
}

/**
 * Fold a stream on its own, keeping the trade ids seen here: for tests and
 * one-off reports. The read models fold with the pair projection's verdict.
 */
export function foldPerformance(events: Iterable<RecordedOrNew>, from: PairPerformance = emptyPerformance()): PairPerformance {
  let p = from;
  let market: PerformanceContext['market'] = null;
  const tradeIds = new Set<string>();
  for (const e of events) {
    if (e.type === 'PairStarted') market = e.data.market;
    const repeatedFill = e.type === 'OrderFilled' && tradeIds.has(e.data.tradeId);
    if (e.type === 'OrderFilled') tradeIds.add(e.data.tradeId);
    p = applyPerformanceEvent(p, e, { market, repeatedFill });
  }
  return p;
}
