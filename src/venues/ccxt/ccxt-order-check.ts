/**
 * Pre-trade checks on an order before it reaches ccxt. The strategy already
 * snaps prices with directed rounding (a bid down, an ask up); the adapter
 * sends the exact decimal string it was given and refuses one off the grid,
 * because ccxt would otherwise "fix" it with `priceToPrecision`, which rounds
 * to nearest and can lift a bid (or lower an ask) by a tick.
 */
import type { Exchange } from 'ccxt';
import { D, DECIMAL_STRING_PATTERN, toDecimalString } from '../../core/decimal.js';
import type { OrderRequest } from '../venue.js';
import type { MarketBinding } from './ccxt-markets.js';

/** Why the order must not be sent, or null when it may. */
export function checkOrderRequest(request: OrderRequest, market: MarketBinding): string | null {
  if (!DECIMAL_STRING_PATTERN.test(request.price)) return `invalid price "${request.price}"`;
  if (!DECIMAL_STRING_PATTERN.test(request.amount)) return `invalid amount "${request.amount}"`;
  const price = D(request.price);
  const amount = D(request.amount);
  if (!price.gt(0)) return `price must be > 0, got ${request.price}`;
  if (!amount.gt(0)) return `amount must be > 0, got ${request.amount}`;
  if (!price.mod(market.tick).isZero()) return `price ${request.price} is off the tick grid ${market.spec.tickSize}`;
  if (!amount.mod(market.lot).isZero()) return `amount ${request.amount} is off the lot grid ${market.spec.lotSize}`;
  const notional = price.mul(amount);
  if (notional.lt(market.minNotional)) return `notional ${toDecimalString(notional)} below min notional ${market.spec.minNotional}`;
  return null;
}

/**
 * Proves that what ccxt will put on the wire equals what we were given: ccxt's
 * own precision for the market must map our on-grid values onto themselves.
 * A mismatch means ccxt's market precision disagrees with the spec the
 * strategy used, and the order is refused rather than silently re-priced.
 */
export function checkCcxtPrecision(exchange: Exchange, request: OrderRequest, market: MarketBinding): string | null {
  const price = exchange.priceToPrecision(market.unified, request.price);
  if (price === undefined || !D(price).eq(D(request.price))) return `ccxt would send price ${price} for ${request.price} (its precision differs from tick ${market.spec.tickSize})`;
  const amount = exchange.amountToPrecision(market.unified, request.amount);
  if (amount === undefined || !D(amount).eq(D(request.amount))) return `ccxt would send amount ${amount} for ${request.amount} (its precision differs from lot ${market.spec.lotSize})`;
  return null;
}
