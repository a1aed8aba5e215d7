import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { D } from '../../../src/core/decimal.js';
import type { Side } from '../../../src/core/types.js';
import { diffOrders, withinTolerance, type WorkingOrder } from '../../../src/orders/order-diff.js';
import type { QuoteLevel } from '../../../src/strategy/quote-types.js';

const TOL = { priceToleranceBps: 5, sizeTolerance: 0.5 };

const q = (level: number, price: string, amount: string): QuoteLevel => ({ level, price, amount });
const w = (clientOrderId: string, side: Side, level: number, price: string, remaining: string): WorkingOrder => ({
  clientOrderId, side, level, price, remaining,
});
const ids = (orders: readonly WorkingOrder[]): string[] => orders.map((o) => o.clientOrderId);

describe('diffOrders', () => {
  it('places everything when nothing is working', () => {
    const diff = diffOrders({ bids: [q(1, '99', '1'), q(0, '100', '1')], asks: [q(0, '101', '1')] }, [], TOL);
    expect(diff.keep).toEqual([]);
    expect(diff.cancel).toEqual([]);
    expect(diff.place).toEqual([
      { side: 'buy', level: 0, price: '100', amount: '1' },
      { side: 'buy', level: 1, price: '99', amount: '1' },
      { side: 'sell', level: 0, price: '101', amount: '1' },
    ]);
  });

  it('keeps orders within tolerance and replaces those outside it', () => {
    const wanted = { bids: [q(0, '100', '1'), q(1, '99', '1')], asks: [q(0, '101', '1'), q(1, '102', '1')] };
    const working = [
      w('b0', 'buy', 0, '99.95', '0.6'), // 5 bps off, 40% smaller: keep
      w('b1', 'buy', 1, '98.9', '1'), // ~10 bps off: replace
      w('a0', 'sell', 0, '101', '0.4'), // 60% smaller (partly filled): replace
      w('a1', 'sell', 1, '102.05', '1.5'), // ~4.9 bps, 50% larger: keep
    ];
    const diff = diffOrders(wanted, working, TOL);
    expect(ids(diff.keep)).toEqual(['b0', 'a1']);
    expect(ids(diff.cancel)).toEqual(['b1', 'a0']);
    expect(diff.place).toEqual([
      { side: 'buy', level: 1, price: '99', amount: '1' },
      { side: 'sell', level: 0, price: '101', amount: '1' },
    ]);
  });

  it('matches on side and level index only', () => {
    // Same price and size, but on the other side or another level: not a match.
    const diff = diffOrders({ bids: [q(0, '100', '1')], asks: [] }, [w('x', 'sell', 0, '100', '1'), w('y', 'buy', 1, '100', '1')], TOL);
    expect(diff.keep).toEqual([]);
    expect(ids(diff.cancel)).toEqual(['y', 'x']); // buy side first
    expect(diff.place).toEqual([{ side: 'buy', level: 0, price: '100', amount: '1' }]);
  });

  it('cancels duplicates on one level (keeping the first in tolerance) and levels no longer wanted', () => {
    const diff = diffOrders(
      { bids: [q(0, '100', '1')], asks: [] },
      [w('far', 'buy', 0, '90', '1'), w('old', 'buy', 0, '100', '1'), w('new', 'buy', 0, '100', '1'), w('gone', 'buy', 3, '97', '1'), w('ask', 'sell', 0, '101', '1')],
      TOL,
    );
    expect(ids(diff.keep)).toEqual(['old']);
    expect(ids(diff.cancel)).toEqual(['far', 'new', 'gone', 'ask']);
    expect(diff.place).toEqual([]);
  });

  it('tolerance bounds are inclusive, and zero tolerance needs an exact match', () => {
    const want = q(0, '100', '1');
    expect(withinTolerance(w('a', 'buy', 0, '100.05', '1.5'), want, D(5), D(0.5))).toBe(true);
    expect(withinTolerance(w('a', 'buy', 0, '100.06', '1'), want, D(5), D(0.5))).toBe(false);
    expect(withinTolerance(w('a', 'buy', 0, '100', '1.51'), want, D(5), D(0.5))).toBe(false);
    const exact = diffOrders({ bids: [want], asks: [] }, [w('e', 'buy', 0, '100.0', '1.00'), w('n', 'buy', 0, '100.01', '1')], { priceToleranceBps: 0, sizeTolerance: 0 });
    expect(ids(exact.keep)).toEqual(['e']);
    expect(ids(exact.cancel)).toEqual(['n']);
  });

  it('rejects a wanted ladder that repeats a level', () => {
    expect(() => diffOrders({ bids: [q(0, '100', '1'), q(0, '99', '1')], asks: [] }, [], TOL)).toThrow(/repeats level 0/);
  });

  it('is deterministic regardless of the input order of working orders on different levels', () => {
    const wanted = { bids: [q(0, '100', '1')], asks: [q(0, '101', '1')] };
    const working = [w('s9', 'sell', 4, '105', '1'), w('b5', 'buy', 2, '98', '1'), w('s1', 'sell', 2, '103', '1'), w('b1', 'buy', 0, '100', '1')];
    const a = diffOrders(wanted, working, TOL);
    const b = diffOrders(wanted, [...working].reverse(), TOL);
    expect(a).toEqual(b);
    expect(ids(a.cancel)).toEqual(['b5', 's1', 's9']);
  });

  // ---- age rules ----

  const rules = (now: number, over: Partial<{ maxOrderAgeMs: number; minOrderLifetimeMs: number; bestBid: string; bestAsk: string }> = {}) => ({
    now,
    maxOrderAgeMs: 10_000,
    minOrderLifetimeMs: 1_000,
    ...over,
  });
  const aged = (o: WorkingOrder, placedAt: number): WorkingOrder => ({ ...o, placedAt });

  it('replaces an order at least maxOrderAgeMs old even within tolerance, and says when a kept one expires', () => {
    const wanted = { bids: [q(0, '100', '1'), q(1, '99', '1')], asks: [] };
    const diff = diffOrders(wanted, [aged(w('old', 'buy', 0, '100', '1'), 0), aged(w('new', 'buy', 1, '99', '1'), 5_000)], TOL, rules(10_000));
    expect(ids(diff.keep)).toEqual(['new']);
    expect(ids(diff.cancel)).toEqual(['old']);
    expect(diff.reasons.get('old')).toBe('max-age');
    expect(diff.place).toEqual([{ side: 'buy', level: 0, price: '100', amount: '1' }]);
    expect(diff.reviewAt).toBe(15_000);
  });

  it('holds an order younger than minOrderLifetimeMs instead of cancelling it, and does not place its level until it comes of age', () => {
    const wanted = { bids: [q(0, '90', '1')], asks: [] };
    const working = [aged(w('young', 'buy', 0, '100', '1'), 9_500), aged(w('gone', 'buy', 3, '97', '1'), 9_800)];
    const diff = diffOrders(wanted, working, TOL, rules(10_000));
    expect(ids(diff.hold)).toEqual(['young', 'gone']);
    expect(diff.cancel).toEqual([]);
    expect(diff.place).toEqual([]);
    expect(diff.reviewAt).toBe(10_500);
    const later = diffOrders(wanted, working, TOL, rules(10_800));
    expect(ids(later.hold)).toEqual([]);
    expect(ids(later.cancel)).toEqual(['young', 'gone']);
    expect(later.place).toEqual([{ side: 'buy', level: 0, price: '90', amount: '1' }]);
  });

  it('cancels a young order that would cross the book or our own wanted opposite ladder', () => {
    const byBook = diffOrders({ bids: [q(0, '95', '1')], asks: [] }, [aged(w('b', 'buy', 0, '100', '1'), 9_900)], TOL, rules(10_000, { bestBid: '99.5', bestAsk: '100' }));
    expect(ids(byBook.cancel)).toEqual(['b']);
    expect(byBook.reasons.get('b')).toBe('would-cross');
    const bySelf = diffOrders({ bids: [q(0, '95', '1')], asks: [q(0, '99.99', '1')] }, [aged(w('b', 'buy', 0, '100', '1'), 9_900)], TOL, rules(10_000, { bestBid: '90', bestAsk: '110' }));
    expect(bySelf.reasons.get('b')).toBe('would-cross');
    expect(bySelf.place.map((p) => `${p.side}:${p.level}`)).toEqual(['buy:0', 'sell:0']);
  });

  it('orders without a placement time are left to tolerance alone', () => {
    const diff = diffOrders({ bids: [q(0, '100', '1')], asks: [] }, [w('x', 'buy', 0, '100', '1')], TOL, rules(1e12));
    expect(ids(diff.keep)).toEqual(['x']);
    expect(diff.reviewAt).toBeNull();
  });

  // ---- property ----

  const price = fc.integer({ min: 9_000, max: 11_000 }).map((c) => (c / 100).toFixed(2));
  const amount = fc.integer({ min: 1, max: 300 }).map((c) => (c / 100).toFixed(2));
  const ladder = fc.uniqueArray(fc.record({ level: fc.integer({ min: 0, max: 5 }), price, amount }), { selector: (l) => l.level, maxLength: 5 });
  const workingArb = fc
    .array(fc.record({ side: fc.constantFrom<Side>('buy', 'sell'), level: fc.integer({ min: 0, max: 5 }), price, remaining: amount }), { maxLength: 12 })
    .map((orders) => orders.map((o, i) => ({ clientOrderId: `c${i}`, ...o })));
  const toleranceArb = fc.record({ priceToleranceBps: fc.integer({ min: 0, max: 500 }), sizeTolerance: fc.double({ min: 0, max: 1, noNaN: true }) });

  it('property: after keep + place every wanted level has exactly one order; keep and cancel partition the working set', () => {
    fc.assert(
      fc.property(ladder, ladder, workingArb, toleranceArb, (bids, asks, working, tol) => {
        const diff = diffOrders({ bids, asks }, working, tol);
        const key = (side: Side, level: number): string => `${side}:${level}`;
        const wanted = new Map<string, QuoteLevel>();
        for (const b of bids) wanted.set(key('buy', b.level), b);
        for (const a of asks) wanted.set(key('sell', a.level), a);

        // Resulting book: kept orders plus new places, exactly one per wanted level and nothing else.
        const result = [...diff.keep.map((o) => key(o.side, o.level)), ...diff.place.map((p) => key(p.side, p.level))];
        expect([...result].sort()).toEqual([...wanted.keys()].sort());

        // No order is both kept and cancelled, and every working order is one or the other.
        const kept = new Set(ids(diff.keep));
        expect(diff.cancel.some((o) => kept.has(o.clientOrderId))).toBe(false);
        expect([...ids(diff.keep), ...ids(diff.cancel)].sort()).toEqual(ids(working).sort());

        // Every kept order is within tolerance of its wanted level.
        for (const o of diff.keep) {
          const want = wanted.get(key(o.side, o.level));
          expect(want).toBeDefined();
          expect(withinTolerance(o, want!, D(tol.priceToleranceBps), D(tol.sizeTolerance))).toBe(true);
          const priceDiffBps = D(o.price).minus(want!.price).abs().div(want!.price).mul(10_000);
          expect(priceDiffBps.lte(tol.priceToleranceBps)).toBe(true);
        }
        // Places carry the wanted numbers unchanged.
        for (const p of diff.place) expect(wanted.get(key(p.side, p.level))).toEqual({ level: p.level, price: p.price, amount: p.amount });
      }),
      { numRuns: 500 },
    );
  });
});
