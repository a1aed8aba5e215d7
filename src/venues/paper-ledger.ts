/**
 * The book-keeping shared by the paper venues (simulated-venue.ts,
 * synthetic-venue.ts): everything about a paper venue except what fills our
 * orders. A venue composes one PaperLedger and gives it its matching or fill
 * model as a PaperMatching; the ledger does the rest:
 *
 * - Markets. The listed instruments in listing order, each with its decimal
 *   rules, its latest book, our live orders on it, and one book, trade and
 *   fill stream. An unknown symbol's streams error.
 * - Market events. A book is recorded as the market's book, then the model
 *   sees it; a trade goes to the model. The fills the model returns are
 *   emitted before the event itself is forwarded, so a subscriber that sees the
 *   new book already knows what it did to our orders. Feed problems and
 *   recoveries are forwarded on the book stream; bbo events are ignored.
 * - Orders. Validation in this order: known symbol, no live order with the
 *   same clientOrderId (on any symbol), decimal strings, price and amount > 0,
 *   tick grid, lot grid, minimum notional, a book exists ('no market data').
 *   Then the model says whether the order crosses its book; a crossing
 *   post-only order is rejected ('post-only would cross'); then the model may
 *   refuse it for its own reasons (optional `refuse`: self-trade prevention on
 *   the simulated venue); any other order is accepted, a crossing one takes
 *   liquidity as the model says, and the model is told if some of it rests
 *   (optional `rested`: where it joins the queue). Acks are immediate here
 *   (a venue that models latency calls the ledger when a request arrives).
 *   Cancels of an order that is not live on that symbol answer 'unknown-order'.
 * - Fills and balances. A fill is booked on its order (a filled order leaves
 *   the book) and on the balances at once: base +/- amount, quote -/+ notional,
 *   minus the fee = notional x makerFee or takerFee of the market, in the
 *   quote currency (negative: a rebate). Funds are not enforced: balances
 *   start from the given values (0 for any other currency of a listed market)
 *   and may go negative. `used` reports what open orders would reserve (quote
 *   for buys, base for sells); free = total - used.
 * - Fills are emitted only after all the state changes of the call that made
 *   them, so a subscriber reacting re-entrantly sees a consistent venue.
 * - Deterministic: ids are counters (`<prefix>-<n>` orders, `<prefix>-t-<n>`
 *   trades), every timestamp is clock.now(), and all state changes happen
 *   synchronously.
 */
import { Observable, Subject, throwError } from 'rxjs';
import type { Clock } from '../clock/clock.js';
import { D, DECIMAL_STRING_PATTERN, type Decimal, toDecimalString } from '../core/decimal.js';
import type { Side } from '../core/types.js';
import type { BookEvent, MarketEvent, TradeEvent } from '../market-data/market-event.js';
import type { Balance, BookFeedEvent, CancelResult, Fill, MarketSpec, OpenOrder, OrderRequest, OrderResult, VenueErrorCategory } from './venue.js';

/** One of our live orders. */
export interface PaperOrder {
  /** Arrival sequence across the venue (the n of the venue order id): time priority among our own orders. */
  readonly seq: number;
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly price: Decimal;
  /** The same price as a float, for cheap per-tick tests. */
  readonly priceNum: number;
  readonly amount: Decimal;
  filled: Decimal;
  readonly ts: number;
}

/** One listed instrument, with the venue model's own per-market state S. */
export interface PaperMarket<S> {
  readonly spec: MarketSpec;
  readonly tick: Decimal;
  readonly lot: Decimal;
  readonly minNotional: Decimal;
  readonly makerFee: Decimal;
  readonly takerFee: Decimal;
  /** The latest book; undefined until the first one. */
  book: BookEvent | undefined;
  /** Live orders in arrival order. */
  orders: PaperOrder[];
  readonly state: S;
}

/** Takes liquidity for a crossing order that has just been accepted: books its fills (ts = order.ts) and pushes them. */
export type Taker = (order: PaperOrder, fills: Fill[]) => void;

