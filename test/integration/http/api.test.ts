import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { REDACTED_PATHS, type Logger } from '../../../src/log/logger.js';
import { ApiTokens } from '../../../src/service/http/api-tokens.js';
import { buildHttpApp, startHttpServer } from '../../../src/service/http/http-server.js';
import { startHttpServiceFixture, FIXTURE_AGAINST, type HttpServiceFixture } from '../../support/http-service-fixture.js';

const VIEWER = 'viewer-token-0123456789abcdef';
const OPERATOR = 'operator-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdef';
const ALL_TOKENS = [VIEWER, OPERATOR, ADMIN];

const tokens = new ApiTokens([
  { token: VIEWER, role: 'viewer' },
  { name: 'ops-alice', token: OPERATOR, role: 'operator' },
  { token: ADMIN, role: 'admin' },
]);

/** Every log line the app writes, through the production redaction rules. */
function capturingLogger(lines: string[]): Logger {
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return pino({ level: 'debug', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe(`HTTP API ${FIXTURE_AGAINST}`, () => {
  let fx: HttpServiceFixture;
  let app: FastifyInstance;
  let pairId: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    fx = await startHttpServiceFixture();
    [pairId = ''] = fx.pairIds;
    app = await buildHttpApp({ control: fx.control, tokens, logger: capturingLogger(logLines), metrics: fx.metrics });
    await app.ready();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await fx?.close();
  });

  const get = (url: string, token?: string) => app.inject({ method: 'GET', url, headers: token ? auth(token) : {} });
  const post = (url: string, token: string, body: unknown) => app.inject({ method: 'POST', url, headers: auth(token), payload: body as object });

  type Ev = { type: string; revision: number; data: Record<string, unknown> };
  /** Every event of the pair from a revision on, read through the API page by page; and where the stream ends. */
  async function eventsFrom(from: number): Promise<{ events: Ev[]; next: number }> {
    const events: Ev[] = [];
    let next = from;
    for (;;) {
      const page = (await get(`/api/pairs/${pairId}/events?from=${next}&limit=1000`, VIEWER)).json() as { events: Ev[]; next: number };
      events.push(...page.events);
      if (page.events.length === 0) return { events, next };
      next = page.next;
    }
  }
  const streamEnd = async () => (await eventsFrom(0)).next;

  describe('health', () => {
    it('healthz and readyz answer without a token', async () => {
      const live = await get('/healthz');
      expect(live.statusCode).toBe(200);
      expect(live.json()).toMatchObject({ status: 'ok', live: true });
      const ready = await get('/readyz');
      expect([200, 503]).toContain(ready.statusCode);
      expect(ready.json().ready).toBe(ready.statusCode === 200);
    });
  });

  describe('auth', () => {
    it('401 with WWW-Authenticate without a token, and with an unknown or malformed one', async () => {
      const none = await get('/api/pairs');
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="mm"');
      expect(none.json().message).toMatch(/missing bearer token/);

      const unknown = await get('/api/pairs', `${VIEWER}x`);
      expect(unknown.statusCode).toBe(401);
      expect(unknown.headers['www-authenticate']).toContain('invalid_token');

      const basic = await app.inject({ method: 'GET', url: '/api/pairs', headers: { authorization: `Basic ${VIEWER}` } });
      expect(basic.statusCode).toBe(401);
    });

    it('a viewer reads but may not command (403); an operator commands but may not change parameters (403)', async () => {
      expect((await get('/api/pairs', VIEWER)).statusCode).toBe(200);
      const viewerPause = await post(`/api/pairs/${pairId}/pause`, VIEWER, { reason: 'try' });
      expect(viewerPause.statusCode).toBe(403);
      expect(viewerPause.json().message).toMatch(/role viewer may not do this; it needs operator/);
      const operatorPatch = await app.inject({ method: 'PATCH', url: `/api/pairs/${pairId}/params`, headers: auth(OPERATOR), payload: { params: { baseSpreadBps: 5 }, reason: 'try' } });
      expect(operatorPatch.statusCode).toBe(403);
      // A refused request changes nothing.
      expect((await get(`/api/pairs/${pairId}`, VIEWER)).json().paramsVersion).toBe(fx.control.getPair(pairId).paramsVersion);
    });

    it('401 comes before validation and before the pair lookup', async () => {
      const res = await app.inject({ method: 'POST', url: '/api/pairs/nope/explode', headers: { 'content-type': 'application/json' }, payload: '{bad' });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('reads', () => {
    it('GET /api/pairs lists every pair with state, quotes, orders, inventory, PnL and risk', async () => {
      const res = await get('/api/pairs', VIEWER);
      expect(res.statusCode).toBe(200);
      const { pairs } = res.json() as { pairs: Array<Record<string, unknown>> };
      expect(pairs.map((p) => p.id).sort()).toEqual([...fx.pairIds].sort());
      for (const p of pairs) {
        expect(Object.keys(p).sort()).toEqual(['book', 'id', 'inventory', 'openOrders', 'paramsVersion', 'pnl', 'quotes', 'risk', 'state', 'symbol', 'venue']);
      }
    });

    it('GET /api/pairs/:id is the control’s view of that pair; an unknown pair is 404', async () => {
      const res = await get(`/api/pairs/${pairId}`, VIEWER);
      expect(res.statusCode).toBe(200);
      const view = fx.control.getPair(pairId);
      const body = res.json();
      expect(body).toMatchObject({ id: view.id, venue: view.venue, symbol: view.symbol, paramsVersion: view.paramsVersion });
      expect(body.state).toBe('quoting');
      // A live pair: quotes, the book and open orders, in decimal strings.
      expect(body.quotes.bids.length).toBeGreaterThan(0);
      expect(body.book.bids.length).toBeGreaterThan(0);
      expect(body.openOrders.length).toBeGreaterThan(0);
      for (const level of [...body.quotes.bids, ...body.book.asks, ...body.openOrders]) expect(level.price).toMatch(/^\d+(\.\d+)?$/);
      expect(Number(body.book.bids[0].price)).toBeLessThan(Number(body.book.asks[0].price));
      const missing = await get('/api/pairs/kraken-DOGE_EUR', VIEWER);
      expect(missing.statusCode).toBe(404);
      expect(missing.json().message).toContain('kraken-DOGE_EUR');
    });

    it('GET /api/pairs/:id/performance folds the stream; 404 for an unknown pair', async () => {
      const res = await get(`/api/pairs/${pairId}/performance`, VIEWER);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      // The pair keeps trading: what the API said is at most what the control says a moment later.
      const perf = fx.control.performance(pairId);
      expect(body.pairId).toBe(pairId);
      expect(body.performance.ordersPlaced).toBeGreaterThan(0);
      expect(body.performance.decisions).toBeGreaterThan(0);
      for (const k of ['decisions', 'ordersPlaced', 'ordersCancelled', 'fills'] as const) expect(body.performance[k]).toBeLessThanOrEqual(perf[k]);
      expect(body.performance.fees).toMatch(/^-?\d+(\.\d+)?$/);
      expect(body.performance.filledOrderIds).toBeUndefined();
      expect(body.performance.fillRatio).toMatch(/^\d/);
      expect(Array.isArray(body.history)).toBe(true);
      expect((await get('/api/pairs/nope/performance', VIEWER)).statusCode).toBe(404);
    });

    it('GET /api/risk/alerts', async () => {
      const res = await get('/api/risk/alerts', VIEWER);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ alerts: JSON.parse(JSON.stringify(fx.control.riskAlerts())) });
    });

    it('an unknown route is 404 (after auth)', async () => {
      expect((await get('/api/nothing')).statusCode).toBe(401);
      expect((await get('/api/nothing', VIEWER)).statusCode).toBe(404);
    });
  });

  describe('commands', () => {
    it('pause and resume are recorded as OperatorCommand events carrying the token’s name, never the token', async () => {
      const before = await streamEnd();

      const paused = await post(`/api/pairs/${pairId}/pause`, OPERATOR, { reason: 'maintenance window' });
      expect(paused.statusCode).toBe(200);
      expect(paused.json().pair.state).toBe('paused');
      expect((await get(`/api/pairs/${pairId}`, VIEWER)).json()).toMatchObject({ state: 'paused', risk: { pauseReason: 'operator' } });
      // Paused: every order is cancelled.
      await fx.until(() => fx.control.getPair(pairId).openOrders.length === 0);

      const resumed = await post(`/api/pairs/${pairId}/resume`, ADMIN, { reason: 'done' });
      expect(resumed.statusCode).toBe(200);
      expect(resumed.json().pair.state).toBe('quoting');

      const { events } = await eventsFrom(before);
      const commands = events.filter((e) => e.type === 'OperatorCommand').map((e) => e.data);
      expect(commands).toHaveLength(2);
      // The identity is the token's name (the service may add the role), never the token.
      expect(commands[0]).toMatchObject({ command: 'pause', reason: 'maintenance window' });
      expect(String(commands[0]?.identity)).toMatch(/^ops-alice\b/);
      expect(commands[1]).toMatchObject({ command: 'resume', reason: 'done' });
      expect(String(commands[1]?.identity)).toMatch(/^admin#1\b/);
      // The command comes before the state change it caused.
      const pauseAt = events.findIndex((e) => e.type === 'OperatorCommand');
      expect(events.findIndex((e) => e.type === 'Paused')).toBeGreaterThan(pauseAt);
      for (const t of ALL_TOKENS) expect(JSON.stringify(events)).not.toContain(t);
    });

    it('400 for an unknown command, bad JSON, a missing or empty reason, or an extra key', async () => {
      const before = await streamEnd();
      const unknown = await post(`/api/pairs/${pairId}/explode`, OPERATOR, { reason: 'x' });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().message).toMatch(/command must be equal to one of the allowed values/);

      const badJson = await app.inject({ method: 'POST', url: `/api/pairs/${pairId}/pause`, headers: { ...auth(OPERATOR), 'content-type': 'application/json' }, payload: '{"reason": ' });
      expect(badJson.statusCode).toBe(400);
      expect(badJson.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(badJson.json().message).toMatch(/JSON/i);

      const text = await app.inject({ method: 'POST', url: `/api/pairs/${pairId}/pause`, headers: { ...auth(OPERATOR), 'content-type': 'text/plain' }, payload: '{"reason":"x"}' });
      expect(text.statusCode).toBe(415);

      const missing = await post(`/api/pairs/${pairId}/pause`, OPERATOR, {});
      expect(missing.statusCode).toBe(400);
      expect(missing.json().message).toMatch(/reason/);

      const empty = await post(`/api/pairs/${pairId}/pause`, OPERATOR, { reason: '' });
      expect(empty.statusCode).toBe(400);

      const extra = await post(`/api/pairs/${pairId}/pause`, OPERATOR, { reason: 'x', force: true });
      expect(extra.statusCode).toBe(400);
      expect(extra.json().message).toMatch(/additional properties/);

      // None of them reached the pair.
      expect((await eventsFrom(before)).events.filter((e) => e.type === 'OperatorCommand')).toEqual([]);
      expect(fx.control.getPair(pairId).state).toBe('quoting');
    });

    it('a command on an unknown pair is 404', async () => {
      expect((await post('/api/pairs/nope/pause', OPERATOR, { reason: 'x' })).statusCode).toBe(404);
    });

    it('a command not valid in the state is refused with its reason (409)', async () => {
      const res = await post(`/api/pairs/${pairId}/start`, OPERATOR, { reason: 'already running' });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ statusCode: 409, error: 'Conflict' });
      expect(res.json().message).toMatch(/quoting/);
    });
  });

  describe('parameters', () => {
    const patch = (token: string, body: unknown, id = pairId) => app.inject({ method: 'PATCH', url: `/api/pairs/${id}/params`, headers: auth(token), payload: body as object });

    it('PATCH params bumps paramsVersion, deep-merges, and records ParametersChanged with the admin’s name', async () => {
      const before = fx.control.getPair(pairId).paramsVersion;
      const end = await streamEnd();
      const res = await patch(ADMIN, { params: { baseSpreadBps: 6.5, ladder: { levels: 3 } }, reason: 'wider in the news' });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.paramsVersion).toBe(before + 1);
      expect(body.params.baseSpreadBps).toBe(6.5);
      expect(body.params.ladder.levels).toBe(3);
      // Untouched neighbours keep their values.
      expect(body.params.ladder.levelSizeQuote).toBeDefined();
      expect((await get(`/api/pairs/${pairId}`, VIEWER)).json().paramsVersion).toBe(before + 1);

      const changed = (await eventsFrom(end)).events.filter((e) => e.type === 'ParametersChanged');
      expect(changed).toHaveLength(1);
      expect(changed[0]?.data).toMatchObject({ paramsVersion: before + 1, reason: 'wider in the news' });
      expect(String(changed[0]?.data.changedBy)).toMatch(/^admin#1\b/);
      expect(changed[0]?.data.params).toEqual(body.params);
    });

    /*
     * PATCH records ParametersChanged and hands the parameters to the pair
     * machine, so every later decision names the new version.
     */
    it('after PATCH params, later quote decisions carry the new paramsVersion', async () => {
      const end = await streamEnd();
      const res = await patch(ADMIN, { params: { baseSpreadBps: 7 }, reason: 'in force?' });
      expect(res.statusCode).toBe(200);
      const version = res.json().paramsVersion as number;
      const decided = async () => (await eventsFrom(end)).events.filter((e) => e.type === 'QuoteDecided').map((e) => e.data.paramsVersion);
      await fx.until(() => fx.control.performance(pairId).decisions > 0);
      const deadline = Date.now() + 6_000;
      let versions = await decided();
      while (!versions.includes(version) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        versions = await decided();
      }
      expect(versions).toContain(version);
    });

    it('a bad patch is 400 naming the key and the value, and changes nothing', async () => {
      const before = fx.control.getPair(pairId).paramsVersion;
      const res = await patch(ADMIN, { params: { baseSpreadBps: -3 }, reason: 'oops' });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/baseSpreadBps/);
      expect(res.json().message).toMatch(/-3/);
      const unknownKey = await patch(ADMIN, { params: { baseSpredBps: 3 }, reason: 'typo' });
      expect(unknownKey.json().message).not.toMatch(/internal/);
      expect(unknownKey.statusCode).toBe(400);
      expect(unknownKey.json().message).toMatch(/baseSpredBps/);
      const notObject = await patch(ADMIN, { params: 'wide', reason: 'x' });
      expect(notObject.statusCode).toBe(400);
      const noReason = await patch(ADMIN, { params: { baseSpreadBps: 5 } });
      expect(noReason.statusCode).toBe(400);
      expect(fx.control.getPair(pairId).paramsVersion).toBe(before);
      expect((await patch(ADMIN, { params: { baseSpreadBps: 5 }, reason: 'x' }, 'nope')).statusCode).toBe(404);
    });
  });

  describe('events', () => {
    it('pages with from and limit; next reads on', async () => {
      const all = (await get(`/api/pairs/${pairId}/events?limit=1000`, VIEWER)).json();
      expect(all.events.length).toBeGreaterThanOrEqual(3);
      expect(all.events[0].type).toBe('PairStarted');
      expect(all.events.map((e: Ev) => e.revision)).toEqual(all.events.map((_: Ev, i: number) => i));
      const first = (await get(`/api/pairs/${pairId}/events?from=0&limit=2`, VIEWER)).json();
      expect(first.events.map((e: { revision: number }) => e.revision)).toEqual([all.events[0].revision, all.events[1].revision]);
      const second = (await get(`/api/pairs/${pairId}/events?from=${first.next}&limit=2`, VIEWER)).json();
      expect(second.events[0].revision).toBe(first.next);
      for (const e of all.events) expect(Object.keys(e).sort()).toEqual(['data', 'id', 'metadata', 'position', 'revision', 'stream', 'time', 'type', 'version']);
    });

    it('400 for a bad from or limit', async () => {
      for (const q of ['limit=0', 'limit=1001', 'from=-1', 'limit=abc', 'from=1.5', 'foo=1']) {
        const res = await get(`/api/pairs/${pairId}/events?${q}`, VIEWER);
        expect({ q, status: res.statusCode }).toEqual({ q, status: 400 });
      }
    });
  });

  describe('OpenAPI', () => {
    it('/openapi.json is an OpenAPI 3 document listing every route with its security', async () => {
      const res = await get('/openapi.json');
      expect(res.statusCode).toBe(200);
      const doc = JSON.parse(res.body);
      expect(doc.openapi).toMatch(/^3\./);
      const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
      expect(routes.sort()).toEqual(
        [
          'GET /healthz',
          'GET /readyz',
          'GET /metrics',
          'GET /api/pairs',
          'GET /api/pairs/{id}',
          'POST /api/pairs/{id}/{command}',
          'PATCH /api/pairs/{id}/params',
          'GET /api/pairs/{id}/performance',
          'GET /api/pairs/{id}/events',
          'GET /api/risk/alerts',
        ].sort(),
      );
      const command = doc.paths['/api/pairs/{id}/{command}'].post;
      expect(command.parameters.find((p: { name: string }) => p.name === 'command').schema.enum).toEqual(['start', 'stop', 'pause', 'resume']);
      expect(doc.components.schemas.PairView.properties.state.enum).toContain('shock-cooldown');
      expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
      expect(doc.paths['/healthz'].get.security).toEqual([]);
      // The parameters a PATCH may change, generated from the zod schema in the OpenAPI 3.0 dialect.
      const params = doc.components.schemas.StrategyParams;
      expect(params.properties.baseSpreadBps).toMatchObject({ type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 10000 });
      expect(params.properties.ladder.properties.levels).toMatchObject({ type: 'integer', minimum: 1, maximum: 50 });
      expect(res.body).not.toContain('$schema');
      // Every $ref resolves inside the document.
      const refs = [...res.body.matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1] ?? '');
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) {
        const target = ref.replace(/^#\//, '').split('/').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], doc);
        expect({ ref, found: target !== undefined }).toEqual({ ref, found: true });
      }
    });
  });

  describe('/metrics', () => {
    it('is open on loopback, needs a viewer token from elsewhere', async () => {
      expect((await get('/metrics')).statusCode).toBe(200);
      const remote = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3' });
      expect(remote.statusCode).toBe(401);
      const remoteViewer = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3', headers: auth(VIEWER) });
      expect(remoteViewer.statusCode).toBe(200);
    });

    it('exposes per-pair state, quotes, orders, inventory, PnL, event counts and latency histograms', async () => {
      await post(`/api/pairs/${pairId}/pause`, OPERATOR, { reason: 'metrics check' });
      // Paused with no order left: position and quotes hold still while we compare.
      await fx.until(() => fx.control.getPair(pairId).openOrders.length === 0);
      const res = await get('/metrics');
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const samples = parseExposition(res.body);
      const value = (name: string, labels: Record<string, string> = {}) =>
        samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

      expect(value('mm_pair_state', { pair: pairId, state: 'paused' })).toBe(1);
      expect(value('mm_pair_state', { pair: pairId, state: 'quoting' })).toBe(0);
      const view = fx.control.getPair(pairId);
      expect(value('mm_pair_params_version', { pair: pairId })).toBe(view.paramsVersion);
      expect(value('mm_pair_position_base', { pair: pairId })).toBe(Number(view.inventory.position));
      // PnL moves with the mark even when paused: present and finite.
      expect(Number.isFinite(value('mm_pair_pnl_quote', { pair: pairId, component: 'net' }))).toBe(true);
      expect(value('mm_pair_pnl_quote', { pair: pairId, component: 'realised' })).toBe(Number(view.pnl.realised));
      expect(value('mm_pair_orders_total', { pair: pairId, outcome: 'placed' })).toBeGreaterThan(0);
      expect(value('mm_pair_quotes_total', { pair: pairId })).toBeGreaterThan(0);
      expect(value('mm_pair_quote_levels', { pair: pairId, side: 'bid' })).toBe(view.quotes.bids.length);
      expect(value('mm_pair_open_orders', { pair: pairId, side: 'buy' })).toBe(view.openOrders.filter((o) => o.side === 'buy').length);
      expect(value('mm_pair_events_total', { pair: pairId, type: 'OperatorCommand' })).toBeGreaterThanOrEqual(3);
      for (const name of ['mm_pair_quotes_total', 'mm_pair_orders_total', 'mm_pair_fills_total', 'mm_pair_inventory_ratio', 'mm_pair_crashes', 'mm_service_ready']) {
        expect(res.body).toContain(`# TYPE ${name} `);
      }
      for (const h of ['mm_tick_to_quote_seconds', 'mm_event_append_seconds']) {
        expect(res.body).toContain(`# TYPE ${h} histogram`);
        expect(samples.some((s) => s.name === `${h}_bucket` && s.labels.le === '+Inf' && s.value >= 1)).toBe(true);
      }
      expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);
      await post(`/api/pairs/${pairId}/resume`, OPERATOR, { reason: 'metrics check done' });
    });
  });

  describe('stop and start (last: the pair restarts)', () => {
    it('stop cancels every order; start brings the pair back', async () => {
      const stopped = await post(`/api/pairs/${pairId}/stop`, OPERATOR, { reason: 'end of day' });
      expect(stopped.statusCode).toBe(200);
      expect(stopped.json().pair).toMatchObject({ state: 'stopped', openOrders: [] });
      expect((await post(`/api/pairs/${pairId}/stop`, OPERATOR, { reason: 'again' })).statusCode).toBe(409);
      const started = await post(`/api/pairs/${pairId}/start`, OPERATOR, { reason: 'morning' });
      expect(started.statusCode).toBe(200);
      expect(started.json().pair.state).not.toBe('stopped');
      await fx.until(() => fx.control.getPair(pairId).state === 'quoting');
    });
  });

  describe('logs', () => {
    it('never contain a token, and name the identity of a command', async () => {
      // A failing request and a refused one, so the error paths log too.
      await get('/api/pairs', `${ADMIN}-wrong`);
      await post(`/api/pairs/${pairId}/pause`, VIEWER, { reason: 'x' });
      const all = logLines.join('');
      expect(logLines.length).toBeGreaterThan(5);
      for (const t of ALL_TOKENS) expect(all).not.toContain(t);
      expect(all).toContain('"identity":"ops-alice"');
    });

    it('redact the authorization header wherever a request\'s headers would be logged', () => {
      const before = logLines.length;
      app.log.info({ req: { headers: { authorization: `Bearer ${ADMIN}` } }, headers: { authorization: `Bearer ${OPERATOR}` } }, 'headers');
      const line = logLines.slice(before).join('');
      expect(line).toContain('[redacted]');
      for (const t of ALL_TOKENS) expect(line).not.toContain(t);
    });
  });
});

