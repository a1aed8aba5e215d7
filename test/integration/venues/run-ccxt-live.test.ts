/**
 * `mm run --venue ccxt` as a user runs it: a separate process, real ccxt,
 * pointed (MM_CCXT_ENDPOINTS) at a loopback exchange in this test process —
 * an HTTP server answering with recorded Binance payloads and a websocket
 * server replaying recorded depth and trades. Both stand in for Binance,
 * which cannot be reached from here. A few seconds of live quoting, then
 * SIGTERM: everything must be cancelled and the stop recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { RecordedEvent } from '../../../events/envelope.js';
import { SqliteEventStore } from '../../../src/store/sqlite-event-store.js';
import { MM, ROOT, tempDir } from '../../e2e/cli-harness.js';
import { fixture, readRecordedStreams, recordedCase, TEST_CREDENTIALS, until } from '../../unit/venues/ccxt/ccxt-fixtures.js';
import { LoopbackBinanceWs } from '../../unit/venues/ccxt/loopback-binance-ws.js';
import { paramsOf, RecordedHttp } from '../../unit/venues/ccxt/recorded-http.js';

/** The recorded-payload router, served over real HTTP on 127.0.0.1. */
async function serveHttp(http: RecordedHttp): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined;
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      http
        .fetch(`http://127.0.0.1${req.url ?? '/'}`, { method: req.method ?? 'GET', ...(body !== undefined ? { body } : {}), headers })
        .then(async (reply) => {
          res.writeHead(reply.status, { 'content-type': 'application/json' });
          res.end(await reply.text());
        })
        .catch((err: unknown) => {
          res.writeHead(599);
          res.end(String(err));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, origin: `http://127.0.0.1:${address.port}` };
}

describe('mm run --venue ccxt --exchange binance --symbols BTC/USDT (separate process, loopback exchange replaying recorded payloads)', () => {
  let ws: LoopbackBinanceWs;
  let httpServer: Server;
  let origin: string;
  const http = new RecordedHttp();
  const live = new Map<string, Record<string, string>>();

  beforeAll(async () => {
    const rec = await readRecordedStreams(3_000);
    ws = await LoopbackBinanceWs.start();
    ({ server: httpServer, origin } = await serveHttp(http));
    const createCase = recordedCase('binance-responses.json', 'createOrder', 'spot +selfTradePrevention +iceberg');
    let orderIds = 0;
    http.on('GET', '/api/v3/exchangeInfo', { body: fixture('binance-markets.json').spotExchangeInfo });
    http.on('GET', '/api/v3/openOrders', { body: [] });
    http.on('GET', '/api/v3/depth', { body: rec.snapshot });
    http.on('GET', '/api/v3/myTrades', { body: [] });
    http.on('POST', '/api/v3/order', (req) => {
      const p = paramsOf(req);
      const body = { ...createCase.httpResponse, orderId: String(++orderIds), symbol: p['symbol'], clientOrderId: p['newClientOrderId'], price: p['price'], origQty: p['quantity'], side: p['side'], type: p['type'], icebergQty: '0' };
      live.set(body.orderId, body);
      return { body };
    });
    http.on('DELETE', '/api/v3/order', (req) => {
      const order = live.get(paramsOf(req)['orderId']!);
      if (!order) return { status: 400, body: { code: -2011, msg: 'Unknown order sent.' } };
      live.delete(order['orderId']!);
      return { body: { ...order, status: 'CANCELED', executedQty: '0' } };
    });
    http.on('DELETE', '/api/v3/openOrders', { status: 400, body: { code: -2011, msg: 'Unknown order sent.' } });
    ws.onSubscribe = (stream) => {
      const payloads = stream === 'btcusdt@depth@100ms' ? rec.depth : stream === 'btcusdt@trade' ? rec.trades : [];
      void (async () => {
        for (const p of payloads) {
          ws.publish(stream, p);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
    };
  });

  afterAll(async () => {
    await ws.close();
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  });

  const OPS_TOKEN = 'live-operator-token-0001';

  it('quotes live with post-only orders (behind the operator API), and on SIGTERM cancels everything, records the stop and exits 0; keys never logged', async () => {
    const db = join(tempDir(), 'live.db');
    const child = spawn(process.execPath, [MM, 'run', '--venue', 'ccxt', '--exchange', 'binance', '--symbols', 'BTC/USDT', '--store', `sqlite:${db}`, '--port', '0'], {
      cwd: ROOT,
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        MM_CCXT_ENDPOINTS: JSON.stringify({ rest: origin, ws: `ws://127.0.0.1:${ws.port}` }),
        MM_BINANCE_API_KEY: TEST_CREDENTIALS.apiKey,
        MM_BINANCE_SECRET: TEST_CREDENTIALS.secret,
        MM_API_TOKENS: `ops=${OPS_TOKEN}:operator`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

    await until(() => live.size > 0, 40_000, 'live orders at the loopback exchange');
    await new Promise((r) => setTimeout(r, 1_000)); // a few more decisions
    // The live pair is supervised and behind the operator API like a paper one.
    const api = /"api":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr)?.[1];
    expect(api).toBeDefined();
    const pairsRes = await fetch(`${api}/api/pairs`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } });
    expect(pairsRes.status).toBe(200);
    const listed = (await pairsRes.json()) as { pairs?: { id: string; state: string }[] } | { id: string; state: string }[];
    const pairList = Array.isArray(listed) ? listed : (listed.pairs ?? []);
    expect(pairList.map((p) => p.id)).toContain('binance-BTC_USDT');
    expect((await fetch(`${api}/readyz`)).status).toBe(200);
    child.kill('SIGTERM');
    const code = await exited;

    expect(stderr).not.toMatch(/mm: error/);
    expect(code).toBe(0);
    expect(live.size).toBe(0); // nothing left at the exchange
    const logLines = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logLines.some((l) => l['msg'] === 'market maker starting' && l['mode'] === 'live')).toBe(true);
    expect(logLines.some((l) => l['msg'] === 'pair started')).toBe(true);
    expect(stderr).not.toContain(TEST_CREDENTIALS.apiKey);
    expect(stderr).not.toContain(TEST_CREDENTIALS.secret);
    expect(stdout).toMatch(/BTCUSDT/);

    const store = SqliteEventStore.open(db);
    const events: RecordedEvent[] = await store.readStream('pair-binance-BTC_USDT');
    await store.close();
    const types = events.map((e) => e.type);
    const started = events[0];
    expect(started?.type === 'PairStarted' && started.data.mode).toBe('live');
    expect(types).toContain('QuoteDecided');
    expect(types).toContain('OrderPlaced');
    expect(types).toContain('OrderAcknowledged');
    expect(types).toContain('OrderCancelled');
    expect(types.at(-1)).toBe('PairStopped');
    const sent = http.to('POST', '/api/v3/order').map(paramsOf);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((p) => p['type'] === 'LIMIT_MAKER')).toBe(true);
  }, 90_000);
});
