/**
 * The order manager of one pair: it turns recorded decisions into venue
 * commands and venue answers into events. It must never leave orders behind,
 * never spam an exchange, and never act on what the log does not know.
 *
 * Rules (parameters in StrategyParams.orders):
 * - Diff. The wanted ladder of the latest QuoteDecided against the orders the
 *   log holds open (order-diff.ts): keep within priceToleranceBps (and half
 *   the size), replace an order older than maxOrderAgeMs, hold one younger
 *   than minOrderLifetimeMs unless it would cross. Between decisions the
 *   manager acts only on time (an order coming of age or expiring) and on
 *   placements it still owes the decision; a fill or a rejection never
 *   re-places a level before the next decision.
 * - Cancel, then place. Cancels go out at once, in one batch; nothing is
 *   placed while a cancel is unconfirmed.
 * - Rate limits. Every placement (retries included) takes a token from the
 *   pair's bucket and from the venue instance's (account) bucket
 *   (rate-limiter.ts, venue-budget.ts). Without tokens a placement is
 *   deferred: nothing is recorded, and it is decided again from the latest
 *   decision when tokens are back, on the clock. Cancels are never limited.
 * - Commit, then act. OrderPlaced is appended before the order is sent; the
 *   client order id derives from its revision. Acks, rejections and cancel
 *   confirmations are appended when the venue answers.
 * - In flight. An order is in flight from its send until the venue answers.
 *   A cancel of an in-flight order waits for the answer; a client order id is
 *   only ever sent again after the venue refused it with action `backoff`
 *   (venue-refusal.ts), so there are never two live orders for one id.
 * - Refusals, by action (venue-refusal.ts): retry the same id after a
 *   backoff; reject; pause for insufficient funds or a venue error; or, on a
 *   network failure, pause as `venue-unavailable`, probe the venue on the
 *   clock (fetchOpenOrders, venueProbeIntervalMs doubling up to 30x), cancel
 *   everything once it answers (the log's open orders, the ids whose outcome
 *   was unknown, and any order of ours the venue lists), then report it
 *   healthy. A `duplicate-order` refusal means the venue holds an order with
 *   that id: it is cancelled by id too.
 * - Stop. From `beginStop()` nothing is sent but cancels. `stop()` cancels
 *   everything, waits up to stopTimeoutMs for the confirmations, records
 *   OrderCancelled for what was confirmed and, loudly, RiskLimitBreached
 *   (limit `stop-cancel-confirmation`) for what was not, which stays open in
 *   the log for the next start's reconciliation.
 *
 * Threading. The host (PairRuntime) calls every method from its one input
 * loop, one at a time: appends then get consecutive revisions. Venue answers
 * and timers never act directly: they queue an outcome and call `wake()`, and
 * the host calls `process()` in turn. Signals for the pair machine (venue
 * down/up, refusals) are collected and taken by the host with `takeSignal()`.
 */
import type { DomainEvent } from '../../events/catalog.js';
import type { NewEvent } from '../../events/envelope.js';
import type { OpenOrders } from '../../projections/open-orders.js';
import type { Clock } from '../clock/clock.js';
import type { StrategyParams } from '../config/strategy-params.js';
import { D, type Decimal, toDecimalString } from '../core/decimal.js';
import type { Side } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import type { QuoteLevel } from '../strategy/quote-types.js';
import type { CancelResult, MarketSpec, OpenOrder, OrderRequest, OrderResult, Venue, VenueErrorCategory } from '../venues/venue.js';
import { diffOrders, type OrderDiff, type WantedLevel, type WorkingOrder } from './order-diff.js';
import { RateLimits, TokenBucket } from './rate-limiter.js';
import { accountBucketFor, pairBudgetFor } from './venue-budget.js';
import { backoffMs, reactionTo, refusalOf } from './venue-refusal.js';

export type OrderParams = StrategyParams['orders'];

/** Tolerance on a partly filled order's remaining size before it is replaced. */
export const SIZE_TOLERANCE = 0.5;

/** Probing a venue that is down backs off up to this multiple of venueProbeIntervalMs. */
const MAX_PROBE_BACKOFF = 30;

/** What the pair machine must hear about the venue. */
export type OrderManagerSignal =
  | { readonly type: 'venue-down'; readonly detail: string }
  | { readonly type: 'venue-up'; readonly detail: string }
  | { readonly type: 'refused'; readonly reason: 'insufficient-funds' | 'venue-error'; readonly detail: string };

/** The log, as the manager sees it. */
export interface OrderJournal {
  /** Append as one batch; returns the events with their ids. Throws if the log refuses (the host then halts the manager). */
  record(events: readonly DomainEvent[], causationId: string | null): Promise<readonly NewEvent[]>;
  /** Revision the next appended event gets (client order ids derive from it). */
  nextRevision(): number;
  /** Orders the log holds open, oldest first. */
  openOrders(): OpenOrders;
  /** Restart recovery: is this fill already in the log? (absent: fills are not recovered) */
  hasFill?(tradeId: string): boolean;
  /** Venue time of the last fill in the log, null for none. */
  lastFillTs?(): number | null;
  /** Whether a client order id is one of this pair's (its prefix). */
  ownsOrder?(clientOrderId: string): boolean;
}

/** What restart reconciliation found and did. */
export interface ReconcileReport {
  readonly fillsRecovered: number;
  readonly unknownOrdersCancelled: number;
  readonly staleOrdersClosed: number;
}

export interface OrderManagerOptions {
  readonly venue: Venue;
  readonly market: MarketSpec;
  readonly params: OrderParams;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly journal: OrderJournal;
  /** Client order ids are `<prefix>r<revision of their OrderPlaced>`. */
  readonly clientOrderIdFor: (revision: number) => string;
  /** Ask the host to call `process()` soon, in turn with everything else it does. */
  readonly wake: () => void;
  /** Buckets to use instead of the pair's own and the venue instance's shared one (tests). */
  readonly buckets?: { readonly pair?: TokenBucket; readonly account?: TokenBucket };
}

