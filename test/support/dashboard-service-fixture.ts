/*
 * The ONE place the dashboard browser test gets its service from.
 *
 * INTERIM: until the supervisor's real service exists, this is a scripted
 * ServiceControl (a test double, named as such in the test title) driving one
 * pair with moving prices, served by the real HTTP API app (buildHttpApp,
 * its token table and auth hook) with the dashboard as its extra routes.
 * Switching to the real service changes this file only.
 */
import { createLogger } from '../../src/log/logger.js';
import { ApiTokens } from '../../src/service/http/api-tokens.js';
import { buildHttpApp } from '../../src/service/http/http-server.js';
import { registerDashboard } from '../../src/service/dashboard/dashboard-plugin.js';
import type { HistoryPoint, Identity, PairCommand, PairView, ServiceControl, ServiceUpdate } from '../../src/service/service-control.js';

export const SERVICE_KIND = 'interim scripted ServiceControl (test double)';

export interface DashboardService {
  readonly url: string;
  readonly viewerToken: string;
  readonly operatorToken: string;
  /** GET an API path with the viewer token. */
  api(path: string): Promise<unknown>;
  /** The pairs as the service reports them (not through the page). */
  pairs(): Promise<readonly PairView[]>;
  pair(id: string): Promise<PairView>;
  /** Live subscriptions the dashboard holds on the service right now. */
  dashboardSubscriptions(): number;
  close(): Promise<void>;
}

const TOKENS: Record<string, Identity> = {
  'viewer-token-0123456789': { name: 'viewer#1', role: 'viewer' },
  'operator-token-0123456789': { name: 'operator#1', role: 'operator' },
};

function scriptedControl(): ServiceControl & { stop(): void } {
  const listeners = new Set<(u: ServiceUpdate) => void>();
  const history: HistoryPoint[] = [];
  let tick = 0;
  let revision = 0;
  let peak = 0;
  let view: PairView = {
    id: 'binance-BTC_USDT', venue: 'binance', symbol: 'BTC/USDT', state: 'quoting', paramsVersion: 1,
    quotes: { bids: [], asks: [], ts: null }, book: { bids: [], asks: [], ts: null }, openOrders: [],
    inventory: { position: '0', averageCost: '0' }, pnl: { realised: '0', unrealised: '0', fees: '0', net: '0' },
    risk: { pauseReason: null, pauseDetail: null, inventoryRatio: 0, alerts: [], crashes: 0 },
  };
  const publish = (u: ServiceUpdate) => listeners.forEach((l) => l(u));
  const event = (type: string, data: unknown) => publish({ type: 'event', pairId: view.id, event: { type, data, revision: revision++ } });
  const timer = setInterval(() => {
    tick++;
    const mid = 60_000 + 50 * Math.sin(tick / 5);
    const level = (p: number, a: number) => ({ price: p.toFixed(2), amount: a.toFixed(4) });
    const position = view.state === 'quoting' ? 0.01 * Math.sin(tick / 7) : Number(view.inventory.position);
    const net = 5 * Math.sin(tick / 9) + tick * 0.01;
    peak = Math.max(peak, net);
    const quoting = view.state === 'quoting';
    view = {
      ...view,
      book: { bids: [1, 2, 3, 4, 5].map((i) => level(mid - i, 0.2 * i)), asks: [1, 2, 3, 4, 5].map((i) => level(mid + i, 0.2 * i)), ts: Date.now() },
      quotes: quoting ? { bids: [level(mid - 2, 0.001)], asks: [level(mid + 2, 0.001)], ts: Date.now() } : { bids: [], asks: [], ts: null },
      openOrders: quoting
        ? [
            { clientOrderId: `b${tick}`, side: 'buy', price: (mid - 2).toFixed(2), amount: '0.001', remaining: '0.001', status: 'open' },
            { clientOrderId: `s${tick}`, side: 'sell', price: (mid + 2).toFixed(2), amount: '0.001', remaining: '0.001', status: 'open' },
          ]
        : [],
      inventory: { position: position.toFixed(6), averageCost: mid.toFixed(2) },
      pnl: { realised: net.toFixed(4), unrealised: '0', fees: '0', net: net.toFixed(4) },
      risk: { ...view.risk, inventoryRatio: position / 0.05 },
    };
    history.push({ ts: Date.now(), netPnl: net, drawdown: net - peak, position });
    if (quoting) event('QuoteDecided', { mid: mid.toFixed(2) });
    publish({ type: 'pair', pair: view });
  }, 100);
  return {
    listPairs: () => [view],
    getPair: () => view,
    async command(_id: string, command: PairCommand, identity: Identity, reason: string) {
      event('OperatorCommand', { command, identity: identity.name, reason });
      const to = command === 'pause' ? 'paused' : command === 'stop' ? 'stopped' : 'quoting';
      event(to === 'paused' ? 'Paused' : 'Resumed', { from: view.state, to, reason: 'operator' });
      view = { ...view, state: to, risk: { ...view.risk, pauseReason: to === 'paused' ? 'operator' : null, pauseDetail: to === 'paused' ? `${identity.name}: ${reason}` : null } };
      publish({ type: 'pair', pair: view });
      return view;
    },
    changeParams: () => Promise.reject(new Error('not scripted')),
    performance: () => { throw new Error('not scripted'); },
    history: () => history,
    events: async () => [],
    riskAlerts: () => [],
    health: () => ({ live: true, ready: true, detail: 'scripted' }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => clearInterval(timer),
  };
}

export async function startDashboardService(): Promise<DashboardService> {
  const control = scriptedControl();
  // The dashboard's view of the service, counting its subscriptions (the stream must drop them on disconnect).
  let subscriptions = 0;
  const counted: ServiceControl = {
    listPairs: () => control.listPairs(),
    getPair: (id) => control.getPair(id),
    command: (id, command, identity, reason) => control.command(id, command, identity, reason),
    changeParams: (id, patch, identity, reason) => control.changeParams(id, patch, identity, reason),
    performance: (id) => control.performance(id),
    history: (id) => control.history(id),
    events: (id, opts) => control.events(id, opts),
    riskAlerts: () => control.riskAlerts(),
    health: () => control.health(),
    subscribe(listener: (u: ServiceUpdate) => void) {
      const unsubscribe = control.subscribe(listener);
      subscriptions++;
      let done = false;
      return () => {
        if (!done) subscriptions--;
        done = true;
        unsubscribe();
      };
    },
  };
  const tokens = new ApiTokens(Object.entries(TOKENS).map(([token, who]) => ({ name: who.name, token, role: who.role })));
  const app = await buildHttpApp({
    control,
    tokens,
    logger: createLogger({ level: process.env.LOG_LEVEL ?? 'silent', pretty: false }),
    registerExtras: (api) => registerDashboard(api, { control: counted, heartbeatMs: 1000 }),
  });
  let closed = false;
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    viewerToken: 'viewer-token-0123456789',
    operatorToken: 'operator-token-0123456789',
    async api(path) {
      const res = await fetch(`${url}${path}`, { headers: { authorization: 'Bearer viewer-token-0123456789' } });
      return res.json();
    },
    dashboardSubscriptions: () => subscriptions,
    pairs: async () => control.listPairs(),
    pair: async (id) => control.getPair(id),
    async close() {
      if (closed) return;
      closed = true;
      control.stop();
      await app.close();
    },
  };
}
