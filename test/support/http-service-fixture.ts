import type { DomainEvent } from '../../events/catalog.js';
import { assertValidNewEvent, deriveEventId, envelope, type RecordedEvent } from '../../events/envelope.js';
import type { PairState } from '../../events/primitives.js';
import { emptyPerformance, foldPerformance, type PairPerformance } from '../../projections/performance.js';
import { StrategyParamsSchema, type StrategyParams } from '../../src/config/strategy-params.js';
import { createServiceMetrics, type ServiceMetrics } from '../../src/service/http/metrics.js';
import {
  CommandRejectedError,
  UnknownPairError,
  type HistoryPoint,
  type Identity,
  type PairCommand,
  type PairView,
  type RiskAlert,
  type ServiceControl,
  type ServiceUpdate,
} from '../../src/service/service-control.js';

/*
 * The one place the HTTP tests get their service from. Until the supervisor's
 * real service exists, this is a STAND-IN ServiceControl (it records real
 * catalog events, validates parameters with the real schema, but runs no pair
 * actors); test names say "against a stand-in control" while it is used.
 * Switching to the real service is a change to this file only.
 */

export interface HttpServiceFixture {
  readonly control: ServiceControl;
  /** Shared with the service so its latency observers feed the same registry /metrics renders. */
  readonly metrics: ServiceMetrics;
  /** Pairs the service runs; at least two. */
  readonly pairIds: readonly string[];
  /** Goes into test names: what the tests run against. */
  readonly against: string;
  close(): Promise<void>;
}

export async function startHttpServiceFixture(): Promise<HttpServiceFixture> {
  const metrics = createServiceMetrics({ defaultMetrics: true });
  const control = new StandInControl(['binance-BTC_USDT', 'binance-ETH_USDT'], T0);
  // A stand-in has no supervisor feeding the histograms: one observation each so they render.
  metrics.observeTickToQuote('binance-BTC_USDT', 0.4);
  metrics.observeAppend('binance-BTC_USDT', 0.2);
  return { control, metrics, pairIds: control.listPairs().map((p) => p.id), against: FIXTURE_AGAINST, close: async () => undefined };
}

export const FIXTURE_AGAINST = 'against a stand-in control';

const T0 = 1_723_161_254_000;

interface StandInPair {
  view: PairView;
  params: StrategyParams;
  events: RecordedEvent[];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = deepMerge(base[k], v);
  return out;
}

class StandInControl implements ServiceControl {
  private readonly pairs = new Map<string, StandInPair>();
  private readonly listeners = new Set<(u: ServiceUpdate) => void>();
  private now: number;

  constructor(ids: readonly string[], now: number) {
    this.now = now;
    for (const id of ids) {
      const [venue = 'binance', symbol = id] = id.split('-');
      const params = StrategyParamsSchema.parse({});
      const pair: StandInPair = {
        params,
        events: [],
        view: {
          id,
          venue,
          symbol: symbol.replace('_', ''),
          state: 'quoting',
          paramsVersion: 1,
          quotes: { bids: [{ price: '60000.1', amount: '0.003' }], asks: [{ price: '60002.3', amount: '0.003' }], ts: now },
          book: { bids: [{ price: '60001', amount: '1.5' }], asks: [{ price: '60001.5', amount: '2' }], ts: now },
          openOrders: [{ clientOrderId: `${id}-1`, side: 'buy', price: '60000.1', amount: '0.003', remaining: '0.003', status: 'open' }],
          inventory: { position: '0.001', averageCost: '59990' },
          pnl: { realised: '0.5', unrealised: '0.011', fees: '0.006', net: '0.505' },
          risk: { pauseReason: null, pauseDetail: null, inventoryRatio: 0.02, alerts: [], crashes: 0 },
        },
      };
      this.pairs.set(id, pair);
    }
  }

  private pair(id: string): StandInPair {
    const p = this.pairs.get(id);
    if (!p) throw new UnknownPairError(`unknown pair "${id}"`);
    return p;
  }

