import type { EventData } from '../events/catalog.js';
import { D, Decimal, toDecimalString } from '../src/core/decimal.js';

/**
 * Position and average cost, folded from fills only. Realised PnL uses the
 * average-cost method and is gross of fees (fees are tracked in pnl.ts).
 */
export interface Inventory {
  /** Signed base amount: long > 0, short < 0. */
  readonly position: string;
  /** Average entry price of the open position; "0" when flat. */
  readonly averageCost: string;
  readonly realizedPnl: string;
  readonly fills: number;
  readonly boughtBase: string;
  readonly soldBase: string;
}

export const emptyInventory = (): Inventory => ({ position: '0', averageCost: '0', realizedPnl: '0', fills: 0, boughtBase: '0', soldBase: '0' });

export function applyFillToInventory(inv: Inventory, fill: Pick<EventData<'OrderFilled'>, 'side' | 'price' | 'amount'>): Inventory {
  const price = D(fill.price);
  const signed = fill.side === 'buy' ? D(fill.amount) : D(fill.amount).neg();
  const pos = D(inv.position);
  const avg = D(inv.averageCost);
  let realized = D(inv.realizedPnl);
  let newPos = pos.plus(signed);
  let newAvg: Decimal = avg;

  const sameDirection = pos.isZero() || pos.isPos() === signed.isPos();
  if (sameDirection) {
    // Adding to (or opening) a position: blend the cost.
    newAvg = pos.times(avg).plus(signed.times(price)).div(newPos);
  } else {
    // Reducing: realise PnL on the closed part; a flip opens the rest at the fill price.
    const closed = Decimal.min(signed.abs(), pos.abs());
    const direction = pos.isPos() ? 1 : -1;
    realized = realized.plus(price.minus(avg).times(closed).times(direction));
    if (newPos.isZero()) newAvg = D(0);
    else if (newPos.isPos() !== pos.isPos()) newAvg = price;
  }
  if (newPos.isZero()) newPos = D(0);

  return {
    position: toDecimalString(newPos),
    averageCost: toDecimalString(newPos.isZero() ? 0 : newAvg),
    realizedPnl: toDecimalString(realized),
    fills: inv.fills + 1,
    boughtBase: fill.side === 'buy' ? toDecimalString(D(inv.boughtBase).plus(fill.amount)) : inv.boughtBase,
    soldBase: fill.side === 'sell' ? toDecimalString(D(inv.soldBase).plus(fill.amount)) : inv.soldBase,
  };
}
