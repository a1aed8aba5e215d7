import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { eventCatalog, type DomainEvent } from '../../../events/catalog.js';
import type { PairMachineEvent } from '../../../machines/pair-machine.types.js';
import { pairHarness, T0 } from '../machines/pair-machine-harness.js';

/**
 * With every risk and toxicity rule on at sensitive thresholds, over random
 * inputs: every event validates against the catalog, every change of state is
 * recorded with matching from/to, a risk or toxicity pause always records its
 * numbers, and nothing is quoted while paused.
 */

const ALL_ON = {
  risk: {
    maxPositionValueQuote: '400',
    dailyLossLimitQuote: '8',
    maxDrawdownQuote: '6',
    maxTradesPerMinute: 4,
    priceCeiling: 61_500,
    priceFloor: 58_500,
    requoteDelayAfterFillMs: 300,
  },
  toxicity: {
    calmPeriodMs: 5_000,
    tradeImbalance: { enabled: true, minTrades: 4, threshold: 0.8 },
    volatility: { enabled: true, thresholdPct: 0.8 },
    oneSidedFills: { enabled: true, count: 3 },
    fillVolumeSpike: { enabled: true, windowMs: 2_000, baselineMs: 20_000, minBaselineFills: 2 },
    markout: { enabled: true, horizonMs: 1_000, fills: 2, thresholdBps: 3 },
  },
};

type Step =
  | { kind: 'book'; dtMs: number; movePct: number }
  | { kind: 'trade'; dtMs: number; buy: boolean; size: number }
  | { kind: 'fill'; dtMs: number; buy: boolean; amount: number }
  | { kind: 'wait'; dtMs: number }
  | { kind: 'operator'; dtMs: number; resume: boolean }
  | { kind: 'venue'; dtMs: number; up: boolean };

const dt = fc.integer({ min: 0, max: 4_000 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('book' as const), dtMs: dt, movePct: fc.double({ min: -0.6, max: 0.6, noNaN: true }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('trade' as const), dtMs: fc.integer({ min: 0, max: 500 }), buy: fc.boolean(), size: fc.integer({ min: 1, max: 100 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('fill' as const), dtMs: dt, buy: fc.boolean(), amount: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), dtMs: fc.integer({ min: 0, max: 40_000 }) }) },
  // Operator and venue inputs are rarer: an operator pause holds until an operator resume.
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.record({ kind: fc.constant('operator' as const), dtMs: dt, resume: fc.boolean() }),
      fc.record({ kind: fc.constant('venue' as const), dtMs: dt, up: fc.boolean() }),
    ),
  },
);

describe('risk and toxicity rules over random inputs', () => {
  it('record every pause with its numbers and every change of state, and never quote while paused', () => {
    let riskPauses = 0;
    const reasons = new Set<string>();
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 80, size: 'max' }), (steps) => {
        const h = pairHarness({ params: ALL_ON });
        h.start();
        let ts = T0;
        let mid = 60_000;
        let position = 0;
        for (const s of steps) {
          ts += s.dtMs;
          let event: PairMachineEvent | null = null;
          switch (s.kind) {
            case 'book':
              mid = Math.round(mid * (1 + s.movePct / 100) * 100) / 100;
              event = { type: 'BOOK', ts, bestBid: mid, bestAsk: Math.round((mid + 0.01) * 100) / 100 };
              break;
            case 'trade':
              event = { type: 'TRADE', ts, price: mid, size: s.size / 100, aggressor: s.buy ? 'buy' : 'sell' };
              break;
            case 'fill':
              position = Math.round((position + (s.buy ? s.amount : -s.amount)) * 10) / 10;
              event = { type: 'POSITION', ts, position: String(position / 100_000), fill: { side: s.buy ? 'buy' : 'sell', price: mid, amount: s.amount / 100_000, fee: 0.01, liquidity: 'maker' } };
              break;
            case 'wait':
              h.advance(ts);
              break;
            case 'operator':
              event = s.resume ? { type: 'OPERATOR_RESUME', ts, identity: 'prop', reason: 'r' } : { type: 'OPERATOR_PAUSE', ts, identity: 'prop', reason: 'r' };
              break;
            case 'venue':
              event = s.up ? { type: 'VENUE_UP', ts, detail: 'r' } : { type: 'VENUE_DOWN', ts, detail: 'r' };
              break;
          }
          const before = h.state();
          const from = h.emitted.length;
          if (event) h.send(event);
          const after = h.state();
          const produced = h.emitted.slice(from) as DomainEvent[];
          for (const e of produced) expect(() => eventCatalog[e.type].data.parse(e.data)).not.toThrow();
          const transitions = produced.filter((e) => 'to' in e.data && 'from' in e.data).map((e) => e.data as { from: string; to: string });
          if (before !== after) expect(transitions[transitions.length - 1]?.to).toBe(after);
          for (let i = 1; i < transitions.length; i++) expect(transitions[i]?.from).toBe(transitions[i - 1]?.to);
          // The state each event was emitted in: a timer may have fired earlier in the step.
          let current = before;
          for (const e of produced) {
            if ('to' in e.data && 'from' in e.data) current = (e.data as { to: string }).to;
            if (e.type === 'QuoteDecided') expect(['quoting', 'liquidating']).toContain(current);
            if (e.type === 'Paused' && ['risk-limit', 'toxic-flow', 'adverse-selection'].includes(e.data.reason)) {
              riskPauses++;
              reasons.add(e.data.reason);
              // Every such pause is preceded, in the same batch, by the event that explains it.
              const i = produced.indexOf(e);
              expect(['RiskLimitBreached', 'AdverseSelectionDetected']).toContain(produced[i - 1]?.type);
              expect(e.data.numbers).toHaveProperty('threshold');
            }
          }
          const ctx = h.actor.getSnapshot().context;
          if (after === 'paused' && ctx.pause && ['toxic-flow', 'adverse-selection'].includes(ctx.pause.reason)) {
            expect(ctx.risk.hold?.kind).toBe('toxicity');
          }
        }
        expect(h.errors).toEqual([]);
      }),
      { numRuns: 150, seed: 20251010 },
    );
    // The property is only worth something if the runs reach the rules.
    expect(riskPauses).toBeGreaterThan(30);
    expect([...reasons].sort()).toEqual(['adverse-selection', 'risk-limit', 'toxic-flow']);
  });
});
