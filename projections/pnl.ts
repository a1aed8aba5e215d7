import type { EventData } from '../events/catalog.js';
import { D, toDecimalString } from '../src/core/decimal.js';
import type { Inventory } from './inventory.js';

/** Fees paid (negative = rebates earned), in quote currency, and the mark price. */
export interface FeesAndMark {
  readonly fees: string;
  /** Last mid recorded in a QuoteDecided event: the mark for unrealised PnL. */
  readonly lastMid: string | null;
  /**
   * Fees charged in a third currency (Binance's BNB discount), per currency.
   * The log holds no price for them, so they are kept apart and not in the
   * quote-currency fees or the net PnL. Absent until the first one.
   */
  readonly otherFees?: Readonly<Record<string, string>>;
}

export const emptyFeesAndMark = (): FeesAndMark => ({ fees: '0', lastMid: null });

/** Fees charged in the base currency are valued at the fill price; a third currency is kept apart (see otherFees). */
export function applyFillFee(state: FeesAndMark, fill: EventData<'OrderFilled'>, market: { base: string; quote: string }): FeesAndMark {
  if (fill.feeCurrency !== market.base && fill.feeCurrency !== market.quote) {
    const other = state.otherFees ?? {};
    return { ...state, otherFees: { ...other, [fill.feeCurrency]: toDecimalString(D(other[fill.feeCurrency] ?? '0').plus(fill.fee)) } };
  }
  const fee = fill.feeCurrency === market.base ? D(fill.fee).times(fill.price) : D(fill.fee);
  return { ...state, fees: toDecimalString(D(state.fees).plus(fee)) };
}

export const markAt = (state: FeesAndMark, mid: string): FeesAndMark => ({ ...state, lastMid: mid });

export interface PnlSummary {
  readonly realizedPnl: string;
  readonly unrealizedPnl: string;
  readonly fees: string;
  /** realized + unrealized - fees. */
  readonly netPnl: string;
}

export function pnlSummary(inv: Inventory, fm: FeesAndMark): PnlSummary {
  const unrealized = fm.lastMid === null || D(inv.position).isZero() ? D(0) : D(fm.lastMid).minus(inv.averageCost).times(inv.position);
  return {
    realizedPnl: inv.realizedPnl,
    unrealizedPnl: toDecimalString(unrealized),
    fees: fm.fees,
    netPnl: toDecimalString(D(inv.realizedPnl).plus(unrealized).minus(fm.fees)),
  };
}
