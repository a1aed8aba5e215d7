import { createActor, type Actor, type InspectionEvent, type Observer } from 'xstate';
import type { DomainEvent } from '../../events/catalog.js';
import { deriveEventId, envelope, type RecordedEvent } from '../../events/envelope.js';
import { DEFAULT_RESTART_POLICY, restartDelay, supervisorMachine, type RestartPolicy } from '../../machines/supervisor-machine.js';
import type { Clock } from '../clock/clock.js';
import type { ResolvedPair } from '../config/engine-config.js';
import type { Logger } from '../log/logger.js';
import type { EventStore } from '../store/event-store.js';
import type { Venue } from '../venues/venue.js';
import { PairRuntime, type CrashDecision, type LatencyObserver, type RunMode } from './pair-runtime.js';

export interface SupervisorOptions {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly instanceId: string;
  readonly mode: RunMode;
  readonly policy?: Partial<RestartPolicy>;
  /** See PairRuntimeOptions.checkBalances. */
  readonly checkBalances?: boolean;
  /** Every event any pair appended (live surfaces). */
  readonly onAppended?: (pairId: string, events: readonly RecordedEvent[]) => void;
  /** A pair's runtime changed (started, crashed, restarted, stopped). */
  readonly onPairChanged?: (pairId: string) => void;
  /** Latency histograms (metrics): tick-to-quote and event-append, per pair, in ms. */
  readonly observer?: ServiceObserver;
  /** XState inspection of the supervisor, its slots and every pair actor (mm run --inspect). */
  readonly inspect?: Observer<InspectionEvent>;
}

/** The part of the metrics (src/service/http/metrics.ts ServiceMetrics) the pairs feed. */
export interface ServiceObserver {
  observeTickToQuote(pairId: string, ms: number): void;
  observeAppend(pairId: string, ms: number): void;
}

/** The runtime takes inputs (not stopped, not crashed, not halted). */
export const isLive = (r: PairRuntime): boolean => !r.isStopped && !r.hasCrashed && r.haltReason === null;

export type SlotStatus = 'starting' | 'running' | 'backoff' | 'gave-up' | 'stopped';

/** One supervised pair: its current runtime, and how the supervisor sees it. */
export interface PairSlot {
  readonly pairId: string;
  readonly resolved: ResolvedPair;
  readonly venue: Venue;
  runtime: PairRuntime;
  status: SlotStatus;
  crashes: number;
  lastError: string | null;
  /** The start (or restart) under way; drain waits for it. */
  starting: Promise<void> | null;
}

/**
 * Runs one PairRuntime per pair and keeps them alive. The restart policy is
 * the supervisor actor's (machines/supervisor-machine.ts): a crashed pair has
 * already cancelled its orders and recorded PairCrashed (PairRuntime.fail);
 * the supervisor restarts it after a backoff on the injected clock, and after
 * `maxCrashes` starts it once more, held `paused` (`crash-loop`) until an
 * operator acts. Each pair has its own runtime, inbox and slot, so one pair's
 * crash never touches another.
 */
export class Supervisor {
  private readonly slots = new Map<string, PairSlot>();
  private readonly actor: Actor<typeof supervisorMachine>;
  private readonly policy: RestartPolicy;
  private shuttingDown = false;

  constructor(private readonly opts: SupervisorOptions) {
    this.policy = { ...DEFAULT_RESTART_POLICY, ...opts.policy };
    this.actor = createActor(supervisorMachine, { clock: opts.clock as never, input: { policy: this.policy }, ...(opts.inspect ? { inspect: opts.inspect } : {}) });
    this.actor.on('restart', (e) => this.restart(e.pairId, undefined));
    this.actor.on('gave-up', (e) => {
      this.opts.logger.error({ pair: e.pairId, crashes: e.crashes, error: e.error }, 'pair keeps crashing: kept paused (crash-loop) until an operator acts');
      this.restart(e.pairId, { state: 'paused', reason: 'crash-loop', detail: `${e.crashes} crashes; last: ${e.error}`.slice(0, 500) });
    });
    this.actor.subscribe({ error: (err) => this.opts.logger.fatal({ err }, 'supervisor actor failed') });
    this.actor.start();
  }

  /** Start supervising a pair: rebuild, reconcile and start its runtime (resolves once it has started). */
  async add(resolved: ResolvedPair, venue: Venue): Promise<PairSlot> {
    const existing = this.slots.get(resolved.pairId);
    if (existing) return existing;
    this.actor.send({ type: 'ADD_PAIR', pairId: resolved.pairId });
    const slot: PairSlot = { pairId: resolved.pairId, resolved, venue, runtime: null as unknown as PairRuntime, status: 'starting', crashes: 0, lastError: null, starting: null };
    slot.runtime = this.newRuntime(slot, undefined, true);
    this.slots.set(resolved.pairId, slot);
    await this.launch(slot);
    return slot;
  }

