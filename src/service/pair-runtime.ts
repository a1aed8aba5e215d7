import { createActor, type Actor } from 'xstate';
import type { Subscription } from 'rxjs';
import type { DomainEvent, DomainEventOf, EventData } from '../../events/catalog.js';
import { deriveEventId, envelope, type NewEvent } from '../../events/envelope.js';
import { pairMachine } from '../../machines/pair-machine.js';
import type { PairMachineEvent } from '../../machines/pair-machine.types.js';
import { applyPairEvent, emptyPairProjection, foldPair, summarisePair, type PairProjection, type PairSummary } from '../../projections/pair-projection.js';
import type { Clock } from '../clock/clock.js';
import type { StrategyParams } from '../config/strategy-params.js';
import type { Logger } from '../log/logger.js';
import type { MarketEvent } from '../market-data/market-event.js';
import { diffOrders } from '../orders/order-diff.js';
import { WrongExpectedRevisionError, type EventStore } from '../store/event-store.js';
import type { Fill, MarketSpec, OrderRequest, Venue } from '../venues/venue.js';
import { clientOrderIdFor, clientOrderIdPrefix } from './client-order-id.js';

export type RunMode = 'backtest' | 'paper' | 'live';

export interface PairRuntimeOptions {
  readonly pairId: string;
  readonly stream: string;
  readonly market: MarketSpec;
  readonly params: StrategyParams;
  readonly store: EventStore;
  readonly venue: Venue;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly instanceId: string;
  readonly mode: RunMode;
}

type Input =
  | { readonly kind: 'market'; readonly event: MarketEvent }
  | { readonly kind: 'fill'; readonly fill: Fill }
  | { readonly kind: 'heartbeat' }
  | { readonly kind: 'timer' }
  | { readonly kind: 'stop'; readonly reason: string };

/** Events that take every quote off the venue. */
const CANCEL_ALL_ON = new Set<DomainEvent['type']>(['Paused', 'ShockDetected', 'PairStopped', 'LiquidationStarted', 'LiquidationCompleted']);

/** Tolerance on a partly filled order's remaining size before it is replaced. */
const SIZE_TOLERANCE = 0.5;

/**
 * The imperative shell around one pair actor. Inputs (market data, fills,
 * heartbeats) are queued and handled one at a time: the machine decides, the
 * decision is appended to the store, and only then are orders sent. Effects
 * derive from the appended events, so the log explains every order.
 */
export class PairRuntime {
  private readonly inbox: Input[] = [];
  private pumping: Promise<void> | null = null;
  private projection: PairProjection = emptyPairProjection();
  private revision: number | null = null;
  private actor: Actor<typeof pairMachine> | null = null;
  private emitted: DomainEvent[] = [];
  private inHandler = false;
  private flushQueued = false;
  private bookOneSided = false;
  private subscriptions: Subscription[] = [];
  private heartbeatTimer: unknown = null;
  /** Set on fencing or store failure: the pair sends nothing more. */
  private halted: string | null = null;
  private stopped = false;
  private readonly orderPrefix: string;
  private readonly log: Logger;

  constructor(private readonly opts: PairRuntimeOptions) {
    this.orderPrefix = clientOrderIdPrefix(opts.stream);
    this.log = opts.logger.child({ pair: opts.pairId, stream: opts.stream });
  }

  /** Rebuild from the stream, claim it with PairStarted, reconcile, then quote. */
  async start(): Promise<void> {
    const { store, stream, market, params, clock, venue } = this.opts;
    const history = await store.readStream(stream);
    this.projection = foldPair(history);
    this.revision = history.length ? (history[history.length - 1]?.revision ?? null) : null;
    const paramsVersion = this.projection.paramsVersion + 1;

    await this.commit(
      [{ type: 'PairStarted', data: { pairId: this.opts.pairId, instanceId: this.opts.instanceId, market, params, paramsVersion, mode: this.opts.mode } }],
      null,
    );
    await this.reconcileOpenOrders();

    const actor = createActor(pairMachine, {
      clock: clock as never,
      input: { pairId: this.opts.pairId, market, params, paramsVersion, position: this.projection.inventory.position, now: clock.now() },
    });
    actor.on('domain', (e) => {
      this.emitted.push(e.event);
      // Timers (cooldown ends) fire outside any input: queue one flush for what they emit.
      if (!this.inHandler && !this.flushQueued) {
        this.flushQueued = true;
        this.enqueue({ kind: 'timer' });
      }
    });
    actor.subscribe({ error: (err) => this.fail('pair actor failed', err) });
    this.actor = actor;
    actor.start();

    this.subscriptions.push(
      venue.watchBook(market.symbol).subscribe({ next: (event) => this.enqueue({ kind: 'market', event }), error: (err) => this.feedError(err) }),
      venue.watchTrades(market.symbol).subscribe({ next: (event) => this.enqueue({ kind: 'market', event }), error: (err) => this.feedError(err) }),
      venue.watchFills(market.symbol).subscribe({ next: (fill) => this.enqueue({ kind: 'fill', fill }), error: (err) => this.fail('fill stream failed', err) }),
    );
    this.scheduleHeartbeat();
    await this.handleMachineEvent({ type: 'START', ts: clock.now() }, null);
    this.log.info({ position: this.projection.inventory.position, revision: this.revision, paramsVersion }, 'pair started');
  }

