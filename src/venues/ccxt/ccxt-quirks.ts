/**
 * Per-exchange differences in how ccxt's unified order API behaves, in one
 * place. Everything else in the adapter is exchange-neutral. (Options set on
 * the instance are in ccxt-exchange.ts; error-message quirks in
 * ccxt-errors.ts; precision modes in ccxt-markets.ts.)
 */
import type { Exchange } from 'ccxt';
import type { MarketBinding } from './ccxt-markets.js';

const isBinance = (exchange: Exchange): boolean => String(exchange.id).startsWith('binance');

/**
 * Batch placement. ccxt binance advertises `createOrders` but throws
 * NotSupported for spot markets (only the futures `batchOrders` endpoints
 * exist), so on Binance spot orders go one by one.
 */
export function canBatchCreate(exchange: Exchange, market: MarketBinding): boolean {
  if (exchange.has['createOrders'] !== true) return false;
  return isBinance(exchange) ? market.contract : true;
}

/** Batch cancel: ccxt binance `cancelOrders` is futures-only too (BadRequest on spot). */
export function canBatchCancel(exchange: Exchange, market: MarketBinding): boolean {
  if (exchange.has['cancelOrders'] !== true) return false;
  return isBinance(exchange) ? market.contract : true;
}

/** Orders per batch request: Binance futures 5, Bybit 10 (spot; 20 linear), OKX 20; 5 when unknown. */
export function maxBatchSize(exchange: Exchange): number {
  const id = String(exchange.id);
  if (id.startsWith('bybit')) return 10;
  if (id === 'okx' || id === 'myokx') return 20;
  return 5;
}

/**
 * Exchanges where ccxt's `fetchOrder` / `cancelOrder` accept our client order
 * id as `params.clientOrderId` with no venue id (Binance: origClientOrderId,
 * OKX: clOrdId, Bybit: orderLinkId). Elsewhere an order is found by scanning
 * the open orders.
 */
export function canAddressByClientOrderId(exchange: Exchange): boolean {
  const id = String(exchange.id);
  return isBinance(exchange) || id === 'okx' || id === 'myokx' || id.startsWith('bybit');
}

/** ccxt's param for "this client order id" on cancel/fetch: Bybit reads `orderLinkId`, the others `clientOrderId`. */
export function clientOrderIdParams(exchange: Exchange, clientOrderId: string): Record<string, unknown> {
  return String(exchange.id).startsWith('bybit') ? { orderLinkId: clientOrderId } : { clientOrderId };
}

/** Lookup of one order by client id is `fetchOrder` here (Bybit's needs the venue id; it falls back to open orders). */
export function canFetchOrderByClientOrderId(exchange: Exchange): boolean {
  const id = String(exchange.id);
  return isBinance(exchange) || id === 'okx' || id === 'myokx';
}

/**
 * ccxt order params for our limit orders: the deterministic client order id
 * (ccxt maps `clientOrderId` to Binance newClientOrderId, OKX clOrdId, Bybit
 * orderLinkId), post-only (Binance spot LIMIT_MAKER, futures GTX, Bybit
 * PostOnly, OKX post_only) and reduce-only, which only contracts know.
 */
export function orderParams(market: MarketBinding, clientOrderId: string, postOnly: boolean, reduceOnly: boolean): Record<string, unknown> {
  const params: Record<string, unknown> = { clientOrderId };
  if (postOnly) params['postOnly'] = true;
  if (reduceOnly && market.contract) params['reduceOnly'] = true;
  return params;
}

/**
 * Whether the public-trades REST backfill may pass `since`. Binance's
 * `/trades` (chosen so its ids match the `@trade` stream, see ccxt-exchange)
 * returns the latest trades and takes no start time, so the backfill asks for
 * the latest page and keeps what is newer than the last trade seen.
 */
export const tradesBackfillTakesSince = (exchange: Exchange): boolean => !isBinance(exchange);
