/**
 * `fetchMyTrades` of the Venue port over ccxt: our fills on one symbol since a
 * time, for restart recovery (OrderManager.reconcileAtStart appends the ones
 * the log lacks as ReconciliationCorrected + OrderFilled).
 *
 * - Paged forward from `since` like the fill feed's backfill (pageLimit per
 *   request, at most maxPages); without `since`, one request: the venue's most
 *   recent trades.
 * - Every trade is mapped to OUR client order id: the order's current state is
 *   fetched (fetchOrder by venue id; Binance's trade history has no client id),
 *   and the registry's client id is used where the venue gives none. A trade
 *   whose order carries no client id in our format is not ours (a manual
 *   order, another program): skipped and logged, never invented.
 * - `remaining` (the amount still open after this fill) comes from the order's
 *   state fetched now, walked back over the order's later trades in the reply:
 *   after the last trade it is size - filled-now, after each earlier one it
 *   grows by the trades that followed. Exact when the pages reach the present;
 *   if they stop at maxPages it is logged (the later fills arrive on the feed).
 * - The registry learns the order's venue-side filled amount and these trade
 *   ids, so the fill feed delivering the same trade later does not count it
 *   twice (its `remaining` stays right); the PairRuntime drops the repeated
 *   fill by trade id.
 * - Errors are classified (ccxt-errors.ts) and thrown as CcxtVenueError: a
 *   reconciliation that cannot read the venue fails rather than guessing.
 */
import type { Exchange } from 'ccxt';
import type { Clock } from '../../clock/clock.js';
import { D, type Decimal } from '../../core/decimal.js';
import type { Logger } from '../../log/logger.js';
import type { Fill } from '../venue.js';
import { CcxtVenueError, classifyVenueError } from './ccxt-errors.js';
import { fillOfTrade } from './ccxt-fill-mapping.js';
import type { MarketBinding } from './ccxt-markets.js';
import type { OrderRegistry } from './ccxt-order-registry.js';
import { byTimeThenId } from './ccxt-recent-ids.js';
import { withRetry, type RetryPolicy } from './ccxt-retry.js';
import { ccxtTradeSchema, parseReply, type CcxtOrder, type CcxtTrade } from './ccxt-schemas.js';

/**
 * The engine's client order ids (src/service/client-order-id.ts):
 * `mm` + 8 hex digits of the pair stream's hash + `r` + the revision.
 */
export const ENGINE_CLIENT_ORDER_ID = /^mm[0-9a-f]{8}r\d+$/;

export interface MyTradesOptions {
  readonly exchange: Exchange;
  readonly venue: string;
  readonly market: MarketBinding;
  readonly registry: OrderRegistry;
  /** The order as the venue holds it now (CcxtOrders.fetchOrderState). */
  readonly fetchOrder: (venueOrderId: string) => Promise<CcxtOrder>;
  /** Whether a client order id is one of ours. */
  readonly isOurs: (clientOrderId: string) => boolean;
  readonly pageLimit: number;
  readonly maxPages: number;
  readonly clock: Clock;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  readonly secrets: readonly string[];
  readonly signal: AbortSignal;
}

