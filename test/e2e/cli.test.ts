import { describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BUNDLED_RECORDING } from '../../src/cli/project-paths.js';
import { SqliteEventStore } from '../../src/store/sqlite-event-store.js';
import { expectCleanError, mm, tempDir } from './cli-harness.js';

const SLICE = join(BUNDLED_RECORDING, 'btcusdt_20240808.gz');

describe('mm backtest / replay / events (as a user runs them)', () => {
  it('backtest --json prints the summary last on stdout; replay reports the same numbers; events exports jsonl', async () => {
    const dir = tempDir();
    const store = `sqlite:${join(dir, 'a.db')}`;
    const bt = await mm(['backtest', '--data', SLICE, '--store', store, '--json']);
    expect(bt.stderr).not.toMatch(/error/i);
    expect(bt.code).toBe(0);
    const lines = bt.stdout.trim().split('\n');
    const summary = JSON.parse(lines[lines.length - 1] ?? '{}');
    expect(summary.events).toBeGreaterThan(30_000);
    const btc = summary.pairs.BTCUSDT;
    expect(Number.isInteger(btc.fills)).toBe(true);
    expect(btc.fills).toBeGreaterThan(0);
    for (const k of ['position', 'realizedPnl', 'unrealizedPnl', 'fees']) expect(btc[k]).toMatch(/^-?\d+(\.\d+)?$/);

    const replay = await mm(['replay', '--store', store, '--json']);
    expect(replay.code).toBe(0);
    const replayed = JSON.parse(replay.stdout.trim().split('\n').pop() ?? '{}').pairs.BTCUSDT;
    expect({ position: replayed.position, realizedPnl: replayed.realizedPnl, fees: replayed.fees, fills: replayed.fills }).toEqual({ position: btc.position, realizedPnl: btc.realizedPnl, fees: btc.fees, fills: btc.fills });

    const events = await mm(['events', '--store', store, '--format', 'jsonl', '--stream', 'pair-binance-BTC_USDT']);
    expect(events.code).toBe(0);
    const rows = events.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows[0]).toMatchObject({ stream: 'pair-binance-BTC_USDT', revision: 0, type: 'PairStarted' });
    for (const r of rows) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['stream', 'revision', 'type', 'time', 'data']));
      expect(r.time).toMatch(/^2024-08-0[89]T\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });

  it('refuses to backtest into a store that already holds events', async () => {
    const dir = tempDir();
    const path = join(dir, 'used.db');
    const s = SqliteEventStore.open(path);
    const { envelope, deriveEventId } = await import('../../events/envelope.js');
    const id = deriveEventId('t', 'other', 0);
    await s.append('other', [envelope({ type: 'FeedStale', data: { lastDataTs: null, ageMs: 1, maxAgeMs: 1 } }, { id, time: 0, metadata: { correlationId: id, causationId: null, instanceId: 't', configVersion: 0 } })], 'no_stream');
    await s.close();
    expectCleanError(await mm(['backtest', '--data', SLICE, '--store', `sqlite:${path}`]), /already holds 1 stream/, expect);
  });
});

