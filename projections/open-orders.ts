import type { Side } from '../src/core/types.js';
import { D, toDecimalString } from '../src/core/decimal.js';
import type { RecordedOrNew } from './pair-projection.js';

/** Orders the log believes are live. In flight until the venue acknowledges them. */
export interface TrackedOrder {
  readonly clientOrderId: string;
  readonly venueOrderId: string | null;
  readonly side: Side;
  readonly level: number;
  readonly price: string;
  readonly amount: string;
  readonly remaining: string;
  readonly reduceOnly: boolean;
  readonly status: 'in-flight' | 'open';
}

export type OpenOrders = ReadonlyMap<string, TrackedOrder>;

export function applyToOpenOrders(orders: OpenOrders, event: RecordedOrNew): OpenOrders {
  switch (event.type) {
    case 'OrderPlaced': {
      const d = event.data;
      const next = new Map(orders);
      next.set(d.clientOrderId, { clientOrderId: d.clientOrderId, venueOrderId: null, side: d.side, level: d.level, price: d.price, amount: d.amount, remaining: d.amount, reduceOnly: d.reduceOnly, status: 'in-flight' });
      return next;
    }
    case 'OrderAcknowledged': {
      const o = orders.get(event.data.clientOrderId);
      if (!o) return orders;
      return new Map(orders).set(o.clientOrderId, { ...o, venueOrderId: event.data.venueOrderId, status: 'open' });
    }
    case 'OrderRejected':
    case 'OrderCancelled': {
      if (!orders.has(event.data.clientOrderId)) return orders;
      const next = new Map(orders);
      next.delete(event.data.clientOrderId);
      return next;
    }
    case 'OrderFilled': {
      const o = orders.get(event.data.clientOrderId);
      if (!o) return orders;
      const next = new Map(orders);
      const remaining = D(event.data.remaining);
      if (remaining.lte(0)) next.delete(o.clientOrderId);
      else next.set(o.clientOrderId, { ...o, remaining: toDecimalString(remaining) });
      return next;
    }
    default:
      return orders;
  }
}