/** What fills our orders: the venue's matching or fill model. Fills it returns are booked (applyFill) but not emitted yet. */
export interface PaperMatching<S> {
  /** The model's state for a newly listed market. */
  newState(spec: MarketSpec): S;
  /** A book event; market.book is already this book. */
  onBook(market: PaperMarket<S>, book: BookEvent): Fill[];
  /** A trade print. */
  onTrade(market: PaperMarket<S>, trade: TradeEvent): Fill[];
  /** Whether a valid new order at `price` crosses `book` (= market.book) and, if it does, how it takes liquidity; undefined if it does not cross. */
  crossing(market: PaperMarket<S>, book: BookEvent, side: Side, price: Decimal): Taker | undefined;
  /**
   * Optional: a model's own refusal of an order that passed validation and the
   * post-only check (e.g. self-trade prevention), before it is accepted.
   */
  refuse?(market: PaperMarket<S>, request: OrderRequest, price: Decimal): { readonly reason: string; readonly category: VenueErrorCategory } | undefined;
  /** Optional: an order was accepted and has taken what it crosses; called only if some of it still rests. */
  rested?(market: PaperMarket<S>, order: PaperOrder): void;
}

export interface PaperLedgerOptions<S> {
  /** The venue id written on every fill. */
  readonly venueId: string;
  readonly clock: Clock;
  /** Of the deterministic ids: orders `<idPrefix>-<n>`, trades `<idPrefix>-t-<n>`. */
  readonly idPrefix: string;
  readonly markets: readonly MarketSpec[];
  /** Starting balances per currency, decimal strings. Missing currencies start at 0. */
  readonly balances?: Readonly<Record<string, string>> | undefined;
  readonly matching: PaperMatching<S>;
}

interface Listing<S> {
  readonly market: PaperMarket<S>;
  readonly bookSubject: Subject<BookFeedEvent>;
  readonly tradeSubject: Subject<TradeEvent>;
  readonly fillSubject: Subject<Fill>;
}

const ZERO = D(0);

export const remainingOf = (o: PaperOrder): Decimal => o.amount.minus(o.filled);

/** How many of its latest fills a paper venue can report (fetchMyTrades). */
const FILL_HISTORY = 10_000;

export class PaperLedger<S> {
  private readonly history: Fill[] = [];
  private readonly venueId: string;
  private readonly clock: Clock;
  private readonly idPrefix: string;
  private readonly matching: PaperMatching<S>;
  private readonly specs: MarketSpec[] = [];
  private readonly listings = new Map<string, Listing<S>>();
  /** Live orders by clientOrderId, across symbols: ids are unique per venue. */
  private readonly live = new Map<string, PaperOrder>();
  private readonly balances = new Map<string, Decimal>();
  private orderCounter = 0;
  private tradeCounter = 0;

  constructor(options: PaperLedgerOptions<S>) {
    this.venueId = options.venueId;
    this.clock = options.clock;
    this.idPrefix = options.idPrefix;
    this.matching = options.matching;
    for (const spec of options.markets) this.addMarket(spec);
    for (const [ccy, amount] of Object.entries(options.balances ?? {})) this.balances.set(ccy, D(amount));
  }

  // ---- markets ----

  addMarket(spec: MarketSpec): void {
    if (this.listings.has(spec.symbol)) throw new Error(`duplicate market ${spec.symbol}`);
    this.specs.push(spec);
    this.listings.set(spec.symbol, {
      market: {
        spec,
        tick: D(spec.tickSize),
        lot: D(spec.lotSize),
        minNotional: D(spec.minNotional),
        makerFee: D(spec.makerFee),
        takerFee: D(spec.takerFee),
        book: undefined,
        orders: [],
        state: this.matching.newState(spec),
      },
      bookSubject: new Subject(),
      tradeSubject: new Subject(),
      fillSubject: new Subject(),
    });
    for (const ccy of [spec.base, spec.quote]) if (!this.balances.has(ccy)) this.balances.set(ccy, ZERO);
  }

  async markets(): Promise<readonly MarketSpec[]> {
    return this.specs;
  }

