import { createActor, type Actor, type InspectionEvent, type Observer } from 'xstate';
import type { Subscription } from 'rxjs';
import type { DomainEvent, DomainEventOf, EventData } from '../../events/catalog.js';
import { deriveEventId, envelope, type NewEvent, type RecordedEvent } from '../../events/envelope.js';
import { pairMachine } from '../../machines/pair-machine.js';
import type { PairContext, PairMachineEvent, RestoredMachineState } from '../../machines/pair-machine.types.js';
import { applyPerformanceEvent, emptyPerformance, type PairPerformance } from '../../projections/performance.js';
import { applyPairEvent, emptyPairProjection, summarisePair, type PairProjection, type PairSummary, type RecordedOrNew } from '../../projections/pair-projection.js';
import type { Clock } from '../clock/clock.js';
import { configErrorOf, toConfigIssues } from '../config/config-errors.js';
import { StrategyParamsSchema, type StrategyParams } from '../config/strategy-params.js';
import { D, toDecimalString } from '../core/decimal.js';
import type { Logger } from '../log/logger.js';
import type { MarketEvent } from '../market-data/market-event.js';
import { OrderManager, type OrderManagerSignal } from '../orders/order-manager.js';
import { WrongExpectedRevisionError, type EventStore } from '../store/event-store.js';
import type { Fill, MarketSpec, Venue } from '../venues/venue.js';
import { summarizeBook } from '../strategy/signals/book-depth.js';
import { signalsWanted } from '../strategy/signals/quote-signals.js';
import { clientOrderIdFor, clientOrderIdPrefix } from './client-order-id.js';
import type { GroupView } from './multi-venue/pair-group.js';
import { loggedMachineState, restoreFor, type LoggedMachineState } from './restored-state.js';
import { recordedRiskHold } from '../risk/recorded-hold.js';
import { recordedPnlMarks } from '../risk/recorded-pnl.js';

/** How the supervisor answers a crash: how many so far, and when it restarts the pair (null: it gives up). */
export interface CrashDecision {
  readonly crashes: number;
  readonly restartInMs: number | null;
}

export type OperatorAction = 'pause' | 'resume' | 'stop' | 'start';

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
  /** Every event this runtime appended, in order, once it is durable (live surfaces, metrics, history). */
  readonly onAppended?: (events: readonly RecordedEvent[]) => void;
  /**
   * The pair failed (its actor errored, an input threw). Called once its orders
   * are cancelled; the answer is recorded in PairCrashed. Without it a crash
   * halts the pair for good.
   */
  readonly onCrash?: (error: string) => CrashDecision;
  /** After the crash is recorded and the runtime detached: the supervisor may start a new one. */
  readonly onCrashed?: (decision: CrashDecision) => void;
  /** Start in this state whatever the log says (the supervisor's crash-loop pause). */
  readonly restoreOverride?: RestoredMachineState;
  /**
   * Compare the venue's base balance with the log on start (a mismatch pauses
   * the pair). Off by default: a paper venue's account dies with the process;
   * a live wiring turns it on (the venue must answer fetchBalances).
   */
  readonly checkBalances?: boolean;
  /** A pair an operator stopped stays stopped across a service restart (the supervisor's first start); an operator start clears it. */
  readonly honourOperatorStop?: boolean;
  /** Latency observations (metrics, bench), in ms of process time: not part of any decision. */
  readonly latency?: LatencyObserver;
  /** XState inspection (mm run --inspect): every event and snapshot of the pair actor. */
  readonly inspect?: Observer<InspectionEvent>;
}

export interface LatencyObserver {
  /** A book reached the pair's inbox -> the quote it caused was recorded and handed to the order manager. */
  tickToQuote?(ms: number): void;
  /** One append to the event store. */
  append?(ms: number): void;
}