/** The QuoteDecided the orders follow. */
export interface QuoteTarget {
  readonly decisionId: string;
  readonly bids: readonly QuoteLevel[];
  readonly asks: readonly QuoteLevel[];
  /** The book the decision saw (decimal strings): an order at or through the opposite best would cross. */
  readonly bestBid: string;
  readonly bestAsk: string;
  readonly reduceOnly: boolean;
}

export interface StopReport {
  /** Orders the venue did not confirm cancelled within stopTimeoutMs (left open in the log). */
  readonly unconfirmed: readonly string[];
}

interface Target extends QuoteTarget {
  /** The first step after the decision acts on the whole diff; later steps only on time and on what is owed. */
  fresh: boolean;
  /** Levels ("buy:0") this decision still wants placed: deferred, or whose order was cancelled to replace it. */
  readonly owed: Set<string>;
  /** Orders held at the last step (younger than minOrderLifetimeMs). */
  held: ReadonlySet<string>;
}

interface CancelIntent {
  readonly reason: string;
  readonly causationId: string | null;
  /** Not sent again before this time (after a failed cancel). */
  notBefore: number;
  failures: number;
}

type ManagedState = 'sending' | 'retry-wait' | 'open' | 'cancelling';

interface Managed {
  readonly clientOrderId: string;
  readonly request: OrderRequest;
  readonly side: Side;
  readonly level: number;
  readonly rule: string;
  /** Id of the OrderPlaced event (causation of its ack or rejection); null for orders adopted from an earlier run. */
  readonly placedEventId: string | null;
  /** Clock time it was placed; undefined when unknown (the age rules then leave it alone). */
  readonly placedAt: number | undefined;
  state: ManagedState;
  attempts: number;
  retryAt: number;
  lastRefusal: { readonly reason: string; readonly category: VenueErrorCategory } | null;
  cancel: CancelIntent | null;
}

/** An id that may be live at the venue although the log does not hold it open. */
interface Stray {
  readonly why: 'uncertain' | 'foreign';
  cancelling: boolean;
  notBefore: number;
  failures: number;
}

type CancelItem = { readonly id: string; readonly kind: 'managed' | 'uncertain' | 'foreign' };

type Outcome =
  | { readonly kind: 'placed'; readonly ids: readonly string[]; readonly results: readonly OrderResult[] }
  | { readonly kind: 'place-failed'; readonly ids: readonly string[]; readonly error: unknown }
  | { readonly kind: 'cancelled'; readonly items: readonly CancelItem[]; readonly results: readonly CancelResult[] }
  | { readonly kind: 'cancel-failed'; readonly items: readonly CancelItem[]; readonly error: unknown }
  | { readonly kind: 'probed'; readonly open: readonly OpenOrder[] }
  | { readonly kind: 'probe-failed'; readonly error: unknown };

type Health =
  | { readonly state: 'up' }
  | { readonly state: 'down'; readonly since: number; readonly detail: string; probeAt: number; probeDelay: number; probing: boolean }
  | { readonly state: 'reconnecting'; readonly since: number; readonly detail: string };

type Mode = 'running' | 'stopping' | 'stopped' | 'halted';

const levelKey = (side: Side, level: number): string => `${side}:${level}`;

export class OrderManager {
  private readonly venue: Venue;
  private readonly symbol: string;
  private p: OrderParams;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly journal: OrderJournal;
  private readonly limits: RateLimits;
  private readonly orders = new Map<string, Managed>();
  private readonly strays = new Map<string, Stray>();
  private outcomes: Outcome[] = [];
  private outstanding = 0;
  private settledWaiters: (() => void)[] = [];
  private outcomeWaiter: (() => void) | null = null;
  private target: Target | null = null;
  private health: Health = { state: 'up' };
  private mode: Mode = 'running';
  private signals: OrderManagerSignal[] = [];
  private wakeTimer: unknown = null;
  private wakeAt: number | null = null;
  /** Set by a step whose placements ran out of tokens: when to look again. */
  private deferredUntil: number | null = null;
  private reviewAt: number | null = null;
  /**
   * Insufficient funds: the largest order size per side the venue may still
   * accept (half the last refused amount, lot-snapped), with what set it. Kept
   * for the rest of the run: a cap is safe, and lifting it would trade refusals for it.
   */
  private readonly fundsCap = new Map<Side, { readonly amount: Decimal; readonly refused: string; readonly from: string }>();

  constructor(private readonly opts: OrderManagerOptions) {
    this.venue = opts.venue;
    this.symbol = opts.market.symbol;
    this.p = opts.params;
    this.clock = opts.clock;
    this.log = opts.logger;
    this.journal = opts.journal;
    const pair = opts.buckets?.pair ?? new TokenBucket(opts.clock, pairBudgetFor(opts.params));
    const account = opts.buckets?.account ?? accountBucketFor(opts.venue, opts.clock, opts.params);
    this.limits = new RateLimits([pair, account]);
  }

  // ---- host entry points ----

  /**
   * New `orders.*` settings after a ParametersChanged: tolerances, ages,
   * retries and timeouts apply from the next step. The rate-limit buckets keep
   * the rates they were built with until the pair restarts.
   */
  updateParams(params: OrderParams): void {
    this.p = params;
  }

