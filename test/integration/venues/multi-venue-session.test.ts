import { beforeAll, describe, expect, it } from '@jest/globals';
import { runMirroredVenues } from './mirrored-session.js';
import type { RecordedEvent } from '../../../events/envelope.js';
import { toJsonLine } from '../../../src/cli/event-format.js';
import { projectPairs, summariseLog } from '../../../projections/log-summary.js';
import { verifyDecisions } from '../../../src/audit/verify-decisions.js';
import { parseEngineConfig } from '../../../src/config/engine-config.js';
import { D } from '../../../src/core/decimal.js';
import { TradingSession } from '../../../src/service/trading-session.js';

const LIMIT = '0.01';
// Tight quotes so both venues fill often within the slice; one level is 200 USDT (~0.0033 BTC).
const params = { baseSpreadBps: 1 };
const ONE_ORDER = D(200).div(60_000);

/** The first `count` market events of the bundled recording, fed to two simulated venues in one session. */
async function runTwoVenues(count: number): Promise<{ events: RecordedEvent[]; session: TradingSession }> {
  const config = parseEngineConfig(
    {
      pairs: [
        { venue: 'binance', symbol: 'BTCUSDT', group: 'btc', params },
        { venue: 'binance2', symbol: 'BTCUSDT', group: 'btc', params },
      ],
      groups: [{ id: 'btc', limit: LIMIT }],
    },
    'test',
  );
  return runMirroredVenues(config, ['binance', 'binance2'], count, 'mv');
}

describe('multi-venue: one recording, two simulated venues, one group limit (integration)', () => {
  let events: RecordedEvent[];
  let session: TradingSession;

  beforeAll(async () => {
    ({ events, session } = await runTwoVenues(40_000));
  }, 120_000);

  it('each venue is its own pair: its own stream, orders, fills and inventory', () => {
    const streams = new Set(events.map((e) => e.stream));
    expect(streams).toEqual(new Set(['pair-binance-BTC_USDT', 'pair-binance2-BTC_USDT']));
    const summaries = session.summaries();
    // mm replay keys pairs by pair id when two venues share a symbol: per-venue inventory.
    expect(Object.keys(summaries).sort()).toEqual(['binance-BTC_USDT', 'binance2-BTC_USDT']);
    expect(summariseLog(projectPairs(events))).toEqual(summaries);
    for (const s of Object.values(summaries)) expect(s.fills).toBeGreaterThan(0);
  });

  it('the group total, folded from both streams fill by fill, never exceeds the limit by more than one order', () => {
    const positions = new Map<string, ReturnType<typeof D>>();
    let worst = D(0);
    for (const e of events) {
      if (e.type !== 'OrderFilled') continue;
      const signed = D(e.data.amount).mul(e.data.side === 'buy' ? 1 : -1);
      positions.set(e.stream, (positions.get(e.stream) ?? D(0)).plus(signed));
      const total = [...positions.values()].reduce((a, b) => a.plus(b), D(0)).abs();
      if (total.gt(worst)) worst = total;
    }
    expect(worst.gt(0)).toBe(true);
    expect(worst.lte(D(LIMIT).plus(ONE_ORDER))).toBe(true);
  });

  it('every decision records the group it used, the limit cut the ladders, and --verify recomputes them all', () => {
    const decisions = events.filter((e) => e.type === 'QuoteDecided');
    expect(decisions.length).toBeGreaterThan(50);
    for (const d of decisions) if (d.type === 'QuoteDecided') expect(d.data.inputs.group?.limit).toBe(LIMIT);
    expect(decisions.some((d) => d.type === 'QuoteDecided' && d.data.output.rules.some((r) => r.rule === 'group-limit'))).toBe(true);
    const report = verifyDecisions(events);
    expect(report.firstMismatches).toEqual([]);
    expect(report.decisionsChecked).toBe(decisions.length);
  });

  it('is deterministic: the same slice run again writes the identical log', async () => {
    const again = await runTwoVenues(40_000);
    expect(again.events.map(toJsonLine).join('\n')).toBe(events.map(toJsonLine).join('\n'));
  }, 120_000);
});
