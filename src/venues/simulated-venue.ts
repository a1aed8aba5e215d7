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
import { Observable, Subject, throwError } from 'rxjs';
import type { Clock } from '../clock/clock.js';
import { D, DECIMAL_STRING_PATTERN, type Decimal, toDecimalString } from '../core/decimal.js';
import type { Side } from '../core/types.js';
import type { BookEvent, BookLevel, MarketEvent, TradeEvent } from '../market-data/market-event.js';
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

interface RestingOrder {
  /** Arrival sequence: time priority among our own orders. */
  readonly seq: number;
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly price: Decimal;
  /** The same price as a float, for the cheap per-tick "could this cross?" test. */
  readonly priceNum: number;
  readonly amount: Decimal;
  filled: Decimal;
  readonly ts: number;
}

interface Level {
  readonly price: Decimal;
  readonly key: string;
  /** Displayed size minus what we already consumed at this price. */
  readonly available: Decimal;
}

interface SymbolState {
  readonly spec: MarketSpec;
  readonly tick: Decimal;
  readonly lot: Decimal;
  readonly minNotional: Decimal;
  readonly makerFee: Decimal;
  readonly takerFee: Decimal;
  book: BookEvent | undefined;
  /** Live orders in arrival order. */
  orders: RestingOrder[];
  /** Size we consumed per price level (key = canonical decimal price), per book side. */
  readonly consumed: { readonly bids: Map<string, Decimal>; readonly asks: Map<string, Decimal> };
  readonly bookSubject: Subject<BookFeedEvent>;
  readonly tradeSubject: Subject<TradeEvent>;
  readonly fillSubject: Subject<Fill>;
}

interface PendingFill {
  readonly state: SymbolState;
  readonly fill: Fill;
}

const ZERO = D(0);

export class SimulatedVenue implements Venue {
  readonly id: string;
  private readonly clock: Clock;
  private readonly specs: MarketSpec[] = [];
  private readonly symbols = new Map<string, SymbolState>();
  /** Live orders by clientOrderId, across symbols: ids are unique per venue. */
  private readonly live = new Map<string, RestingOrder>();
  private readonly balances = new Map<string, Decimal>();
  private orderCounter = 0;
  private tradeCounter = 0;

  constructor(options: SimulatedVenueOptions) {
    this.id = options.id;
    this.clock = options.clock;
    for (const spec of options.markets) this.addMarket(spec);
    for (const [ccy, amount] of Object.entries(options.balances ?? {})) this.balances.set(ccy, D(amount));
  }

  /** List another instrument (a pair that starts later in a session). */
  addMarket(spec: MarketSpec): void {
    if (this.symbols.has(spec.symbol)) throw new Error(`duplicate market ${spec.symbol}`);
    this.specs.push(spec);
    this.symbols.set(spec.symbol, {
      spec,
      tick: D(spec.tickSize),
      lot: D(spec.lotSize),
      minNotional: D(spec.minNotional),
      makerFee: D(spec.makerFee),
      takerFee: D(spec.takerFee),
      book: undefined,
      orders: [],
      consumed: { bids: new Map(), asks: new Map() },
      bookSubject: new Subject(),
      tradeSubject: new Subject(),
      fillSubject: new Subject(),
    });
    for (const ccy of [spec.base, spec.quote]) if (!this.balances.has(ccy)) this.balances.set(ccy, ZERO);
  }

  async markets(): Promise<readonly MarketSpec[]> {
    return this.specs;
  }

  watchBook(symbol: string): Observable<BookFeedEvent> {
    const s = this.symbols.get(symbol);
    return s ? s.bookSubject.asObservable() : unknownSymbol(symbol);
  }

  watchTrades(symbol: string): Observable<TradeEvent> {
    const s = this.symbols.get(symbol);
    return s ? s.tradeSubject.asObservable() : unknownSymbol(symbol);
  }

  watchFills(symbol: string): Observable<Fill> {
    const s = this.symbols.get(symbol);
    return s ? s.fillSubject.asObservable() : unknownSymbol(symbol);
  }