  /**
   * Before the first decision: orders the log holds open but the venue does
   * not have are closed in the log; venue orders the log does not know are
   * cancelled; the rest are adopted (acknowledged if the log had no ack).
   */
  async reconcileAtStart(): Promise<ReconcileReport> {
    // Fills first: an order filled while we were down is no longer open at the venue, and its fill must be counted, not its cancel.
    const fillsRecovered = await this.recoverMissingFills();
    const atVenue = await this.venue.fetchOpenOrders(this.symbol);
    const venueById = new Map(atVenue.map((o) => [o.clientOrderId, o]));
    const open = this.journal.openOrders();
    const stale: DomainEvent[] = [...open.keys()]
      .filter((id) => !venueById.has(id))
      .map((id) => ({ type: 'OrderCancelled', data: { clientOrderId: id, reason: 'not open at the venue on start' } }));
    if (stale.length) await this.journal.record(stale, null);
    const acks: DomainEvent[] = [];
    for (const o of this.journal.openOrders().values()) {
      const v = venueById.get(o.clientOrderId);
      if (!v) continue;
      if (o.status === 'in-flight') acks.push({ type: 'OrderAcknowledged', data: { clientOrderId: o.clientOrderId, venueOrderId: v.venueOrderId } });
      this.adopt(o.clientOrderId, v.ts);
    }
    if (acks.length) await this.journal.record(acks, null);
    const unknown = atVenue.filter((o) => !this.journal.openOrders().has(o.clientOrderId));
    if (unknown.length) {
      await this.venue.cancelOrders(this.symbol, unknown.map((o) => o.clientOrderId));
      await this.journal.record(
        unknown.map((o) => ({ type: 'ReconciliationCorrected', data: { subject: `order ${o.clientOrderId}`, venueSays: 'open', logSays: 'unknown', action: 'cancelled at the venue' } })),
        null,
      );
    }
    return { fillsRecovered, unknownOrdersCancelled: unknown.length, staleOrdersClosed: stale.length };
  }

  /** Fills the venue reports since the last recorded one that the log lacks: ReconciliationCorrected, then the OrderFilled. */
  private async recoverMissingFills(): Promise<number> {
    const { hasFill, lastFillTs, ownsOrder } = this.journal;
    if (!this.venue.fetchMyTrades || !hasFill || !lastFillTs) return 0;
    // No fill recorded yet: ask for the venue's recent history rather than from epoch 0 (a real exchange would page years of trades).
    const since = lastFillTs() ?? undefined;
    const trades = await this.venue.fetchMyTrades(this.symbol, since);
    const missing = trades.filter((f) => !hasFill(f.tradeId) && (ownsOrder?.(f.clientOrderId) ?? true));
    for (const f of missing) {
      this.log.warn({ tradeId: f.tradeId, clientOrderId: f.clientOrderId, side: f.side, price: f.price, amount: f.amount }, 'reconciliation: fill missing from the log; appending it');
      await this.journal.record(
        [
          { type: 'ReconciliationCorrected', data: { subject: `fill ${f.tradeId}`, venueSays: `${f.side} ${f.amount} at ${f.price} on ${f.clientOrderId}`, logSays: 'missing', action: 'fill appended' } },
          {
            type: 'OrderFilled',
            data: { tradeId: f.tradeId, clientOrderId: f.clientOrderId, venueOrderId: f.venueOrderId, side: f.side, price: f.price, amount: f.amount, fee: f.fee, feeCurrency: f.feeCurrency, liquidity: f.liquidity, remaining: f.remaining, fillTs: f.ts },
          },
        ],
        null,
      );
    }
    return missing.length;
  }

  /** A recorded QuoteDecided: its ladder becomes what the orders follow. */
  async onDecision(target: QuoteTarget): Promise<void> {
    if (this.mode !== 'running') return;
    this.target = { ...target, fresh: true, owed: new Set(), held: new Set() };
    await this.run();
  }

  /** The pair stops quoting (pause, shock, liquidation change, stop): everything goes, whatever its age. */
  async cancelAll(reason: string, causationId: string | null): Promise<void> {
    if (this.mode === 'halted' || this.mode === 'stopped') return;
    this.target = null;
    this.deferredUntil = null;
    this.adoptLogOrders();
    for (const m of this.orders.values()) if (!m.cancel) m.cancel = { reason, causationId, notBefore: this.clock.now(), failures: 0 };
    await this.run();
  }

  /** A timer fired or the venue answered. */
  async process(): Promise<void> {
    if (this.mode === 'halted' || this.mode === 'stopped') return;
    await this.run();
  }

  /** From now on nothing but cancels is sent: not a new order, not a deferred one, not a retry. */
  beginStop(): void {
    if (this.mode === 'running') this.mode = 'stopping';
    this.target = null;
    this.deferredUntil = null;
  }

  /** Cancel everything and wait (stopTimeoutMs, on the clock) for the venue to confirm. */
  async stop(reason: string): Promise<StopReport> {
    if (this.mode === 'halted' || this.mode === 'stopped') return { unconfirmed: [] };
    this.beginStop();
    const started = this.clock.now();
    let deadlinePassed = false;
    const deadline = this.clock.setTimeout(() => {
      deadlinePassed = true;
      this.outcomeWaiter?.();
    }, this.p.stopTimeoutMs);
    this.adoptLogOrders();
    // Everything goes out now, whatever backoff an earlier failure set.
    for (const m of this.orders.values()) {
      if (!m.cancel) m.cancel = { reason, causationId: null, notBefore: started, failures: 0 };
      m.cancel.notBefore = started;
      m.cancel.failures = 0;
    }
    for (const s of this.strays.values()) {
      s.notBefore = started;
      s.failures = 0;
    }
    try {
      for (;;) {
        await this.applyOutcomes();
        await this.abandonRetries();
        this.sendCancels(true);
        if (!this.stopPending() || deadlinePassed) break;
        this.scheduleWake();
        await this.nextOutcome();
      }
    } finally {
      this.clock.clearTimeout(deadline);
    }
    this.clearWake();
    const unconfirmed = [...this.journal.openOrders().keys(), ...[...this.strays.keys()].filter((id) => !this.journal.openOrders().has(id))];
    if (unconfirmed.length > 0) {
      this.log.error(
        { unconfirmed, waitedMs: this.clock.now() - started, stopTimeoutMs: this.p.stopTimeoutMs },
        'STOP INCOMPLETE: the venue did not confirm every cancel in time; these orders may still be live at the venue',
      );
      await this.journal.record(
        [
          {
            type: 'RiskLimitBreached',
            data: {
              limit: 'stop-cancel-confirmation',
              value: `${unconfirmed.length} order(s) unconfirmed: ${unconfirmed.join(' ')}`,
              threshold: `${this.p.stopTimeoutMs} ms`,
              action: 'left open in the log for reconciliation on the next start; cancel-all sent to the venue',
            },
          },
        ],
        null,
      );
      this.venue.cancelAll(this.symbol).catch((err: unknown) => this.log.error({ err }, 'last-resort cancel-all on stop failed'));
    }
    this.mode = 'stopped';
    this.target = null;
    this.signals = [];
    return { unconfirmed };
  }

