/**
 * `mm run --venue ccxt` on two exchanges in one process, one pair group
 * across them: a separate process, real ccxt for both, both routed
 * (MM_CCXT_ENDPOINTS) to one loopback exchange in this test process that
 * answers with recorded Binance payloads and replays recorded depth and
 * trades. Only Binance payloads are recorded, so the second exchange is
 * `binanceus`, a Binance-compatible ccxt id (same REST paths and stream
 * names) fed the same recorded payloads. Both stand in for the exchanges,
 * which cannot be reached from here.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { RecordedEvent } from '../../../events/envelope.js';
import { D } from '../../../src/core/decimal.js';
import { SqliteEventStore } from '../../../src/store/sqlite-event-store.js';
import { MM, ROOT, tempDir } from '../../e2e/cli-harness.js';
import { fixture, readRecordedStreams, recordedCase, TEST_CREDENTIALS, until } from '../../unit/venues/ccxt/ccxt-fixtures.js';
import { LoopbackBinanceWs } from '../../unit/venues/ccxt/loopback-binance-ws.js';
import { paramsOf, RecordedHttp } from '../../unit/venues/ccxt/recorded-http.js';

const EXCHANGES = ['binance', 'binanceus'] as const;
const GROUP_LIMIT = '0.003';

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

describe('mm run --venue ccxt --exchange binance,binanceus (binanceus: a Binance-compatible id on the same recorded Binance payloads; loopback exchange)', () => {
  let ws: LoopbackBinanceWs;
  let httpServer: Server;
  let origin: string;
  const http = new RecordedHttp();
  /** Orders resting at the loopback exchange, by order id (both exchanges share the router). */
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
    // Each stream is replayed once both exchanges have subscribed to it: both see the same sequence from the snapshot on.
    const subscribers = new Map<string, number>();
    ws.onSubscribe = (stream) => {
      const n = (subscribers.get(stream) ?? 0) + 1;
      subscribers.set(stream, n);
      if (n !== EXCHANGES.length) return;
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

  it('both pairs start live in one group, every decision of both records the group limit, and SIGTERM cancels everything on both and exits 0', async () => {
    const dir = tempDir();
    const db = join(dir, 'live-groups.db');
    const configPath = join(dir, 'groups.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        // binanceus also prices off binance's mid (reference.source external-mid), shared across the exchanges of the process.
        pairs: EXCHANGES.map((venue) => ({ venue, symbol: 'BTCUSDT', group: 'btc', ...(venue === 'binanceus' ? { params: { reference: { source: 'external-mid', externalVenue: 'binance' } } } : {}) })),
        groups: [{ id: 'btc', limit: GROUP_LIMIT }],
      }),
    );
    const child = spawn(
      process.execPath,
      [MM, 'run', '--venue', 'ccxt', '--exchange', EXCHANGES.join(','), '--symbols', 'BTC/USDT', '--config', configPath, '--store', `sqlite:${db}`, '--port', '0'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          LOG_LEVEL: 'info',
          MM_CCXT_ENDPOINTS: JSON.stringify({ rest: origin, ws: `ws://127.0.0.1:${ws.port}` }),
          MM_BINANCE_API_KEY: TEST_CREDENTIALS.apiKey,
          MM_BINANCE_SECRET: TEST_CREDENTIALS.secret,
          MM_BINANCEUS_API_KEY: TEST_CREDENTIALS.apiKey,
          MM_BINANCEUS_SECRET: TEST_CREDENTIALS.secret,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

    await until(() => http.to('POST', '/api/v3/order').length >= 2, 60_000, `live orders at the loopback exchange; stderr tail: ${stderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 2_000)); // a few more decisions on both
    child.kill('SIGTERM');
    const code = await exited;

    expect(stderr).not.toMatch(/mm: error/);
    expect(stderr).not.toContain('pair groups are not applied');
    expect(code).toBe(0);
    expect(live.size).toBe(0); // nothing left at the exchange, on either
    expect(stderr).not.toContain(TEST_CREDENTIALS.secret);
    const logLines = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logLines.filter((l) => l['msg'] === 'pair joined its group').length).toBe(2);
    expect(stdout).toMatch(/live on binance, binanceus/);

    const store = SqliteEventStore.open(db);
    let cut = 0;
    let placed = 0;
    try {
      for (const venue of EXCHANGES) {
        const events: RecordedEvent[] = await store.readStream(`pair-${venue}-BTC_USDT`);
        const started = events[0];
        expect(started?.type === 'PairStarted' && started.data.mode).toBe('live');
        const decisions = events.flatMap((e) => (e.type === 'QuoteDecided' ? [e.data] : []));
        expect(decisions.length).toBeGreaterThan(0);
        for (const d of decisions) {
          // Every decision, the first included, was made with the group's total and limit...
          const group = d.inputs.group;
          expect(group?.limit).toBe(GROUP_LIMIT);
          if (!group) continue;
          // ...and rests no more on a side than the limit leaves after the group position and the other member's reservation.
          const total = (levels: readonly { amount: string }[]) => levels.reduce((sum, l) => sum.plus(l.amount), D(0));
          expect(total(d.output.bids).lte(D(GROUP_LIMIT).minus(group.position).minus(group.othersBuy))).toBe(true);
          expect(total(d.output.asks).lte(D(GROUP_LIMIT).plus(group.position).minus(group.othersSell))).toBe(true);
          if (d.output.rules.some((r) => r.rule === 'group-limit')) cut++;
        }
        if (venue === 'binanceus') {
          const priced = decisions.filter((d) => d.inputs.signals?.externalVenue === 'binance' && d.inputs.signals.externalMid !== undefined);
          expect(priced.length).toBeGreaterThan(0);
        }
        const types = events.map((e) => e.type);
        placed += types.filter((t) => t === 'OrderPlaced').length;
        expect(types.at(-1)).toBe('PairStopped');
      }
    } finally {
      await store.close();
    }
    // The limit is small: the two venues' ladders together want more than it, so the group rule cut some decisions.
    expect(cut).toBeGreaterThan(0);
    expect(placed).toBeGreaterThan(0);
    // Every order placed at the loopback exchange, on either venue, was cancelled by the stop.
    expect(http.to('DELETE', '/api/v3/order').length).toBeGreaterThanOrEqual(http.to('POST', '/api/v3/order').length);
  }, 120_000);
});
