import type { Subscription } from 'rxjs';
import type { RecordedEvent } from '../../events/envelope.js';
import type { PairPerformance } from '../../projections/performance.js';
import { applyPairEvent, emptyPairProjection, summarisePair } from '../../projections/pair-projection.js';
import { applyParamsPatch } from '../config/params-patch.js';
import type { StrategyParams } from '../config/strategy-params.js';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log/logger.js';
import type { EventStore } from '../store/event-store.js';
import type { BookFeedEvent } from '../venues/venue.js';
import { OPERATOR_STOP_PREFIX } from './restored-state.js';
import {
  CommandRejectedError,
  UnknownPairError,
  type HistoryPoint,
  type Identity,
  type PairCommand,
  type PairView,
  type QuoteLevelView,
  type RiskAlert,
  type ServiceControl,
  type ServiceUpdate,
} from './service-control.js';
import { isLive, type PairSlot, type Supervisor } from './supervisor.js';

export interface SupervisedControlOptions {
  readonly supervisor: Supervisor;
  readonly store: EventStore;
  readonly logger: Logger;
  readonly instanceId: string;
  readonly clock: Clock;
  /** Points kept per pair for the charts. */
  readonly historyLimit?: number;
  /** Alerts kept across all pairs. */
  readonly alertLimit?: number;
  /** Levels per side in a view's book. */
  readonly bookDepth?: number;
}

interface PairTrack {
  readonly history: HistoryPoint[];
  peak: number;
  book: { bids: QuoteLevelView[]; asks: QuoteLevelView[]; ts: number | null };
  bookSub: Subscription | null;
  venueSub: unknown;
  recentAlerts: string[];
}

const ALERT_TYPES = new Set(['RiskLimitBreached', 'AdverseSelectionDetected', 'Paused', 'PairCrashed', 'ReconciliationCorrected']);

/**
 * ServiceControl over the supervisor: views folded from each pair's runtime,
 * commands recorded (OperatorCommand, carrying the identity) before they act,
 * and every appended event pushed to subscribers with a fresh view of its pair.
 */
export class SupervisedControl implements ServiceControl {
  private readonly listeners = new Set<(u: ServiceUpdate) => void>();
  private readonly tracks = new Map<string, PairTrack>();
  private readonly alerts: RiskAlert[] = [];
  private readonly historyLimit: number;
  private readonly alertLimit: number;
  private readonly bookDepth: number;
  private closed = false;

  constructor(private readonly opts: SupervisedControlOptions) {
    this.historyLimit = opts.historyLimit ?? 2000;
    this.alertLimit = opts.alertLimit ?? 500;
    this.bookDepth = opts.bookDepth ?? 10;
  }

  // ---- wiring (called by the service) ----

  /** Every event a pair appended (Supervisor onAppended). */
  onAppended(pairId: string, events: readonly RecordedEvent[]): void {
    const track = this.track(pairId);
    for (const e of events) this.fold(pairId, track, e);
    if (this.listeners.size === 0) return;
    for (const event of events) this.publish({ type: 'event', pairId, event });
    const slot = this.opts.supervisor.get(pairId);
    if (slot) this.publish({ type: 'pair', pair: this.viewOf(slot) });
  }

  /** A pair's runtime changed (Supervisor onPairChanged): seed its history from the log once, follow its book. */
  onPairChanged(pairId: string): void {
    const slot = this.opts.supervisor.get(pairId);
    if (!slot) return;
    const track = this.track(pairId);
    const history = slot.runtime.takeHistoryAtStart();
    if (history.length && track.history.length === 0) this.seed(pairId, track, history);
    if (track.venueSub !== slot.venue) {
      track.bookSub?.unsubscribe();
      track.venueSub = slot.venue;
      track.bookSub = slot.venue.watchBook(slot.resolved.market.symbol).subscribe({ next: (b) => this.onBook(track, b), error: () => undefined });
    }
    if (this.listeners.size) this.publish({ type: 'pair', pair: this.viewOf(slot) });
  }

  close(): void {
    this.closed = true;
    for (const t of this.tracks.values()) t.bookSub?.unsubscribe();
    this.listeners.clear();
  }

