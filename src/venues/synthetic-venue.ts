/**
 * The venue of the Avellaneda–Stoikov synthetic market
 * (src/market-data/synthetic-market.ts): the same Venue port as the simulated
 * venue, with the model's fill process instead of replayed prints.
 *
 * FILL MODEL
 * - Market orders from the rest of the market hit a quote at distance delta
 *   from the mid as a Poisson process of intensity lambda(delta) = A exp(-k delta).
 *   Over one step of model length dt, a resting order therefore fills with
 *   probability p(delta) = 1 - exp(-A exp(-k delta) dt) (`fillProbability`).
 * - delta is signed, in price units: mid - price for a bid, price - mid for an
 *   ask, measured from the book mid in force during the step (the mid the
 *   quotes were made against, as in the paper's Euler scheme); the draw does
 *   not see the next mid. A quote through the mid (delta < 0) has p > the
 *   at-the-mid rate.
 * - A fill takes the whole remaining amount, at the order's own price, as
 *   maker; fee = price x amount x makerFee of the market (default 0 for the
 *   synthetic market; negative is a rebate).
 * - One uniform draw per resting order per step, from the venue's own seeded
 *   generator, in arrival order of the orders: the same inputs give the same
 *   fills. The market's mid path uses a different generator, so the path does
 *   not depend on how many orders rest.
 *
 * STEPS. `drawFills()` runs one step of the fill process now (the synthetic
 * runner calls it half-way through each step, so a fill and the requote it
 * causes are stamped inside the step, before the next mid). A `book` event
 * first runs the step it closes if nobody called drawFills() since the
 * previous book, so a driver that only forwards market events still gets the
 * model's fills (at the book's time).
 *
 * ORDERS. Validation as on the simulated venue (tick and lot grid, minimum
 * notional, a book must exist). A post-only order that would cross the
 * synthetic book (buy >= best ask, sell <= best bid) is rejected. A crossing
 * order that is not post-only (a reduce-only liquidation) fills at once, in
 * full, at the opposite touch, as taker: the model book has unlimited depth at
 * its touch. Acks are immediate; every timestamp is clock.now(). Funds are not
 * enforced; balances move with fills as on the simulated venue.
 */
import { Observable, Subject, throwError } from 'rxjs';
import type { Clock } from '../clock/clock.js';
import { D, DECIMAL_STRING_PATTERN, type Decimal, toDecimalString } from '../core/decimal.js';
import type { Side } from '../core/types.js';
import { SeededRandom, type RandomSource } from '../core/seeded-random.js';
import type { BookEvent, MarketEvent, TradeEvent } from '../market-data/market-event.js';
import type { Balance, BookFeedEvent, CancelResult, Fill, MarketSpec, OpenOrder, OrderRequest, OrderResult, Venue } from './venue.js';

/** The fill process parameters, in model units (see synthetic-market.ts). */
export interface SyntheticFillModel {
  /** Intensity at delta = 0, fills per model time unit. */
  readonly A: number;
  /** Decay of the intensity per price unit of delta. */
  readonly k: number;
  /** Model length of one step. */
  readonly dt: number;
}

/** Probability that a quote at signed distance `delta` from the mid fills within one step. */
export const fillProbability = (delta: number, model: SyntheticFillModel): number => 1 - Math.exp(-model.A * Math.exp(-model.k * delta) * model.dt);

export interface SyntheticVenueOptions {
  /** Default `synthetic`. */
  readonly id?: string;
  readonly markets: readonly MarketSpec[];
  readonly clock: Clock;
  readonly model: SyntheticFillModel;
  /** Seed of the fill draws (a 32-bit integer; see deriveSeed). Ignored when `random` is given. */
  readonly seed?: number;
  readonly random?: RandomSource;
  /** Starting balances per currency, decimal strings. Missing currencies start at 0. */
  readonly balances?: Readonly<Record<string, string>>;
}

interface RestingOrder {
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly price: Decimal;
  readonly priceNum: number;
  readonly amount: Decimal;
  filled: Decimal;
  readonly ts: number;
}

interface SymbolState {
  readonly spec: MarketSpec;
  readonly tick: Decimal;
  readonly lot: Decimal;
  readonly minNotional: Decimal;
  readonly makerFee: Decimal;
  readonly takerFee: Decimal;
  book: BookEvent | undefined;
  /** Mid of `book` (exact decimal mid, as a float). */
  mid: number | undefined;
  /** The step that the current book opened has had its draw. */
  drawn: boolean;
  /** Live orders in arrival order: the draw order. */
  orders: RestingOrder[];
  readonly bookSubject: Subject<BookFeedEvent>;
  readonly tradeSubject: Subject<TradeEvent>;
  readonly fillSubject: Subject<Fill>;
}

interface PendingFill {
  readonly state: SymbolState;
  readonly fill: Fill;
}

const ZERO = D(0);

