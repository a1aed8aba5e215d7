/**
 * One ccxt trade of ours -> the port's Fill. Shared by the fill feed (stream
 * and backfill) and by `fetchMyTrades` (reconciliation on restart), so both
 * report a trade the same way. What differs is only where `remaining` comes
 * from, which the caller decides:
 * - the feed: the order's size minus the fills counted in the registry so far;
 * - reconciliation: the order's state fetched from the venue now, walked back
 *   over the order's later trades (see ccxt-my-trades.ts).
 */
import { D, toDecimalString, type Decimal } from '../../core/decimal.js';
import type { Fill } from '../venue.js';
import type { MarketBinding } from './ccxt-markets.js';
import type { CcxtTrade } from './ccxt-schemas.js';

export interface FillOwner {
  readonly clientOrderId: string;
  readonly venueOrderId: string;
}

export function fillOfTrade(venue: string, market: MarketBinding, t: CcxtTrade, owner: FillOwner, remaining: Decimal): Fill {
  return {
    venue,
    symbol: market.spec.symbol,
    tradeId: t.id,
    clientOrderId: owner.clientOrderId,
    venueOrderId: owner.venueOrderId,
    side: t.side,
    price: toDecimalString(D(t.price)),
    amount: toDecimalString(D(t.amount)),
    fee: toDecimalString(D(t.fee?.cost ?? 0)),
    // No fee currency reported: the quote currency (what spot and linear contracts charge in).
    feeCurrency: t.fee?.currency ?? market.spec.quote,
    liquidity: t.takerOrMaker ?? 'taker',
    remaining: toDecimalString(remaining.lt(0) ? D(0) : remaining),
    ts: t.timestamp,
  };
}