  /** The log refused an append (fencing, store failure): send nothing more, record nothing more. */
  halt(): void {
    this.mode = 'halted';
    this.target = null;
    this.signals = [];
    this.clearWake();
  }

  /** Unrecorded cancel of everything on the venue (the log is unavailable). */
  async emergencyCancelAll(why: string): Promise<void> {
    try {
      const results = await this.venue.cancelAll(this.symbol);
      this.log.warn({ why, cancelled: results.length }, 'cancelled all orders at the venue');
    } catch (err) {
      this.log.error({ err, why }, 'cancel-all at the venue failed');
    }
    const strays = [...this.strays.keys()];
    if (strays.length) await this.venue.cancelOrders(this.symbol, strays).catch((err: unknown) => this.log.error({ err, strays }, 'cancel of uncertain orders failed'));
  }

  takeSignal(): OrderManagerSignal | undefined {
    return this.signals.shift();
  }

  /** Venue calls still unanswered. */
  busy(): boolean {
    return this.outstanding > 0;
  }

  /** Resolves when no venue call is outstanding. */
  settled(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /** For logs, tests and summaries. */
  snapshot(): { readonly mode: Mode; readonly venue: Health['state']; readonly orders: ReadonlyMap<string, ManagedState>; readonly strays: readonly string[] } {
    return { mode: this.mode, venue: this.health.state, orders: new Map([...this.orders].map(([id, m]) => [id, m.state])), strays: [...this.strays.keys()] };
  }

  // ---- the loop ----

  private async run(): Promise<void> {
    await this.applyOutcomes();
    if (this.mode !== 'running') return;
    this.deferredUntil = null;
    this.reviewAt = null;
    if (this.health.state === 'down') {
      this.probeIfDue();
    } else {
      await this.step();
      if (this.health.state === 'reconnecting' && this.nothingToCancel()) {
        const detail = `venue answers again after ${this.clock.now() - this.health.since} ms; everything cancelled`;
        this.health = { state: 'up' };
        this.log.info({ detail }, 'venue available again');
        this.signal({ type: 'venue-up', detail });
      }
    }
    this.scheduleWake();
  }

  private async step(): Promise<void> {
    this.adoptLogOrders();
    const target = this.health.state === 'up' ? this.target : null;
    let diff: OrderDiff | null = null;
    if (target) {
      diff = this.diff(target);
      const fresh = target.fresh;
      target.fresh = false;
      if (fresh) for (const w of diff.place) target.owed.add(levelKey(w.side, w.level));
      for (const w of diff.cancel) {
        const reason = diff.reasons.get(w.clientOrderId) ?? 'requote';
        // Between decisions only time acts: an order expired, came of age, or would cross.
        if (!fresh && reason === 'requote' && !target.held.has(w.clientOrderId)) continue;
        const m = this.orders.get(w.clientOrderId);
        if (!m || m.cancel) continue;
        m.cancel = { reason, causationId: target.decisionId, notBefore: this.clock.now(), failures: 0 };
        if (this.wants(target, w.side, w.level)) target.owed.add(levelKey(w.side, w.level));
      }
      target.held = new Set(diff.hold.map((w) => w.clientOrderId));
      this.reviewAt = diff.reviewAt;
    }
    await this.abandonRetries();
    this.sendCancels(false);
    if (this.cancelsPending() || this.health.state !== 'up' || this.mode !== 'running') return;
    this.sendRetries();
    if (target && diff) await this.placeOwed(target, diff.place.filter((w) => target.owed.has(levelKey(w.side, w.level))));
  }

  private diff(target: Target): OrderDiff {
    const working: WorkingOrder[] = [];
    for (const o of this.journal.openOrders().values()) {
      const m = this.orders.get(o.clientOrderId);
      if (m?.cancel) continue;
      working.push({ clientOrderId: o.clientOrderId, side: o.side, level: o.level, price: o.price, remaining: o.remaining, ...(m?.placedAt !== undefined ? { placedAt: m.placedAt } : {}) });
    }
    return diffOrders(
      { bids: this.capped(target.bids, 'buy'), asks: this.capped(target.asks, 'sell') },
      working,
      { priceToleranceBps: this.p.priceToleranceBps, sizeTolerance: SIZE_TOLERANCE },
      { now: this.clock.now(), maxOrderAgeMs: this.p.maxOrderAgeMs, minOrderLifetimeMs: this.p.minOrderLifetimeMs, bestBid: target.bestBid, bestAsk: target.bestAsk },
    );
  }

  private wants(target: QuoteTarget, side: Side, level: number): boolean {
    return (side === 'buy' ? target.bids : target.asks).some((q) => q.level === level);
  }

  // ---- placing ----

  private async placeOwed(target: Target, wanted: readonly WantedLevel[]): Promise<void> {
    if (wanted.length === 0) return;
    // Nearest levels first, so a short budget keeps the inside quotes.
    const ordered = [...wanted].sort((a, b) => a.level - b.level || (a.side === b.side ? 0 : a.side === 'buy' ? -1 : 1));
    const n = Math.min(ordered.length, this.limits.available());
    this.limits.take(n);
    if (n < ordered.length) {
      this.deferredUntil = this.clock.now() + this.limits.msUntil(1);
      this.log.debug({ deferred: ordered.length - n, until: this.deferredUntil }, 'order rate limit reached: placements deferred');
    }
    if (n === 0) return;
    const sending = ordered.slice(0, n);
    for (const w of sending) target.owed.delete(levelKey(w.side, w.level));

    const first = this.journal.nextRevision();
    const postOnly = !target.reduceOnly;
    const placed: DomainEvent[] = sending.map((w, i) => {
      const cap = this.fundsCap.get(w.side);
      const wanted = (w.side === 'buy' ? target.bids : target.asks).find((l) => l.level === w.level);
      const rule = cap && wanted && D(wanted.amount).gt(w.amount) ? `insufficient-funds: ${w.side} size capped at ${w.amount} (wanted ${wanted.amount}; order ${cap.refused} refused for ${cap.from})` : undefined;
      return {
        type: 'OrderPlaced',
        data: { clientOrderId: this.opts.clientOrderIdFor(first + i), side: w.side, price: w.price, amount: w.amount, postOnly, reduceOnly: target.reduceOnly, level: w.level, ...(rule ? { rule } : {}) },
      };
    });
    // Commit first: an order the log does not know must never reach the venue.
    const recorded = await this.journal.record(placed, target.decisionId);
    const now = this.clock.now();
    const rule = target.reduceOnly ? 'liquidation' : 'quote-ladder';
    const requests: OrderRequest[] = [];
    for (const e of recorded) {
      if (e.type !== 'OrderPlaced') continue;
      const request: OrderRequest = { clientOrderId: e.data.clientOrderId, symbol: this.symbol, side: e.data.side, price: e.data.price, amount: e.data.amount, postOnly: e.data.postOnly, reduceOnly: e.data.reduceOnly };
      requests.push(request);
      this.orders.set(request.clientOrderId, {
        clientOrderId: request.clientOrderId,
        request,
        side: e.data.side,
        level: e.data.level,
        rule,
        placedEventId: e.id,
        placedAt: now,
        state: 'sending',
        attempts: 1,
        retryAt: now,
        lastRefusal: null,
        cancel: null,
      });
    }
    if (this.mode !== 'running') {
      // Stop (or a halt) began while the placement was being recorded: it never goes out.
      for (const r of requests) this.orders.delete(r.clientOrderId);
      if (this.mode === 'stopping') {
        await this.journal.record(
          requests.map((r) => ({ type: 'OrderCancelled', data: { clientOrderId: r.clientOrderId, reason: 'not sent: the pair is stopping' } })),
          recorded[0]?.id ?? target.decisionId,
        );
      }
      return;
    }
    this.callPlace(requests);
  }

  /** Rate-limited orders whose backoff is over go out again with the same client order id. */
  private sendRetries(): void {
    const now = this.clock.now();
    const due = [...this.orders.values()].filter((m) => m.state === 'retry-wait' && !m.cancel && m.retryAt <= now);
    if (due.length === 0) return;
    const n = Math.min(due.length, this.limits.available());
    this.limits.take(n);
    if (n < due.length) this.deferredUntil = now + this.limits.msUntil(1);
    if (n === 0) return;
    const sending = due.slice(0, n);
    for (const m of sending) {
      m.state = 'sending';
      m.attempts += 1;
      this.log.info({ clientOrderId: m.clientOrderId, attempt: m.attempts, after: m.lastRefusal?.category }, 'retrying placement with the same client order id');
    }
    this.callPlace(sending.map((m) => m.request));
  }

  /** Orders refused with `backoff` that will not be retried (cancel wanted, or stopping) end as rejected. */
  private async abandonRetries(): Promise<void> {
    const groups = new Map<string | null, DomainEvent[]>();
    for (const m of [...this.orders.values()]) {
      if (m.state !== 'retry-wait' || (this.mode === 'running' && !m.cancel)) continue;
      const why = m.cancel?.reason ?? 'the pair is stopping';
      const causation = m.cancel?.causationId ?? m.placedEventId;
      const list = groups.get(causation) ?? [];
      list.push({
        type: 'OrderRejected',
        data: { clientOrderId: m.clientOrderId, reason: `${m.lastRefusal?.reason ?? 'refused'}; not retried: ${why}`, rule: m.rule, ...(m.lastRefusal ? { category: m.lastRefusal.category } : {}) },
      });
      groups.set(causation, list);
      this.orders.delete(m.clientOrderId);
    }
    for (const [causation, events] of groups) await this.journal.record(events, causation);
  }

  // ---- cancelling ----

  /** Sends every due cancel in one batch: open orders with a cancel wanted, and strays. `force`: also while the venue is down. */
  private sendCancels(force: boolean): void {
    if (!force && this.health.state === 'down') return;
    const now = this.clock.now();
    const batch: CancelItem[] = [];
    for (const m of this.orders.values()) {
      if (m.cancel && m.state === 'open' && m.cancel.notBefore <= now) {
        m.state = 'cancelling';
        batch.push({ id: m.clientOrderId, kind: 'managed' });
      }
    }
    for (const [id, s] of this.strays) {
      if (!s.cancelling && s.notBefore <= now) {
        s.cancelling = true;
        batch.push({ id, kind: s.why });
      }
    }
    if (batch.length > 0) this.callCancel(batch);
  }

  private cancelsPending(): boolean {
    for (const m of this.orders.values()) if (m.state === 'cancelling' || (m.cancel && m.state !== 'retry-wait')) return true;
    for (const s of this.strays.values()) if (s.cancelling) return true;
    return false;
  }

  private nothingToCancel(): boolean {
    for (const m of this.orders.values()) if (m.cancel || m.state === 'cancelling' || m.state === 'sending') return false;
    return this.strays.size === 0;
  }

  private stopPending(): boolean {
    for (const m of this.orders.values()) if (m.state !== 'retry-wait') return true;
    return this.strays.size > 0;
  }

  // ---- venue calls: answers become outcomes ----

  private callPlace(requests: readonly OrderRequest[]): void {
    const ids = requests.map((r) => r.clientOrderId);
    this.call(
      () => this.venue.placeOrders(requests),
      (results) => ({ kind: 'placed', ids, results }),
      (error) => ({ kind: 'place-failed', ids, error }),
    );
  }

  private callCancel(items: readonly CancelItem[]): void {
    this.call(
      () => this.venue.cancelOrders(this.symbol, items.map((i) => i.id)),
      (results) => ({ kind: 'cancelled', items, results }),
      (error) => ({ kind: 'cancel-failed', items, error }),
    );
  }

  private probeIfDue(): void {
    const h = this.health;
    if (h.state !== 'down' || h.probing || this.clock.now() < h.probeAt) return;
    h.probing = true;
    this.call(
      () => this.venue.fetchOpenOrders(this.symbol),
      (open) => ({ kind: 'probed', open }),
      (error) => ({ kind: 'probe-failed', error }),
    );
  }

  private call<T>(send: () => Promise<T>, ok: (value: T) => Outcome, failed: (error: unknown) => Outcome): void {
    let pending: Promise<T>;
    try {
      // Called synchronously: the request is out before anything else can change the manager's state.
      pending = send();
    } catch (err) {
      pending = Promise.reject(err);
    }
    this.outstanding += 1;
    pending
      .then(
        (value) => this.arrive(ok(value)),
        (error: unknown) => this.arrive(failed(error)),
      )
      .finally(() => {
        this.outstanding -= 1;
        if (this.outstanding === 0) for (const resolve of this.settledWaiters.splice(0)) resolve();
      })
      .catch((err: unknown) => this.log.error({ err }, 'order manager: handling a venue answer failed'));
  }

  private arrive(outcome: Outcome): void {
    if (this.mode === 'halted' || this.mode === 'stopped') {
      this.late(outcome);
      return;
    }
    this.outcomes.push(outcome);
    this.notify();
  }

  /** An answer after stop or halt: nothing is recorded, but an order acknowledged now is cancelled at once. */
  private late(outcome: Outcome): void {
    if (outcome.kind !== 'placed') return;
    const live = outcome.results.filter((r) => r.status === 'accepted').map((r) => r.clientOrderId);
    if (live.length === 0) return;
    this.log.error({ clientOrderIds: live, mode: this.mode }, 'order acknowledged after the pair stopped or halted: cancelling it');
    this.venue.cancelOrders(this.symbol, live).catch((err: unknown) => this.log.error({ err, clientOrderIds: live }, 'cancel of a late-acknowledged order failed'));
  }

  private notify(): void {
    const waiter = this.outcomeWaiter;
    this.outcomeWaiter = null;
    waiter?.();
    this.opts.wake();
  }

  private nextOutcome(): Promise<void> {
    if (this.outcomes.length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.outcomeWaiter = resolve;
    });
  }