  market(symbol: string): PaperMarket<S> | undefined {
    return this.listings.get(symbol)?.market;
  }

  /** Every listed market, in listing order. */
  allMarkets(): PaperMarket<S>[] {
    return [...this.listings.values()].map((l) => l.market);
  }

  watchBook(symbol: string): Observable<BookFeedEvent> {
    const l = this.listings.get(symbol);
    return l ? l.bookSubject.asObservable() : unknownSymbol(symbol);
  }

  watchTrades(symbol: string): Observable<TradeEvent> {
    const l = this.listings.get(symbol);
    return l ? l.tradeSubject.asObservable() : unknownSymbol(symbol);
  }

  watchFills(symbol: string): Observable<Fill> {
    const l = this.listings.get(symbol);
    return l ? l.fillSubject.asObservable() : unknownSymbol(symbol);
  }

  /** Feeds one market event through the model, then forwards it. Events of unlisted symbols are dropped. */
  onMarketEvent(event: MarketEvent): void {
    const l = this.listings.get(event.symbol);
    if (!l) return;
    switch (event.kind) {
      case 'book': {
        l.market.book = event;
        this.emitFills(this.matching.onBook(l.market, event));
        l.bookSubject.next(event);
        return;
      }
      case 'trade':
        this.emitFills(this.matching.onTrade(l.market, event));
        l.tradeSubject.next(event);
        return;
      case 'feed-problem':
      case 'feed-recovered':
        l.bookSubject.next(event);
        return;
      case 'bbo':
        return;
    }
  }

  /** Completes every stream. */
  close(): void {
    for (const l of this.listings.values()) {
      l.bookSubject.complete();
      l.tradeSubject.complete();
      l.fillSubject.complete();
    }
  }

  // ---- orders ----

  async placeOrders(orders: readonly OrderRequest[]): Promise<readonly OrderResult[]> {
    const results: OrderResult[] = [];
    const fills: Fill[] = [];
    for (const request of orders) results.push(this.placeOne(request, fills));
    this.emitFills(fills);
    return results;
  }

  async cancelOrders(symbol: string, clientOrderIds: readonly string[]): Promise<readonly CancelResult[]> {
    return clientOrderIds.map((id) => this.cancelOne(symbol, id));
  }

  async cancelAll(symbol: string): Promise<readonly CancelResult[]> {
    const m = this.market(symbol);
    if (!m) return [];
    return [...m.orders].map((o) => this.cancelOne(symbol, o.clientOrderId));
  }

