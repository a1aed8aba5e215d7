import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HistoryPoint, Identity, RiskAlert, ServiceControl, ServiceUpdate } from '../service-control.js';
import type { RouteAccess } from '../http/http-server.js';
import { pairMachineGraph } from './machine-graph.js';

/*
 * The dashboard: a static page (plain ES modules, uPlot served from
 * node_modules, nothing from a CDN) and a live stream of the service.
 *
 * The stream is Server-Sent Events framing over an ordinary GET, read by the
 * page with fetch() so it can send `Authorization: Bearer <token>` like every
 * other API call: the token never travels in a URL, so no access log or proxy
 * can record it. Messages:
 *   snapshot  every pair view, their PnL/inventory history, the risk alerts
 *   update    one ServiceUpdate, as the service published it
 *   history   new history points of a pair (at most every historyIntervalMs per pair)
 *   alerts    the risk alert list, when it changed
 *   heartbeat the server time, every heartbeatMs (keeps proxies and the page's liveness check happy)
 */

/**
 * Registered on the API app (buildHttpApp's registerExtras): its auth hook
 * checks every route and sets request.identity. Our data routes declare
 * `access: 'viewer'`; the page's files `access: 'public'` (they hold no data).
 */
export interface DashboardOptions {
  readonly control: ServiceControl;
  readonly heartbeatMs?: number;
  readonly historyIntervalMs?: number;
  /** A client that does not read (socket buffer above this) is dropped; it reconnects and gets a fresh snapshot. */
  readonly maxBufferedBytes?: number;
}

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const UPLOT_DIR = `${dirname(createRequire(import.meta.url).resolve('uplot/package.json'))}/dist/`;

/** The page runs our scripts and uPlot from this origin only. uPlot sizes its elements through the CSSOM, which CSP allows. */
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/** Set by the API app's auth hook (http-server.ts) when the route passed it. */
const identityOf = (request: FastifyRequest): Identity | undefined => (request as FastifyRequest & { identity?: Identity | null }).identity ?? undefined;

/** The hook has already refused unknown tokens; this is the belt to its braces. */
function requireViewer(request: FastifyRequest, reply: FastifyReply): Identity | undefined {
  const identity = identityOf(request);
  if (!identity) void reply.code(401).header('www-authenticate', 'Bearer').send({ statusCode: 401, error: 'Unauthorized', message: 'a bearer token is required' });
  return identity;
}

const sse = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export async function registerDashboard(app: FastifyInstance, opts: DashboardOptions): Promise<void> {
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const historyIntervalMs = opts.historyIntervalMs ?? 250;
  const maxBufferedBytes = opts.maxBufferedBytes ?? 4 * 1024 * 1024;
  const openStreams = new Set<() => void>();
  // Fail closed: the dashboard has no token check of its own.
  if (!app.hasRequestDecorator('identity')) {
    throw new Error('registerDashboard: the app has no auth hook (request.identity); register the dashboard through buildHttpApp({ registerExtras })');
  }
  const graph = pairMachineGraph();
  const viewer = { access: 'viewer' as RouteAccess };

  // Encapsulated: @fastify/static's reply decorators stay inside, so the API app may register its own.
  await app.register(async (scope) => {
    // The page and uPlot hold no data: anyone may load them (the API app's hook reads config.access).
    scope.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), access: 'public' as RouteAccess };
    });
    const noCache = (res: { setHeader(name: string, value: string): unknown }) => {
      res.setHeader('cache-control', 'no-cache');
      res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
      res.setHeader('x-content-type-options', 'nosniff');
    };
    await scope.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/', wildcard: false, index: 'index.html', setHeaders: noCache });
    await scope.register(fastifyStatic, { root: UPLOT_DIR, prefix: '/vendor/uplot/', wildcard: false, decorateReply: false, setHeaders: noCache });
  });

  app.get('/api/machine', { config: viewer }, async (request, reply) => {
    if (!requireViewer(request, reply)) return reply;
    return graph;
  });

  app.get('/api/stream', { config: viewer }, (request, reply) => {
    const identity = requireViewer(request, reply);
    if (!identity) return reply;
    const { control } = opts;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });

    let closed = false;
    const lastHistoryTs = new Map<string, number>();
    const historyDue = new Set<string>();
    let alertsKey = '';
    let unsubscribe: () => void = () => {};

    const close = (why: string) => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(heartbeat);
      clearInterval(flusher);
      openStreams.delete(end);
      if (!res.writableEnded) res.end();
      request.log.info({ who: identity.name, why, streams: openStreams.size }, 'dashboard stream closed');
    };
    const end = () => close('server closing');
    const write = (chunk: string) => {
      if (closed) return;
      res.write(chunk);
      if (res.writableLength > maxBufferedBytes) close(`client too slow: ${res.writableLength} bytes buffered`);
    };
    const alertsChanged = (alerts: readonly RiskAlert[]): boolean => {
      const last = alerts[alerts.length - 1];
      const key = `${alerts.length}:${last ? `${last.pairId}:${last.ts}:${last.kind}` : ''}`;
      if (key === alertsKey) return false;
      alertsKey = key;
      return true;
    };
    const newHistory = (pairId: string): HistoryPoint[] => {
      const since = lastHistoryTs.get(pairId) ?? -Infinity;
      const points = control.history(pairId).filter((p) => p.ts > since);
      const last = points[points.length - 1];
      if (last) lastHistoryTs.set(pairId, last.ts);
      return points;
    };

    try {
      const pairs = control.listPairs();
      const history: Record<string, readonly HistoryPoint[]> = {};
      for (const p of pairs) history[p.id] = newHistory(p.id);
      const alerts = control.riskAlerts();
      alertsChanged(alerts);
      write(sse('snapshot', { pairs, history, alerts, serverTime: Date.now() }));
    } catch (err) {
      request.log.error({ err, who: identity.name }, 'dashboard snapshot failed');
      write(sse('failure', { message: 'snapshot failed; reconnect' }));
      close('snapshot failed');
      return;
    }

    unsubscribe = control.subscribe((update: ServiceUpdate) => {
      write(sse('update', update));
      if (update.type === 'pair') historyDue.add(update.pair.id);
    });
    // History and alerts are read from the service at a bounded rate, not on every update.
    const flusher = setInterval(() => {
      try {
        for (const pairId of historyDue) {
          const points = newHistory(pairId);
          if (points.length > 0) write(sse('history', { pairId, points }));
        }
        historyDue.clear();
        const alerts = control.riskAlerts();
        if (alertsChanged(alerts)) write(sse('alerts', { alerts }));
      } catch (err) {
        request.log.error({ err }, 'dashboard stream: reading history or alerts failed');
      }
    }, historyIntervalMs);
    const heartbeat = setInterval(() => write(sse('heartbeat', { serverTime: Date.now() })), heartbeatMs);
    openStreams.add(end);
    request.raw.on('close', () => close('client disconnected'));
    res.on('error', (err) => {
      request.log.warn({ err }, 'dashboard stream write failed');
      close('write error');
    });
    request.log.info({ who: identity.name, role: identity.role, streams: openStreams.size }, 'dashboard stream opened');
  });

  // Long-lived streams would hold app.close() open forever.
  app.addHook('preClose', async () => {
    for (const end of [...openStreams]) end();
  });
}