  get(pairId: string): PairSlot | undefined {
    return this.slots.get(pairId);
  }

  all(): readonly PairSlot[] {
    return [...this.slots.values()];
  }

  /** Every started pair is past its reconciliation (no start or restart under way). */
  ready(): boolean {
    for (const s of this.slots.values()) if (s.status === 'starting' || s.status === 'backoff') return false;
    return this.slots.size > 0;
  }

  /** Operator stop (or shutdown): cancel and confirm, record PairStopped; no restart follows. */
  async stopPair(pairId: string, reason: string): Promise<void> {
    const slot = this.slots.get(pairId);
    if (!slot) return;
    if (slot.starting) await slot.starting;
    this.actor.send({ type: 'PAIR_STOPPED', pairId });
    slot.status = 'stopped';
    await slot.runtime.stop(reason);
    this.changed(pairId);
  }

  /**
   * Operator start of a stopped, crashed or given-up pair: any pending restart
   * is cancelled, a live runtime stopped, `beforeStart` runs (it records the
   * command while no runtime writes the stream), then a new runtime starts
   * with the crash count reset.
   */
  async startPair(pairId: string, beforeStart?: () => Promise<void>): Promise<void> {
    const slot = this.slots.get(pairId);
    if (!slot || this.shuttingDown) return;
    if (slot.starting) await slot.starting.catch(() => undefined);
    this.actor.send({ type: 'PAIR_STARTED', pairId });
    slot.status = 'starting';
    if (isLive(slot.runtime)) await slot.runtime.stop('operator restart');
    await beforeStart?.();
    slot.crashes = 0;
    slot.lastError = null;
    slot.runtime = this.newRuntime(slot, undefined, false);
    await this.launch(slot);
  }

  /**
   * Appends to a pair's stream while no runtime writes it (stopped or crashed),
   * at its current revision, with an id derived like the runtime's.
   */
  async appendDirect(pairId: string, event: DomainEvent): Promise<RecordedEvent> {
    const slot = this.slots.get(pairId);
    if (!slot) throw new Error(`no pair ${pairId}`);
    if (isLive(slot.runtime)) throw new Error(`pair ${pairId} has a running writer`);
    const { store, instanceId, clock } = this.opts;
    const stream = slot.runtime.stream;
    const revision = await store.streamRevision(stream);
    const next = (revision ?? -1) + 1;
    const id = deriveEventId(instanceId, stream, next);
    const e = envelope(event, { id, time: clock.now(), metadata: { correlationId: id, causationId: null, instanceId, configVersion: slot.runtime.state.paramsVersion } });
    const result = await store.append(stream, [e], revision ?? 'no_stream');
    const recorded: RecordedEvent = { ...e, stream, revision: next, position: result.position };
    this.opts.onAppended?.(pairId, [recorded]);
    return recorded;
  }

  private async recordStopOfCrashed(slot: PairSlot, reason: string): Promise<void> {
    const p = slot.runtime.state;
    const from = p.state === 'stopped' ? 'paused' : p.state;
    await this.appendDirect(slot.pairId, { type: 'PairStopped', data: { from, to: 'stopped', reason: `${reason} (after a crash)`, position: p.inventory.position, openOrders: p.openOrders.size } });
  }

  /** Waits for a start or restart under way. */
  async settle(pairId: string): Promise<void> {
    const slot = this.slots.get(pairId);
    if (slot?.starting) await slot.starting.catch(() => undefined);
  }

  /** A pair whose runtime is not running (crashed, waiting for its restart): no restart from now on. */
  markStopped(pairId: string): void {
    const slot = this.slots.get(pairId);
    if (!slot) return;
    slot.status = 'stopped';
    this.actor.send({ type: 'PAIR_STOPPED', pairId });
    this.changed(pairId);
  }

  /** Service shutdown: no restart from now on; every pair stops (cancels confirmed up to orders.stopTimeoutMs). */
  async stopAll(reason: string): Promise<void> {
    this.shuttingDown = true;
    const slots = [...this.slots.values()];
    for (const s of slots) this.actor.send({ type: 'PAIR_STOPPED', pairId: s.pairId });
    await Promise.all(
      slots.map(async (s) => {
        if (s.starting) await s.starting.catch(() => undefined);
        const wasLive = isLive(s.runtime);
        s.status = 'stopped';
        await s.runtime.stop(reason);
        // A pair that crashed and waits for its restart has no runtime to record its stop: recorded here, so every pair ends stopped.
        if (!wasLive && s.runtime.hasCrashed) await this.recordStopOfCrashed(s, reason).catch((err: unknown) => this.opts.logger.error({ err, pair: s.pairId }, 'could not record the stop of a crashed pair'));
      }),
    );
    this.actor.stop();
  }