  private append(p: StandInPair, event: DomainEvent): void {
    const stream = `pair-${p.view.id}`;
    const revision = p.events.length;
    this.now += 1;
    const e = envelope(event, {
      id: deriveEventId('stand-in', stream, revision),
      time: this.now,
      metadata: { correlationId: `c${revision}`, causationId: null, instanceId: 'stand-in', configVersion: p.view.paramsVersion },
    });
    assertValidNewEvent(stream, e);
    const recorded = { ...e, stream, revision, position: revision } as RecordedEvent;
    p.events.push(recorded);
    for (const l of this.listeners) l({ type: 'event', pairId: p.view.id, event: recorded });
  }

  private setState(p: StandInPair, to: PairState, pause: { reason: string; detail: string } | null): void {
    p.view = { ...p.view, state: to, risk: { ...p.view.risk, pauseReason: pause?.reason ?? null, pauseDetail: pause?.detail ?? null } };
    for (const l of this.listeners) l({ type: 'pair', pair: p.view });
  }

  listPairs(): readonly PairView[] {
    return [...this.pairs.values()].map((p) => p.view);
  }

  getPair(id: string): PairView {
    return this.pair(id).view;
  }

  async command(id: string, command: PairCommand, identity: Identity, reason: string): Promise<PairView> {
    const p = this.pair(id);
    const from = p.view.state;
    const valid: Record<PairCommand, boolean> = {
      start: from === 'stopped',
      stop: from !== 'stopped',
      pause: from !== 'stopped' && from !== 'paused',
      resume: from === 'paused',
    };
    if (!valid[command]) throw new CommandRejectedError(`cannot ${command} pair ${id} in state ${from}`, 409);
    this.append(p, { type: 'OperatorCommand', data: { identity: identity.name, command, reason } });
    if (command === 'pause') {
      this.append(p, { type: 'Paused', data: { from, to: 'paused', reason: 'operator', detail: `${identity.name}: ${reason}`, numbers: {} } });
      this.setState(p, 'paused', { reason: 'operator', detail: reason });
    } else if (command === 'resume') {
      this.append(p, { type: 'Resumed', data: { from, to: 'quoting', reason: 'operator', detail: `${identity.name}: ${reason}` } });
      this.setState(p, 'quoting', null);
    } else if (command === 'stop') {
      this.append(p, { type: 'PairStopped', data: { from, to: 'stopped', reason, position: p.view.inventory.position, openOrders: 0 } });
      this.setState(p, 'stopped', null);
    } else {
      this.setState(p, 'quoting', null);
    }
    return p.view;
  }

  async changeParams(id: string, patch: unknown, identity: Identity, reason: string): Promise<{ paramsVersion: number; params: StrategyParams }> {
    const p = this.pair(id);
    if (!isPlainObject(patch)) throw new CommandRejectedError('params: expected an object');
    const parsed = StrategyParamsSchema.safeParse(deepMerge(p.params, patch));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const key = issue?.path.join('.') ?? '(root)';
      const value = issue ? issue.path.reduce<unknown>((o, k) => (isPlainObject(o) ? o[String(k)] : undefined), patch) : undefined;
      throw new CommandRejectedError(`params.${key} = ${JSON.stringify(value)}: ${issue?.message ?? 'invalid'}`);
    }
    const paramsVersion = p.view.paramsVersion + 1;
    this.append(p, { type: 'ParametersChanged', data: { paramsVersion, params: parsed.data, changedBy: identity.name, reason } });
    p.params = parsed.data;
    p.view = { ...p.view, paramsVersion };
    return { paramsVersion, params: parsed.data };
  }

  performance(id: string): PairPerformance {
    const p = this.pair(id);
    return p.events.length ? foldPerformance(p.events) : emptyPerformance();
  }

  history(id: string): readonly HistoryPoint[] {
    this.pair(id);
    return [{ ts: T0, netPnl: 0.505, drawdown: 0, position: 0.001 }];
  }

  async events(id: string, opts: { fromRevision?: number; limit?: number }): Promise<readonly RecordedEvent[]> {
    const from = opts.fromRevision ?? 0;
    return this.pair(id).events.slice(from, from + (opts.limit ?? 100));
  }

  riskAlerts(): readonly RiskAlert[] {
    return [];
  }

  health() {
    return { live: true, ready: true, detail: 'stand-in' };
  }

  subscribe(listener: (update: ServiceUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