describe(`HTTP API errors ${FIXTURE_AGAINST}`, () => {
  it('an unexpected failure is a 500 that names the request id and leaks nothing; the log has the error under that id', async () => {
    const fx = await startHttpServiceFixture();
    const lines: string[] = [];
    const app = await buildHttpApp({
      control: fx.control,
      tokens,
      logger: capturingLogger(lines),
      registerExtras: (api) => {
        api.get('/api/fail', { config: { access: 'viewer' } }, async () => {
          throw new Error('disk on fire at /var/secret');
        });
      },
    });
    try {
      const res = await app.inject({ method: 'GET', url: '/api/fail', headers: auth(VIEWER) });
      expect(res.statusCode).toBe(500);
      const id = String(res.headers['x-request-id']);
      expect(res.json()).toEqual({ statusCode: 500, error: 'Internal Server Error', message: `internal error; see the service log, reqId ${id}` });
      const logged = lines.map((l) => JSON.parse(l) as { reqId?: string; msg: string; err?: { message: string } }).find((l) => l.msg === 'request failed');
      expect(logged).toMatchObject({ reqId: id, err: { message: 'disk on fire at /var/secret' } });
      // Extra routes sit behind the same auth hook.
      expect((await app.inject({ method: 'GET', url: '/api/fail' })).statusCode).toBe(401);
    } finally {
      await app.close();
      await fx.close();
    }
  }, 120_000);
});

describe(`startHttpServer ${FIXTURE_AGAINST}`, () => {
  it('listens on 127.0.0.1 by default and answers over real HTTP', async () => {
    const fx = await startHttpServiceFixture();
    const lines: string[] = [];
    const server = await startHttpServer({ control: fx.control, tokens, logger: capturingLogger(lines), port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const address = server.app.server.address();
      expect(typeof address === 'object' && address?.address).toBe('127.0.0.1');
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      const pairs = await fetch(`${server.url}/api/pairs`, { headers: auth(VIEWER) });
      expect(pairs.status).toBe(200);
      expect(((await pairs.json()) as { pairs: unknown[] }).pairs).toHaveLength(fx.pairIds.length);
      expect(lines.join('')).toContain('ops-alice:operator');
    } finally {
      await server.close();
      await fx.close();
    }
  });
});

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Prometheus text format: `name{k="v",...} value` (NaN in any case, as Go's ParseFloat reads it); comments and blank lines skipped. Fails on a line it cannot read. */
function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unreadable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] ?? ''] = l[2] ?? '';
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3]?.toLowerCase() !== 'nan') throw new Error(`bad value in: ${line}`);
    out.push({ name: m[1] ?? '', labels, value });
  }
  return out;
}
