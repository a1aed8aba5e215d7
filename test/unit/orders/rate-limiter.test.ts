import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { VirtualClock } from '../../../src/clock/clock.js';
import { RateLimits, TokenBucket } from '../../../src/orders/rate-limiter.js';
import { accountBucketFor, accountBudgetFor } from '../../../src/orders/venue-budget.js';
import { StrategyParamsSchema } from '../../../src/config/strategy-params.js';
import { CcxtVenue } from '../../../src/venues/ccxt/ccxt-venue.js';
import type { Venue } from '../../../src/venues/venue.js';

describe('token bucket on the injected clock', () => {
  it('starts full, refills at its rate, never above its burst', () => {
    const clock = new VirtualClock(1_000);
    const b = new TokenBucket(clock, { ratePerSecond: 2, burst: 3 });
    expect(b.available()).toBe(3);
    b.take(3);
    expect(b.available()).toBe(0);
    expect(b.msUntil(1)).toBe(500);
    clock.advanceTo(1_499);
    expect(b.available()).toBe(0);
    clock.advanceTo(1_500);
    expect(b.available()).toBe(1);
    clock.advanceTo(100_000);
    expect(b.available()).toBe(3);
    expect(() => b.take(4)).toThrow(/asked for 4/);
  });

  it('rejects nonsense settings', () => {
    const clock = new VirtualClock(0);
    expect(() => new TokenBucket(clock, { ratePerSecond: 0, burst: 1 })).toThrow();
    expect(() => new TokenBucket(clock, { ratePerSecond: 1, burst: 0 })).toThrow();
  });

  it('several limits: the scarcest decides, and taking takes from all', () => {
    const clock = new VirtualClock(0);
    const pair = new TokenBucket(clock, { ratePerSecond: 10, burst: 5 });
    const account = new TokenBucket(clock, { ratePerSecond: 1, burst: 2 });
    const limits = new RateLimits([pair, account]);
    expect(limits.available()).toBe(2);
    limits.take(2);
    expect(pair.available()).toBe(3);
    expect(limits.msUntil(1)).toBe(1_000);
  });

  it('property: over any window of W ms, at most burst + rate x W / 1000 tokens are taken, whatever the request pattern', () => {
    fc.assert(
      fc.property(
        fc.record({ rate: fc.double({ min: 0.1, max: 50, noNaN: true }), burst: fc.integer({ min: 1, max: 20 }) }),
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 2_000 }), want: fc.integer({ min: 1, max: 10 }) }), { maxLength: 200 }),
        ({ rate, burst }, steps) => {
          const clock = new VirtualClock(0);
          const b = new TokenBucket(clock, { ratePerSecond: rate, burst });
          const taken: number[] = [];
          for (const s of steps) {
            clock.advanceTo(clock.now() + s.dt);
            const n = Math.min(s.want, b.available());
            b.take(n);
            for (let i = 0; i < n; i++) taken.push(clock.now());
          }
          for (const W of [1, 100, 1_000, 10_000]) {
            let j = 0;
            for (let i = 0; i < taken.length; i++) {
              while (taken[i]! - taken[j]! >= W) j++;
              expect(i - j + 1).toBeLessThanOrEqual(Math.floor(burst + (rate * W) / 1000 + 1e-6));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('account budget per venue instance', () => {
  const orders = StrategyParamsSchema.parse({}).orders;

  it('a ccxt venue: a share of the exchange budget (1000 / rateLimitMs per second)', () => {
    const ccxtLike = { id: 'binance', rateLimitMs: 50 } as unknown as Venue;
    expect(accountBudgetFor(ccxtLike, orders)).toEqual({ ratePerSecond: 10, burst: 10, source: 'exchange' });
    const slow = { id: 'kraken', rateLimitMs: 3_000 } as unknown as Venue;
    expect(accountBudgetFor(slow, orders)).toMatchObject({ burst: 1, source: 'exchange' });
    expect(accountBudgetFor(slow, orders).ratePerSecond).toBeCloseTo(1 / 6, 10);
  });

  it('reads the real CcxtVenue.rateLimitMs (no request is made)', async () => {
    const venue = new CcxtVenue({ clock: new VirtualClock(0), exchangeId: 'binance', env: {}, deadMansSwitch: false });
    try {
      expect(venue.rateLimitMs).toBeGreaterThan(0);
      expect(accountBudgetFor(venue, orders)).toMatchObject({ ratePerSecond: (0.5 * 1000) / venue.rateLimitMs, source: 'exchange' });
    } finally {
      await venue.close();
    }
  });

  it('a paper venue: the configured default', () => {
    const paper = { id: 'sim' } as unknown as Venue;
    expect(accountBudgetFor(paper, orders)).toEqual({ ratePerSecond: 10, burst: 40, source: 'paper-default' });
  });

  it('is one bucket per venue instance, shared by every pair on it', () => {
    const clock = new VirtualClock(0);
    const v1 = { id: 'a' } as unknown as Venue;
    const v2 = { id: 'a' } as unknown as Venue;
    expect(accountBucketFor(v1, clock, orders)).toBe(accountBucketFor(v1, clock, orders));
    expect(accountBucketFor(v1, clock, orders)).not.toBe(accountBucketFor(v2, clock, orders));
  });
});
