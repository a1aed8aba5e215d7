/**
 * Simulated venue for paper trading and backtests, driven by replayed market data.
 *
 * MATCHING MODEL (foundation model; queue position and latency come later)
 *
 * Our orders are invisible to the market: they are not inserted into the
 * replayed book, so they never move prices, never trade with each other (no
 * self-trade) and never change what other participants do.
 *
 * 1. Trade-through. A resting buy fills when a trade prints with aggressor
 *    'sell' at a price strictly BELOW our bid; a resting sell fills when a
 *    'buy' aggressor prints strictly ABOVE our ask. A print exactly at our
 *    price does not fill: we assume we sit at the back of the queue at our
 *    level, so volume at our price went to the orders ahead of us. One print's
 *    size is shared among our eligible orders, best price first, then oldest
 *    first, so a small print gives partial fills.
 * 2. Book cross. On a book event, a resting buy priced >= the best ask fills up
 *    to the size displayed at asks priced <= our bid (symmetric for sells vs
 *    bids), shared best price first, then oldest first, each order taking the
 *    cheapest reachable levels first. In reality the flow that moved the book
 *    through us would have traded with us, so we count it as a maker fill.
 * 3. Fills from (1) and (2) are at OUR limit price, as maker. Fee = price x
 *    amount x makerFee, in the quote currency; a negative fee is a rebate.
 * 4. A non-postOnly order that crosses the book when placed takes liquidity at
 *    once: it walks the displayed opposite levels up to its limit, one taker
 *    fill per level at the level's price, and the remainder rests. A postOnly
 *    order that would cross (buy >= best ask, sell <= best bid) is rejected.
 *
 * ASSUMPTIONS
 * - Displayed liquidity we consume (by a taker order or a book-cross fill) is
 *   remembered per price level and subtracted from later snapshots while that
 *   level stays in the book: the replayed data never learns we traded, and
 *   without this the same size would fill us twice. It is forgotten once the
 *   level leaves the book. This errs on the side of fewer fills.
 * - Fill amounts are snapped down to the lot grid (venues fill in lots); a
 *   print or level smaller than one lot fills nothing.
 * - Book levels and trade sizes are float64 in the market data; they are read
 *   into decimals via their shortest string form, which is exact for the digits
 *   venues send.
 * - Acks are immediate. Every venue timestamp (acks, fills, cancels) is
 *   clock.now(): the driver advances the clock to an event's data time before
 *   calling onMarketEvent, so backtests run in data time.
 * - Funds are not enforced (paper mode): balances start from the configured
 *   values (default 0), move with every fill (base +/- amount, quote -/+
 *   notional, minus the fee in quote) and may go negative. `used` reports what
 *   open orders would reserve (quote for buys, base for sells); free = total -
 *   used. reduceOnly is not enforced (there is no position on a spot venue).
 * - Orders placed before the first book event of their symbol are rejected
 *   ('no market data'). bbo events are ignored: the depth book is the truth.
 * - Deterministic: ids are counters (`sim-<n>` orders, `sim-t-<n>` trades),
 *   orders are matched in (price, arrival) order, and all state changes happen
 *   synchronously, so the same inputs give the same fills, ids and timestamps.
 */
import type { Observable } from 'rxjs';
import type { Clock } from '../clock/clock.js';
import { D, type Decimal, toDecimalString } from '../core/decimal.js';
import type { Side } from '../core/types.js';
import type { BookLevel, MarketEvent, TradeEvent } from '../market-data/market-event.js';
import { PaperLedger, remainingOf, type PaperMarket, type PaperOrder, type Taker } from './paper-ledger.js';
import type {
  Balance,
  BookFeedEvent,
  CancelResult,
  Fill,
  MarketSpec,
  OpenOrder,
  OrderRequest,
  OrderResult,
  Venue,
} from './venue.js';

export interface SimulatedVenueOptions {
  readonly id: string;
  readonly markets: readonly MarketSpec[];
  readonly clock: Clock;
  /** Starting balances per currency, decimal strings. Missing currencies start at 0. */
  readonly balances?: Readonly<Record<string, string>>;
}

/** The matching state of one market. */
interface Consumption {
  /** Size we consumed per price level (key = canonical decimal price), per book side. */
  readonly consumed: { readonly bids: Map<string, Decimal>; readonly asks: Map<string, Decimal> };
}

