/**
 * Simulated venue for paper trading and backtests, driven by replayed market data.
 *
 * MATCHING MODEL
 *
 * Our orders are invisible to the market: they are not inserted into the
 * replayed book, so they never move prices and never change what other
 * participants do. Two fill models decide when a resting order fills
 * (`fillModel`, `mm backtest|run --fill-model`):
 *
 * 1. `queue` (the default): queue position (queue-model.ts has the details).
 *    a. An order joins at the back of the size displayed at its price when it
 *       starts resting (0 if the price has no displayed level: inside the
 *       spread or between levels).
 *    b. A print AT its price by an aggressor on the other side (a sell for our
 *       bid, a buy for our ask) first consumes the size ahead of it; only the
 *       volume left fills it, so a print smaller than the queue ahead fills
 *       nothing and a larger one may fill part of the order. Our orders at one
 *       price fill among themselves oldest first.
 *    c. Cancellations move it up: on each book, a fall of the size at its price
 *       that the prints since the last book do not explain is cancellations,
 *       split between the size ahead of it and the size behind it in
 *       proportion to the two (all of it ahead while nothing is behind). Size
 *       added to the level goes behind it: growth never pushes it back.
 *    d. A print strictly THROUGH its price (a sell below our bid, a buy above
 *       our ask) fills it at once, whatever the queue: the level ahead of it
 *       was taken out. The print's size is shared among such orders, best
 *       price first, then oldest first; what is left then reaches the queue at
 *       the print's own price. The order is now at the front of its level.
 *    e. An order whose price lies beyond the deepest displayed level has an
 *       unknown queue: it fills only by (d) and (2) until a book shows its
 *       price, and then joins behind what is displayed there.
 * 2. Book cross (both models). On a book event, a resting buy priced >= the
 *    best ask fills up to the size displayed at asks priced <= our bid
 *    (symmetric for sells vs bids), shared best price first, then oldest
 *    first, each order taking the cheapest reachable levels first. The flow
 *    that moved the book through us would have traded with us, so it is a
 *    maker fill; the level ahead of us is gone (front of the queue).
 * 3. `through`: the optimistic textbook model, no queue. A resting order fills
 *    whenever a trade prints AT or through its price with the aggressor on the
 *    other side; one print's size is shared among eligible orders best price
 *    first, then oldest first (partial fills), plus book crosses (2). Event by
 *    event it fills at least what `queue` fills, so on the same orders
 *    fills(queue) <= fills(through); over a backtest the strategy reacts to
 *    its fills, so the totals are compared by measurement, not by proof.
 * 4. Fills of resting orders are at OUR limit price, as maker. Fee = price x
 *    amount x makerFee (or takerFee for taker fills), in the quote currency; a
 *    negative fee is a rebate: it is credited to the quote balance and
 *    reported negative on the fill.
 * 5. A non-postOnly order that crosses the book when it arrives takes
 *    liquidity at once: it walks the displayed opposite levels up to its
 *    limit, one taker fill per level at the level's price, and the remainder
 *    rests (at the front of its new level: nothing is displayed there). A
 *    postOnly order that would cross (buy >= best ask, sell <= best bid) is
 *    rejected ('post-only would cross').
 * 6. Self-trade prevention, 'expire taker' (cancel newest): an order that
 *    would cross one of our own resting orders on the other side (a buy
 *    priced >= one of our asks, a sell <= one of our bids) is refused whole
 *    (category 'invalid-order', reason naming the resting order); the resting
 *    order stays. A real venue would first fill the incoming order against
 *    better-priced liquidity and expire only the rest; we refuse it before it
 *    trades.
 *
 * LATENCY (on the injected Clock; 0 by default, i.e. immediate)
 *
 * - Data time is the venue's matching time: a replayed event is matched the
 *   moment the driver feeds it (the recordings are stamped at the recorder's
 *   receive time; we take that as the exchange's time).
 * - `feedLatencyMs` F: what the venue publishes (watchBook, watchTrades and
 *   watchFills) reaches the subscriber F ms after it happened at the venue,
 *   in the order it happened (fills before the book or trade that made them).
 *   Events keep their own data-time `ts`. Feed latency lives in this delivery,
 *   not in the matching: the venue never sees stale data, the pair does.
 * - `orderLatencyMs` L, one way: placeOrders, cancelOrders and cancelAll sent
 *   at t take effect at t + L (validation, post-only and self-trade checks,
 *   taking liquidity and joining the queue all happen against the book and
 *   orders of t + L; acks and cancels carry ts = t + L) and their promise
 *   resolves at t + 2L. In between, the market moves on: a cancel races the
 *   fills of t..t+L, and answers with the remaining amount at t + L, or
 *   'unknown-order' if the order filled in full first (its fills are
 *   delivered all the same).
 * - fetchOpenOrders and fetchBalances answer at once with the venue's state.
 * - On a VirtualClock nothing pending happens until the driver advances the
 *   clock; `nextDue()` says when the next delayed action is due and
 *   `blocked(symbol)` when a caller is waiting for a reply, so the driver can
 *   step the clock (TradingSession.advanceTo) instead of waiting forever.
 *
 * ASSUMPTIONS
 * - Displayed liquidity we consume (by a taker order or a book-cross fill) is
 *   remembered per price level and subtracted from later snapshots while that
 *   level stays in the book: the replayed data never learns we traded, and
 *   without this the same size would fill us twice. It is forgotten once the
 *   level leaves the book. This errs on the side of fewer fills.
 * - Fill amounts are snapped down to the lot grid (venues fill in lots); a
 *   print or level smaller than one lot fills nothing.
 * - The queue model needs the book down to our prices: the runners read
 *   recordings with VENUE_BOOK_DEPTH levels a side (the depth of Binance's
 *   REST snapshot), not the 20 the pairs need.
 * - Book levels and trade sizes are float64 in the market data; they are read
 *   into decimals via their shortest string form, which is exact for the digits
 *   venues send.
 * - Every venue timestamp (acks, fills, cancels) is clock.now(): the driver
 *   advances the clock to an event's data time before calling onMarketEvent,
 *   so backtests run in data time.
 * - Funds are not enforced (paper mode): balances start from the configured
 *   values (default 0), move with every fill (base +/- amount, quote -/+
 *   notional, minus the fee in quote) and may go negative. `used` reports what
 *   open orders would reserve (quote for buys, base for sells); free = total -
 *   used. reduceOnly is not enforced (there is no position on a spot venue).
 * - Orders placed before the first book event of their symbol are rejected
 *   ('no market data'). bbo events are ignored: the depth book is the truth.
 * - Deterministic: ids are counters (`sim-<n>` orders, `sim-t-<n>` trades),
 *   orders are matched in (price, arrival) order, every state change happens
 *   synchronously inside onMarketEvent or a clock timer, and delayed actions
 *   run in (due time, scheduling) order, so the same inputs give the same
 *   fills, ids and timestamps.
 */