  /** Cancel everything, record the stop, and detach. Nothing is sent afterwards. */
  async stop(reason: string): Promise<void> {
    if (this.stopped) return;
    this.enqueue({ kind: 'stop', reason });
    await this.drain();
  }

  /** Resolves once every queued input has been handled. */
  async drain(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  summary(): PairSummary {
    return summarisePair(this.projection);
  }

  get state(): PairProjection {
    return this.projection;
  }

  get haltReason(): string | null {
    return this.halted;
  }

  private enqueue(input: Input): void {
    if (this.stopped) return;
    this.inbox.push(input);
    // Start on a microtask: the caller (a venue callback, a timer inside the actor) finishes its synchronous step first.
    if (!this.pumping) this.pumping = Promise.resolve().then(() => this.pump());
  }

  private async pump(): Promise<void> {
    try {
      for (let input = this.inbox.shift(); input; input = this.inbox.shift()) {
        try {
          await this.handle(input);
        } catch (err) {
          await this.fail('input handling failed', err);
        }
      }
    } finally {
      this.pumping = null;
    }
  }

  private async handle(input: Input): Promise<void> {
    if (input.kind === 'stop') return this.handleStop(input.reason);
    if (this.halted || this.stopped) return;
    const ts = this.opts.clock.now();
    switch (input.kind) {
      case 'market':
        return this.handleMarket(input.event);
      case 'fill':
        return this.handleFill(input.fill);
      case 'heartbeat':
        return this.handleMachineEvent({ type: 'HEARTBEAT', ts }, null);
      case 'timer':
        this.flushQueued = false;
        return this.flushEmitted(null);
    }
  }

  private async handleMarket(event: MarketEvent): Promise<void> {
    switch (event.kind) {
      case 'book': {
        const bid = event.bids[0];
        const ask = event.asks[0];
        // A book with an empty side has no mid: that is a feed problem until both sides are back.
        const oneSided = !bid || !ask;
        if (oneSided !== this.bookOneSided) {
          this.bookOneSided = oneSided;
          await this.handleMachineEvent(
            oneSided
              ? { type: 'FEED_PROBLEM', ts: event.ts, problem: 'malformed', detail: `one-sided book at sequence ${event.sequence}` }
              : { type: 'FEED_RECOVERED', ts: event.ts, detail: `both sides of the book are back at sequence ${event.sequence}` },
            null,
          );
        }
        if (!bid || !ask) return;
        return this.handleMachineEvent({ type: 'BOOK', ts: event.ts, bestBid: bid.price, bestAsk: ask.price }, null);
      }
      case 'trade':
        return this.handleMachineEvent({ type: 'TRADE', ts: event.ts, price: event.price, size: event.size, aggressor: event.aggressor }, null);
      case 'feed-problem':
        return this.handleMachineEvent({ type: 'FEED_PROBLEM', ts: event.ts, problem: event.problem, detail: event.detail }, null);
      case 'feed-recovered':
        return this.handleMachineEvent({ type: 'FEED_RECOVERED', ts: event.ts, detail: event.detail }, null);
      case 'bbo':
        return;
    }
  }

  private async handleFill(fill: Fill): Promise<void> {
    if (this.projection.tradeIds.has(fill.tradeId)) {
      this.log.warn({ tradeId: fill.tradeId, clientOrderId: fill.clientOrderId }, 'duplicate fill ignored');
      return;
    }
    if (!this.projection.openOrders.has(fill.clientOrderId)) {
      this.log.warn({ tradeId: fill.tradeId, clientOrderId: fill.clientOrderId }, 'fill for an order the log does not know; recording it');
    }
    const data: EventData<'OrderFilled'> = {
      tradeId: fill.tradeId,
      clientOrderId: fill.clientOrderId,
      venueOrderId: fill.venueOrderId,
      side: fill.side,
      price: fill.price,
      amount: fill.amount,
      fee: fill.fee,
      feeCurrency: fill.feeCurrency,
      liquidity: fill.liquidity,
      remaining: fill.remaining,
      fillTs: fill.ts,
    };
    const [filled] = await this.commit([{ type: 'OrderFilled', data }], null);
    await this.handleMachineEvent({ type: 'POSITION', ts: fill.ts, position: this.projection.inventory.position }, filled?.id ?? null);
  }

  private async handleStop(reason: string): Promise<void> {
    if (this.stopped) return;
    if (!this.halted && this.actor) {
      await this.cancelAllOrders('stop', null);
      await this.handleMachineEvent({ type: 'STOP', ts: this.opts.clock.now(), reason, openOrders: this.projection.openOrders.size }, null);
    } else {
      await this.cancelAllAtVenue('stop while halted');
    }
    this.detach();
    this.log.info({ reason, summary: this.summary() }, 'pair stopped');
  }

  private detach(): void {
    this.stopped = true;
    this.inbox.length = 0;
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
    if (this.heartbeatTimer !== null) this.opts.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.actor?.stop();
  }

  private async handleMachineEvent(event: PairMachineEvent, causationId: string | null): Promise<void> {
    if (!this.actor) return;
    this.inHandler = true;
    try {
      this.actor.send(event);
    } finally {
      this.inHandler = false;
    }
    await this.flushEmitted(causationId);
  }

  /** Append what the machine emitted as one batch, then act on it. */
  private async flushEmitted(causationId: string | null): Promise<void> {
    if (this.emitted.length === 0) return;
    const batch = this.emitted;
    this.emitted = [];
    const recorded = await this.commit(batch, causationId);
    for (const e of recorded) {
      if (CANCEL_ALL_ON.has(e.type)) await this.cancelAllOrders(e.type, e.id);
      if (e.type === 'QuoteDecided') await this.syncOrders(e as NewEvent & DomainEventOf<'QuoteDecided'>);
    }
  }

  private async syncOrders(decision: NewEvent & DomainEventOf<'QuoteDecided'>): Promise<void> {
    if (this.halted || this.stopped) return;
    const { venue, market, params } = this.opts;
    const working = [...this.projection.openOrders.values()].map((o) => ({ clientOrderId: o.clientOrderId, side: o.side, level: o.level, price: o.price, remaining: o.remaining }));
    const diff = diffOrders(decision.data.output, working, { priceToleranceBps: params.orders.priceToleranceBps, sizeTolerance: SIZE_TOLERANCE });

    if (diff.cancel.length > 0) {
      await this.cancelOrders(diff.cancel.map((o) => o.clientOrderId), 'requote', decision.id);
    }
    if (diff.place.length === 0 || this.halted) return;

    const reduceOnly = decision.data.inputs.reduceOnly;
    const first = (this.revision ?? -1) + 1;
    const placed: DomainEvent[] = diff.place.map((w, i) => ({
      type: 'OrderPlaced',
      data: { clientOrderId: clientOrderIdFor(this.orderPrefix, first + i), side: w.side, price: w.price, amount: w.amount, postOnly: !reduceOnly, reduceOnly, level: w.level },
    }));
    // Commit first: an order the log does not know must never reach the venue.
    const recorded = await this.commit(placed, decision.id);
    const requests: OrderRequest[] = recorded.flatMap((e) =>
      e.type === 'OrderPlaced' ? [{ clientOrderId: e.data.clientOrderId, symbol: market.symbol, side: e.data.side, price: e.data.price, amount: e.data.amount, postOnly: e.data.postOnly, reduceOnly: e.data.reduceOnly }] : [],
    );
    if (this.halted || this.stopped) return;
    const results = await venue.placeOrders(requests);
    const outcomes: DomainEvent[] = results.map((r) =>
      r.status === 'accepted'
        ? { type: 'OrderAcknowledged', data: { clientOrderId: r.clientOrderId, venueOrderId: r.venueOrderId } }
        : { type: 'OrderRejected', data: { clientOrderId: r.clientOrderId, reason: r.reason, rule: reduceOnly ? 'liquidation' : 'quote-ladder', category: r.category } },
    );
    for (const r of results) if (r.status === 'rejected') this.log.warn({ clientOrderId: r.clientOrderId, reason: r.reason, category: r.category, action: r.action }, 'order rejected');
    await this.commit(outcomes, recorded[0]?.id ?? decision.id);
  }

  private async cancelAllOrders(reason: string, causationId: string | null): Promise<void> {
    const ids = [...this.projection.openOrders.keys()];
    if (ids.length > 0) await this.cancelOrders(ids, reason, causationId);
  }

  /** Cancelling is always safe, so it goes out first and the confirmation is recorded. */
  private async cancelOrders(clientOrderIds: readonly string[], reason: string, causationId: string | null): Promise<void> {
    const results = await this.opts.venue.cancelOrders(this.opts.market.symbol, clientOrderIds);
    const events: DomainEvent[] = results.map((r) =>
      r.status === 'cancelled'
        ? { type: 'OrderCancelled', data: { clientOrderId: r.clientOrderId, reason, remaining: r.remaining } }
        : { type: 'OrderCancelled', data: { clientOrderId: r.clientOrderId, reason: `${reason}; venue: ${r.reason}` } },
    );
    if (!this.halted) await this.commit(events, causationId);
  }

  private async cancelAllAtVenue(why: string): Promise<void> {
    try {
      const results = await this.opts.venue.cancelAll(this.opts.market.symbol);
      this.log.warn({ why, cancelled: results.length }, 'cancelled all orders at the venue');
    } catch (err) {
      this.log.error({ err, why }, 'cancel-all at the venue failed');
    }
  }

  /** Orders the log believes open but the venue does not have are closed in the log; unknown venue orders are cancelled. */
  private async reconcileOpenOrders(): Promise<void> {
    const atVenue = await this.opts.venue.fetchOpenOrders(this.opts.market.symbol);
    const venueIds = new Set(atVenue.map((o) => o.clientOrderId));
    const stale: DomainEvent[] = [...this.projection.openOrders.keys()]
      .filter((id) => !venueIds.has(id))
      .map((id) => ({ type: 'OrderCancelled', data: { clientOrderId: id, reason: 'not open at the venue on start' } }));
    if (stale.length) await this.commit(stale, null);
    const unknown = atVenue.filter((o) => !this.projection.openOrders.has(o.clientOrderId));
    if (unknown.length) {
      await this.opts.venue.cancelOrders(this.opts.market.symbol, unknown.map((o) => o.clientOrderId));
      await this.commit(
        unknown.map((o) => ({ type: 'ReconciliationCorrected', data: { subject: `order ${o.clientOrderId}`, venueSays: 'open', logSays: 'unknown', action: 'cancelled at the venue' } })),
        null,
      );
    }
  }

  /** Append with the expected revision; on failure halt the pair and take its orders off the venue. */
  private async commit(events: readonly DomainEvent[], causationId: string | null): Promise<NewEvent[]> {
    if (events.length === 0) return [];
    if (this.halted) throw new Error(`pair ${this.opts.pairId} is halted (${this.halted}); refusing to append`);
    const time = this.opts.clock.now();
    const first = (this.revision ?? -1) + 1;
    let correlationId = '';
    const newEvents = events.map((event, i) => {
      const id = deriveEventId(this.opts.instanceId, this.opts.stream, first + i);
      if (i === 0) correlationId = causationId ?? id;
      const configVersion = event.type === 'PairStarted' || event.type === 'ParametersChanged' ? event.data.paramsVersion : this.projection.paramsVersion;
      return envelope(event, { id, time, metadata: { correlationId, causationId, instanceId: this.opts.instanceId, configVersion } });
    });
    try {
      const result = await this.opts.store.append(this.opts.stream, newEvents, this.revision ?? 'no_stream');
      this.revision = result.nextExpectedRevision;
    } catch (err) {
      await this.storeFailed(err, events);
      throw err;
    }
    for (const e of newEvents) this.projection = applyPairEvent(this.projection, e);
    return newEvents;
  }

  private async storeFailed(err: unknown, unrecorded: readonly DomainEvent[]): Promise<void> {
    const fenced = err instanceof WrongExpectedRevisionError;
    this.halted = fenced ? 'fenced' : 'store-failure';
    this.log.error({ err, unrecorded: unrecorded.map((e) => e.type), fenced }, fenced ? 'fenced: another writer owns this stream; halting the pair' : 'store append failed; halting the pair');
    if (this.actor) {
      this.inHandler = true;
      this.actor.send(fenced ? { type: 'FENCED', ts: this.opts.clock.now(), detail: String(err) } : { type: 'STORE_FAILED', ts: this.opts.clock.now(), detail: String(err) });
      this.inHandler = false;
      this.emitted = [];
    }
    await this.cancelAllAtVenue(this.halted);
  }

  private async fail(what: string, err: unknown): Promise<void> {
    if (this.halted) return;
    this.halted = 'internal-error';
    this.log.error({ err }, `${what}; halting the pair and cancelling its orders`);
    await this.cancelAllAtVenue(what);
  }

  private feedError(err: unknown): void {
    this.log.error({ err }, 'market data stream failed');
    this.enqueue({ kind: 'market', event: { kind: 'feed-problem', venue: this.opts.venue.id, symbol: this.opts.market.symbol, ts: this.opts.clock.now(), problem: 'malformed', detail: String(err) } });
  }

  private scheduleHeartbeat(): void {
    const every = this.opts.params.feed.checkIntervalMs;
    const tick = () => {
      this.heartbeatTimer = this.opts.clock.setTimeout(tick, every);
      this.enqueue({ kind: 'heartbeat' });
    };
    this.heartbeatTimer = this.opts.clock.setTimeout(tick, every);
  }
}
