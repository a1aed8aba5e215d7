import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { PairMachineEvent } from '../../../machines/pair-machine.types.js';
import { pairHarness, T0 } from './pair-machine-harness.js';

type Step =
  | { kind: 'book'; dtMs: number; movePct: number }
  | { kind: 'heartbeat'; dtMs: number }
  | { kind: 'position'; dtMs: number; position: number }
  | { kind: 'problem'; dtMs: number }
  | { kind: 'recovered'; dtMs: number }
  | { kind: 'pause'; dtMs: number }
  | { kind: 'resume'; dtMs: number }
  | { kind: 'venue-down'; dtMs: number }
  | { kind: 'venue-up'; dtMs: number }
  | { kind: 'venue-refused'; dtMs: number; reason: 'insufficient-funds' | 'venue-error' };

const dt = fc.integer({ min: 0, max: 12_000 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('book' as const), dtMs: fc.integer({ min: 0, max: 3_000 }), movePct: fc.double({ min: -3, max: 3, noNaN: true }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('heartbeat' as const), dtMs: dt }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('position' as const), dtMs: dt, position: fc.integer({ min: -12_000, max: 12_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('problem' as const), dtMs: dt }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('recovered' as const), dtMs: dt }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), dtMs: dt }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resume' as const), dtMs: dt }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('venue-down' as const), dtMs: dt }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('venue-up' as const), dtMs: dt }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('venue-refused' as const), dtMs: dt, reason: fc.constantFrom<'insufficient-funds' | 'venue-error'>('insufficient-funds', 'venue-error') }) },
);

const QUOTING_STATES = new Set(['quoting', 'liquidating']);

describe('pair machine invariants over random input sequences', () => {
  it('records every state change with matching from/to, and never quotes outside quoting/liquidating', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 80 }), (steps) => {
        const h = pairHarness();
        h.start();
        let ts = T0;
        let mid = 60_000;
        for (const s of steps) {
          ts += s.dtMs;
          let event: PairMachineEvent;
          switch (s.kind) {
            case 'book':
              mid = Math.max(1_000, Math.round(mid * (1 + s.movePct / 100) * 100) / 100);
              event = { type: 'BOOK', ts, bestBid: mid, bestAsk: Math.round((mid + 0.01) * 100) / 100 };
              break;
            case 'heartbeat':
              event = { type: 'HEARTBEAT', ts };
              break;
            case 'position':
              event = { type: 'POSITION', ts, position: String(s.position / 100_000) };
              break;
            case 'problem':
              event = { type: 'FEED_PROBLEM', ts, problem: 'gap', detail: 'random' };
              break;
            case 'recovered':
              event = { type: 'FEED_RECOVERED', ts, detail: 'random' };
              break;
            case 'pause':
              event = { type: 'OPERATOR_PAUSE', ts, identity: 'prop', reason: 'random' };
              break;
            case 'resume':
              event = { type: 'OPERATOR_RESUME', ts, identity: 'prop', reason: 'random' };
              break;
            case 'venue-down':
              event = { type: 'VENUE_DOWN', ts, detail: 'random' };
              break;
            case 'venue-up':
              event = { type: 'VENUE_UP', ts, detail: 'random' };
              break;
            case 'venue-refused':
              event = { type: 'VENUE_REFUSED', ts, reason: s.reason, detail: 'random' };
              break;
          }
          const before = h.state();
          const from = h.emitted.length;
          h.send(event);
          const after = h.state();
          const produced = h.emitted.slice(from);

          // Every change of state is explained by an event naming both ends
          // (timers may have fired in between, so follow the chain of transitions).
          const transitions = produced.filter((e) => 'to' in e.data && 'from' in e.data).map((e) => e.data as { from: string; to: string });
          if (before !== after) {
            expect(transitions.length).toBeGreaterThan(0);
            expect(transitions[transitions.length - 1]?.to).toBe(after);
          }
          for (let i = 1; i < transitions.length; i++) expect(transitions[i]?.from).toBe(transitions[i - 1]?.to);

          // A timer due before the event (a cooldown end) may run first: each decision is
          // judged by the state it was taken in, the one the transitions before it led to.
          let stateAt = before;
          for (const e of produced) {
            if ('to' in e.data && 'from' in e.data) stateAt = (e.data as { to: string }).to;
            if (e.type !== 'QuoteDecided') continue;
            expect(QUOTING_STATES.has(stateAt)).toBe(true);
            const { inputs, output } = e.data;
            if (inputs.reduceOnly) {
              expect(stateAt).toBe('liquidating');
              expect(output.bids.length === 0 || output.asks.length === 0).toBe(true);
            } else {
              for (const b of output.bids) expect(Number(b.price)).toBeLessThan(Number(inputs.bestAsk));
              for (const a of output.asks) expect(Number(a.price)).toBeGreaterThan(Number(inputs.bestBid));
            }
          }
        }
        expect(h.errors).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