type Input =
  | { readonly kind: 'market'; readonly event: MarketEvent; readonly at: number }
  | { readonly kind: 'fill'; readonly fill: Fill }
  | { readonly kind: 'heartbeat' }
  | { readonly kind: 'timer' }
  /** The order manager has something to do: a venue answer arrived, or one of its timers fired. */
  | { readonly kind: 'orders' }
  /** A signal from outside the pair's own feed (another venue's mid, venue fill rates), already validated. */
  | { readonly kind: 'signal'; readonly event: Extract<PairMachineEvent, { type: 'EXTERNAL_MID' | 'VENUE_FILL_RATES' }> }
  /** An operator's parameter change, answered with the new version once recorded and applied. */
  | { readonly kind: 'params'; readonly change: ParamsChange }
  /** Multi-venue: the pair group's total changed (src/service/multi-venue). */
  | { readonly kind: 'group'; readonly view: GroupView; readonly members: number }
  /** The actor failed outside an input (a timer): handled in turn, like everything else. */
  | { readonly kind: 'crash' }
  /** An operator command: recorded (OperatorCommand), then acted on, in turn with market data. */
  | { readonly kind: 'operator'; readonly action: OperatorAction; readonly identity: string; readonly reason: string; readonly done: (err?: unknown) => void }
  | { readonly kind: 'stop'; readonly reason: string };

interface ParamsChange {
  readonly params: StrategyParams;
  readonly changedBy: string;
  readonly reason: string;
  readonly done: (version: number) => void;
  readonly failed: (err: Error) => void;
}

/** Events that take every quote off the venue. */
const CANCEL_ALL_ON = new Set<DomainEvent['type']>(['Paused', 'ShockDetected', 'PairStopped', 'LiquidationStarted', 'LiquidationCompleted']);

/** Inputs still handled once a stop has begun: fills must reach the log, venue answers must be recorded. */
const HANDLED_WHILE_STOPPING = new Set<Input['kind']>(['fill', 'orders', 'stop', 'crash']);

/**
 * The imperative shell around one pair actor. Inputs (market data, fills,
 * heartbeats, venue answers) are queued and handled one at a time: the
 * machine decides, the decision is appended to the store, and only then does
 * the order manager (src/orders/order-manager.ts) act on it. Effects derive
 * from the appended events, so the log explains every order.
 */
export class PairRuntime {
  private readonly inbox: Input[] = [];
  private pumping: Promise<void> | null = null;
  private projection: PairProjection = emptyPairProjection();
  private revision: number | null = null;
  private actor: Actor<typeof pairMachine> | null = null;
  /** Multi-venue: a group view given before the machine existed (live members are told as soon as they start). */
  private groupBeforeStart: { readonly view: GroupView; readonly members: number } | null = null;
  private emitted: DomainEvent[] = [];
  private inHandler = false;
  private flushQueued = false;
  private bookOneSided = false;
  private subscriptions: Subscription[] = [];
  private heartbeatTimer: unknown = null;
  /** Set on fencing or store failure: the pair sends nothing more. */
  private halted: string | null = null;
  /** Set when stop() is called: from then on no order is sent. */
  private stopping = false;
  private stopped = false;
  private ordersQueued = false;
  private actorError: unknown = null;
  private crashWhat = 'pair actor failed';
  private lastFillTs: number | null = null;
  /** Set when a QuoteDecided was recorded and handed on (tick-to-quote latency). */
  private quoted = false;
  private frozen = false;
  private perf: PairPerformance = emptyPerformance();
  private history: readonly RecordedEvent[] = [];
  private crashed = false;
  private started = false;
  private logged: LoggedMachineState | null = null;
  private readonly orderPrefix: string;
  private readonly log: Logger;
  private readonly orders: OrderManager;

  constructor(private readonly opts: PairRuntimeOptions) {
    this.orderPrefix = clientOrderIdPrefix(opts.stream);
    this.log = opts.logger.child({ pair: opts.pairId, stream: opts.stream });
    this.orders = new OrderManager({
      venue: opts.venue,
      market: opts.market,
      params: opts.params.orders,
      clock: opts.clock,
      logger: this.log,
      journal: {
        record: (events, causationId) => this.commit(events, causationId),
        nextRevision: () => (this.revision ?? -1) + 1,
        openOrders: () => this.projection.openOrders,
        hasFill: (tradeId) => this.projection.tradeIds.has(tradeId),
        lastFillTs: () => this.lastFillTs,
        ownsOrder: (clientOrderId) => clientOrderId.startsWith(this.orderPrefix),
      },
      clientOrderIdFor: (revision) => clientOrderIdFor(this.orderPrefix, revision),
      wake: () => this.wakeOrders(),
    });
  }

