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
 * ORDERS. Validation as on the simulated venue (both use the PaperLedger of
 * paper-ledger.ts: tick and lot grid, minimum notional, a book must exist). A
 * post-only order that would cross the synthetic book (buy >= best ask, sell
 * <= best bid) is rejected. A crossing order that is not post-only (a
 * reduce-only liquidation) fills at once, in full, at the opposite touch, as
 * taker: the model book has unlimited depth at its touch. Acks are immediate;
 * every timestamp is clock.now(). Funds are not enforced; balances move with
 * fills as on the simulated venue.
 */
import type { Observable } from 'rxjs';
import type { Clock } from '../clock/clock.js';
import { D, type Decimal } from '../core/decimal.js';
import type { Side } from '../core/types.js';
import { SeededRandom, type RandomSource } from '../core/seeded-random.js';
import type { BookEvent, MarketEvent, TradeEvent } from '../market-data/market-event.js';
import { PaperLedger, remainingOf, type PaperMarket, type Taker } from './paper-ledger.js';
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

/** The fill process state of one market. */
interface StepState {
  /** Mid of the market's book (exact decimal mid, as a float). */
  mid: number | undefined;
  /** The step that the current book opened has had its draw. */
  drawn: boolean;
}

type Market = PaperMarket<StepState>;

/** Markets, orders, balances and fill emission are the PaperLedger's (paper-ledger.ts); this class is the fill process. */
export class SyntheticVenue implements Venue {
  readonly id: string;
  private readonly clock: Clock;
  private readonly model: SyntheticFillModel;
  private readonly random: RandomSource;
  private readonly ledger: PaperLedger<StepState>;
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
    this.ledger = new PaperLedger<StepState>({
      venueId: this.id,
      clock: options.clock,
      idPrefix: 'syn',
      markets: options.markets,
      balances: options.balances,
      matching: {
        newState: () => ({ mid: undefined, drawn: true }),
        onBook: (m, book) => this.onBook(m, book),
        // Prints do not fill us here: the intensity model is the only source of fills.
        onTrade: () => [],
        crossing: (m, book, side, price) => this.crossing(m, book, side, price),
      },
    });
  }

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
   * Feed one market event. A book closes the current step (drawing its fills
   * first if drawFills() was not called for it), then becomes the book of the
   * next step; fills are emitted before the book, as on the simulated venue.
   */
  onMarketEvent(event: MarketEvent): void {
    this.ledger.onMarketEvent(event);
  }

  /**
   * Run the current step's fill draw now, for one symbol or all (in listing
   * order). At most one draw per step: a second call before the next book does
   * nothing. Returns the fills, which are also emitted on watchFills.
   */
  drawFills(symbol?: string): readonly Fill[] {
    const markets = symbol === undefined ? this.ledger.allMarkets() : [this.ledger.market(symbol)].filter((m): m is Market => m !== undefined);
    const fills: Fill[] = [];
    for (const m of markets) if (!m.state.drawn) fills.push(...this.drawStep(m));
    this.ledger.emitFills(fills);
    return fills;
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

  /** Completes every stream, e.g. at the end of a path. */
  close(): void {
    this.ledger.close();
  }

  // ---- the fill process ----

  /** A new book (already the market's book) closes the step of the previous one, then opens its own. */
  private onBook(m: Market, book: BookEvent): Fill[] {
    const fills = m.state.drawn ? [] : this.drawStep(m);
    const bid = book.bids[0];
    const ask = book.asks[0];
    m.state.mid = bid && ask ? D(bid.price).plus(ask.price).div(2).toNumber() : undefined;
    m.state.drawn = false;
    return fills;
  }

  private drawStep(m: Market): Fill[] {
    m.state.drawn = true;
    const mid = m.state.mid;
    if (mid === undefined || m.orders.length === 0) return [];
    const ts = this.clock.now();
    const fills: Fill[] = [];
    // In arrival order (the draw order), from a snapshot: a fill removes its order from m.orders, and every order of the step gets exactly one draw.
    for (const order of [...m.orders]) {
      const delta = order.side === 'buy' ? mid - order.priceNum : order.priceNum - mid;
      const u = this.random.nextDouble();
      this.draws++;
      if (u < fillProbability(delta, this.model)) fills.push(this.ledger.applyFill(m, order, order.price, remainingOf(order), 'maker', ts));
    }
    return fills;
  }

  /** A crossing order (buy >= best ask, sell <= best bid) fills at once, in full, at the opposite touch, as taker: the model book has unlimited depth there. */
  private crossing(m: Market, book: BookEvent, side: Side, price: Decimal): Taker | undefined {
    const touch = side === 'buy' ? book.asks[0] : book.bids[0];
    if (touch === undefined) return undefined;
    const touchPrice = D(touch.price);
    const crosses = side === 'buy' ? price.gte(touchPrice) : price.lte(touchPrice);
    if (!crosses) return undefined;
    return (order, fills) => {
      fills.push(this.ledger.applyFill(m, order, touchPrice, order.amount, 'taker', order.ts));
    };
  }
}