  /**
   * Feed one replayed market event. Matching happens first and its fills are
   * emitted before the event is forwarded, so a subscriber that sees the new
   * book already knows what it did to our orders.
   */
  onMarketEvent(event: MarketEvent): void {
    const s = this.symbols.get(event.symbol);
    if (!s) return;
    switch (event.kind) {
      case 'book': {
        s.book = event;
        forgetLevelsGone(s.consumed.bids, event.bids);
        forgetLevelsGone(s.consumed.asks, event.asks);
        this.emitFills(this.matchBookCross(s));
        s.bookSubject.next(event);
        return;
      }
      case 'trade':
        this.emitFills(this.matchTrade(s, event));
        s.tradeSubject.next(event);
        return;
      case 'feed-problem':
      case 'feed-recovered':
        s.bookSubject.next(event);
        return;
      case 'bbo':
        return;
    }
  }

  async placeOrders(orders: readonly OrderRequest[]): Promise<readonly OrderResult[]> {
    const results: OrderResult[] = [];
    const fills: PendingFill[] = [];
    for (const request of orders) results.push(this.placeOne(request, fills));
    this.emitFills(fills);
    return results;
  }

  async cancelOrders(symbol: string, clientOrderIds: readonly string[]): Promise<readonly CancelResult[]> {
    return clientOrderIds.map((id) => this.cancelOne(symbol, id));
  }

  async cancelAll(symbol: string): Promise<readonly CancelResult[]> {
    const s = this.symbols.get(symbol);
    if (!s) return [];
    return [...s.orders].map((o) => this.cancelOne(symbol, o.clientOrderId));
  }

  async fetchOpenOrders(symbol: string): Promise<readonly OpenOrder[]> {
    const s = this.symbols.get(symbol);
    if (!s) return [];
    return s.orders.map((o) => ({
      clientOrderId: o.clientOrderId,
      venueOrderId: o.venueOrderId,
      symbol: o.symbol,
      side: o.side,
      price: toDecimalString(o.price),
      amount: toDecimalString(o.amount),
      filled: toDecimalString(o.filled),
      ts: o.ts,
    }));
  }

  async fetchBalances(): Promise<Readonly<Record<string, Balance>>> {
    const used = new Map<string, Decimal>();
    const reserve = (ccy: string, amount: Decimal): void => {
      used.set(ccy, (used.get(ccy) ?? ZERO).plus(amount));
    };
    for (const s of this.symbols.values()) {
      for (const o of s.orders) {
        const remaining = o.amount.minus(o.filled);
        if (o.side === 'buy') reserve(s.spec.quote, remaining.mul(o.price));
        else reserve(s.spec.base, remaining);
      }
    }
    const out: Record<string, Balance> = {};
    for (const ccy of [...this.balances.keys()].sort()) {
      const total = this.balances.get(ccy) ?? ZERO;
      const u = used.get(ccy) ?? ZERO;
      out[ccy] = { free: toDecimalString(total.minus(u)), used: toDecimalString(u), total: toDecimalString(total) };
    }
    return out;
  }

  /** Completes every stream, e.g. at the end of a backtest. */
  close(): void {
    for (const s of this.symbols.values()) {
      s.bookSubject.complete();
      s.tradeSubject.complete();
      s.fillSubject.complete();
    }
  }

  // ---- orders ----

