import { describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { RecordedEvent } from '../../../events/envelope.js';
import { foldPerformance } from '../../../projections/performance.js';
import { foldPair, summarisePair } from '../../../projections/pair-projection.js';
import { parseEngineConfig } from '../../../src/config/engine-config.js';
import { silentLogger } from '../../../src/log/logger.js';
import { startService } from '../../../src/service/start-service.js';
import { openEventStore } from '../../../src/store/store-url.js';
import { MM, ROOT, tempDir } from '../../e2e/cli-harness.js';

const STREAM = 'pair-binance-BTC_USDT';
const PAIR = 'binance-BTC_USDT';

/** `mm run` as operations run it: a separate process, paper venue on the bundled recording, SQLite. */
function runService(dbPath: string, speed = 20) {
  const child: ChildProcess = spawn(process.execPath, [MM, 'run', '--speed', String(speed), '--store', `sqlite:${dbPath}`, '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const waitFor = async (pattern: RegExp, ms = 30_000) => {
    const end = Date.now() + ms;
    while (!pattern.test(stderr)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${pattern} in:\n${stderr.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, exited, waitFor, stderr: () => stderr, stdout: () => stdout };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readLog(dbPath: string): Promise<RecordedEvent[]> {
  const store = await openEventStore(`sqlite:${dbPath}`);
  try {
    return await store.readStream(STREAM);
  } finally {
    await store.close();
  }
}

/** Orders the log leaves open: placed and neither cancelled, rejected nor fully filled. */
function openInLog(events: readonly RecordedEvent[]): string[] {
  return [...foldPair(events).openOrders.keys()];
}

describe('mm run as a process', () => {
  it('SIGTERM: no order is sent after the signal, every order is cancelled, PairStopped is recorded, exit 0', async () => {
    const db = join(tempDir(), 'term.db');
    const svc = runService(db);
    await svc.waitFor(/"msg":"service running"/);
    await sleep(2500);
    svc.child.kill('SIGTERM');
    const { code } = await svc.exited;
    expect(code).toBe(0);
    const stopLine = svc.stderr().split('\n').find((l) => l.includes('"msg":"stopping:'));
    expect(stopLine).toBeDefined();
    const stopAt = Date.parse(JSON.parse(stopLine!).at as string);
    expect(svc.stderr()).toMatch(/"msg":"stopped: store closed"/);

    const log = await readLog(db);
    const placed = log.filter((e) => e.type === 'OrderPlaced');
    expect(placed.length).toBeGreaterThan(0);
    // Commit then act: an order sent after the signal would be recorded after it.
    for (const e of placed) expect(Date.parse(e.time)).toBeLessThanOrEqual(stopAt);
    const last = log[log.length - 1]!;
    expect(last.type).toBe('PairStopped');
    expect(last.data).toMatchObject({ to: 'stopped', reason: 'SIGTERM', openOrders: 0 });
    expect(openInLog(log)).toEqual([]);
    // Every order placed is closed by a confirmed cancel, a rejection or a full fill.
    const closedBy = new Map<string, string>();
    for (const e of log) {
      if (e.type === 'OrderCancelled' || e.type === 'OrderRejected') closedBy.set(e.data.clientOrderId, e.type);
      if (e.type === 'OrderFilled' && e.data.remaining === '0') closedBy.set(e.data.clientOrderId, e.type);
    }
    for (const e of placed) if (e.type === 'OrderPlaced') expect(closedBy.has(e.data.clientOrderId)).toBe(true);
    expect(svc.stdout()).toMatch(/BTCUSDT\s+stopped/);
  }, 60_000);

  it('SIGKILL mid-run, then restart: projections equal a full replay, fills once, no unknown order left open', async () => {
    const db = join(tempDir(), 'kill.db');
    const first = runService(db, 30);
    await first.waitFor(/"msg":"service running"/);
    await sleep(3500);
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal).toBe('SIGKILL');

    const before = await readLog(db);
    expect(before[before.length - 1]?.type).not.toBe('PairStopped');
    const fillsBefore = before.filter((e) => e.type === 'OrderFilled').length;
    expect(fillsBefore).toBeGreaterThan(0);
    const openAtKill = openInLog(before);

    // Restart (the real service code, in process so the test can look inside).
    const store = await openEventStore(`sqlite:${db}`);
    const service = await startService({ config: parseEngineConfig({}, 'test'), store, speed: 30, logger: silentLogger() });
    try {
      const runtime = service.session.supervisor.get(PAIR)!.runtime;
      // The charts continue from the log, not from zero.
      expect(service.control.history(PAIR).length).toBeGreaterThan(0);
      const afterStart = await store.readStream(STREAM);
      // The orders the killed process left open were reconciled away before any new quote.
      const restartAt = afterStart.findIndex((e, i) => i >= before.length && e.type === 'PairStarted');
      const firstQuoteAfter = afterStart.findIndex((e, i) => i > restartAt && e.type === 'QuoteDecided');
      for (const id of openAtKill) {
        const closed = afterStart.findIndex((e, i) => i > restartAt && e.type === 'OrderCancelled' && e.data.clientOrderId === id);
        expect(closed).toBeGreaterThan(restartAt);
        if (firstQuoteAfter >= 0) expect(closed).toBeLessThan(firstQuoteAfter);
      }
      const atVenue = await service.session.supervisor.get(PAIR)!.venue.fetchOpenOrders('BTCUSDT');
      const known = new Set(runtime.state.openOrders.keys());
      for (const o of atVenue) expect(known.has(o.clientOrderId)).toBe(true);

      await sleep(2500);
      const live = summarisePair(runtime.state);
      const livePerf = runtime.performance;
      const log = await store.readStream(STREAM);
      expect(live).toEqual(summarisePair(foldPair(log)));
      expect({ ...livePerf, filledOrderIds: livePerf.filledOrderIds.toArray().sort() }).toEqual({ ...foldPerformance(log), filledOrderIds: foldPerformance(log).filledOrderIds.toArray().sort() });
      const tradeIds = log.filter((e) => e.type === 'OrderFilled').map((e) => (e.type === 'OrderFilled' ? e.data.tradeId : ''));
      expect(new Set(tradeIds).size).toBe(tradeIds.length);
      expect(tradeIds.length).toBeGreaterThanOrEqual(fillsBefore);
    } finally {
      await service.stop('test over');
      await store.close();
    }
    const final = await readLog(db);
    expect(openInLog(final)).toEqual([]);
  }, 60_000);
});