  // ---- ServiceControl ----

  listPairs(): readonly PairView[] {
    return this.opts.supervisor.all().map((s) => this.viewOf(s));
  }

  getPair(id: string): PairView {
    return this.viewOf(this.slot(id));
  }

  async command(id: string, command: PairCommand, identity: Identity, reason: string): Promise<PairView> {
    const slot = this.slot(id);
    const state = this.viewOf(slot).state;
    const who = `${identity.name} (${identity.role})`;
    switch (command) {
      case 'pause':
      case 'resume': {
        if (slot.status === 'backoff' || slot.status === 'starting') throw new CommandRejectedError(`pair ${id} is restarting after a crash; try again shortly`, 409);
        if (state === 'stopped') throw new CommandRejectedError(`pair ${id} is stopped; start it first`, 409);
        if (command === 'resume' && state !== 'paused') throw new CommandRejectedError(`pair ${id} is ${state}, not paused`, 409);
        await slot.runtime.operator(command, who, reason);
        if (command === 'resume' && slot.status === 'gave-up') this.opts.supervisor.resetCrashes(id);
        break;
      }
      case 'stop': {
        if (state === 'stopped') throw new CommandRejectedError(`pair ${id} is already stopped`, 409);
        await this.opts.supervisor.settle(id);
        if (isLive(slot.runtime)) {
          await slot.runtime.operator('stop', who, reason);
          await this.opts.supervisor.stopPair(id, `${OPERATOR_STOP_PREFIX} ${who}: ${reason}`);
        } else {
          // Crashed and waiting for its restart: cancel the restart; its orders were cancelled when it crashed.
          this.opts.supervisor.markStopped(id);
          await this.appendWhileStopped(slot, { identity: who, command, reason });
        }
        break;
      }
      case 'start':
        if (state !== 'stopped' && slot.status !== 'gave-up' && slot.status !== 'backoff') throw new CommandRejectedError(`pair ${id} is ${state}, not stopped`, 409);
        await this.opts.supervisor.settle(id);
        if (isLive(slot.runtime)) {
          // Kept paused after crashes: the live runtime records the command, then makes way for a new one.
          await slot.runtime.operator('start', who, reason);
          await this.opts.supervisor.startPair(id);
        } else {
          // No runtime writes a stopped pair's stream, so the command is appended directly, at the stream's revision.
          await this.opts.supervisor.startPair(id, () => this.appendWhileStopped(slot, { identity: who, command, reason }));
        }
        break;
    }
    this.opts.logger.info({ pair: id, command, identity: identity.name, role: identity.role, reason }, 'operator command');
    return this.getPair(id);
  }

  async changeParams(id: string, patch: unknown, identity: Identity, reason: string): Promise<{ readonly paramsVersion: number; readonly params: StrategyParams }> {
    const slot = this.slot(id);
    if (slot.status !== 'running' && slot.status !== 'gave-up') throw new CommandRejectedError(`pair ${id} is ${slot.status}; parameters change on a running pair`, 409);
    let params: StrategyParams;
    try {
      params = applyParamsPatch(slot.runtime.params, patch);
    } catch (err) {
      throw new CommandRejectedError(err instanceof Error ? err.message : String(err), 400);
    }
    await slot.runtime.changeParams(params, `${identity.name} (${identity.role})`, reason);
    const state = slot.runtime.state;
    this.opts.logger.info({ pair: id, identity: identity.name, paramsVersion: state.paramsVersion, reason }, 'parameters changed');
    return { paramsVersion: state.paramsVersion, params: state.params ?? params };
  }

  performance(id: string): PairPerformance {
    return this.slot(id).runtime.performance;
  }

  history(id: string): readonly HistoryPoint[] {
    this.slot(id);
    return [...(this.tracks.get(id)?.history ?? [])];
  }

  async events(id: string, opts: { readonly fromRevision?: number; readonly limit?: number }): Promise<readonly RecordedEvent[]> {
    const slot = this.slot(id);
    const limit = Math.max(1, Math.min(opts.limit ?? 500, 5000));
    return this.opts.store.readStream(slot.runtime.stream, { fromRevision: Math.max(0, opts.fromRevision ?? 0), maxCount: limit });
  }

