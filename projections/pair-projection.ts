import { Set as ImmutableSet } from 'immutable';
import type { DomainEvent, EventData } from '../events/catalog.js';
import type { PairState } from '../events/primitives.js';
import type { StrategyParams } from '../src/config/strategy-params.js';
import { D, Decimal, toDecimalString } from '../src/core/decimal.js';
import type { MarketSpec } from '../src/venues/venue.js';
import { applyFillToInventory, emptyInventory, type Inventory } from './inventory.js';
import { applyToOpenOrders, type OpenOrders } from './open-orders.js';
import { applyFillFee, emptyFeesAndMark, markAt, pnlSummary, type FeesAndMark, type PnlSummary } from './pnl.js';

/** Any event with a type and data: a recorded event, or one about to be appended. */
export type RecordedOrNew = DomainEvent;

/**
 * Everything known about one pair, folded from its stream alone. The runtime
 * folds each event it appends with this same function, so a replay of the
 * log reproduces the live numbers exactly.
 */
export interface PairProjection {
  readonly pairId: string | null;
  readonly market: MarketSpec | null;
  readonly params: StrategyParams | null;
  readonly paramsVersion: number;
  readonly state: PairState;
  readonly inventory: Inventory;
  readonly feesAndMark: FeesAndMark;
  readonly openOrders: OpenOrders;
  readonly lastQuote: EventData<'QuoteDecided'> | null;
  /** Trade ids already applied: a fill is counted once, whatever the venue repeats. */
  /** A persistent set: adding a trade id shares structure instead of copying every id seen so far. */
  readonly tradeIds: ImmutableSet<string>;
  readonly events: number;
  readonly decisions: number;
  readonly ordersPlaced: number;
}

export const emptyPairProjection = (): PairProjection => ({
  pairId: null,
  market: null,
  params: null,
  paramsVersion: 0,
  state: 'starting',
  inventory: emptyInventory(),
  feesAndMark: emptyFeesAndMark(),
  openOrders: new Map(),
  lastQuote: null,
  tradeIds: ImmutableSet<string>(),
  events: 0,
  decisions: 0,
  ordersPlaced: 0,
});

export function applyPairEvent(p: PairProjection, event: RecordedOrNew): PairProjection {
  const base = { ...p, events: p.events + 1, openOrders: applyToOpenOrders(p.openOrders, event) };
  if ('to' in event.data && typeof event.data.to === 'string') {
    base.state = event.data.to as PairState;
  }
  switch (event.type) {
    case 'PairStarted':
      return { ...base, pairId: event.data.pairId, market: event.data.market, params: event.data.params, paramsVersion: event.data.paramsVersion, state: 'starting' };
    case 'ParametersChanged':
      return { ...base, params: event.data.params, paramsVersion: event.data.paramsVersion };
    case 'QuoteDecided':
      return { ...base, lastQuote: event.data, decisions: p.decisions + 1, feesAndMark: markAt(p.feesAndMark, event.data.inputs.mid) };
    case 'OrderPlaced':
      return { ...base, ordersPlaced: p.ordersPlaced + 1 };
    case 'OrderFilled': {
      if (p.tradeIds.has(event.data.tradeId)) return base;
      const market = p.market ?? { base: '', quote: event.data.feeCurrency };
      const tradeIds = p.tradeIds.add(event.data.tradeId);
      return { ...base, tradeIds, inventory: applyFillToInventory(p.inventory, event.data), feesAndMark: applyFillFee(p.feesAndMark, event.data, market) };
    }
    default:
      return base;
  }
}

export const foldPair = (events: Iterable<RecordedOrNew>, from: PairProjection = emptyPairProjection()): PairProjection => {
  let p = from;
  for (const e of events) p = applyPairEvent(p, e);
  return p;
};

/** The summary the CLI prints for backtest and replay: identical shape from either. */
export interface PairSummary {
  readonly decisions: number;
  readonly orders: number;
  readonly fills: number;
  readonly position: string;
  readonly averageCost: string;
  readonly realizedPnl: string;
  readonly unrealizedPnl: string;
  readonly fees: string;
  readonly netPnl: string;
  readonly state: PairState;
  /** Fees in a third currency (e.g. BNB), per currency; not in `fees` or `netPnl`. Present only when there were some. */
  readonly otherFees?: Readonly<Record<string, string>>;
}

/**
 * Reports round money to 12 decimal places (half-even). The state keeps full
 * precision; the average cost is a quotient, so without this the reports would
 * show 40-digit noise such as -1.07470000000000000000000000000000000008.
 */
export const REPORT_DECIMALS = 12;

const report = (value: string): string => toDecimalString(D(value).toDecimalPlaces(REPORT_DECIMALS, Decimal.ROUND_HALF_EVEN));

export function summarisePair(p: PairProjection): PairSummary {
  const pnl: PnlSummary = pnlSummary(p.inventory, p.feesAndMark);
  return {
    decisions: p.decisions,
    orders: p.ordersPlaced,
    fills: p.inventory.fills,
    position: p.inventory.position,
    averageCost: report(p.inventory.averageCost),
    realizedPnl: report(pnl.realizedPnl),
    unrealizedPnl: report(pnl.unrealizedPnl),
    fees: report(pnl.fees),
    netPnl: report(pnl.netPnl),
    state: p.state,
    ...(p.feesAndMark.otherFees ? { otherFees: p.feesAndMark.otherFees } : {}),
  };
}
