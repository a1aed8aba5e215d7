import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { DomainEvent } from '../../../events/catalog.js';
import { D } from '../../../src/core/decimal.js';
import { pairHarness, T0 } from '../machines/pair-machine-harness.js';

/**
 * Over any sequence of fills of the orders the machine itself decided, the
 * position never exceeds the hard limit by more than one order size, and
 * liquidation brings it back. The order book the venue would hold is modelled
 * as the runtime drives it: the last decided ladder, emptied by every event
 * that cancels all (src/service/pair-runtime.ts, CANCEL_ALL_ON).
 */

const CANCEL_ALL_ON = new Set(['Paused', 'ShockDetected', 'PairStopped', 'LiquidationStarted', 'LiquidationCompleted']);

interface LiveOrder {
  readonly side: 'buy' | 'sell';
  readonly price: string;
  readonly amount: string;
}

type Step = { kind: 'book'; movePct: number } | { kind: 'fill'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('book' as const), movePct: fc.double({ min: -0.3, max: 0.3, noNaN: true }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('fill' as const), pick: fc.nat() }) },
);

const setup = fc.record({
  maxPosition: fc.integer({ min: 2, max: 20 }).map((n) => n / 1_000),
  hardExtra: fc.integer({ min: 0, max: 20 }).map((n) => n / 1_000),
  levels: fc.integer({ min: 1, max: 3 }),
  levelSizeQuote: fc.integer({ min: 20, max: 600 }),
  sizeSkew: fc.constantFrom(0, 0.5, 1),
});

describe('position limits over any sequence of fills', () => {
  it('never exceed the hard limit by more than one order size, and liquidation brings the position back', () => {
    let liquidated = 0;
    fc.assert(
      fc.property(setup, fc.array(step, { minLength: 10, maxLength: 120, size: 'max' }), (cfg, steps) => {
        const hardLimit = String(cfg.maxPosition + cfg.hardExtra);
        const h = pairHarness({
          params: {
            inventory: { maxPosition: String(cfg.maxPosition), hardLimit, priceSkewBps: 3, maxPriceSkewBps: 6, sizeSkew: cfg.sizeSkew },
            ladder: { levels: cfg.levels, levelSpacingBps: 2, levelSizeQuote: String(cfg.levelSizeQuote) },
          },
        });
        let live: LiveOrder[] = [];
        let largestOrder = D(0);
        let seen = 0;
        const track = () => {
          for (const e of h.emitted.slice(seen) as DomainEvent[]) {
            if (CANCEL_ALL_ON.has(e.type)) live = [];
            if (e.type === 'QuoteDecided') {
              live = [
                ...e.data.output.bids.map((l) => ({ side: 'buy' as const, price: l.price, amount: l.amount })),
                ...e.data.output.asks.map((l) => ({ side: 'sell' as const, price: l.price, amount: l.amount })),
              ];
              for (const o of live) if (!e.data.inputs.reduceOnly && D(o.amount).gt(largestOrder)) largestOrder = D(o.amount);
            }
          }
          seen = h.emitted.length;
        };
        let ts = T0;
        let mid = 60_000;
        let position = D(0);
        const book = () => {
          ts += 300;
          h.book(ts, mid, Math.round((mid + 0.01) * 100) / 100);
          track();
        };
        const fillOne = (pick: number) => {
          if (live.length === 0) return;
          const order = live[pick % live.length] as LiveOrder;
          live = live.filter((o) => o !== order);
          position = order.side === 'buy' ? position.plus(order.amount) : position.minus(order.amount);
          ts += 1;
          h.send({ type: 'POSITION', ts, position: position.toFixed(), fill: { side: order.side, price: Number(order.price), amount: Number(order.amount), fee: 0, liquidity: 'maker' } });
          track();
        };

        h.start();
        book();
        for (const s of steps) {
          if (s.kind === 'book') {
            mid = Math.round(mid * (1 + s.movePct / 100) * 100) / 100;
            book();
          } else fillOne(s.pick);
          expect(position.abs().lte(D(hardLimit).plus(largestOrder))).toBe(true);
          if (position.abs().gt(hardLimit)) expect(h.state()).toBe('liquidating');
        }

        if (h.types().includes('LiquidationStarted')) liquidated++;
        // Let liquidation work: fill whatever reduce-only order it places.
        for (let i = 0; i < 20 && h.state() === 'liquidating'; i++) {
          book();
          fillOne(0);
        }
        expect(h.state()).not.toBe('liquidating');
        expect(position.abs().lte(hardLimit)).toBe(true);
        expect(h.errors).toEqual([]);
      }),
      { numRuns: 200, seed: 20251010 },
    );
    // The property is only worth something if the runs reach the hard limit.
    expect(liquidated).toBeGreaterThan(50);
  });
});