export async function fetchOurTrades(o: MyTradesOptions, since: number | undefined): Promise<Fill[]> {
  const symbol = o.market.spec.symbol;
  const fail = (err: unknown, what: string): never => {
    if (err instanceof CcxtVenueError) throw err;
    throw new CcxtVenueError(classifyVenueError(err, o.secrets), what);
  };
  const trades = await readTrades(o, since).catch((err: unknown) => fail(err, `fetching our trades on ${symbol}`));

  const byOrder = new Map<string, CcxtTrade[]>();
  for (const t of trades) {
    if (!t.order) {
      o.logger.error({ symbol, tradeId: t.id }, 'reconciliation: trade without a venue order id; skipped');
      continue;
    }
    byOrder.set(t.order, [...(byOrder.get(t.order) ?? []), t]);
  }

  const fills: Fill[] = [];
  for (const [venueOrderId, own] of byOrder) {
    let order: CcxtOrder;
    try {
      order = await o.fetchOrder(venueOrderId);
    } catch (err) {
      const info = classifyVenueError(err, o.secrets);
      if (info.category !== 'unknown-order') throw new CcxtVenueError(info, `fetching order ${venueOrderId} of a trade on ${symbol}`);
      o.logger.error({ symbol, venueOrderId, tradeIds: own.map((t) => t.id), err: info.message }, 'reconciliation: the venue does not know the order of these trades; cannot tell whose they are, skipped');
      continue;
    }
    const known = o.registry.getByVenueId(venueOrderId);
    const clientOrderId = known?.clientOrderId ?? order.clientOrderId ?? undefined;
    if (!clientOrderId || !o.isOurs(clientOrderId)) {
      o.logger.warn({ symbol, venueOrderId, clientOrderId: clientOrderId ?? null, tradeIds: own.map((t) => t.id) }, 'reconciliation: trades of an order that is not ours; skipped');
      continue;
    }
    const filledNow = order.filled === null || order.filled === undefined ? undefined : D(order.filled);
    const amount = order.amount === null || order.amount === undefined ? known?.amount : D(order.amount);
    const tracked = o.registry.upsert({
      clientOrderId,
      symbol,
      venueOrderId,
      side: order.side ?? undefined,
      amount,
      state: order.status === 'open' ? 'open' : 'closed',
    });
    if (filledNow) o.registry.seedFilled(tracked, filledNow, own.map((t) => t.id));
    if (!amount || !filledNow) o.logger.warn({ symbol, venueOrderId, clientOrderId }, 'reconciliation: order size or filled amount unknown; remaining reported as 0');
    // Walk back from the order's state now: each fill's remaining is what is open now plus the fills after it.
    let after: Decimal = amount && filledNow ? amount.minus(filledNow) : D(0);
    const mapped: Fill[] = [];
    for (let i = own.length - 1; i >= 0; i--) {
      const t = own[i] as CcxtTrade;
      mapped.unshift(fillOfTrade(o.venue, o.market, t, { clientOrderId, venueOrderId }, amount && filledNow ? after : D(0)));
      after = after.plus(D(t.amount));
    }
    fills.push(...mapped);
  }
  return fills.sort((a, b) => byTimeThenId({ timestamp: a.ts, id: a.tradeId }, { timestamp: b.ts, id: b.tradeId }));
}

/** Our trades on the market since `since`, paged forward, de-duplicated by trade id, oldest first. */
async function readTrades(o: MyTradesOptions, since: number | undefined): Promise<CcxtTrade[]> {
  const { pageLimit, maxPages } = o;
  const byId = new Map<string, CcxtTrade>();
  let from = since;
  for (let page = 0; ; page++) {
    const raw = await withRetry(() => o.exchange.fetchMyTrades(o.market.unified, from, pageLimit), { clock: o.clock, policy: o.retry, secrets: o.secrets, signal: o.signal });
    const trades = raw.map((t) => parseReply(ccxtTradeSchema, t, 'trade'));
    for (const t of trades) {
      if (t.symbol && t.symbol !== o.market.unified) continue;
      if (from !== undefined && t.timestamp < from) continue;
      byId.set(t.id, t);
    }
    if (from === undefined || trades.length < pageLimit) break;
    const next = Math.max(...trades.map((t) => t.timestamp));
    if (page + 1 >= maxPages) {
      o.logger.warn({ symbol: o.market.spec.symbol, since, reachedTs: next, pages: maxPages }, 'reconciliation: more trades than maxPages pages; the later ones come with the fill feed');
      break;
    }
    // A full page whose trades all share one timestamp cannot move forward by time: stop rather than loop.
    if (next === from) {
      o.logger.warn({ symbol: o.market.spec.symbol, since: from }, 'reconciliation: a full page of trades at one timestamp; paging stopped');
      break;
    }
    from = next;
  }
  return [...byId.values()].sort(byTimeThenId);
}
