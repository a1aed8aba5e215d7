/**
 * A scripted venue standing in for an exchange, and a minimal host for the
 * OrderManager that does what PairRuntime does around it: one call at a time,
 * an in-memory log folded with the same open-orders projection, and the
 * pause/resume the pair machine would apply on the manager's signals.
 */
import { NEVER, Subject, type Observable } from 'rxjs';
import type { DomainEvent } from '../../../events/catalog.js';
import { deriveEventId, envelope, type NewEvent } from '../../../events/envelope.js';
import { applyToOpenOrders, type OpenOrders } from '../../../projections/open-orders.js';
import { VirtualClock } from '../../../src/clock/clock.js';
import { StrategyParamsSchema, type StrategyParamsInput } from '../../../src/config/strategy-params.js';
import { silentLogger } from '../../../src/log/logger.js';
import type { TradeEvent } from '../../../src/market-data/market-event.js';
import { OrderManager, type OrderManagerSignal, type OrderParams, type QuoteTarget } from '../../../src/orders/order-manager.js';
import { TokenBucket } from '../../../src/orders/rate-limiter.js';
import type { QuoteLevel } from '../../../src/strategy/quote-types.js';
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
  VenueErrorAction,
  VenueErrorCategory,
} from '../../../src/venues/venue.js';
import { BTCUSDT_SPOT } from '../../fixtures/markets.js';

export const T0 = 1_723_161_254_000;

/**
 * A virtual clock whose owner can step from one due timer to the next, so the
 * asynchronous work a timer starts runs at the timer's time (as it would on a
 * wall clock), not at the end of a long jump.
 */
export class SteppingClock extends VirtualClock {
  private readonly due = new Map<unknown, number>();

  override setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown {
    const at = this.now() + Math.max(0, ms);
    const id: unknown = super.setTimeout((...args: unknown[]) => {
      this.due.delete(id);
      fn(...args);
    }, ms);
    this.due.set(id, at);
    return id;
  }

  override clearTimeout(id: unknown): void {
    this.due.delete(id);
    super.clearTimeout(id);
  }

  /** The earliest due timer at or before `limit`, if any. */
  nextDue(limit: number): number | null {
    let best: number | null = null;
    for (const at of this.due.values()) if (at <= limit && (best === null || at < best)) best = at;
    return best;
  }
}

/** The action each category carries, as the ccxt adapter maps them. */
export const ACTION_OF: Record<VenueErrorCategory, VenueErrorAction> = {
  validation: 'reject',
  'insufficient-funds': 'reduce-size-or-pause',
  'post-only-would-cross': 'reject',
  'invalid-order': 'reject',
  'unknown-order': 'reject',
  'duplicate-order': 'reject',
  'rate-limited': 'backoff',
  network: 'pause-and-cancel-on-reconnect',
  auth: 'halt',
  'not-supported': 'halt',
  'exchange-error': 'reject',
  internal: 'halt',
};

export class VenueDown extends Error {
  readonly category = 'network';
  readonly action = 'pause-and-cancel-on-reconnect';
  constructor(what: string) {
    super(`${what}: connection reset`);
  }
}

/** What the scripted venue does with one order of a placement call. */
export type PlaceAnswer =
  | { readonly kind: 'accept' }
  | { readonly kind: 'reject'; readonly category: VenueErrorCategory }
  /** A network failure after the order reached the matching engine: refused to us, live at the venue. */
  | { readonly kind: 'ghost' };

export interface LiveOrder {
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly price: string;
  readonly amount: string;
  remaining: number;
  readonly ts: number;
}

type PendingCall =
  | { readonly kind: 'place'; readonly orders: readonly OrderRequest[]; readonly resolve: (r: readonly OrderResult[]) => void; readonly reject: (e: unknown) => void }
  | { readonly kind: 'cancel'; readonly symbol: string; readonly ids: readonly string[]; readonly resolve: (r: readonly CancelResult[]) => void; readonly reject: (e: unknown) => void }
  | { readonly kind: 'fetch'; readonly symbol: string; readonly resolve: (r: readonly OpenOrder[]) => void; readonly reject: (e: unknown) => void };