describe('mm backtest on other market data', () => {
  it('--market synthetic runs Monte Carlo paths of the Avellaneda–Stoikov market and prints the statistics', async () => {
    const r = await mm(['backtest', '--market', 'synthetic', '--paths', '3', '--horizon', '0.2', '--seed', '5', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
    expect(out.paths).toBe(3);
    expect(out.perPath).toHaveLength(3);
    expect(Number.isFinite(out.netPnl.mean) && Number.isFinite(out.netPnl.std)).toBe(true);
    expect(Number.isFinite(out.position.mean) && Number.isFinite(out.position.std)).toBe(true);
    const again = await mm(['backtest', '--market', 'synthetic', '--paths', '3', '--horizon', '0.2', '--seed', '5', '--json']);
    expect(again.stdout).toBe(r.stdout);
  });

  it('--data takes Binance kline CSV files', async () => {
    const dir = tempDir();
    const file = join(dir, 'BTCUSDT-1m-2025-10-04.csv');
    const start = 1_759_536_000_000_000; // 2025-10-04T00:00:00Z in microseconds
    const rows: string[] = [];
    let price = 122_000;
    for (let i = 0; i < 30; i++) {
      const open = price;
      const close = price + (i % 2 === 0 ? 15 : -10);
      const high = Math.max(open, close) + 8;
      const low = Math.min(open, close) - 8;
      const t = start + i * 60_000_000;
      rows.push([t, open.toFixed(2), high.toFixed(2), low.toFixed(2), close.toFixed(2), '12.5', t + 59_999_999, '1525000', '900', '6.1', '744000', '0'].join(','));
      price = close;
    }
    writeFileSync(file, `${rows.join('\n')}\n`);
    const r = await mm(['backtest', '--data', file, '--json']);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
    expect(out.events).toBeGreaterThan(30 * 4);
    expect(out.pairs.BTCUSDT.decisions).toBeGreaterThan(0);
  });

  it('backtest without --data or --market is a clear error', async () => {
    expectCleanError(await mm(['backtest']), /needs --data/, expect);
  });
});

describe('mm: bad input is a clear error and a non-zero exit, never a bare stack trace', () => {
  it('a missing data file', async () => {
    expectCleanError(await mm(['backtest', '--data', '/nonexistent/btc.gz']), /\/nonexistent\/btc\.gz/, expect);
  });

  it('a corrupt data line names the file and the line', async () => {
    const dir = tempDir();
    const file = join(dir, 'corrupt.gz');
    const good = '1723161253937085768 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":1,"p":"61837.63","q":"0.02","T":1723161255342,"m":true,"M":true}}';
    writeFileSync(file, gzipSync(`${good}\n1723161253937085769 {"stream":"btcusdt@trade","data":{"e":"trade","p":"NaN"\n`));
    expectCleanError(await mm(['backtest', '--data', file]), /corrupt\.gz line 2/, expect);
  });

  it('a bad --store URL lists the accepted forms', async () => {
    expectCleanError(await mm(['backtest', '--data', SLICE, '--store', 'postgres://localhost/x']), /invalid event store URL.*postgres/s, expect);
    expectCleanError(await mm(['replay', '--store', 'sqlite:']), /the path is missing/, expect);
  });

  it('replay of a store that does not exist', async () => {
    expectCleanError(await mm(['replay', '--store', 'sqlite:/nonexistent/x.db']), /no event store at/, expect);
  });

  it('a bad config value names its path', async () => {
    const dir = tempDir();
    const cfg = join(dir, 'mm.json');
    writeFileSync(cfg, JSON.stringify({ pairs: [{ venue: 'binance', symbol: 'BTCUSDT', params: { baseSpreadBps: -3 } }] }));
    expectCleanError(await mm(['backtest', '--data', SLICE, '--config', cfg]), /pairs\[0\]\.params\.baseSpreadBps: -3 is out of range \(must be > 0 and <= 10000\)/, expect);
  });

  it('a bad --duration', async () => {
    expectCleanError(await mm(['run', '--duration', 'soon']), /--duration must be a positive number/, expect);
  });

  it('an unknown command', async () => {
    const r = await mm(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
  });
});

describe('mm run (the service, paper trading in wall-clock time)', () => {
  it('quotes, writes events, and exits 0 after --duration with a per-pair summary', async () => {
    const dir = tempDir();
    const path = join(dir, 'events.db');
    const r = await mm(['run', '--duration', '4', '--store', `sqlite:${path}`, '--port', '0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/BTCUSDT\s+stopped/);
    const store = SqliteEventStore.open(path);
    const events = await store.readStream('pair-binance-BTC_USDT');
    await store.close();
    const types = new Set(events.map((e) => e.type));
    expect(types.has('QuoteDecided')).toBe(true);
    expect(types.has('OrderPlaced')).toBe(true);
    expect(events.at(-1)?.type).toBe('PairStopped');
    // Wall-clock time, not the recording's 2024 timestamps.
    expect(Date.parse(events.at(-1)?.time ?? '')).toBeGreaterThan(Date.parse('2025-01-01'));
  });

  it('stops cleanly on SIGINT: orders cancelled, the stop recorded, exit 0', async () => {
    const dir = tempDir();
    const path = join(dir, 'events.db');
    const r = await mm(['run', '--store', `sqlite:${path}`, '--port', '0'], { killAfterMs: 4_000, signal: 'SIGINT' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/SIGINT/);
    const store = SqliteEventStore.open(path);
    const events = await store.readStream('pair-binance-BTC_USDT');
    await store.close();
    expect(events.at(-1)?.type).toBe('PairStopped');
    const stopped = events.at(-1);
    expect(stopped?.type === 'PairStopped' && stopped.data.openOrders).toBe(0);
  });
});