  // ---- venue answers ----

  private async applyOutcomes(): Promise<void> {
    for (let o = this.outcomes.shift(); o; o = this.outcomes.shift()) {
      if (this.mode === 'halted' || this.mode === 'stopped') return;
      switch (o.kind) {
        case 'placed':
          await this.onPlaced(o.ids, o.results);
          break;
        case 'place-failed': {
          const refusal = refusalOf(o.error);
          this.log.warn({ err: o.error, clientOrderIds: o.ids, category: refusal.category }, 'placement call failed');
          const ts = this.clock.now();
          await this.onPlaced(
            o.ids,
            o.ids.map((clientOrderId) => ({ clientOrderId, status: 'rejected', reason: `placement failed: ${refusal.reason}`, category: refusal.category, action: refusal.action, ts })),
          );
          break;
        }
        case 'cancelled':
          await this.onCancelled(o.items, o.results);
          break;
        case 'cancel-failed':
          this.onCancelFailed(o.items, o.error);
          break;
        case 'probed':
          this.onProbe(o.open);
          break;
        case 'probe-failed':
          this.onProbeFailed(o.error);
          break;
      }
    }
  }

  private async onPlaced(ids: readonly string[], results: readonly OrderResult[]): Promise<void> {
    const byId = new Map(results.map((r) => [r.clientOrderId, r]));
    const events: DomainEvent[] = [];
    let causation: string | null = null;
    const now = this.clock.now();
    for (const id of ids) {
      const m = this.orders.get(id);
      if (!m || m.state !== 'sending') {
        this.log.error({ clientOrderId: id, state: m?.state }, 'venue answered a placement the manager is not waiting for');
        continue;
      }
      causation ??= m.placedEventId;
      const r: OrderResult = byId.get(id) ?? { clientOrderId: id, status: 'rejected', reason: 'the venue gave no result for this order', category: 'internal', action: 'pause-and-cancel-on-reconnect', ts: now };
      if (r.status === 'accepted') {
        events.push({ type: 'OrderAcknowledged', data: { clientOrderId: id, venueOrderId: r.venueOrderId } });
        m.state = 'open';
        continue;
      }
      const reaction = reactionTo(r.action);
      m.lastRefusal = { reason: r.reason, category: r.category };
      if (reaction.kind === 'reduce-size') {
        events.push(this.sizeDown(m, r));
        this.orders.delete(id);
        continue;
      }
      if (reaction.kind === 'retry' && this.mode === 'running' && !m.cancel && m.attempts < this.p.maxPlaceAttempts) {
        m.state = 'retry-wait';
        m.retryAt = now + backoffMs(this.p.retryBackoffMs, m.attempts);
        this.log.warn({ clientOrderId: id, category: r.category, reason: r.reason, attempt: m.attempts, retryAt: m.retryAt }, 'placement refused: retrying after a backoff');
        continue;
      }
      this.log.warn({ clientOrderId: id, reason: r.reason, category: r.category, action: r.action }, 'order rejected');
      const suffix = reaction.kind === 'retry' ? (m.attempts >= this.p.maxPlaceAttempts ? `; gave up after ${m.attempts} attempts` : `; not retried: ${m.cancel?.reason ?? 'the pair is stopping'}`) : '';
      events.push({ type: 'OrderRejected', data: { clientOrderId: id, reason: `${r.reason}${suffix}`, rule: m.rule, category: r.category } });
      this.orders.delete(id);
      if (r.category === 'duplicate-order') {
        // The venue holds an order with this id (only ours carry it): take it off, whatever it is.
        this.strays.set(id, { why: 'uncertain', cancelling: false, notBefore: now, failures: 0 });
      }
      if (reaction.kind === 'venue-down') {
        // The venue may hold the order after all: cancel it by id once the venue answers.
        this.strays.set(id, { why: 'uncertain', cancelling: false, notBefore: now, failures: 0 });
        this.venueDown(`${r.category}: ${r.reason}`);
      } else if (reaction.kind === 'pause') {
        this.signal({ type: 'refused', reason: reaction.reason, detail: `order ${id}: ${r.category}: ${r.reason}` });
      }
    }
    if (events.length) await this.journal.record(events, causation);
  }