export interface Violation {
  readonly at: number;
  readonly what: string;
}

/**
 * Scripted venue standing in for an exchange. Calls are answered in `auto`
 * mode on the next microtask (placements by `placePolicy`), or in `manual`
 * mode only when the script says so. It checks the rules an exchange cares
 * about as the calls arrive: a client order id is never live (or in flight)
 * twice, no cancel is sent for an order still in flight, and, once `stopAt`
 * is set, no placement at all.
 */
export class ScriptedVenue implements Venue {
  readonly id: string;
  mode: 'auto' | 'manual' = 'auto';
  connected = true;
  placePolicy: (o: OrderRequest) => PlaceAnswer = () => ({ kind: 'accept' });
  readonly live = new Map<string, LiveOrder>();
  readonly pending: PendingCall[] = [];
  /** Every order of every placement call, with the clock time it was sent. */
  readonly placements: { readonly at: number; readonly symbol: string; readonly clientOrderId: string }[] = [];
  readonly cancels: { readonly at: number; readonly ids: readonly string[] }[] = [];
  readonly violations: Violation[] = [];
  cancelAllCalls = 0;
  fetchCalls = 0;
  /** Set when a stop begins: any placement after it is a violation. */
  stopAt: number | null = null;
  /** Extra check on each order as it arrives (e.g. "was it recorded first?"): a message is a violation. */
  audit: ((o: OrderRequest) => string | null) | null = null;
  private readonly inFlight = new Set<string>();
  private seq = 0;

  constructor(
    private readonly clock: VirtualClock,
    opts: { id?: string } = {},
  ) {
    this.id = opts.id ?? 'scripted';
  }

  markets(): Promise<readonly MarketSpec[]> {
    return Promise.resolve([BTCUSDT_SPOT]);
  }
  watchBook(): Observable<BookFeedEvent> {
    return NEVER;
  }
  watchTrades(): Observable<TradeEvent> {
    return NEVER;
  }
  readonly fills = new Subject<Fill>();
  watchFills(): Observable<Fill> {
    return this.fills;
  }
  fetchBalances(): Promise<Readonly<Record<string, Balance>>> {
    return Promise.resolve({});
  }
  /** Per live order of a cancel call: a category answers it `failed` (not confirmed), undefined cancels it. */
  cancelPolicy: ((clientOrderId: string) => VenueErrorCategory | undefined) | null = null;
  closed = false;
  close(): void {
    this.closed = true;
    this.fills.complete();
  }

