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
import { join } from 'node:path';
import type { RecordedEvent } from '../../../events/envelope.js';
import { D } from '../../../src/core/decimal.js';
import { SqliteEventStore } from '../../../src/store/sqlite-event-store.js';
import { MM, ROOT, tempDir } from '../../e2e/cli-harness.js';
import { TEST_CREDENTIALS, until } from '../../unit/venues/ccxt/ccxt-fixtures.js';
import { startLoopbackExchange, type LoopbackExchange } from './loopback-exchange.js';

const EXCHANGES = ['binance', 'binanceus'] as const;
const GROUP_LIMIT = '0.003';

describe('mm run --venue ccxt --exchange binance,binanceus (binanceus: a Binance-compatible id on the same recorded Binance payloads; loopback exchange)', () => {
  let exchange: LoopbackExchange;
  let ws: LoopbackExchange['ws'];
  let origin: string;
  let http: LoopbackExchange['http'];
  let live: LoopbackExchange['live'];

  beforeAll(async () => {
    exchange = await startLoopbackExchange({ subscribersPerStream: EXCHANGES.length });
    ({ ws, origin, http, live } = exchange);
  });

  afterAll(async () => {
    await exchange.close();
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
