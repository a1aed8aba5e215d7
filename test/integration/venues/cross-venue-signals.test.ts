import { beforeAll, describe, expect, it } from '@jest/globals';
import { runMirroredVenues } from './mirrored-session.js';
import type { RecordedEvent } from '../../../events/envelope.js';
import { verifyDecisions } from '../../../src/audit/verify-decisions.js';
import { parseEngineConfig } from '../../../src/config/engine-config.js';

/*
 * Cross-venue signals in one session: binance2 prices off binance's mid
 * (reference.source external-mid), and both venues of the group split the
 * pair's size by their recent fill rates (allocation). Both are recorded in
 * each decision, so the audit recomputes them.
 */
const shared = { baseSpreadBps: 1, allocation: { enabled: true, minShare: 0.2, windowMs: 60_000 } };

async function run(count: number): Promise<RecordedEvent[]> {
  const config = parseEngineConfig(
    {
      pairs: [
        { venue: 'binance', symbol: 'BTCUSDT', group: 'btc', params: shared },
        { venue: 'binance2', symbol: 'BTCUSDT', group: 'btc', params: { ...shared, reference: { source: 'external-mid', externalVenue: 'binance' } } },
      ],
      groups: [{ id: 'btc', limit: '0.05' }],
    },
    'test',
  );
  return (await runMirroredVenues(config, ['binance', 'binance2'], count, 'xv')).events;
}

const decisionsOf = (events: readonly RecordedEvent[], stream: string) =>
  events.flatMap((e) => (e.stream === stream && e.type === 'QuoteDecided' ? [e.data] : []));

describe('cross-venue signals: an external reference mid and fill-rate allocation (integration)', () => {
  let events: RecordedEvent[];
  beforeAll(async () => {
    events = await run(30_000);
  }, 120_000);

  it("binance2's decisions are priced off binance's mid, which is recorded with them", () => {
    const decisions = decisionsOf(events, 'pair-binance2-BTC_USDT');
    expect(decisions.length).toBeGreaterThan(10);
    const external = decisions.filter((d) => d.inputs.signals?.externalMid !== undefined);
    expect(external.length).toBeGreaterThan(decisions.length / 2);
    for (const d of external) expect(d.inputs.signals?.externalVenue).toBe('binance');
    // The venue quoting on its own mid records no external input.
    expect(decisionsOf(events, 'pair-binance-BTC_USDT').every((d) => d.inputs.signals?.externalMid === undefined)).toBe(true);
  });

  it('each venue quotes its share of the size, shares follow the fill rates and sum to 1', () => {
    const allocations = events.flatMap((e) =>
      e.type === 'QuoteDecided' ? e.data.output.rules.filter((r) => r.rule === 'venue-allocation').map((r) => ({ stream: e.stream, detail: r.detail })) : [],
    );
    expect(allocations.length).toBeGreaterThan(0);
    for (const { detail } of allocations) {
      const shares = Object.entries(detail).filter(([k]) => k.startsWith('share.')).map(([, v]) => Number(v));
      expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      for (const s of shares) expect(s).toBeGreaterThanOrEqual(0.2 - 1e-12);
    }
    // Once fills have happened, some decision gives a venue less than an even split.
    expect(allocations.some(({ detail }) => Number(detail['applied']) < 0.5)).toBe(true);
  });

  it('every decision, with its external mid and its shares, recomputes exactly', () => {
    const report = verifyDecisions(events);
    expect(report.firstMismatches).toEqual([]);
    expect(report.decisionsChecked).toBe(events.filter((e) => e.type === 'QuoteDecided').length);
  });
});