  placeOrders(orders: readonly OrderRequest[]): Promise<readonly OrderResult[]> {
    const at = this.clock.now();
    for (const o of orders) {
      this.placements.push({ at, symbol: o.symbol, clientOrderId: o.clientOrderId });
      if (this.stopAt !== null) this.violations.push({ at, what: `placement ${o.clientOrderId} after the stop began` });
      if (this.live.has(o.clientOrderId)) this.violations.push({ at, what: `placement ${o.clientOrderId} while live at the venue` });
      if (this.inFlight.has(o.clientOrderId)) this.violations.push({ at, what: `placement ${o.clientOrderId} while already in flight` });
      const problem = this.audit?.(o);
      if (problem) this.violations.push({ at, what: problem });
      this.inFlight.add(o.clientOrderId);
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ kind: 'place', orders, resolve, reject });
      if (this.mode === 'auto') void Promise.resolve().then(() => this.answerAll());
    });
  }

  cancelOrders(symbol: string, clientOrderIds: readonly string[]): Promise<readonly CancelResult[]> {
    const at = this.clock.now();
    this.cancels.push({ at, ids: clientOrderIds });
    for (const id of clientOrderIds) if (this.inFlight.has(id)) this.violations.push({ at, what: `cancel of ${id} while its placement is in flight` });
    return new Promise((resolve, reject) => {
      this.pending.push({ kind: 'cancel', symbol, ids: clientOrderIds, resolve, reject });
      if (this.mode === 'auto') void Promise.resolve().then(() => this.answerAll());
    });
  }

  cancelAll(symbol: string): Promise<readonly CancelResult[]> {
    this.cancelAllCalls += 1;
    if (!this.connected) return Promise.reject(new VenueDown('cancelAll'));
    const ts = this.clock.now();
    const out: CancelResult[] = [];
    for (const o of [...this.live.values()]) {
      if (o.symbol !== symbol) continue;
      this.live.delete(o.clientOrderId);
      out.push({ clientOrderId: o.clientOrderId, status: 'cancelled', remaining: String(o.remaining), ts });
    }
    return Promise.resolve(out);
  }

  fetchOpenOrders(symbol: string): Promise<readonly OpenOrder[]> {
    this.fetchCalls += 1;
    return new Promise((resolve, reject) => {
      this.pending.push({ kind: 'fetch', symbol, resolve, reject });
      if (this.mode === 'auto') void Promise.resolve().then(() => this.answerAll());
    });
  }

  /** Answers the oldest unanswered call of a kind (any kind if omitted); false if there is none. */
  answerNext(kind?: PendingCall['kind'], placeAnswer?: (o: OrderRequest) => PlaceAnswer): boolean {
    const i = kind ? this.pending.findIndex((c) => c.kind === kind) : 0;
    const call = i >= 0 ? this.pending[i] : undefined;
    if (!call) return false;
    this.pending.splice(i, 1);
    this.answer(call, placeAnswer ?? this.placePolicy);
    return true;
  }

  answerAll(): void {
    while (this.answerNext()) {
      /* answer every call, oldest first */
    }
  }

  /** A fill of a live order (partial or full); returns the fill to record, or null if the order is not live. */
  fill(clientOrderId: string, fraction: number): Fill | null {
    const o = this.live.get(clientOrderId);
    if (!o) return null;
    const amount = fraction >= 1 ? o.remaining : Math.max(1e-5, Math.round(o.remaining * fraction * 1e5) / 1e5);
    const take = Math.min(amount, o.remaining);
    o.remaining = Math.round((o.remaining - take) * 1e5) / 1e5;
    if (o.remaining <= 0) this.live.delete(clientOrderId);
    return {
      venue: this.id,
      symbol: o.symbol,
      tradeId: `t-${++this.seq}`,
      clientOrderId,
      venueOrderId: o.venueOrderId,
      side: o.side,
      price: o.price,
      amount: String(take),
      fee: '0',
      feeCurrency: 'USDT',
      liquidity: 'maker',
      remaining: String(Math.max(0, o.remaining)),
      ts: this.clock.now(),
    };
  }

  private answer(call: PendingCall, placeAnswer: (o: OrderRequest) => PlaceAnswer): void {
    const ts = this.clock.now();
    switch (call.kind) {
      case 'place': {
        for (const o of call.orders) this.inFlight.delete(o.clientOrderId);
        const results = call.orders.map((o): OrderResult => {
          const a: PlaceAnswer = this.connected ? placeAnswer(o) : { kind: 'reject', category: 'network' };
          if (a.kind === 'accept' || a.kind === 'ghost') {
            const venueOrderId = `v-${++this.seq}`;
            this.live.set(o.clientOrderId, { clientOrderId: o.clientOrderId, venueOrderId, symbol: o.symbol, side: o.side, price: o.price, amount: o.amount, remaining: Number(o.amount), ts });
            if (a.kind === 'accept') return { clientOrderId: o.clientOrderId, status: 'accepted', venueOrderId, ts };
            return { clientOrderId: o.clientOrderId, status: 'rejected', reason: 'request timed out', category: 'network', action: ACTION_OF.network, ts };
          }
          return { clientOrderId: o.clientOrderId, status: 'rejected', reason: `scripted ${a.category}`, category: a.category, action: ACTION_OF[a.category], ts };
        });
        call.resolve(results);
        return;
      }
      case 'cancel': {
        if (!this.connected) return call.reject(new VenueDown('cancelOrders'));
        call.resolve(
          call.ids.map((id): CancelResult => {
            const o = this.live.get(id);
            const failure = o ? this.cancelPolicy?.(id) : undefined;
            if (failure) return { clientOrderId: id, status: 'failed', reason: `scripted ${failure}`, category: failure, action: ACTION_OF[failure], ts };
            if (!o || o.symbol !== call.symbol) return { clientOrderId: id, status: 'unknown-order', reason: 'unknown order', ts };
            this.live.delete(id);
            return { clientOrderId: id, status: 'cancelled', remaining: String(o.remaining), ts };
          }),
        );
        return;
      }
      case 'fetch': {
        if (!this.connected) return call.reject(new VenueDown('fetchOpenOrders'));
        call.resolve(
          [...this.live.values()]
            .filter((o) => o.symbol === call.symbol)
            .map((o) => ({ clientOrderId: o.clientOrderId, venueOrderId: o.venueOrderId, symbol: o.symbol, side: o.side, price: o.price, amount: o.amount, filled: String(Number(o.amount) - o.remaining), ts: o.ts })),
        );
        return;
      }
    }
  }
}