  riskAlerts(): readonly RiskAlert[] {
    return [...this.alerts];
  }

  health(): { readonly live: boolean; readonly ready: boolean; readonly detail: string } {
    const slots = this.opts.supervisor.all();
    const by = (s: string) => slots.filter((x) => x.status === s).length;
    const ready = !this.closed && this.opts.supervisor.ready();
    const detail = `${slots.length} pairs: ${by('running')} running, ${by('starting')} starting, ${by('backoff')} restarting, ${by('gave-up')} kept paused after crashes, ${by('stopped')} stopped`;
    return { live: !this.closed, ready, detail };
  }

  subscribe(listener: (update: ServiceUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- internals ----

  private slot(id: string): PairSlot {
    const slot = this.opts.supervisor.get(id);
    if (!slot) throw new UnknownPairError(`no pair ${id}`);
    return slot;
  }

  private track(pairId: string): PairTrack {
    let t = this.tracks.get(pairId);
    if (!t) {
      t = { history: [], peak: 0, book: { bids: [], asks: [], ts: null }, bookSub: null, venueSub: null, recentAlerts: [] };
      this.tracks.set(pairId, t);
    }
    return t;
  }

  private publish(update: ServiceUpdate): void {
    for (const l of this.listeners) {
      try {
        l(update);
      } catch (err) {
        this.opts.logger.warn({ err }, 'a live-update listener threw; it is dropped');
        this.listeners.delete(l);
      }
    }
  }

  private onBook(track: PairTrack, b: BookFeedEvent): void {
    if (b.kind !== 'book') return;
    const lv = (l: { price: number; size: number }): QuoteLevelView => ({ price: String(l.price), amount: String(l.size) });
    track.book = { bids: b.bids.slice(0, this.bookDepth).map(lv), asks: b.asks.slice(0, this.bookDepth).map(lv), ts: b.ts };
  }

  /** History points (a fill or a decision moves PnL or position) and risk alerts, from one event. */
  private fold(pairId: string, track: PairTrack, e: RecordedEvent, live = true): void {
    if (e.type === 'QuoteDecided' || e.type === 'OrderFilled') {
      const slot = this.opts.supervisor.get(pairId);
      if (slot && live) {
        const s = summarisePair(slot.runtime.state);
        this.pushPoint(track, Date.parse(e.time), Number(s.netPnl), Number(s.position));
      }
    }
    if (ALERT_TYPES.has(e.type)) {
      const detail = alertDetail(e);
      if (detail !== null) {
        this.alerts.push({ pairId, ts: Date.parse(e.time), kind: e.type === 'Paused' ? `Paused:${e.data.reason}` : e.type, detail });
        if (this.alerts.length > this.alertLimit) this.alerts.splice(0, this.alerts.length - this.alertLimit);
        track.recentAlerts.push(e.type === 'RiskLimitBreached' ? e.data.limit : e.type);
        if (track.recentAlerts.length > 5) track.recentAlerts.shift();
      }
    }
  }

  /** The charts and alerts of a pair that ran before this process: its last points, folded from the log read at start. */
  private seed(pairId: string, track: PairTrack, history: readonly RecordedEvent[]): void {
    const moves = (e: RecordedEvent) => e.type === 'QuoteDecided' || e.type === 'OrderFilled';
    let remaining = history.filter(moves).length;
    let p = emptyPairProjection();
    for (const e of history) {
      p = applyPairEvent(p, e);
      this.fold(pairId, track, e, false);
      if (moves(e) && remaining-- <= this.historyLimit) {
        const s = summarisePair(p);
        this.pushPoint(track, Date.parse(e.time), Number(s.netPnl), Number(s.position));
      }
    }
  }

  private pushPoint(track: PairTrack, ts: number, netPnl: number, position: number): void {
    track.peak = Math.max(track.peak, netPnl);
    const last = track.history[track.history.length - 1];
    const point = { ts, netPnl, drawdown: Math.min(0, netPnl - track.peak), position };
    // One point per millisecond is plenty for a chart.
    if (last && last.ts === ts) track.history[track.history.length - 1] = point;
    else track.history.push(point);
    if (track.history.length > this.historyLimit) track.history.splice(0, track.history.length - this.historyLimit);
  }

  private async appendWhileStopped(slot: PairSlot, data: { identity: string; command: PairCommand; reason: string }): Promise<void> {
    await this.opts.supervisor.appendDirect(slot.pairId, { type: 'OperatorCommand', data });
  }

  private viewOf(slot: PairSlot): PairView {
    const rt = slot.runtime;
    const p = rt.state;
    const machine = rt.machine();
    const summary = summarisePair(p);
    const track = this.tracks.get(slot.pairId);
    const { market } = slot.resolved;
    let state = p.state;
    let pauseReason: string | null = null;
    let pauseDetail: string | null = null;
    if (slot.status === 'backoff' || (slot.status === 'starting' && slot.crashes > 0)) {
      state = 'paused';
      pauseReason = 'crashed';
      pauseDetail = `restarting after crash ${slot.crashes}: ${slot.lastError ?? ''}`;
    } else if (slot.status === 'stopped' || rt.isStopped) {
      state = 'stopped';
    } else if (machine) {
      state = machine.state as PairView['state'];
      if (machine.context.pause && state === 'paused') {
        pauseReason = machine.context.pause.reason;
        pauseDetail = machine.context.pause.detail;
      }
    }
    const live = state === 'quoting' || state === 'liquidating';
    const q = p.lastQuote;
    const level = (l: { price: string; amount: string }): QuoteLevelView => ({ price: l.price, amount: l.amount });
    const maxPos = Number(p.params?.inventory.maxPosition ?? rt.params.inventory.maxPosition);
    const ctx = machine?.context;
    const book = track?.book.ts != null ? track.book : { bids: ctx?.bestBid != null ? [{ price: String(ctx.bestBid), amount: '0' }] : [], asks: ctx?.bestAsk != null ? [{ price: String(ctx.bestAsk), amount: '0' }] : [], ts: ctx?.lastDataTs ?? null };
    return {
      id: slot.pairId,
      venue: market.venue,
      symbol: market.symbol,
      state,
      paramsVersion: p.paramsVersion,
      quotes: live && q ? { bids: q.output.bids.map(level), asks: q.output.asks.map(level), ts: q.inputs.ts } : { bids: [], asks: [], ts: q?.inputs.ts ?? null },
      book,
      openOrders: [...p.openOrders.values()].map((o) => ({ clientOrderId: o.clientOrderId, side: o.side, price: o.price, amount: o.amount, remaining: o.remaining, status: o.status })),
      inventory: { position: summary.position, averageCost: summary.averageCost },
      pnl: { realised: summary.realizedPnl, unrealised: summary.unrealizedPnl, fees: summary.fees, net: summary.netPnl },
      risk: {
        pauseReason,
        pauseDetail,
        inventoryRatio: maxPos > 0 ? Number(summary.position) / maxPos : 0,
        alerts: [...(track?.recentAlerts ?? [])],
        crashes: slot.crashes,
      },
    };
  }
}

function alertDetail(e: RecordedEvent): string | null {
  switch (e.type) {
    case 'RiskLimitBreached':
      return `${e.data.limit}: ${e.data.value} (threshold ${e.data.threshold}); ${e.data.action}`;
    case 'AdverseSelectionDetected':
      return `${e.data.signal}: ${e.data.value} (threshold ${e.data.threshold}); ${e.data.detail}`;
    case 'Paused':
      return `${e.data.reason}: ${e.data.detail}`;
    case 'PairCrashed':
      return `${e.data.error}; crash ${e.data.crashes}, ${e.data.restartInMs === null ? 'kept paused' : `restart in ${e.data.restartInMs} ms`}`;
    case 'ReconciliationCorrected':
      return `${e.data.subject}: venue says ${e.data.venueSays}, log says ${e.data.logSays}; ${e.data.action}`;
    default:
      return null;
  }
}
