import { describe, expect, it, beforeAll } from '@jest/globals';
import { runBacktest, type BacktestResult } from '../../src/backtest/backtest-runner.js';
import { toJsonLine } from '../../src/cli/event-format.js';
import { BUNDLED_RECORDING } from '../../src/cli/project-paths.js';
import { parseEngineConfig } from '../../src/config/engine-config.js';
import { silentLogger } from '../../src/log/logger.js';
import { SqliteEventStore } from '../../src/store/sqlite-event-store.js';
import { projectPairs, summariseLog } from '../../projections/log-summary.js';
import { decideQuotes } from '../../src/strategy/decide-quotes.js';
import { fromQuoteInputsData, ladderKey } from '../../src/strategy/decision-record.js';
import type { RecordedEvent } from '../../events/envelope.js';
import { tempDbPath } from './runtime-harness.js';

async function backtestInto(path: string): Promise<{ result: BacktestResult; events: RecordedEvent[] }> {
  const store = SqliteEventStore.open(path, { synchronous: 'normal' });
  const result = await runBacktest({ dataPath: BUNDLED_RECORDING, store, config: parseEngineConfig({}, 'test'), logger: silentLogger() });
  const events = await store.readAll();
  await store.close();
  return { result, events };
}

describe('backtest on the bundled real recording (Binance spot BTCUSDT, 650 s)', () => {
  let first: { result: BacktestResult; events: RecordedEvent[] };
  let second: { result: BacktestResult; events: RecordedEvent[] };

  beforeAll(async () => {
    first = await backtestInto(tempDbPath('first.db'));
    second = await backtestInto(tempDbPath('second.db'));
  });

  it('processes every market event, quotes and gets filled', () => {
    expect(first.result.events).toBeGreaterThan(95_000);
    const btc = first.result.pairs.BTCUSDT;
    expect(btc?.fills).toBeGreaterThan(0);
    expect(btc?.state).toBe('stopped');
    expect(first.events.filter((e) => e.type === 'QuoteDecided').length).toBeGreaterThan(100);
  });

  it('is deterministic: two runs write byte-identical logs', () => {
    expect(second.events.map(toJsonLine).join('\n')).toBe(first.events.map(toJsonLine).join('\n'));
  });

  it('a replay of the log alone gives the same position, PnL and fees as the run', () => {
    expect(summariseLog(projectPairs(first.events))).toEqual(first.result.pairs);
  });

  it('stamps events with data time, never wall time', () => {
    const start = Date.parse('2024-08-08T23:54:00Z');
    const end = Date.parse('2024-08-09T00:06:00Z');
    for (const e of first.events) {
      const t = Date.parse(e.time);
      expect(t).toBeGreaterThanOrEqual(start);
      expect(t).toBeLessThanOrEqual(end);
    }
  });

  it('every recorded decision recomputes to the same ladder from its recorded inputs', () => {
    const started = first.events.find((e) => e.type === 'PairStarted');
    if (started?.type !== 'PairStarted') throw new Error('no PairStarted');
    const decisions = first.events.filter((e) => e.type === 'QuoteDecided');
    for (const d of decisions) {
      if (d.type !== 'QuoteDecided') continue;
      const again = decideQuotes(fromQuoteInputsData(d.data.inputs), started.data.params, started.data.market);
      expect(ladderKey(again)).toBe(ladderKey(d.data.output));
    }
  });

  it('no order was sent that the log did not record first, and none is left open', () => {
    const placed = new Set<string>();
    const open = new Set<string>();
    for (const e of first.events) {
      if (e.type === 'OrderPlaced') {
        placed.add(e.data.clientOrderId);
        open.add(e.data.clientOrderId);
      }
      if (e.type === 'OrderAcknowledged' || e.type === 'OrderFilled') expect(placed.has(e.data.clientOrderId)).toBe(true);
      if (e.type === 'OrderCancelled' || e.type === 'OrderRejected') open.delete(e.data.clientOrderId);
      if (e.type === 'OrderFilled' && e.data.remaining === '0') open.delete(e.data.clientOrderId);
    }
    expect(open.size).toBe(0);
  });
});