  /**
   * An order refused for lack of funds: cap its side at half the refused
   * amount and place the level again at the cap (next step), or, when half is
   * under the lot or the minimum notional, signal the pause.
   */
  private sizeDown(m: Managed, r: Extract<OrderResult, { status: 'rejected' }>): DomainEvent {
    const lot = D(this.opts.market.lotSize);
    const refused = D(m.request.amount);
    const half = refused.div(2).div(lot).floor().mul(lot);
    const cap = this.fundsCap.get(m.side);
    const amount = cap && cap.amount.lt(half) ? cap.amount : half;
    const fits = amount.gte(lot) && amount.mul(m.request.price).gte(this.opts.market.minNotional);
    let suffix: string;
    if (fits && this.mode === 'running' && !m.cancel) {
      this.fundsCap.set(m.side, { amount, refused: m.clientOrderId, from: m.request.amount });
      if (this.target && this.wants(this.target, m.side, m.level)) this.target.owed.add(levelKey(m.side, m.level));
      suffix = `; ${m.side} size cut to ${toDecimalString(amount)} (half of ${m.request.amount}, lot ${this.opts.market.lotSize})`;
      this.log.warn({ clientOrderId: m.clientOrderId, side: m.side, refused: m.request.amount, cap: toDecimalString(amount) }, 'insufficient funds: placing smaller');
    } else {
      suffix = fits ? '' : `; half of ${m.request.amount} is under the lot (${this.opts.market.lotSize}) or the minimum notional (${this.opts.market.minNotional}): pausing`;
      this.log.warn({ clientOrderId: m.clientOrderId, side: m.side, refused: m.request.amount }, 'insufficient funds: cannot size down further; pausing');
      this.signal({ type: 'refused', reason: 'insufficient-funds', detail: `order ${m.clientOrderId}: ${r.category}: ${r.reason}${suffix}` });
    }
    return { type: 'OrderRejected', data: { clientOrderId: m.clientOrderId, reason: `${r.reason}${suffix}`, rule: m.rule, category: r.category } };
  }