  private placeOne(request: OrderRequest, fills: PendingFill[]): OrderResult {
    const ts = this.clock.now();
    const reject = (reason: string): OrderResult => ({ clientOrderId: request.clientOrderId, status: 'rejected', reason, ts });
    const s = this.symbols.get(request.symbol);
    if (!s) return reject(`unknown symbol ${request.symbol}`);
    if (this.live.has(request.clientOrderId)) return reject(`duplicate clientOrderId ${request.clientOrderId}`);
    if (!DECIMAL_STRING_PATTERN.test(request.price)) return reject(`invalid price "${request.price}"`);
    if (!DECIMAL_STRING_PATTERN.test(request.amount)) return reject(`invalid amount "${request.amount}"`);
    const price = D(request.price);
    const amount = D(request.amount);
    if (!price.gt(0)) return reject(`price must be > 0, got ${request.price}`);
    if (!amount.gt(0)) return reject(`amount must be > 0, got ${request.amount}`);
    if (!price.mod(s.tick).isZero()) return reject(`price ${request.price} is off the tick grid ${s.spec.tickSize}`);
    if (!amount.mod(s.lot).isZero()) return reject(`amount ${request.amount} is off the lot grid ${s.spec.lotSize}`);
    const notional = price.mul(amount);
    if (notional.lt(s.minNotional)) {
      return reject(`notional ${toDecimalString(notional)} below min notional ${s.spec.minNotional}`);
    }
    if (!s.book) return reject('no market data');

    const opposite = this.levels(s, request.side === 'buy' ? 'asks' : 'bids');
    const best = opposite[0];
    const crosses = best !== undefined && (request.side === 'buy' ? price.gte(best.price) : price.lte(best.price));
    if (crosses && request.postOnly) return reject('post-only would cross');

    const order: RestingOrder = {
      seq: ++this.orderCounter,
      clientOrderId: request.clientOrderId,
      venueOrderId: `sim-${this.orderCounter}`,
      symbol: request.symbol,
      side: request.side,
      price,
      priceNum: price.toNumber(),
      amount,
      filled: ZERO,
      ts,
    };
    s.orders.push(order);
    this.live.set(order.clientOrderId, order);

    if (crosses) {
      // Take liquidity: walk the opposite levels within our limit, at their prices.
      const consumed = request.side === 'buy' ? s.consumed.asks : s.consumed.bids;
      for (const level of opposite) {
        if (request.side === 'buy' ? level.price.gt(price) : level.price.lt(price)) break;
        const take = snapDown(minOf(remainingOf(order), level.available), s.lot);
        if (take.isZero()) continue;
        consume(consumed, level.key, take);
        fills.push(this.applyFill(s, order, level.price, take, 'taker', ts));
        if (remainingOf(order).isZero()) break;
      }
    }
    return { clientOrderId: order.clientOrderId, status: 'accepted', venueOrderId: order.venueOrderId, ts };
  }

  private cancelOne(symbol: string, clientOrderId: string): CancelResult {
    const ts = this.clock.now();
    const order = this.live.get(clientOrderId);
    const s = this.symbols.get(symbol);
    if (!order || !s || order.symbol !== symbol) {
      return { clientOrderId, status: 'unknown-order', reason: `no open order ${clientOrderId} on ${symbol}`, ts };
    }
    this.removeOrder(s, order);
    return { clientOrderId, status: 'cancelled', remaining: toDecimalString(remainingOf(order)), ts };
  }

  private removeOrder(s: SymbolState, order: RestingOrder): void {
    s.orders = s.orders.filter((o) => o !== order);
    this.live.delete(order.clientOrderId);
  }

  // ---- matching ----

  private matchTrade(s: SymbolState, trade: TradeEvent): PendingFill[] {
    const px = D(trade.price);
    // A sell aggressor trades through bids above its price; a buy aggressor through asks below.
    const eligible = trade.aggressor === 'sell'
      ? byPriority(s.orders.filter((o) => o.side === 'buy' && o.price.gt(px)), 'buy')
      : byPriority(s.orders.filter((o) => o.side === 'sell' && o.price.lt(px)), 'sell');
    if (eligible.length === 0) return [];
    const ts = this.clock.now();
    let left = snapDown(D(trade.size), s.lot);
    const fills: PendingFill[] = [];
    for (const order of eligible) {
      if (left.isZero()) break;
      const take = minOf(remainingOf(order), left);
      left = left.minus(take);
      fills.push(this.applyFill(s, order, order.price, take, 'maker', ts));
    }
    return fills;
  }