  /** Rebuild from the stream, claim it with PairStarted, reconcile, then quote. */
  async start(): Promise<void> {
    const { store, stream, market, params, clock, venue } = this.opts;
    const history = await store.readStream(stream);
    this.projection = emptyPairProjection();
    for (const e of history) this.applyFolds(e);
    // Kept only for a live surface to seed its charts from (takeHistoryAtStart); a backtest does not hold its log twice.
    if (this.opts.onAppended) this.history = history;
    this.revision = history.length ? (history[history.length - 1]?.revision ?? null) : null;
    this.logged = loggedMachineState(history);
    for (const e of history) if (e.type === 'OrderFilled') this.lastFillTs = Math.max(this.lastFillTs ?? 0, e.data.fillTs);
    if (this.opts.honourOperatorStop && this.logged.operatorStopped) {
      this.stopped = true;
      this.log.info({ revision: this.revision }, 'pair stopped by an operator before the restart: it stays stopped until started');
      return;
    }
    let lastBalanceCheck: EventData<'VenueBalanceChecked'> | null = null;
    for (const e of history) if (e.type === 'VenueBalanceChecked') lastBalanceCheck = e.data;
    const paramsVersion = this.projection.paramsVersion + 1;

    await this.commit(
      [{ type: 'PairStarted', data: { pairId: this.opts.pairId, instanceId: this.opts.instanceId, market, params, paramsVersion, mode: this.opts.mode } }],
      null,
    );
    const reconciled = await this.orders.reconcileAtStart();
    const balancePause = this.opts.checkBalances ? await this.checkBalance(lastBalanceCheck) : null;
    if (reconciled.fillsRecovered || reconciled.unknownOrdersCancelled || reconciled.staleOrdersClosed || balancePause) this.log.warn({ ...reconciled, balancePaused: balancePause !== null }, 'reconciled with the venue');
    const logged = restoreFor(this.logged);
    const restored = logged?.state === 'paused' ? { ...logged, riskHold: recordedRiskHold(history) } : logged;
    const restore = this.opts.restoreOverride ?? balancePause ?? restored;

    const actor = createActor(pairMachine, {
      clock: clock as never,
      ...(this.opts.inspect ? { inspect: this.opts.inspect, systemId: `pair-${this.opts.pairId}` } : {}),
      input: {
        pairId: this.opts.pairId,
        market,
        params,
        paramsVersion,
        position: this.projection.inventory.position,
        now: clock.now(),
        ...(restore ? { restore } : {}),
        // The running PnL of the loss and drawdown limits starts from the log's.
        pnl: {
          inventory: this.projection.inventory,
          fees: this.projection.feesAndMark.fees,
          lastMid: this.projection.feesAndMark.lastMid,
          ...recordedPnlMarks(history, market, clock.now()),
        },
      },
    });
    actor.on('domain', (e) => {
      this.emitted.push(e.event);
      // Timers (cooldown ends) fire outside any input: queue one flush for what they emit.
      if (!this.inHandler && !this.flushQueued) {
        this.flushQueued = true;
        this.enqueue({ kind: 'timer' });
      }
    });
    actor.subscribe({
      error: (err) => {
        // Inside an input the handler rethrows it (handleMachineEvent); from a timer it is queued.
        this.actorError = err;
        if (!this.inHandler) this.enqueue({ kind: 'crash' });
      },
    });
    this.actor = actor;
    actor.start();

    this.subscriptions.push(
      venue.watchBook(market.symbol).subscribe({ next: (event) => this.enqueue({ kind: 'market', event, at: this.opts.latency ? performance.now() : 0 }), error: (err) => this.feedError(err) }),
      venue.watchTrades(market.symbol).subscribe({ next: (event) => this.enqueue({ kind: 'market', event, at: 0 }), error: (err) => this.feedError(err) }),
      venue.watchFills(market.symbol).subscribe({ next: (fill) => this.enqueue({ kind: 'fill', fill }), error: (err) => this.crash('fill stream failed', err) }),
    );
    this.scheduleHeartbeat();
    if (this.groupBeforeStart) {
      const { view, members } = this.groupBeforeStart;
      this.groupBeforeStart = null;
      await this.handleMachineEvent({ type: 'GROUP_POSITION', ts: clock.now(), group: view, members }, null);
    }
    await this.handleMachineEvent({ type: 'START', ts: clock.now() }, null);
    this.started = true;
    this.log.info({ position: this.projection.inventory.position, revision: this.revision, paramsVersion, restored: restore?.state ?? null }, 'pair started');
  }