  /** The target's ladder with each side's amounts under its insufficient-funds cap. */
  private capped(levels: readonly QuoteLevel[], side: Side): readonly QuoteLevel[] {
    const cap = this.fundsCap.get(side);
    if (!cap) return levels;
    return levels.map((l) => (D(l.amount).gt(cap.amount) ? { ...l, amount: toDecimalString(cap.amount) } : l));
  }

  private async onCancelled(items: readonly CancelItem[], results: readonly CancelResult[]): Promise<void> {
    const byId = new Map(results.map((r) => [r.clientOrderId, r]));
    const groups = new Map<string | null, DomainEvent[]>();
    const add = (causation: string | null, e: DomainEvent) => {
      const list = groups.get(causation) ?? [];
      list.push(e);
      groups.set(causation, list);
    };
    const now = this.clock.now();
    const unanswered: CancelItem[] = [];
    const failed: { readonly item: CancelItem; readonly r: Extract<CancelResult, { status: 'failed' }> }[] = [];
    for (const item of items) {
      const r = byId.get(item.id);
      if (!r) {
        unanswered.push(item);
        continue;
      }
      if (r.status === 'failed') {
        failed.push({ item, r });
        continue;
      }
      if (item.kind !== 'managed') {
        this.strays.delete(item.id);
        if (r.status === 'cancelled') {
          add(null, {
            type: 'ReconciliationCorrected',
            data: { subject: `order ${item.id}`, venueSays: 'open', logSays: item.kind === 'uncertain' ? 'rejected (outcome unknown)' : 'unknown', action: 'cancelled at the venue' },
          });
        }
        continue;
      }
      const m = this.orders.get(item.id);
      if (!m) continue;
      this.orders.delete(item.id);
      const intent = m.cancel ?? { reason: 'cancel', causationId: null };
      // Filled meanwhile: the log already closed it, and says why.
      if (!this.journal.openOrders().has(item.id)) continue;
      add(
        intent.causationId,
        r.status === 'cancelled'
          ? { type: 'OrderCancelled', data: { clientOrderId: item.id, reason: intent.reason, remaining: r.remaining } }
          : { type: 'OrderCancelled', data: { clientOrderId: item.id, reason: `${intent.reason}; venue: ${r.reason}` } },
      );
    }
    if (unanswered.length) {
      this.log.error({ clientOrderIds: unanswered.map((i) => i.id) }, 'the venue gave no result for some cancels: sending them again');
      this.retryCancels(unanswered, now);
    }
    // Not confirmed: the order may be live; sent again after a backoff, and a network failure pauses as for a failed call.
    for (const { item, r } of failed) this.onCancelFailed([item], Object.assign(new Error(r.reason), { category: r.category, action: r.action }));
    for (const [causation, events] of groups) await this.journal.record(events, causation);
  }

  private onCancelFailed(items: readonly CancelItem[], error: unknown): void {
    const refusal = refusalOf(error);
    this.log.error({ err: error, clientOrderIds: items.map((i) => i.id), category: refusal.category }, 'cancel failed: it will be sent again');
    this.retryCancels(items, this.clock.now());
    const reaction = reactionTo(refusal.action);
    if (reaction.kind === 'venue-down') this.venueDown(`cancel failed: ${refusal.category}: ${refusal.reason}`);
    else if (reaction.kind === 'pause') this.signal({ type: 'refused', reason: reaction.reason, detail: `cancel failed: ${refusal.category}: ${refusal.reason}` });
  }

