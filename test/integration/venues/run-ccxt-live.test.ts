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
import { join } from 'node:path';
import type { RecordedEvent } from '../../../events/envelope.js';
import { SqliteEventStore } from '../../../src/store/sqlite-event-store.js';
import { MM, ROOT, tempDir } from '../../e2e/cli-harness.js';
import { TEST_CREDENTIALS, until } from '../../unit/venues/ccxt/ccxt-fixtures.js';
import { paramsOf } from '../../unit/venues/ccxt/recorded-http.js';
import { startLoopbackExchange, type LoopbackExchange } from './loopback-exchange.js';

describe('mm run --venue ccxt --exchange binance --symbols BTC/USDT (separate process, loopback exchange replaying recorded payloads)', () => {
  let exchange: LoopbackExchange;
  let ws: LoopbackExchange['ws'];
  let origin: string;
  let http: LoopbackExchange['http'];
  let live: LoopbackExchange['live'];

  beforeAll(async () => {
    exchange = await startLoopbackExchange();
    ({ ws, origin, http, live } = exchange);
  });

  afterAll(async () => {
    await exchange.close();
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