  private matchBookCross(s: SymbolState): PendingFill[] {
    const fills: PendingFill[] = [];
    const ts = this.clock.now();
    for (const side of ['buy', 'sell'] as const) {
      const bookSide = side === 'buy' ? 'asks' : 'bids';
      const displayedBest = s.book?.[bookSide][0]?.price;
      if (displayedBest === undefined) continue;
      // Most ticks cross nothing: decide that in floats before building decimal levels.
      const resting = s.orders.filter((o) => o.side === side && (side === 'buy' ? o.priceNum >= displayedBest : o.priceNum <= displayedBest));
      if (resting.length === 0) continue;
      const levels = this.levels(s, bookSide);
      const best = levels[0];
      if (!best) continue;
      // Levels still available to later orders in this pass.
      const avail = levels.map((l) => ({ ...l, left: l.available }));
      for (const order of byPriority(resting, side)) {
        if (side === 'buy' ? order.price.lt(best.price) : order.price.gt(best.price)) break;
        let total = ZERO;
        for (const level of avail) {
          if (side === 'buy' ? level.price.gt(order.price) : level.price.lt(order.price)) break;
          const take = snapDown(minOf(remainingOf(order).minus(total), level.left), s.lot);
          if (take.isZero()) continue;
          level.left = level.left.minus(take);
          consume(s.consumed[bookSide], level.key, take);
          total = total.plus(take);
          if (remainingOf(order).minus(total).isZero()) break;
        }
        if (total.gt(0)) fills.push(this.applyFill(s, order, order.price, total, 'maker', ts));
      }
    }
    return fills;
  }

  /** One side of the current book, best first, minus what we consumed; empty levels dropped. */
  private levels(s: SymbolState, bookSide: 'bids' | 'asks'): Level[] {
    const raw = s.book?.[bookSide] ?? [];
    const consumed = s.consumed[bookSide];
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

  /** Books the fill on the order and the balances; the Fill is emitted later by emitFills. */
  private applyFill(s: SymbolState, order: RestingOrder, price: Decimal, amount: Decimal, liquidity: 'maker' | 'taker', ts: number): PendingFill {
    order.filled = order.filled.plus(amount);
    const remaining = remainingOf(order);
    if (remaining.isZero()) this.removeOrder(s, order);
    const notional = price.mul(amount);
    const fee = notional.mul(liquidity === 'maker' ? s.makerFee : s.takerFee);
    const { base, quote } = s.spec;
    const sign = order.side === 'buy' ? 1 : -1;
    this.balances.set(base, (this.balances.get(base) ?? ZERO).plus(amount.mul(sign)));
    this.balances.set(quote, (this.balances.get(quote) ?? ZERO).minus(notional.mul(sign)).minus(fee));
    const fill: Fill = {
      venue: this.id,
      symbol: order.symbol,
      tradeId: `sim-t-${++this.tradeCounter}`,
      clientOrderId: order.clientOrderId,
      venueOrderId: order.venueOrderId,
      side: order.side,
      price: toDecimalString(price),
      amount: toDecimalString(amount),
      fee: toDecimalString(fee),
      feeCurrency: quote,
      liquidity,
      remaining: toDecimalString(remaining),
      ts,
    };
    return { state: s, fill };
  }

  /** Emitted only after all state changes, so a subscriber reacting re-entrantly sees a consistent venue. */
  private emitFills(fills: readonly PendingFill[]): void {
    for (const { state, fill } of fills) state.fillSubject.next(fill);
  }
}

const remainingOf = (o: RestingOrder): Decimal => o.amount.minus(o.filled);

const minOf = (a: Decimal, b: Decimal): Decimal => (a.lte(b) ? a : b);

const snapDown = (x: Decimal, step: Decimal): Decimal => (x.lte(0) ? ZERO : x.div(step).floor().mul(step));

/** Best price first (highest bid, lowest ask), then oldest first. */
function byPriority(orders: RestingOrder[], side: Side): RestingOrder[] {
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

function unknownSymbol<T>(symbol: string): Observable<T> {
  return throwError(() => new Error(`unknown symbol ${symbol}`));
}