type Market = PaperMarket<Consumption>;

interface Level {
  readonly price: Decimal;
  readonly key: string;
  /** Displayed size minus what we already consumed at this price. */
  readonly available: Decimal;
}

const ZERO = D(0);

/** Markets, orders, balances and fill emission are the PaperLedger's (paper-ledger.ts); this class is the matching model. */
export class SimulatedVenue implements Venue {
  readonly id: string;
  private readonly clock: Clock;
  private readonly ledger: PaperLedger<Consumption>;

  constructor(options: SimulatedVenueOptions) {
    this.id = options.id;
    this.clock = options.clock;
    this.ledger = new PaperLedger<Consumption>({
      venueId: options.id,
      clock: options.clock,
      idPrefix: 'sim',
      markets: options.markets,
      balances: options.balances,
      matching: {
        newState: () => ({ consumed: { bids: new Map(), asks: new Map() } }),
        onBook: (m, book) => {
          forgetLevelsGone(m.state.consumed.bids, book.bids);
          forgetLevelsGone(m.state.consumed.asks, book.asks);
          return this.matchBookCross(m);
        },
        onTrade: (m, trade) => this.matchTrade(m, trade),
        crossing: (m, _book, side, price) => this.crossing(m, side, price),
      },
    });
  }

  /** List another instrument (a pair that starts later in a session). */
  addMarket(spec: MarketSpec): void {
    this.ledger.addMarket(spec);
  }

  markets(): Promise<readonly MarketSpec[]> {
    return this.ledger.markets();
  }

  watchBook(symbol: string): Observable<BookFeedEvent> {
    return this.ledger.watchBook(symbol);
  }

  watchTrades(symbol: string): Observable<TradeEvent> {
    return this.ledger.watchTrades(symbol);
  }

  watchFills(symbol: string): Observable<Fill> {
    return this.ledger.watchFills(symbol);
  }

  /**
   * Feed one replayed market event. Matching happens first and its fills are
   * emitted before the event is forwarded, so a subscriber that sees the new
   * book already knows what it did to our orders.
   */
  onMarketEvent(event: MarketEvent): void {
    this.ledger.onMarketEvent(event);
  }

  placeOrders(orders: readonly OrderRequest[]): Promise<readonly OrderResult[]> {
    return this.ledger.placeOrders(orders);
  }

  cancelOrders(symbol: string, clientOrderIds: readonly string[]): Promise<readonly CancelResult[]> {
    return this.ledger.cancelOrders(symbol, clientOrderIds);
  }

  cancelAll(symbol: string): Promise<readonly CancelResult[]> {
    return this.ledger.cancelAll(symbol);
  }

  fetchOpenOrders(symbol: string): Promise<readonly OpenOrder[]> {
    return this.ledger.fetchOpenOrders(symbol);
  }

  fetchBalances(): Promise<Readonly<Record<string, Balance>>> {
    return this.ledger.fetchBalances();
  }

  /** Completes every stream, e.g. at the end of a backtest. */
  close(): void {
    this.ledger.close();
  }

  // ---- matching ----

  /** (4) A new order crosses if it reaches the best opposite level; it then takes liquidity up to its limit, at the levels' prices. */
  private crossing(m: Market, side: Side, price: Decimal): Taker | undefined {
    const bookSide = side === 'buy' ? 'asks' : 'bids';
    const opposite = this.levels(m, bookSide);
    const best = opposite[0];
    const crosses = best !== undefined && (side === 'buy' ? price.gte(best.price) : price.lte(best.price));
    if (!crosses) return undefined;
    return (order, fills) => {
      for (const level of opposite) {
        if (side === 'buy' ? level.price.gt(price) : level.price.lt(price)) break;
        const take = snapDown(minOf(remainingOf(order), level.available), m.lot);
        if (take.isZero()) continue;
        consume(m.state.consumed[bookSide], level.key, take);
        fills.push(this.ledger.applyFill(m, order, level.price, take, 'taker', order.ts));
        if (remainingOf(order).isZero()) break;
      }
    };
  }