/** An in-memory log with the real open-orders fold. */
export class MemoryJournal {
  readonly events: NewEvent[] = [];
  private open: OpenOrders = new Map();
  failNext: Error | null = null;

  constructor(
    private readonly clock: VirtualClock,
    private readonly stream: string,
  ) {}

  /** Called as an append starts, before it completes (e.g. to begin a stop while OrderPlaced is being recorded). */
  onAppend: ((events: readonly DomainEvent[]) => void) | null = null;

  record = (events: readonly DomainEvent[], causationId: string | null): Promise<readonly NewEvent[]> => {
    this.onAppend?.(events);
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = null;
      return Promise.reject(err);
    }
    const first = this.events.length;
    const time = this.clock.now();
    const out = events.map((event, i) => {
      const id = deriveEventId('test', this.stream, first + i);
      return envelope(event, { id, time, metadata: { correlationId: causationId ?? id, causationId, instanceId: 'test', configVersion: 1 } });
    });
    for (const e of out) {
      this.events.push(e);
      this.open = applyToOpenOrders(this.open, e);
    }
    // Appends are asynchronous in every store.
    return Promise.resolve().then(() => out);
  };

  nextRevision = (): number => this.events.length;
  openOrders = (): OpenOrders => this.open;

  types(): string[] {
    return this.events.map((e) => e.type);
  }
  ofType<T extends DomainEvent['type']>(type: T): (NewEvent & Extract<DomainEvent, { type: T }>)[] {
    return this.events.filter((e): e is NewEvent & Extract<DomainEvent, { type: T }> => e.type === type);
  }
}

export const params = (orders: StrategyParamsInput['orders'] = {}): OrderParams => StrategyParamsSchema.parse({ orders }).orders;

export const q = (level: number, price: string, amount: string): QuoteLevel => ({ level, price, amount });

let decisionSeq = 0;
export const target = (bids: QuoteLevel[], asks: QuoteLevel[], book: { bestBid?: string; bestAsk?: string; reduceOnly?: boolean } = {}): QuoteTarget => ({
  decisionId: `decision-${++decisionSeq}`,
  bids,
  asks,
  bestBid: book.bestBid ?? '59990',
  bestAsk: book.bestAsk ?? '60010',
  reduceOnly: book.reduceOnly ?? false,
});

/** One pair's manager with its host: serial calls, the log, and the pause the machine would apply on a signal. */
export class Host {
  readonly journal: MemoryJournal;
  readonly manager: OrderManager;
  readonly signals: OrderManagerSignal[] = [];
  /** Why the pair machine would be paused now (null: quoting). */
  paused: string | null = null;
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private wakePending = false;
  errors: unknown[] = [];