import { Observable } from 'rxjs';
import type { Clock } from '../clock/clock.js';
import { D, type Decimal, toDecimalString } from '../core/decimal.js';
import type { Side } from '../core/types.js';
import type { BookLevel, MarketEvent, TradeEvent } from '../market-data/market-event.js';
import { DelayLine } from './delay-line.js';
import { PaperLedger, remainingOf, type PaperMarket, type PaperOrder, type Taker } from './paper-ledger.js';
import { joinQueue, minOf, observeLevel, printAtLevel, snapDown, toFront, type QueueSlot } from './queue-model.js';
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
  VenueErrorCategory,
} from './venue.js';

/** When a resting order fills: `queue` (queue position, the default) or `through` (any print at or through its price). */
export type FillModel = 'queue' | 'through';
export const FILL_MODELS: readonly FillModel[] = ['queue', 'through'];
export const DEFAULT_FILL_MODEL: FillModel = 'queue';

/** Book levels per side the runners read recordings with, so the queue model sees our price levels (Binance's REST snapshot depth). */
export const VENUE_BOOK_DEPTH = 1000;

/** The venue's model settings: what `mm backtest` and `mm run` take as options. */
export interface SimulatedVenueSettings {
  /** Default 'queue'. */
  readonly fillModel?: FillModel;
  /** One-way delay of orders and cancels, ms of clock time. Default 0. */
  readonly orderLatencyMs?: number;
  /** Delay from the venue to subscribers of its book, trade and fill streams, ms. Default 0. */
  readonly feedLatencyMs?: number;
}

export interface SimulatedVenueOptions extends SimulatedVenueSettings {
  readonly id: string;
  readonly markets: readonly MarketSpec[];
  readonly clock: Clock;
  /** Starting balances per currency, decimal strings. Missing currencies start at 0. */
  readonly balances?: Readonly<Record<string, string>>;
  /**
   * Prefix of venue order and trade ids (default `sim`). A paper service sets
   * one per process: a fresh venue after a restart must not reuse the trade ids
   * already in the log, or its fills would be taken for repeats.
   */
  readonly idPrefix?: string;
}

