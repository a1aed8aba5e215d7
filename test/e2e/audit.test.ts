import { beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBacktest } from '../../src/backtest/backtest-runner.js';
import { BUNDLED_RECORDING } from '../../src/cli/project-paths.js';
import { parseEngineConfig } from '../../src/config/engine-config.js';
import { silentLogger } from '../../src/log/logger.js';
import { SqliteEventStore } from '../../src/store/sqlite-event-store.js';
import { mm, tempDir } from './cli-harness.js';

const SLICE = join(BUNDLED_RECORDING, 'btcusdt_20240808.gz');

describe('mm replay --verify and --pair --at (audit of a backtest log)', () => {
  let dir: string;
  let original: string;
  let decisions: Array<{ position: number; revision: number; data: string }>;

  beforeAll(async () => {
    dir = tempDir();
    original = join(dir, 'c.db');
    const store = SqliteEventStore.open(original, { synchronous: 'normal' });
    await runBacktest({ dataPath: SLICE, store, config: parseEngineConfig({}, 'test'), logger: silentLogger() });
    await store.close();
    const db = new Database(original, { readonly: true });
    decisions = db.prepare("SELECT position, revision, data FROM events WHERE type = 'QuoteDecided' ORDER BY position").all() as typeof decisions;
    db.close();
  });

  it('checks every QuoteDecided and finds no mismatch in an untouched log', async () => {
    const r = await mm(['replay', '--store', `sqlite:${original}`, '--verify', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout.trim());
    expect(decisions.length).toBeGreaterThan(100);
    expect(report).toMatchObject({ decisionsChecked: decisions.length, mismatches: 0 });
  });

  const tampers: Array<[string, (inputs: Record<string, unknown>) => void]> = [
    ['best bid', (i) => (i.bestBid = String(Number(i.bestBid) - 0.5))],
    ['position', (i) => (i.position = '0.01')],
    ['volatility', (i) => (i.volatilityBps = '4')],
    ['mid', (i) => (i.mid = String(Number(i.mid) + 1))],
  ];
  for (const [what, mutate] of tampers) {
    it(`an edited ${what} in one recorded decision fails the verification and names that event`, async () => {
      const copy = join(dir, `tampered-${what.replace(' ', '-')}.db`);
      copyFileSync(original, copy);
      const target = decisions[Math.floor(decisions.length / 2)];
      if (!target) throw new Error('no decision');
      const data = JSON.parse(target.data);
      mutate(data.inputs);
      const db = new Database(copy);
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(JSON.stringify(data), target.position);
      db.close();
      const r = await mm(['replay', '--store', `sqlite:${copy}`, '--verify', '--json']);
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout.trim());
      expect(report.mismatches).toBeGreaterThanOrEqual(1);
      expect(report.firstMismatches[0]).toMatchObject({ stream: 'pair-binance-BTC_USDT', revision: target.revision, position: target.position });
      const text = await mm(['replay', '--store', `sqlite:${copy}`, '--verify']);
      expect(text.stdout).toContain(`pair-binance-BTC_USDT@${target.revision}`);
    });
  }

  it('shows a pair as it was at a moment: state, quotes, open orders, inventory and PnL', async () => {
    const r = await mm(['replay', '--store', `sqlite:${original}`, '--pair', 'binance-BTC_USDT', '--at', '2024-08-08T23:58:00Z', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout.trim());
    expect(s.state).toBe('quoting');
    expect(Date.parse(s.lastEvent.time)).toBeLessThanOrEqual(Date.parse('2024-08-08T23:58:00Z'));
    expect(s.quotes.output.bids.length + s.quotes.output.asks.length).toBeGreaterThan(0);
    expect(s.openOrders.length).toBeGreaterThan(0);
    expect(s.summary.position).toMatch(/^-?\d/);
    const end = await mm(['replay', '--store', `sqlite:${original}`, '--pair', 'binance-BTC_USDT', '--json']);
    expect(JSON.parse(end.stdout.trim()).state).toBe('stopped');
  });

  it('bad audit options are clear errors', async () => {
    const r = await mm(['replay', '--store', `sqlite:${original}`, '--pair', 'nope', '--at', '2024-08-08T23:58:00Z']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no pair "nope".*binance-BTC_USDT/);
    const t = await mm(['replay', '--store', `sqlite:${original}`, '--pair', 'binance-BTC_USDT', '--at', 'yesterday']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/--at must be an ISO 8601 time/);
  });
});
