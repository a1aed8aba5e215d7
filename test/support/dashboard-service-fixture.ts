/*
 * The ONE place the dashboard tests get their service from: the real service
 * (startService, as `mm run` starts it), paper trading on the bundled Binance
 * recording with an SQLite event store in a temporary directory, served by the
 * real HTTP API app (buildHttpApp: its token table and auth hook) with the
 * dashboard as its extra routes, listening on a free loopback port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEngineConfig } from '../../src/config/engine-config.js';
import { silentLogger } from '../../src/log/logger.js';
import { registerDashboard } from '../../src/service/dashboard/dashboard-plugin.js';
import { ApiTokens } from '../../src/service/http/api-tokens.js';
import { buildHttpApp } from '../../src/service/http/http-server.js';
import { createServiceMetrics } from '../../src/service/http/metrics.js';
import type { PairView, ServiceControl, ServiceUpdate } from '../../src/service/service-control.js';
import { startService } from '../../src/service/start-service.js';
import { openEventStore } from '../../src/store/store-url.js';

export const SERVICE_KIND = 'the paper-trading service (bundled recording, SQLite, HTTP API app)';

/** 650 s of recording at 4x: over two and a half minutes of live market before the feed goes quiet (the browser test must finish inside it, on a loaded machine too). */
const SPEED = 4;

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

const VIEWER_TOKEN = 'dashboard-viewer-token-0123456789';
const OPERATOR_TOKEN = 'dashboard-operator-token-0123456789';

async function until(check: () => boolean, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('service fixture: condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The dashboard's view of the service, counting its subscriptions (a stream must give its own back on disconnect). */
function counting(control: ServiceControl): { control: ServiceControl; count: () => number } {
  let subscriptions = 0;
  return {
    count: () => subscriptions,
    control: {
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
    },
  };
}

export async function startDashboardService(): Promise<DashboardService> {
  const dir = mkdtempSync(join(tmpdir(), 'mm-dashboard-'));
  const store = await openEventStore(`sqlite:${join(dir, 'events.db')}`);
  const metrics = createServiceMetrics();
  const service = await startService({ config: parseEngineConfig({}, 'dashboard-test'), store, speed: SPEED, logger: silentLogger(), observer: metrics });
  const { control } = service;
  const dashboard = counting(control);
  const tokens = new ApiTokens([
    { name: 'dash-viewer', token: VIEWER_TOKEN, role: 'viewer' },
    { name: 'dash-operator', token: OPERATOR_TOKEN, role: 'operator' },
  ]);
  const app = await buildHttpApp({
    control,
    tokens,
    metrics,
    logger: silentLogger(),
    registerExtras: (api) => registerDashboard(api, { control: dashboard.control, heartbeatMs: 1000 }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  // Start from pairs that quote, with orders on the venue.
  const ids = control.listPairs().map((p) => p.id);
  await until(() => ids.every((id) => control.getPair(id).state === 'quoting' && control.getPair(id).openOrders.length > 0));

  let closed = false;
  return {
    url,
    viewerToken: VIEWER_TOKEN,
    operatorToken: OPERATOR_TOKEN,
    async api(path) {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${VIEWER_TOKEN}` } });
      if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
      return res.json();
    },
    // Through the API, as any client sees the service.
    pairs: async () => {
      const res = await fetch(`${url}/api/pairs`, { headers: { authorization: `Bearer ${VIEWER_TOKEN}` } });
      if (!res.ok) throw new Error(`GET /api/pairs answered ${res.status}`);
      return ((await res.json()) as { pairs: PairView[] }).pairs;
    },
    pair: async (id) => {
      const res = await fetch(`${url}/api/pairs/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${VIEWER_TOKEN}` } });
      if (!res.ok) throw new Error(`GET /api/pairs/${id} answered ${res.status}`);
      return (await res.json()) as PairView;
    },
    dashboardSubscriptions: dashboard.count,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await service.stop('test done');
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