  private matchTrade(m: Market, trade: TradeEvent): Fill[] {
    const px = D(trade.price);
    // A sell aggressor trades through bids above its price; a buy aggressor through asks below.
    const eligible = trade.aggressor === 'sell'
      ? byPriority(m.orders.filter((o) => o.side === 'buy' && o.price.gt(px)), 'buy')
      : byPriority(m.orders.filter((o) => o.side === 'sell' && o.price.lt(px)), 'sell');
    if (eligible.length === 0) return [];
    const ts = this.clock.now();
    let left = snapDown(D(trade.size), m.lot);
    const fills: Fill[] = [];
    for (const order of eligible) {
      if (left.isZero()) break;
      const take = minOf(remainingOf(order), left);
      left = left.minus(take);
      fills.push(this.ledger.applyFill(m, order, order.price, take, 'maker', ts));
    }
    return fills;
  }

  private matchBookCross(m: Market): Fill[] {
    const fills: Fill[] = [];
    const ts = this.clock.now();
    for (const side of ['buy', 'sell'] as const) {
      const bookSide = side === 'buy' ? 'asks' : 'bids';
      const displayedBest = m.book?.[bookSide][0]?.price;
      if (displayedBest === undefined) continue;
      // Most ticks cross nothing: decide that in floats before building decimal levels.
      const resting = m.orders.filter((o) => o.side === side && (side === 'buy' ? o.priceNum >= displayedBest : o.priceNum <= displayedBest));
      if (resting.length === 0) continue;
      const levels = this.levels(m, bookSide);
      const best = levels[0];
      if (!best) continue;
      // Levels still available to later orders in this pass.
      const avail = levels.map((l) => ({ ...l, left: l.available }));
      for (const order of byPriority(resting, side)) {
        if (side === 'buy' ? order.price.lt(best.price) : order.price.gt(best.price)) break;
        let total = ZERO;
        for (const level of avail) {
          if (side === 'buy' ? level.price.gt(order.price) : level.price.lt(order.price)) break;
          const take = snapDown(minOf(remainingOf(order).minus(total), level.left), m.lot);
          if (take.isZero()) continue;
          level.left = level.left.minus(take);
          consume(m.state.consumed[bookSide], level.key, take);
          total = total.plus(take);
          if (remainingOf(order).minus(total).isZero()) break;
        }
        if (total.gt(0)) fills.push(this.ledger.applyFill(m, order, order.price, total, 'maker', ts));
      }
    }
    return fills;
  }

  /** One side of the current book, best first, minus what we consumed; empty levels dropped. */
  private levels(m: Market, bookSide: 'bids' | 'asks'): Level[] {
    const raw = m.book?.[bookSide] ?? [];
    const consumed = m.state.consumed[bookSide];
    const out: Level[] = [];
    for (const l of raw) {
      const price = D(l.price);
      const key = toDecimalString(price);
      const available = D(l.size).minus(consumed.get(key) ?? ZERO);
      if (available.gt(0)) out.push({ price, key, available });
    }
    // Data should already be best first; sorting keeps the walk correct if it is not.
    out.sort((a, b) => (bookSide === 'asks' ? a.price.cmp(b.price) : b.price.cmp(a.price)));
    return out;
  }
}

const minOf = (a: Decimal, b: Decimal): Decimal => (a.lte(b) ? a : b);

const snapDown = (x: Decimal, step: Decimal): Decimal => (x.lte(0) ? ZERO : x.div(step).floor().mul(step));

/** Best price first (highest bid, lowest ask), then oldest first. */
function byPriority(orders: PaperOrder[], side: Side): PaperOrder[] {
  return orders.sort((a, b) => {
    const byPrice = side === 'buy' ? b.price.cmp(a.price) : a.price.cmp(b.price);
    return byPrice !== 0 ? byPrice : a.seq - b.seq;
  });
}

function consume(consumed: Map<string, Decimal>, key: string, amount: Decimal): void {
  consumed.set(key, (consumed.get(key) ?? ZERO).plus(amount));
}

function forgetLevelsGone(consumed: Map<string, Decimal>, levels: readonly BookLevel[]): void {
  if (consumed.size === 0) return;
  const present = new Set(levels.map((l) => toDecimalString(l.price)));
  for (const key of [...consumed.keys()]) if (!present.has(key)) consumed.delete(key);
}
