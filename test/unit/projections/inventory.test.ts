import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { D } from '../../../src/core/decimal.js';
import { applyFillToInventory, emptyInventory, type Inventory } from '../../../projections/inventory.js';

const fill = (side: 'buy' | 'sell', price: string, amount: string) => ({ side, price, amount });
const foldFills = (fills: ReturnType<typeof fill>[]): Inventory => fills.reduce(applyFillToInventory, emptyInventory());

describe('inventory (average cost)', () => {
  it('blends the cost when adding and realises PnL when reducing', () => {
    const inv = foldFills([fill('buy', '100', '1'), fill('buy', '110', '1'), fill('sell', '120', '1')]);
    expect(inv.position).toBe('1');
    expect(inv.averageCost).toBe('105');
    expect(inv.realizedPnl).toBe('15');
    expect(inv.fills).toBe(3);
  });

  it('handles shorts: selling first, buying back lower is a profit', () => {
    const inv = foldFills([fill('sell', '100', '2'), fill('buy', '90', '2')]);
    expect(inv.position).toBe('0');
    expect(inv.averageCost).toBe('0');
    expect(inv.realizedPnl).toBe('20');
  });

  it('a flip through zero closes at the old cost and opens the rest at the fill price', () => {
    const inv = foldFills([fill('buy', '100', '1'), fill('sell', '110', '3')]);
    expect(inv.position).toBe('-2');
    expect(inv.averageCost).toBe('110');
    expect(inv.realizedPnl).toBe('10');
  });

  it('stays exact with decimal amounts that binary floats cannot hold', () => {
    const inv = foldFills([fill('buy', '61837.63', '0.1'), fill('buy', '61837.63', '0.2'), fill('sell', '61837.64', '0.3')]);
    expect(inv.position).toBe('0');
    expect(inv.realizedPnl).toBe('0.003');
  });

  it('conserves quantity and value: realised PnL equals cash flow once flat (property)', () => {
    const fillArb = fc.record({
      side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
      price: fc.integer({ min: 1, max: 10_000_000 }).map((c) => (c / 100).toString()),
      amount: fc.integer({ min: 1, max: 100_000 }).map((l) => (l / 100_000).toString()),
    });
    fc.assert(
      fc.property(fc.array(fillArb, { minLength: 1, maxLength: 40 }), (fills) => {
        const inv = foldFills(fills);
        const net = fills.reduce((acc, f) => (f.side === 'buy' ? acc.plus(f.amount) : acc.minus(f.amount)), D(0));
        expect(D(inv.position).eq(net)).toBe(true);
        // Flatten at a known price: realised PnL must then equal the total cash flow.
        const closePrice = '500';
        const flat = D(inv.position).isZero() ? inv : applyFillToInventory(inv, fill(D(inv.position).isPos() ? 'sell' : 'buy', closePrice, D(inv.position).abs().toFixed()));
        const allFills = D(inv.position).isZero() ? fills : [...fills, fill(D(inv.position).isPos() ? 'sell' : 'buy', closePrice, D(inv.position).abs().toFixed())];
        const cash = allFills.reduce((acc, f) => (f.side === 'sell' ? acc.plus(D(f.price).times(f.amount)) : acc.minus(D(f.price).times(f.amount))), D(0));
        expect(flat.position).toBe('0');
        expect(D(flat.realizedPnl).minus(cash).abs().lt('1e-20')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