  /** Cancels are the safe action: a failed one is sent again after a backoff, for as long as it takes. */
  private retryCancels(items: readonly CancelItem[], now: number): void {
    for (const item of items) {
      if (item.kind === 'managed') {
        const m = this.orders.get(item.id);
        if (!m?.cancel) continue;
        m.state = 'open';
        m.cancel.failures += 1;
        m.cancel.notBefore = now + backoffMs(this.p.retryBackoffMs, m.cancel.failures);
      } else {
        const s = this.strays.get(item.id);
        if (!s) continue;
        s.cancelling = false;
        s.failures += 1;
        s.notBefore = now + backoffMs(this.p.retryBackoffMs, s.failures);
      }
    }
  }

  // ---- venue health ----

  private venueDown(detail: string): void {
    if (this.health.state === 'down') return;
    const wasUp = this.health.state === 'up';
    const now = this.clock.now();
    this.health = { state: 'down', since: now, detail, probeAt: now + this.p.venueProbeIntervalMs, probeDelay: this.p.venueProbeIntervalMs, probing: false };
    // Nothing is placed on a decision taken before the outage; the machine decides again after VENUE_UP.
    this.target = null;
    this.log.error({ detail }, 'venue unavailable: pausing; everything is cancelled once it answers again');
    if (wasUp) this.signal({ type: 'venue-down', detail });
  }

  /** The venue answers again: cancel everything it or the log has, and strays; healthy once all is confirmed. */
  private onProbe(open: readonly OpenOrder[]): void {
    const h = this.health;
    if (h.state !== 'down') return;
    const now = this.clock.now();
    this.health = { state: 'reconnecting', since: h.since, detail: h.detail };
    this.log.warn({ downForMs: now - h.since, openAtVenue: open.length }, 'venue answers again: cancelling everything before quoting');
    this.adoptLogOrders();
    for (const m of this.orders.values()) {
      if (m.cancel) {
        m.cancel.notBefore = now;
        m.cancel.failures = 0;
      } else {
        m.cancel = { reason: 'venue reconnected', causationId: null, notBefore: now, failures: 0 };
      }
    }
    for (const s of this.strays.values()) s.notBefore = now;
    const logOpen = this.journal.openOrders();
    for (const o of open) {
      if (!logOpen.has(o.clientOrderId) && !this.orders.has(o.clientOrderId) && !this.strays.has(o.clientOrderId)) {
        this.strays.set(o.clientOrderId, { why: 'foreign', cancelling: false, notBefore: now, failures: 0 });
      }
    }
  }

  private onProbeFailed(error: unknown): void {
    const h = this.health;
    if (h.state !== 'down') return;
    h.probing = false;
    h.probeDelay = Math.min(h.probeDelay * 2, this.p.venueProbeIntervalMs * MAX_PROBE_BACKOFF);
    h.probeAt = this.clock.now() + h.probeDelay;
    this.log.warn({ err: error, nextProbeInMs: h.probeDelay }, 'venue still unavailable');
  }

  // ---- book-keeping ----

  private signal(s: OrderManagerSignal): void {
    if (this.mode !== 'running') return;
    if (this.signals.some((q) => q.type === s.type && (q.type !== 'refused' || s.type !== 'refused' || q.reason === s.reason))) return;
    this.signals.push(s);
  }

  /** Orders the log holds open that the manager does not track yet (adopted from an earlier run), and forget closed ones. */
  private adoptLogOrders(): void {
    const open = this.journal.openOrders();
    for (const id of open.keys()) if (!this.orders.has(id)) this.adopt(id, undefined);
    for (const [id, m] of this.orders) {
      // A closed order is forgotten once no answer about it is awaited.
      if (!open.has(id) && (m.state === 'open' || m.state === 'retry-wait')) this.orders.delete(id);
    }
  }

  private adopt(clientOrderId: string, placedAt: number | undefined): void {
    const o = this.journal.openOrders().get(clientOrderId);
    if (!o || this.orders.has(clientOrderId)) return;
    this.orders.set(clientOrderId, {
      clientOrderId,
      request: { clientOrderId, symbol: this.symbol, side: o.side, price: o.price, amount: o.amount, postOnly: !o.reduceOnly, reduceOnly: o.reduceOnly },
      side: o.side,
      level: o.level,
      rule: o.reduceOnly ? 'liquidation' : 'quote-ladder',
      placedEventId: null,
      placedAt,
      state: 'open',
      attempts: 1,
      retryAt: 0,
      lastRefusal: null,
      cancel: null,
    });
  }

  // ---- timers ----

  /** One timer for the earliest thing due: a held order coming of age, an expiry, tokens, a retry, a cancel resend, a probe. */
  private scheduleWake(): void {
    if (this.mode === 'halted' || this.mode === 'stopped') return this.clearWake();
    const stopping = this.mode === 'stopping';
    const now = this.clock.now();
    const times: number[] = [];
    if (!stopping) {
      if (this.target && this.reviewAt !== null) times.push(this.reviewAt);
      if (this.deferredUntil !== null) times.push(this.deferredUntil);
      if (this.health.state === 'up') {
        for (const m of this.orders.values()) if (m.state === 'retry-wait' && !m.cancel) times.push(m.retryAt);
      }
    }
    if (stopping || this.health.state !== 'down') {
      for (const m of this.orders.values()) if (m.cancel && m.state === 'open') times.push(m.cancel.notBefore);
      for (const s of this.strays.values()) if (!s.cancelling) times.push(s.notBefore);
    } else if (!this.health.probing) {
      times.push(this.health.probeAt);
    }
    if (times.length === 0) return this.clearWake();
    const at = Math.max(now + 1, Math.min(...times));
    if (this.wakeTimer !== null && this.wakeAt !== null && this.wakeAt <= at) return;
    this.clearWake();
    this.wakeAt = at;
    this.wakeTimer = this.clock.setTimeout(() => {
      this.wakeTimer = null;
      this.wakeAt = null;
      this.notify();
    }, at - now);
  }

  private clearWake(): void {
    if (this.wakeTimer !== null) this.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    this.wakeAt = null;
  }
}