  async fetchOpenOrders(symbol: string): Promise<readonly OpenOrder[]> {
    const m = this.market(symbol);
    if (!m) return [];
    return m.orders.map((o) => ({
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
    for (const { market } of this.listings.values()) {
      for (const o of market.orders) {
        const remaining = remainingOf(o);
        if (o.side === 'buy') reserve(market.spec.quote, remaining.mul(o.price));
        else reserve(market.spec.base, remaining);
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

  private placeOne(request: OrderRequest, fills: Fill[]): OrderResult {
    const ts = this.clock.now();
    const reject = (reason: string, category: VenueErrorCategory = 'validation'): OrderResult => ({ clientOrderId: request.clientOrderId, status: 'rejected', reason, category, action: 'reject', ts });
    const m = this.market(request.symbol);
    if (!m) return reject(`unknown symbol ${request.symbol}`);
    if (this.live.has(request.clientOrderId)) return reject(`duplicate clientOrderId ${request.clientOrderId}`, 'duplicate-order');
    if (!DECIMAL_STRING_PATTERN.test(request.price)) return reject(`invalid price "${request.price}"`);
    if (!DECIMAL_STRING_PATTERN.test(request.amount)) return reject(`invalid amount "${request.amount}"`);
    const price = D(request.price);
    const amount = D(request.amount);
    if (!price.gt(0)) return reject(`price must be > 0, got ${request.price}`);
    if (!amount.gt(0)) return reject(`amount must be > 0, got ${request.amount}`);
    if (!price.mod(m.tick).isZero()) return reject(`price ${request.price} is off the tick grid ${m.spec.tickSize}`);
    if (!amount.mod(m.lot).isZero()) return reject(`amount ${request.amount} is off the lot grid ${m.spec.lotSize}`);
    const notional = price.mul(amount);
    if (notional.lt(m.minNotional)) return reject(`notional ${toDecimalString(notional)} below min notional ${m.spec.minNotional}`);
    if (!m.book) return reject('no market data');

    const take = this.matching.crossing(m, m.book, request.side, price);
    if (take && request.postOnly) return reject('post-only would cross', 'post-only-would-cross');
    const refusal = this.matching.refuse?.(m, request, price);
    if (refusal) return reject(refusal.reason, refusal.category);

    const seq = ++this.orderCounter;
    const order: PaperOrder = {
      seq,
      clientOrderId: request.clientOrderId,
      venueOrderId: `${this.idPrefix}-${seq}`,
      symbol: request.symbol,
      side: request.side,
      price,
      priceNum: price.toNumber(),
      amount,
      filled: ZERO,
      ts,
    };
    m.orders.push(order);
    this.live.set(order.clientOrderId, order);
    take?.(order, fills);
    if (this.matching.rested && remainingOf(order).gt(0)) this.matching.rested(m, order);
    return { clientOrderId: order.clientOrderId, status: 'accepted', venueOrderId: order.venueOrderId, ts };
  }

  private cancelOne(symbol: string, clientOrderId: string): CancelResult {
    const ts = this.clock.now();
    const order = this.live.get(clientOrderId);
    const m = this.market(symbol);
    if (!order || !m || order.symbol !== symbol) {
      return { clientOrderId, status: 'unknown-order', reason: `no open order ${clientOrderId} on ${symbol}`, ts };
    }
    this.removeOrder(m, order);
    return { clientOrderId, status: 'cancelled', remaining: toDecimalString(remainingOf(order)), ts };
  }

  private removeOrder(m: PaperMarket<S>, order: PaperOrder): void {
    m.orders = m.orders.filter((o) => o !== order);
    this.live.delete(order.clientOrderId);
  }

  // ---- fills ----

  /** Books a fill of `amount` at `price` on the order and the balances; the Fill is emitted later, by emitFills. */
  applyFill(m: PaperMarket<S>, order: PaperOrder, price: Decimal, amount: Decimal, liquidity: 'maker' | 'taker', ts: number): Fill {
    order.filled = order.filled.plus(amount);
    const remaining = remainingOf(order);
    if (remaining.isZero()) this.removeOrder(m, order);
    const notional = price.mul(amount);
    const fee = notional.mul(liquidity === 'maker' ? m.makerFee : m.takerFee);
    const { base, quote } = m.spec;
    const sign = order.side === 'buy' ? 1 : -1;
    this.balances.set(base, (this.balances.get(base) ?? ZERO).plus(amount.mul(sign)));
    this.balances.set(quote, (this.balances.get(quote) ?? ZERO).minus(notional.mul(sign)).minus(fee));
    return {
      venue: this.venueId,
      symbol: order.symbol,
      tradeId: `${this.idPrefix}-t-${++this.tradeCounter}`,
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
  }

  /** Emits booked fills on their markets' fill streams; call it only after all state changes. */
  emitFills(fills: readonly Fill[]): void {
    for (const fill of fills) {
      this.history.push(fill);
      if (this.history.length > FILL_HISTORY) this.history.splice(0, this.history.length - FILL_HISTORY);
      this.listings.get(fill.symbol)?.fillSubject.next(fill);
    }
  }

  /** Fills booked on `symbol` at or after `since`, oldest first (the last FILL_HISTORY fills of the venue). */
  async fetchMyTrades(symbol: string, since = 0): Promise<readonly Fill[]> {
    return this.history.filter((f) => f.symbol === symbol && f.ts >= since);
  }
}

function unknownSymbol<T>(symbol: string): Observable<T> {
  return throwError(() => new Error(`unknown symbol ${symbol}`));
}