  /**
   * The venue's base balance against the log: the last check's venue total
   * moved by the fills recorded since. A difference is recorded and pauses the
   * pair (an operator must look); the new figure becomes the next baseline.
   */
  private async checkBalance(last: EventData<'VenueBalanceChecked'> | null): Promise<RestoredMachineState | null> {
    const asset = this.opts.market.base;
    const balances = await this.opts.venue.fetchBalances();
    const venueTotal = balances[asset]?.total ?? '0';
    const position = this.projection.inventory.position;
    const expectedTotal = last ? toDecimalString(D(last.venueTotal).plus(D(position).minus(last.position))) : null;
    const agrees = expectedTotal === null || D(expectedTotal).eq(venueTotal);
    await this.commit([{ type: 'VenueBalanceChecked', data: { asset, venueTotal, position, expectedTotal, agrees } }], null);
    if (agrees) return null;
    const detail = `venue holds ${venueTotal} ${asset}, the log implies ${expectedTotal}`;
    await this.commit([{ type: 'ReconciliationCorrected', data: { subject: `balance ${asset}`, venueSays: venueTotal, logSays: expectedTotal ?? 'unknown', action: 'pair paused for an operator' } }], null);
    return { state: 'paused', reason: 'reconciliation', detail };
  }

  /** What the log said about the machine when this runtime started (restart recovery). */
  get loggedAtStart(): LoggedMachineState | null {
    return this.logged;
  }