  /** An operator resumed a pair kept paused after crashes: its crash count starts again. */
  resetCrashes(pairId: string): void {
    const slot = this.slots.get(pairId);
    if (!slot) return;
    slot.crashes = 0;
    if (slot.status === 'gave-up') slot.status = 'running';
    this.actor.send({ type: 'PAIR_STARTED', pairId });
  }

  /** Waits for a pair's start under way and its queued inputs. */
  async drain(pairId: string): Promise<void> {
    const slot = this.slots.get(pairId);
    if (!slot) return;
    if (slot.starting) await slot.starting;
    await slot.runtime.drain();
  }

  private newRuntime(slot: PairSlot, restoreOverride: Parameters<typeof this.restart>[1], honourOperatorStop: boolean): PairRuntime {
    const { store, clock, logger, instanceId, mode } = this.opts;
    const runtime = new PairRuntime({
      ...slot.resolved,
      store,
      venue: slot.venue,
      clock,
      logger,
      instanceId,
      mode,
      honourOperatorStop,
      ...(this.opts.checkBalances !== undefined ? { checkBalances: this.opts.checkBalances } : {}),
      ...(restoreOverride ? { restoreOverride } : {}),
      ...(this.opts.onAppended ? { onAppended: (events: readonly RecordedEvent[]) => this.opts.onAppended?.(slot.pairId, events) } : {}),
      ...(this.opts.observer ? { latency: this.latencyFor(slot.pairId, this.opts.observer) } : {}),
      ...(this.opts.inspect ? { inspect: this.opts.inspect } : {}),
      onCrash: (error) => this.onCrash(slot, error),
      onCrashed: () => this.changed(slot.pairId),
    });
    // A pair added once the stop has begun sends nothing either.
    if (this.shuttingDown) runtime.freezeOrders();
    return runtime;
  }

  private latencyFor(pairId: string, o: ServiceObserver): LatencyObserver {
    return { tickToQuote: (ms) => o.observeTickToQuote(pairId, ms), append: (ms) => o.observeAppend(pairId, ms) };
  }

  /** No new order from any pair from now on (shutdown begins); cancels still go out. */
  freezeOrders(): void {
    this.shuttingDown = true;
    for (const s of this.slots.values()) s.runtime.freezeOrders();
  }

  private onCrash(slot: PairSlot, error: string): CrashDecision {
    slot.crashes += 1;
    slot.lastError = error;
    if (this.shuttingDown || slot.status === 'stopped') return { crashes: slot.crashes, restartInMs: null };
    const restartInMs = slot.status === 'gave-up' ? null : restartDelay(slot.crashes, this.policy);
    slot.status = restartInMs === null ? 'gave-up' : 'backoff';
    this.opts.logger.error({ pair: slot.pairId, crashes: slot.crashes, restartInMs, error }, 'pair crashed');
    // The slot actor schedules the restart (or gives up) on the clock.
    this.actor.send({ type: 'PAIR_CRASHED', pairId: slot.pairId, error });
    return { crashes: slot.crashes, restartInMs };
  }

  private restart(pairId: string, restoreOverride: ConstructorParameters<typeof PairRuntime>[0]['restoreOverride']): void {
    const slot = this.slots.get(pairId);
    if (!slot || this.shuttingDown || slot.status === 'stopped') return;
    const previous = slot.runtime;
    const gaveUp = restoreOverride !== undefined;
    // The old runtime detaches before it reports the crash; wait for it anyway, one writer per stream.
    const begin = async () => {
      await previous.drain().catch(() => undefined);
      if (this.shuttingDown || slot.status === 'stopped') return;
      slot.runtime = this.newRuntime(slot, restoreOverride, true);
      this.opts.logger.warn({ pair: pairId, crashes: slot.crashes, gaveUp }, gaveUp ? 'pair restarted paused (crash-loop)' : 'pair restarting after a crash');
      await this.launch(slot, gaveUp ? 'gave-up' : 'running');
    };
    slot.status = 'starting';
    slot.starting = begin().finally(() => (slot.starting = null));
  }

  private async launch(slot: PairSlot, after: SlotStatus = 'running'): Promise<void> {
    slot.status = 'starting';
    const runtime = slot.runtime;
    const run = runtime.start().then(
      () => {
        if (slot.runtime === runtime && slot.status === 'starting') slot.status = runtime.isStopped ? 'stopped' : after;
        this.changed(slot.pairId);
      },
      (err) => {
        // A start that throws is a crash like any other (the runtime already halted if the store refused).
        this.opts.logger.error({ err, pair: slot.pairId }, 'pair failed to start');
        if (!runtime.hasCrashed && !runtime.haltReason) void runtime.crash('start failed', err);
        else if (slot.status === 'starting') slot.status = 'gave-up';
        this.changed(slot.pairId);
      },
    );
    slot.starting = run;
    await run;
    if (slot.starting === run) slot.starting = null;
  }

  private changed(pairId: string): void {
    this.opts.onPairChanged?.(pairId);
  }
}