export class SyntheticVenue implements Venue {
  readonly id: string;
  private readonly clock: Clock;
  private readonly model: SyntheticFillModel;
  private readonly random: RandomSource;
  private readonly specs: MarketSpec[] = [];
  private readonly symbols = new Map<string, SymbolState>();
  private readonly live = new Map<string, RestingOrder>();
  private readonly balances = new Map<string, Decimal>();
  private orderCounter = 0;
  private tradeCounter = 0;
  /** Uniform draws consumed so far (for tests and diagnostics). */
  draws = 0;

  constructor(options: SyntheticVenueOptions) {
    for (const [name, v] of Object.entries({ A: options.model.A, k: options.model.k })) {
      if (!Number.isFinite(v) || v < 0) throw new Error(`synthetic venue: ${name} must be a finite number >= 0, got ${v}`);
    }
    if (!Number.isFinite(options.model.dt) || options.model.dt <= 0) throw new Error(`synthetic venue: dt must be > 0, got ${options.model.dt}`);
    this.id = options.id ?? 'synthetic';
    this.clock = options.clock;
    this.model = options.model;
    this.random = options.random ?? new SeededRandom(options.seed ?? 0);
    for (const spec of options.markets) this.addMarket(spec);
    for (const [ccy, amount] of Object.entries(options.balances ?? {})) this.balances.set(ccy, D(amount));
  }

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
      mid: undefined,
      drawn: true,
      orders: [],
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
   * Feed one market event. A book closes the current step (drawing its fills
   * first if drawFills() was not called for it), then becomes the book of the
   * next step; fills are emitted before the book, as on the simulated venue.
   */
  onMarketEvent(event: MarketEvent): void {
    const s = this.symbols.get(event.symbol);
    if (!s) return;
    switch (event.kind) {
      case 'book': {
        const fills = s.drawn ? [] : this.drawStep(s);
        s.book = event;
        const bid = event.bids[0];
        const ask = event.asks[0];
        s.mid = bid && ask ? D(bid.price).plus(ask.price).div(2).toNumber() : undefined;
        s.drawn = false;
        this.emitFills(fills);
        s.bookSubject.next(event);
        return;
      }
      case 'trade':
        // Prints do not fill us here: the intensity model is the only source of fills.
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

  /**
   * Run the current step's fill draw now, for one symbol or all (in listing
   * order). At most one draw per step: a second call before the next book does
   * nothing. Returns the fills, which are also emitted on watchFills.
   */
  drawFills(symbol?: string): readonly Fill[] {
    const states = symbol === undefined ? [...this.symbols.values()] : [this.symbols.get(symbol)].filter((s): s is SymbolState => s !== undefined);
    const fills: PendingFill[] = [];
    for (const s of states) if (!s.drawn) fills.push(...this.drawStep(s));
    this.emitFills(fills);
    return fills.map((f) => f.fill);
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

  /** Completes every stream, e.g. at the end of a path. */
  close(): void {
    for (const s of this.symbols.values()) {
      s.bookSubject.complete();
      s.tradeSubject.complete();
      s.fillSubject.complete();
    }
  }

  // ---- the fill process ----

  private drawStep(s: SymbolState): PendingFill[] {
    s.drawn = true;
    const mid = s.mid;
    if (mid === undefined || s.orders.length === 0) return [];
    const ts = this.clock.now();
    const fills: PendingFill[] = [];
    // Snapshot: a fill removes its order from s.orders, and every order of the step gets exactly one draw.
    for (const order of [...s.orders]) {
      const delta = order.side === 'buy' ? mid - order.priceNum : order.priceNum - mid;
      const u = this.random.nextDouble();
      this.draws++;
      if (u < fillProbability(delta, this.model)) fills.push(this.applyFill(s, order, order.price, remainingOf(order), 'maker', ts));
    }
    return fills;
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
    if (notional.lt(s.minNotional)) return reject(`notional ${toDecimalString(notional)} below min notional ${s.spec.minNotional}`);
    if (!s.book) return reject('no market data');

    const touch = request.side === 'buy' ? s.book.asks[0] : s.book.bids[0];
    const touchPrice = touch === undefined ? undefined : D(touch.price);
    const crosses = touchPrice !== undefined && (request.side === 'buy' ? price.gte(touchPrice) : price.lte(touchPrice));
    if (crosses && request.postOnly) return reject('post-only would cross');

    const order: RestingOrder = {
      clientOrderId: request.clientOrderId,
      venueOrderId: `syn-${++this.orderCounter}`,
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
    if (crosses && touchPrice !== undefined) fills.push(this.applyFill(s, order, touchPrice, amount, 'taker', ts));
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
      tradeId: `syn-t-${++this.tradeCounter}`,
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

function unknownSymbol<T>(symbol: string): Observable<T> {
  return throwError(() => new Error(`unknown symbol ${symbol}`));
}