/** The matching state of one market. */
interface MatchState {
  /** Size we consumed per price level (key = canonical decimal price), per book side. */
  readonly consumed: { readonly bids: Map<string, Decimal>; readonly asks: Map<string, Decimal> };
  /** Queue position of each resting order (queue model only). */
  readonly queues: WeakMap<PaperOrder, QueueSlot>;
}

type Market = PaperMarket<MatchState>;

interface Level {
  readonly price: Decimal;
  readonly key: string;
  /** Displayed size minus what we already consumed at this price. */
  readonly available: Decimal;
}

const ZERO = D(0);

/** Markets, orders, balances and fill emission are the PaperLedger's (paper-ledger.ts); this class is the matching model and the latency. */
export class SimulatedVenue implements Venue {
  readonly id: string;
  readonly fillModel: FillModel;
  readonly orderLatencyMs: number;
  readonly feedLatencyMs: number;
  private readonly clock: Clock;
  private readonly ledger: PaperLedger<MatchState>;
  private readonly line: DelayLine;
  /** Requests sent and not yet answered, per symbol. */
  private readonly inFlight = new Map<string, number>();
  private readonly blockedWaiters = new Map<string, Set<() => void>>();

  constructor(options: SimulatedVenueOptions) {
    this.id = options.id;
    this.clock = options.clock;
    this.fillModel = options.fillModel ?? DEFAULT_FILL_MODEL;
    if (!FILL_MODELS.includes(this.fillModel)) throw new RangeError(`fill model must be one of ${FILL_MODELS.join(', ')}, got "${String(this.fillModel)}"`);
    this.orderLatencyMs = checkLatency(options.orderLatencyMs, 'order latency');
    this.feedLatencyMs = checkLatency(options.feedLatencyMs, 'feed latency');
    this.line = new DelayLine(options.clock);
    this.ledger = new PaperLedger<MatchState>({
      venueId: options.id,
      clock: options.clock,
      idPrefix: options.idPrefix ?? 'sim',
      markets: options.markets,
      balances: options.balances,
      matching: {
        newState: () => ({ consumed: { bids: new Map(), asks: new Map() }, queues: new WeakMap() }),
        onBook: (m, book) => {
          forgetLevelsGone(m.state.consumed.bids, book.bids);
          forgetLevelsGone(m.state.consumed.asks, book.asks);
          const fills = this.matchBookCross(m);
          if (this.fillModel === 'queue') this.updateQueues(m);
          return fills;
        },
        onTrade: (m, trade) => (this.fillModel === 'queue' ? this.matchTradeQueue(m, trade) : this.matchTradeThrough(m, trade)),
        crossing: (m, _book, side, price) => this.crossing(m, side, price),
        refuse: (m, request, price) => selfTrade(m, request.side, price),
        rested: (m, order) => {
          if (this.fillModel === 'queue') m.state.queues.set(order, joinQueue(displayedAt(m, order)));
        },
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
    return this.published(symbol, this.ledger.watchBook(symbol));
  }

  watchTrades(symbol: string): Observable<TradeEvent> {
    return this.published(symbol, this.ledger.watchTrades(symbol));
  }

  watchFills(symbol: string): Observable<Fill> {
    return this.published(symbol, this.ledger.watchFills(symbol));
  }

  /**
   * Feed one replayed market event, at its data time. Matching happens first
   * and its fills are published before the event is, so a subscriber that sees
   * the new book already knows what it did to our orders.
   */
  onMarketEvent(event: MarketEvent): void {
    this.ledger.onMarketEvent(event);
  }

  placeOrders(orders: readonly OrderRequest[]): Promise<readonly OrderResult[]> {
    if (this.orderLatencyMs === 0 || orders.length === 0) return this.ledger.placeOrders(orders);
    return this.request([...new Set(orders.map((o) => o.symbol))], () => this.ledger.placeOrders(orders));
  }

  cancelOrders(symbol: string, clientOrderIds: readonly string[]): Promise<readonly CancelResult[]> {
    if (this.orderLatencyMs === 0) return this.ledger.cancelOrders(symbol, clientOrderIds);
    return this.request([symbol], () => this.ledger.cancelOrders(symbol, clientOrderIds));
  }

  cancelAll(symbol: string): Promise<readonly CancelResult[]> {
    if (this.orderLatencyMs === 0) return this.ledger.cancelAll(symbol);
    return this.request([symbol], () => this.ledger.cancelAll(symbol));
  }

  fetchOpenOrders(symbol: string): Promise<readonly OpenOrder[]> {
    return this.ledger.fetchOpenOrders(symbol);
  }

  fetchMyTrades(symbol: string, since?: number): Promise<readonly Fill[]> {
    return this.ledger.fetchMyTrades(symbol, since);
  }

  fetchBalances(): Promise<Readonly<Record<string, Balance>>> {
    return this.ledger.fetchBalances();
  }

  /** Completes every stream, e.g. at the end of a backtest. */
  close(): void {
    this.ledger.close();
  }

  // ---- latency: what a driver on a virtual clock needs ----

  /** Clock time of the next delayed action (an order taking effect, a reply, a delivery), if any. */
  nextDue(): number | undefined {
    return this.line.nextDue();
  }

  /** Requests on `symbol` sent and not yet answered. */
  pendingRequests(symbol: string): number {
    return this.inFlight.get(symbol) ?? 0;
  }

  /**
   * Resolves as soon as a request on `symbol` is waiting for its reply (at
   * once if one is): its caller can then make no progress until the clock
   * reaches the reply. Dispose of it when no longer needed.
   */
  blocked(symbol: string): { readonly promise: Promise<void>; dispose(): void } {
    if (this.pendingRequests(symbol) > 0) return { promise: Promise.resolve(), dispose: () => {} };
    let waiter: (() => void) | undefined;
    const promise = new Promise<void>((resolve) => {
      waiter = resolve;
    });
    const set = this.blockedWaiters.get(symbol) ?? new Set<() => void>();
    this.blockedWaiters.set(symbol, set);
    const w = waiter as () => void;
    set.add(w);
    return { promise, dispose: () => set.delete(w) };
  }

  /** Runs `act` (the ledger call) L ms from now and answers L ms after that. */
  private request<T>(symbols: readonly string[], act: () => Promise<T>): Promise<T> {
    for (const s of symbols) {
      this.inFlight.set(s, this.pendingRequests(s) + 1);
      const waiters = this.blockedWaiters.get(s);
      if (waiters) {
        this.blockedWaiters.delete(s);
        for (const w of waiters) w();
      }
    }
    return new Promise<T>((resolve) => {
      this.line.schedule(this.orderLatencyMs, () => {
        // The ledger does all its work synchronously inside the call: the effect is now.
        const result = act();
        this.line.schedule(this.orderLatencyMs, () => {
          for (const s of symbols) this.inFlight.set(s, this.pendingRequests(s) - 1);
          resolve(result);
        });
      });
    });
  }

  /** A venue stream as a subscriber receives it: F ms later, in the order the venue published it. */
  private published<T>(symbol: string, source: Observable<T>): Observable<T> {
    if (this.feedLatencyMs === 0 || !this.ledger.market(symbol)) return source;
    const delay = this.feedLatencyMs;
    return new Observable<T>((subscriber) => {
      const subscription = source.subscribe({
        next: (value) => this.line.schedule(delay, () => subscriber.next(value)),
        error: (err: unknown) => this.line.schedule(delay, () => subscriber.error(err)),
        complete: () => this.line.schedule(delay, () => subscriber.complete()),
      });
      return () => subscription.unsubscribe();
    });
  }

  // ---- matching ----

  /** (5) A new order crosses if it reaches an opposite level with size left; it then takes liquidity up to its limit, at the levels' prices. */
  private crossing(m: Market, side: Side, price: Decimal): Taker | undefined {
    const bookSide = side === 'buy' ? 'asks' : 'bids';
    const opposite = this.levels(m, bookSide, price.toNumber());
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

  /** (3) `through`: every print at or through a resting order's price reaches it; one print's size is shared. */
  private matchTradeThrough(m: Market, trade: TradeEvent): Fill[] {
    const side: Side = trade.aggressor === 'sell' ? 'buy' : 'sell';
    const px = trade.price;
    const eligible = byPriority(m.orders.filter((o) => o.side === side && (side === 'buy' ? o.priceNum >= px : o.priceNum <= px)), side);
    if (eligible.length === 0) return [];
    const ts = this.clock.now();
    let left = D(trade.size);
    const fills: Fill[] = [];
    for (const order of eligible) {
      const take = snapDown(minOf(remainingOf(order), left), m.lot);
      if (take.isZero()) break;
      left = left.minus(take);
      fills.push(this.ledger.applyFill(m, order, order.price, take, 'maker', ts));
    }
    return fills;
  }

  /** (1b, 1d) `queue`: prints through our price fill at once; prints at it go through the queue first. */
  private matchTradeQueue(m: Market, trade: TradeEvent): Fill[] {
    const side: Side = trade.aggressor === 'sell' ? 'buy' : 'sell';
    const px = trade.price;
    const through = byPriority(m.orders.filter((o) => o.side === side && (side === 'buy' ? o.priceNum > px : o.priceNum < px)), side);
    const atPrice = m.orders.filter((o) => o.side === side && o.priceNum === px);
    if (through.length === 0 && atPrice.length === 0) return [];
    const ts = this.clock.now();
    let left = D(trade.size);
    const fills: Fill[] = [];
    for (const order of through) {
      const slot = m.state.queues.get(order);
      if (slot) toFront(slot);
      const take = snapDown(minOf(remainingOf(order), left), m.lot);
      if (take.isZero()) continue;
      left = left.minus(take);
      fills.push(this.ledger.applyFill(m, order, order.price, take, 'maker', ts));
    }
    if (atPrice.length > 0) {
      // m.orders is in arrival order, so atPrice is in time priority.
      const queue = atPrice.map((order) => ({ order, slot: this.slotOf(m, order), remaining: remainingOf(order) }));
      const amounts = printAtLevel(queue, left, m.lot);
      queue.forEach((q, i) => {
        const amount = amounts[i];
        if (amount !== undefined && amount.gt(0)) fills.push(this.ledger.applyFill(m, q.order, q.order.price, amount, 'maker', ts));
      });
    }
    return fills;
  }

  /** (1c) Every resting order looks at its price level in the new book. */
  private updateQueues(m: Market): void {
    for (const order of m.orders) {
      const displayed = displayedAt(m, order);
      if (displayed !== undefined) observeLevel(this.slotOf(m, order), displayed);
    }
  }

  private slotOf(m: Market, order: PaperOrder): QueueSlot {
    let slot = m.state.queues.get(order);
    if (!slot) {
      slot = joinQueue(undefined);
      m.state.queues.set(order, slot);
    }
    return slot;
  }

  /** (2) Resting orders the opposite side of the book has reached fill against it as maker. */
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
      const ordered = byPriority(resting, side);
      const levels = this.levels(m, bookSide, (ordered[0] as PaperOrder).priceNum);
      const best = levels[0];
      if (!best) continue;
      // Levels still available to later orders in this pass.
      const avail = levels.map((l) => ({ ...l, left: l.available }));
      for (const order of ordered) {
        if (side === 'buy' ? order.price.lt(best.price) : order.price.gt(best.price)) break;
        const slot = m.state.queues.get(order);
        if (slot) toFront(slot);
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

  /** One side of the current book up to `limit` (inclusive), best first, minus what we consumed; empty levels dropped. */
  private levels(m: Market, bookSide: 'bids' | 'asks', limit: number): Level[] {
    const raw = m.book?.[bookSide] ?? [];
    const consumed = m.state.consumed[bookSide];
    const out: Level[] = [];
    for (const l of raw) {
      if (bookSide === 'asks' ? l.price > limit : l.price < limit) continue;
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

function checkLatency(value: number | undefined, what: string): number {
  const v = value ?? 0;
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${what} must be a finite number of ms >= 0, got ${String(value)}`);
  return v;
}

/**
 * Size displayed at the order's price on its own side of the current book: 0
 * if the price is within the displayed range (or better than the best) but has
 * no level, undefined if it is beyond the deepest displayed level (unknown).
 */
function displayedAt(m: Market, order: PaperOrder): number | undefined {
  const levels = (order.side === 'buy' ? m.book?.bids : m.book?.asks) ?? [];
  const px = order.priceNum;
  for (const l of levels) {
    if (l.price === px) return l.size;
    // Levels are best first: once past our price, it has no level.
    if (order.side === 'buy' ? l.price < px : l.price > px) return 0;
  }
  return levels.length === 0 ? 0 : undefined;
}

/** (6) Self-trade prevention, expire taker: the new order is refused if it would cross one of our resting orders. */
function selfTrade(m: Market, side: Side, price: Decimal): { readonly reason: string; readonly category: VenueErrorCategory } | undefined {
  const own = m.orders.find((o) => o.side !== side && (side === 'buy' ? o.price.lte(price) : o.price.gte(price)));
  if (!own) return undefined;
  return {
    reason: `self-trade prevention (expire taker): would cross own ${own.side} order ${own.clientOrderId} at ${toDecimalString(own.price)}`,
    category: 'invalid-order',
  };
}

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
  for (const key of [...consumed.keys()]) {
    const px = Number(key);
    if (!levels.some((l) => l.price === px)) consumed.delete(key);
  }
}