  /** Started, reconciled and handed its first START. */
  get ready(): boolean {
    return this.started && !this.crashed;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  get hasCrashed(): boolean {
    return this.crashed;
  }

  /** The machine's state and context, for views (null before start). */
  machine(): { readonly state: string; readonly context: PairContext } | null {
    if (!this.actor) return null;
    const snap = this.actor.getSnapshot();
    return { state: String(snap.value), context: snap.context };
  }

  /**
   * Records OperatorCommand {identity, command, reason} in turn with the other
   * inputs, then for pause and resume sends OPERATOR_PAUSE / OPERATOR_RESUME
   * (stop and start are the supervisor's to carry out).
   */
  operator(action: OperatorAction, identity: string, reason: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.stopped || this.stopping || this.halted) return reject(new Error(`pair ${this.opts.pairId} is not running (${this.halted ?? 'stopped'})`));
      this.enqueue({ kind: 'operator', action, identity, reason, done: (err) => (err ? reject(err) : resolve()) });
    });
  }

  /** Shutdown begins: from now on nothing but cancels reaches the venue (stop() follows). */
  freezeOrders(): void {
    this.frozen = true;
    this.orders.beginStop();
  }

  /** The supervisor saw this pair fail outside its inputs (its start threw): the crash path, in turn. */
  crash(what: string, err: unknown): void {
    this.crashWhat = what;
    this.actorError = err;
    this.enqueue({ kind: 'crash' });
  }

  /**
   * Drop the pair without a word, as SIGKILL would: nothing cancelled, nothing
   * recorded. Only for tests of restart recovery, in process.
   */
  abandon(): void {
    this.halted = 'abandoned';
    this.orders.halt();
    this.detach();
  }

  /**
   * Cancel everything, wait (orders.stopTimeoutMs) for the venue to confirm,
   * record the stop, and detach. From this call on no order is sent.
   */
  async stop(reason: string): Promise<void> {
    if (this.stopped || this.stopping) return this.idle();
    this.stopping = true;
    this.orders.beginStop();
    this.enqueue({ kind: 'stop', reason });
    await this.idle();
  }

  /**
   * Resolves once every queued input has been handled and every venue call
   * has been answered and handled (a backtest steps only when this resolves).
   */
  async drain(): Promise<void> {
    for (;;) {
      if (this.pumping) await this.pumping;
      else if (!this.stopped && !this.halted && this.orders.busy()) await this.orders.settled();
      else return;
    }
  }

  /** Resolves once the input queue is empty (venue calls may still be out). */
  private async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /** Multi-venue: tell the pair its group's total (the group coordinator calls this when it changes). */
  groupChanged(view: GroupView, members: number): void {
    // Before the machine exists (rebuild, reconciliation) the view is kept for it: its first decision already uses it.
    if (!this.actor && !this.stopped) {
      this.groupBeforeStart = { view, members };
      return;
    }
    this.enqueue({ kind: 'group', view, members });
  }

  summary(): PairSummary {
    return summarisePair(this.projection);
  }

  get state(): PairProjection {
    return this.projection;
  }

  /** The parameters in force: the config's, or the last ParametersChanged. */
  get params(): StrategyParams {
    return this.projection.params ?? this.opts.params;
  }

  get haltReason(): string | null {
    return this.halted;
  }

  private enqueue(input: Input): void {
    if (this.stopped) return;
    if (this.stopping && !HANDLED_WHILE_STOPPING.has(input.kind)) {
      if (input.kind === 'params') input.change.failed(new Error(`cannot change the parameters of ${this.opts.pairId}: the pair is stopping`));
      return;
    }
    this.inbox.push(input);
    // Start on a microtask: the caller (a venue callback, a timer inside the actor) finishes its synchronous step first.
    if (!this.pumping) this.pumping = Promise.resolve().then(() => this.pump());
  }

  private async pump(): Promise<void> {
    try {
      for (let input = this.inbox.shift(); input; input = this.inbox.shift()) {
        try {
          await this.handle(input);
          if (input.kind === 'operator') input.done();
        } catch (err) {
          if (input.kind === 'operator') input.done(err);
          await this.fail('input handling failed', err);
        }
      }
    } finally {
      this.pumping = null;
    }
  }

  /**
   * Replace the pair's parameters: appends ParametersChanged with the next
   * version, then hands them to the machine (every later QuoteDecided names
   * that version) and to the order manager. Queued with every other input, so
   * no decision sees half a change. Resolves with the new version; rejects
   * (nothing recorded) on invalid parameters or a pair that is not running.
   */
  changeParams(params: StrategyParams, changedBy: string, reason: string): Promise<number> {
    const checked = StrategyParamsSchema.safeParse(params);
    if (!checked.success) return Promise.reject(configErrorOf('parameter change', toConfigIssues(checked.error, StrategyParamsSchema, params)));
    const refusal = this.notRunning();
    if (refusal) return Promise.reject(new Error(`cannot change the parameters of ${this.opts.pairId}: ${refusal}`));
    return new Promise<number>((done, failed) => this.enqueue({ kind: 'params', change: { params: checked.data, changedBy, reason, done, failed } }));
  }

  private notRunning(): string | null {
    if (!this.actor) return 'the pair has not started';
    if (this.halted) return `the pair is halted (${this.halted})`;
    if (this.stopping || this.stopped) return 'the pair is stopping';
    return null;
  }

  private async handleParamsChange(change: ParamsChange): Promise<void> {
    const refusal = this.notRunning();
    if (refusal) return change.failed(new Error(`cannot change the parameters of ${this.opts.pairId}: ${refusal}`));
    const paramsVersion = this.projection.paramsVersion + 1;
    try {
      await this.commit([{ type: 'ParametersChanged', data: { paramsVersion, params: change.params, changedBy: change.changedBy, reason: change.reason } }], null);
    } catch (err) {
      return change.failed(err as Error);
    }
    this.orders.updateParams(change.params.orders);
    this.log.info({ paramsVersion, changedBy: change.changedBy, reason: change.reason }, 'parameters changed');
    try {
      await this.handleMachineEvent({ type: 'PARAMS_CHANGED', ts: this.opts.clock.now(), params: change.params, paramsVersion }, null);
    } catch (err) {
      change.failed(err as Error);
      throw err;
    }
    change.done(paramsVersion);
  }

  private async handle(input: Input): Promise<void> {
    if (input.kind === 'stop') return this.handleStop(input.reason);
    if (input.kind === 'params') return this.handleParamsChange(input.change);
    if (input.kind === 'crash') return this.fail(this.crashWhat, this.actorError);
    if (this.halted || this.stopped) return refuse(input, this.opts.pairId);
    // Once a stop has begun the machine decides nothing more; fills and venue answers are still recorded.
    if (this.stopping && !HANDLED_WHILE_STOPPING.has(input.kind)) return refuse(input, this.opts.pairId);
    const ts = this.opts.clock.now();
    switch (input.kind) {
      case 'market': {
        if (!this.opts.latency?.tickToQuote || input.event.kind !== 'book') return this.handleMarket(input.event);
        this.quoted = false;
        await this.handleMarket(input.event);
        if (this.quoted) this.opts.latency.tickToQuote(performance.now() - input.at);
        return;
      }
      case 'signal':
        return this.handleMachineEvent(input.event, null);
      case 'fill':
        return this.handleFill(input.fill);
      case 'heartbeat':
        return this.handleMachineEvent({ type: 'HEARTBEAT', ts }, null);
      case 'timer':
        this.flushQueued = false;
        return this.flushEmitted(null);
      case 'group':
        return this.handleMachineEvent({ type: 'GROUP_POSITION', ts, group: input.view, members: input.members }, null);
      case 'orders':
        this.ordersQueued = false;
        await this.orders.process();
        return this.applyOrderSignals();
      case 'operator': {
        const [recorded] = await this.commit([{ type: 'OperatorCommand', data: { identity: input.identity, command: input.action, reason: input.reason } }], null);
        if (input.action !== 'pause' && input.action !== 'resume') return;
        const event: PairMachineEvent = { type: input.action === 'pause' ? 'OPERATOR_PAUSE' : 'OPERATOR_RESUME', ts, identity: input.identity, reason: input.reason };
        return this.handleMachineEvent(event, recorded?.id ?? null);
      }
    }
  }

  /** Coalesced: one 'orders' input in the queue is enough, it handles every answer that arrived. */
  private wakeOrders(): void {
    if (this.ordersQueued || this.stopped || this.halted) return;
    this.ordersQueued = true;
    this.enqueue({ kind: 'orders' });
  }

  /** What the order manager learnt about the venue goes through the machine, so every pause is an event. */
  private async applyOrderSignals(): Promise<void> {
    for (let s = this.orders.takeSignal(); s; s = this.orders.takeSignal()) {
      if (this.halted || this.stopping || this.stopped) continue;
      await this.handleMachineEvent(this.machineEventFor(s), null);
    }
  }

  private machineEventFor(s: OrderManagerSignal): PairMachineEvent {
    const ts = this.opts.clock.now();
    switch (s.type) {
      case 'venue-down':
        return { type: 'VENUE_DOWN', ts, detail: s.detail };
      case 'venue-up':
        return { type: 'VENUE_UP', ts, detail: s.detail };
      case 'refused':
        return { type: 'VENUE_REFUSED', ts, reason: s.reason, detail: s.detail };
    }
  }

  /**
   * The mid of this instrument on another venue, for the external-mid
   * reference price. Multi-venue wiring calls it; a bad mid is refused here,
   * with the venue and the value, before it can reach a decision.
   */
  pushExternalMid(venue: string, mid: number, ts: number = this.opts.clock.now()): void {
    if (typeof venue !== 'string' || venue.length === 0) throw new RangeError(`external mid: venue must be a non-empty string, got ${JSON.stringify(venue)}`);
    if (typeof mid !== 'number' || !Number.isFinite(mid) || mid <= 0) throw new RangeError(`external mid from ${venue}: mid must be a finite number > 0, got ${String(mid)}`);
    if (!Number.isInteger(ts) || ts < 0) throw new RangeError(`external mid from ${venue}: ts must be epoch ms, got ${String(ts)}`);
    this.enqueue({ kind: 'signal', event: { type: 'EXTERNAL_MID', ts, venue, mid } });
  }

  /** Recent fill rate of each venue of this pair (fills per minute), for the size allocation rule. */
  pushVenueFillRates(rates: Readonly<Record<string, number>>, ts: number = this.opts.clock.now()): void {
    for (const [venue, r] of Object.entries(rates)) {
      if (typeof r !== 'number' || !Number.isFinite(r) || r < 0) throw new RangeError(`venue fill rate of ${venue} must be a finite number >= 0, got ${String(r)}`);
    }
    this.enqueue({ kind: 'signal', event: { type: 'VENUE_FILL_RATES', ts, rates: { ...rates } } });
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
        // Depth only when a quoting rule reads it: the plain ladder keeps its cost.
        const params = this.actor?.getSnapshot().context.params;
        const depth = params && signalsWanted(params) ? summarizeBook(event.bids, event.asks) : null;
        return this.handleMachineEvent({ type: 'BOOK', ts: event.ts, bestBid: bid.price, bestAsk: ask.price, ...(depth ? { depth } : {}) }, null);
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
    const own = { side: fill.side, price: Number(fill.price), amount: Number(fill.amount), fee: Number(fill.fee), liquidity: fill.liquidity, feeCurrency: fill.feeCurrency };
    await this.handleMachineEvent({ type: 'POSITION', ts: fill.ts, position: this.projection.inventory.position, fill: own }, filled?.id ?? null);
  }

  private async handleStop(reason: string): Promise<void> {
    if (this.stopped) return;
    if (!this.halted && this.actor) {
      const report = await this.orders.stop('stop');
      // Fills that arrived while the cancels were out are recorded before the stop.
      for (const input of this.inbox.splice(0)) {
        if (input.kind === 'fill' && !this.halted) await this.handleFill(input.fill);
        else refuse(input, this.opts.pairId);
      }
      if (!this.halted) {
        await this.handleMachineEvent({ type: 'STOP', ts: this.opts.clock.now(), reason, openOrders: this.projection.openOrders.size }, null);
      }
      if (report.unconfirmed.length > 0) this.log.error({ unconfirmed: report.unconfirmed }, 'pair stopped with orders the venue did not confirm cancelled');
    } else {
      this.orders.halt();
      await this.orders.emergencyCancelAll('stop while halted');
    }
    this.detach();
    this.log.info({ reason, summary: this.summary() }, 'pair stopped');
  }

  private detach(): void {
    this.stopped = true;
    for (const input of this.inbox.splice(0)) refuse(input, this.opts.pairId);
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
    if (this.actorError) {
      // The machine threw: what it emitted before is not trusted, the crash path takes over.
      this.emitted = [];
      throw this.actorError;
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
      if (CANCEL_ALL_ON.has(e.type)) await this.orders.cancelAll(e.type, e.id);
      if (e.type === 'QuoteDecided' && !this.halted && !this.stopping && !this.frozen) {
        const d = (e as NewEvent & DomainEventOf<'QuoteDecided'>).data;
        await this.orders.onDecision({ decisionId: e.id, bids: d.output.bids, asks: d.output.asks, bestBid: d.inputs.bestBid, bestAsk: d.inputs.bestAsk, reduceOnly: d.inputs.reduceOnly });
        this.quoted = true;
      }
    }
    await this.applyOrderSignals();
  }

  /** Append with the expected revision; on failure halt the pair and take its orders off the venue. */
  private async commit(events: readonly DomainEvent[], causationId: string | null, evenIfHalted = false): Promise<NewEvent[]> {
    if (events.length === 0) return [];
    if (this.halted && !evenIfHalted) throw new Error(`pair ${this.opts.pairId} is halted (${this.halted}); refusing to append`);
    const time = this.opts.clock.now();
    const first = (this.revision ?? -1) + 1;
    let correlationId = '';
    const newEvents = events.map((event, i) => {
      const id = deriveEventId(this.opts.instanceId, this.opts.stream, first + i);
      if (i === 0) correlationId = causationId ?? id;
      const configVersion = event.type === 'PairStarted' || event.type === 'ParametersChanged' ? event.data.paramsVersion : this.projection.paramsVersion;
      return envelope(event, { id, time, metadata: { correlationId, causationId, instanceId: this.opts.instanceId, configVersion } });
    });
    let position = 0;
    try {
      const t0 = this.opts.latency?.append ? performance.now() : 0;
      const result = await this.opts.store.append(this.opts.stream, newEvents, this.revision ?? 'no_stream');
      if (this.opts.latency?.append) this.opts.latency.append(performance.now() - t0);
      this.revision = result.nextExpectedRevision;
      position = result.position;
    } catch (err) {
      if (!this.halted) await this.storeFailed(err, events);
      throw err;
    }
    for (const e of newEvents) this.applyFolds(e);
    if (this.opts.onAppended) {
      const n = newEvents.length;
      // Positions of one batch are consecutive in the embedded stores; the last one is what the store returned.
      this.opts.onAppended(newEvents.map((e, i) => ({ ...e, stream: this.opts.stream, revision: first + i, position: position - (n - 1 - i) })));
    }
    return newEvents;
  }

  /** The runtime's read models of its own stream, folded event by event: the same folds a replay runs. */
  private applyFolds(e: RecordedOrNew): void {
    const repeatedFill = e.type === 'OrderFilled' && this.projection.tradeIds.has(e.data.tradeId);
    this.perf = applyPerformanceEvent(this.perf, e, { market: this.projection.market ?? (e.type === 'PairStarted' ? e.data.market : null), repeatedFill });
    this.projection = applyPairEvent(this.projection, e);
    if (e.type === 'OrderFilled') this.lastFillTs = Math.max(this.lastFillTs ?? 0, e.data.fillTs);
  }

  /** Performance of the whole stream (projections/performance.ts), kept up to date. */
  get performance(): PairPerformance {
    return this.perf;
  }

  /** The stream as it was read at start (restart recovery, seeding views); released after the first call. */
  takeHistoryAtStart(): readonly RecordedEvent[] {
    const h = this.history;
    this.history = [];
    return h;
  }

  get stream(): string {
    return this.opts.stream;
  }

  get pairId(): string {
    return this.opts.pairId;
  }

  private async storeFailed(err: unknown, unrecorded: readonly DomainEvent[]): Promise<void> {
    const fenced = err instanceof WrongExpectedRevisionError;
    this.halted = fenced ? 'fenced' : 'store-failure';
    this.orders.halt();
    this.log.error({ err, unrecorded: unrecorded.map((e) => e.type), fenced }, fenced ? 'fenced: another writer owns this stream; halting the pair' : 'store append failed; halting the pair');
    if (this.actor) {
      this.inHandler = true;
      this.actor.send(fenced ? { type: 'FENCED', ts: this.opts.clock.now(), detail: String(err) } : { type: 'STORE_FAILED', ts: this.opts.clock.now(), detail: String(err) });
      this.inHandler = false;
      this.emitted = [];
    }
    await this.orders.emergencyCancelAll(this.halted);
  }

  /**
   * A crash: halt, take the orders off the venue, record PairCrashed with the
   * supervisor's answer, detach, and let the supervisor restart a new runtime.
   */
  private async fail(what: string, err: unknown): Promise<void> {
    if (this.halted || this.crashed) return;
    this.halted = 'internal-error';
    this.crashed = true;
    this.orders.halt();
    const error = `${what}: ${err instanceof Error ? err.message : String(err)}`;
    this.log.error({ err }, `${what}; halting the pair and cancelling its orders`);
    await this.orders.emergencyCancelAll(what);
    const decision: CrashDecision = this.stopping ? { crashes: 1, restartInMs: null } : (this.opts.onCrash?.(error) ?? { crashes: 1, restartInMs: null });
    try {
      await this.commit([{ type: 'PairCrashed', data: { error: error.slice(0, 2000), crashes: decision.crashes, restartInMs: decision.restartInMs } }], null, true);
    } catch (appendErr) {
      this.log.error({ err: appendErr }, 'could not record the crash');
    }
    this.detach();
    this.opts.onCrashed?.(decision);
  }

  private feedError(err: unknown): void {
    this.log.error({ err }, 'market data stream failed');
    this.enqueue({ kind: 'market', at: 0, event: { kind: 'feed-problem', venue: this.opts.venue.id, symbol: this.opts.market.symbol, ts: this.opts.clock.now(), problem: 'malformed', detail: String(err) } });
  }

  private scheduleHeartbeat(): void {
    // Read at every tick: a parameter change may have moved it.
    const every = () => this.params.feed.checkIntervalMs;
    const tick = () => {
      this.heartbeatTimer = this.opts.clock.setTimeout(tick, every());
      this.enqueue({ kind: 'heartbeat' });
    };
    this.heartbeatTimer = this.opts.clock.setTimeout(tick, every());
  }
}

/** An operator command or parameter change still queued when the pair stops or crashes: its caller gets an error, not silence. */
function refuse(input: Input, pairId: string): void {
  if (input.kind === 'operator') input.done(new Error(`pair ${pairId} stopped before the command was handled`));
  if (input.kind === 'params') input.change.failed(new Error(`pair ${pairId} stopped before the parameter change was handled`));
}