  constructor(
    readonly clock: SteppingClock,
    readonly venue: Venue,
    orders: OrderParams,
    opts: { stream?: string; symbol?: string; account?: TokenBucket; pair?: TokenBucket } = {},
  ) {
    const stream = opts.stream ?? 'pair-test';
    this.journal = new MemoryJournal(clock, stream);
    this.manager = new OrderManager({
      venue,
      market: { ...BTCUSDT_SPOT, symbol: opts.symbol ?? BTCUSDT_SPOT.symbol },
      params: orders,
      clock,
      logger: silentLogger(),
      journal: this.journal,
      clientOrderIdFor: (revision) => `${stream}-r${revision}`,
      wake: () => {
        if (this.wakePending) return;
        this.wakePending = true;
        void this.run(async () => {
          this.wakePending = false;
          await this.manager.process();
        });
      },
      ...(opts.account || opts.pair ? { buckets: { ...(opts.account ? { account: opts.account } : {}), ...(opts.pair ? { pair: opts.pair } : {}) } } : {}),
    });
  }

  /** Runs fn after everything queued, then applies the manager's signals as the runtime would. */
  run(fn: () => Promise<unknown>): Promise<void> {
    this.queued += 1;
    const next = this.chain.then(async () => {
      try {
        await fn();
        await this.applySignals();
      } catch (err) {
        this.errors.push(err);
      } finally {
        this.queued -= 1;
      }
    });
    this.chain = next;
    return next;
  }

  decide(t: QuoteTarget): Promise<void> {
    return this.run(() => this.manager.onDecision(t));
  }
  cancelAll(reason = 'Paused'): Promise<void> {
    return this.run(() => this.manager.cancelAll(reason, null));
  }
  /** Records a fill as the runtime does. */
  recordFill(fill: Fill): Promise<void> {
    return this.run(() =>
      this.journal.record(
        [
          {
            type: 'OrderFilled',
            data: { tradeId: fill.tradeId, clientOrderId: fill.clientOrderId, venueOrderId: fill.venueOrderId, side: fill.side, price: fill.price, amount: fill.amount, fee: fill.fee, feeCurrency: fill.feeCurrency, liquidity: fill.liquidity, remaining: fill.remaining, fillTs: fill.ts },
          },
        ],
        null,
      ),
    );
  }

  /** Lets every queued call, answer and wake run (venue calls in manual mode stay unanswered). */
  async settle(): Promise<void> {
    for (let i = 0; i < 10_000; i++) {
      await this.chain;
      await new Promise((r) => setImmediate(r));
      if (this.queued === 0 && !this.wakePending) return;
    }
    throw new Error('host did not settle');
  }

  /** Moves the clock timer by timer, settling after each, so what a timer starts runs at its time. */
  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    await this.settle();
    for (let next = this.clock.nextDue(end); next !== null; next = this.clock.nextDue(end)) {
      this.clock.advanceTo(next);
      await this.settle();
    }
    this.clock.advanceTo(end);
    await this.settle();
  }

  private async applySignals(): Promise<void> {
    for (let s = this.manager.takeSignal(); s; s = this.manager.takeSignal()) {
      this.signals.push(s);
      if (s.type === 'venue-down' && this.paused === null) {
        this.paused = 'venue-unavailable';
        await this.manager.cancelAll('Paused', null);
      } else if (s.type === 'venue-up' && this.paused === 'venue-unavailable') {
        this.paused = null;
      } else if (s.type === 'refused' && this.paused === null) {
        this.paused = s.reason;
        await this.manager.cancelAll('Paused', null);
      }
    }
  }
}

export function setup(orders: StrategyParamsInput['orders'] = {}) {
  const clock = new SteppingClock(T0);
  const venue = new ScriptedVenue(clock);
  const host = new Host(clock, venue, params(orders));
  return { clock, venue, host, journal: host.journal, manager: host.manager };
}

export { TokenBucket };
