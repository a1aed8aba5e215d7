/**
 * Property: two pairs' order managers on one venue instance, driven by a
 * scripted venue standing in for an exchange, over any random interleaving of
 * decisions, acknowledgements, fills (partial and full), rejections (every
 * category), cancels, disconnects and reconnects and clock advances, then a
 * stop. Checked at the venue boundary, as an exchange would see it:
 * - placements per sliding window on the clock never exceed the pair's nor
 *   the account's token bucket (burst + rate x window);
 * - a client order id is never placed while it is live or in flight, a cancel
 *   never targets an order still in flight, and every order placed was
 *   recorded (OrderPlaced) before it arrived;
 * - nothing is placed once the stop has begun;
 * - after the stop (the venue answering within stopTimeoutMs) no order of
 *   ours is open at the venue, and the log holds none open.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { StrategyParamsSchema } from '../../../src/config/strategy-params.js';
import type { QuoteLevel } from '../../../src/strategy/quote-types.js';
import { VENUE_ERROR_CATEGORIES, type VenueErrorCategory } from '../../../src/venues/venue.js';
import { Host, ScriptedVenue, SteppingClock, T0, target, type PlaceAnswer } from './order-manager-harness.js';

const CATEGORIES: readonly VenueErrorCategory[] = VENUE_ERROR_CATEGORIES;

type Step =
  | { readonly kind: 'decide'; readonly pair: number; readonly move: number; readonly levels: number }
  | { readonly kind: 'answer'; readonly which: 'any' | 'place' | 'cancel' | 'fetch'; readonly answers: readonly PlaceAnswer[] }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'fill'; readonly pair: number; readonly pick: number; readonly fraction: number }
  | { readonly kind: 'cancel-all'; readonly pair: number }
  | { readonly kind: 'disconnect' }
  | { readonly kind: 'reconnect' }
  | { readonly kind: 'resume'; readonly pair: number };

const placeAnswer: fc.Arbitrary<PlaceAnswer> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<PlaceAnswer>({ kind: 'accept' }) },
  { weight: 3, arbitrary: fc.constantFrom(...CATEGORIES).map((category): PlaceAnswer => ({ kind: 'reject', category })) },
  { weight: 2, arbitrary: fc.constant<PlaceAnswer>({ kind: 'reject', category: 'rate-limited' }) },
  { weight: 1, arbitrary: fc.constant<PlaceAnswer>({ kind: 'ghost' }) },
);

const pair = fc.integer({ min: 0, max: 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('decide' as const), pair, move: fc.oneof(fc.constant(0), fc.integer({ min: -30, max: 30 })), levels: fc.integer({ min: 1, max: 3 }) }) },
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('answer' as const), which: fc.constantFrom('any' as const, 'place' as const, 'cancel' as const, 'fetch' as const), answers: fc.array(placeAnswer, { minLength: 1, maxLength: 6 }) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 400, max: 8_000 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fill' as const), pair, pick: fc.nat(), fraction: fc.oneof(fc.constant(1), fc.double({ min: 0.05, max: 0.95, noNaN: true })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel-all' as const), pair }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'disconnect' }) },
  { weight: 2, arbitrary: fc.constant<Step>({ kind: 'reconnect' }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resume' as const), pair }) },
);

const ordersArb = fc
  .record({
    pairOrdersPerSecond: fc.constantFrom(0.5, 1, 2, 5),
    pairOrderBurst: fc.integer({ min: 1, max: 6 }),
    accountOrdersPerSecond: fc.constantFrom(0.5, 1, 3, 6),
    accountOrderBurst: fc.integer({ min: 1, max: 8 }),
    retryBackoffMs: fc.integer({ min: 50, max: 1_000 }),
    maxPlaceAttempts: fc.integer({ min: 1, max: 4 }),
    minOrderLifetimeMs: fc.constantFrom(0, 500, 3_000),
    maxAgeExtraMs: fc.constantFrom(0, 1_000, 10_000),
    venueProbeIntervalMs: fc.integer({ min: 200, max: 2_000 }),
    priceToleranceBps: fc.constantFrom(0, 1, 5),
  })
  .map(({ maxAgeExtraMs, ...o }) => ({ ...o, maxOrderAgeMs: maxAgeExtraMs === 0 ? 0 : o.minOrderLifetimeMs + maxAgeExtraMs, stopTimeoutMs: 5_000 }));

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'] as const;

function ladderAround(mid: number, levels: number): { bids: QuoteLevel[]; asks: QuoteLevel[] } {
  const bids: QuoteLevel[] = [];
  const asks: QuoteLevel[] = [];
  for (let l = 0; l < levels; l++) {
    bids.push({ level: l, price: (mid - 5 - 5 * l).toFixed(2), amount: '0.001' });
    asks.push({ level: l, price: (mid + 5 + 5 * l).toFixed(2), amount: '0.001' });
  }
  return { bids, asks };
}

/** Most placements inside any window of `windowMs`: [t, t + windowMs). */
function maxInWindow(times: readonly number[], windowMs: number): number {
  let max = 0;
  let j = 0;
  for (let i = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

describe('order manager against a scripted venue standing in for an exchange (property)', () => {
  it('never exceeds the rate limits, never has two live orders for one client id, never sends after stop, and leaves nothing open after stop', async () => {
    await fc.assert(
      fc.asyncProperty(ordersArb, fc.array(step, { minLength: 10, maxLength: 120, size: 'max' }), fc.constantFrom('idle' as const, 'during-append' as const), async (orderInput, steps, stopWhen) => {
        const orders = StrategyParamsSchema.parse({ orders: orderInput }).orders;
        const clock = new SteppingClock(T0);
        const venue = new ScriptedVenue(clock);
        venue.mode = 'manual';
        // Both pairs share the venue instance, hence its account bucket (the production path: venue-budget.ts).
        const hosts = SYMBOLS.map((symbol, i) => new Host(clock, venue, orders, { stream: `pair-${i}`, symbol }));
        venue.audit = (o) => {
          const host = hosts[SYMBOLS.indexOf(o.symbol as (typeof SYMBOLS)[number])];
          const recorded = host?.journal.ofType('OrderPlaced').some((e) => e.data.clientOrderId === o.clientOrderId);
          return recorded ? null : `placement ${o.clientOrderId} was not recorded before it was sent`;
        };
        const mids = [60_000, 60_000];
        const settleAll = async () => {
          for (let i = 0; i < 3; i++) for (const h of hosts) await h.settle();
        };
        const advanceAll = async (ms: number) => {
          const end = clock.now() + ms;
          await settleAll();
          for (let next = clock.nextDue(end); next !== null; next = clock.nextDue(end)) {
            clock.advanceTo(next);
            await settleAll();
          }
          clock.advanceTo(end);
          await settleAll();
        };

        for (const s of steps) {
          switch (s.kind) {
            case 'decide': {
              const h = hosts[s.pair]!;
              if (h.paused !== null) break;
              mids[s.pair] = mids[s.pair]! + s.move;
              const mid = mids[s.pair]!;
              const { bids, asks } = ladderAround(mid, s.levels);
              await h.decide(target(bids, asks, { bestBid: (mid - 1).toFixed(2), bestAsk: (mid + 1).toFixed(2) }));
              break;
            }
            case 'answer': {
              let k = 0;
              venue.answerNext(s.which === 'any' ? undefined : s.which, () => s.answers[k++ % s.answers.length]!);
              break;
            }
            case 'advance':
              await advanceAll(s.ms);
              break;
            case 'fill': {
              const h = hosts[s.pair]!;
              const live = [...venue.live.values()].filter((o) => o.symbol === SYMBOLS[s.pair]);
              const o = live[s.pick % Math.max(1, live.length)];
              if (!o) break;
              const fill = venue.fill(o.clientOrderId, s.fraction);
              if (fill) await h.recordFill(fill);
              break;
            }
            case 'cancel-all':
              await hosts[s.pair]!.cancelAll('ShockDetected');
              break;
            case 'disconnect':
              venue.connected = false;
              break;
            case 'reconnect':
              venue.connected = true;
              break;
            case 'resume': {
              const h = hosts[s.pair]!;
              if (h.paused === 'insufficient-funds' || h.paused === 'venue-error') h.paused = null;
              break;
            }
          }
          await settleAll();
        }

        // Stop: from here nothing may be placed. It begins either between two calls, or while an
        // OrderPlaced is being appended (the placement must then never go out).
        const beginStop = () => {
          if (venue.stopAt !== null) return;
          for (const h of hosts) h.manager.beginStop();
          venue.stopAt = clock.now();
        };
        if (stopWhen === 'during-append') {
          for (const h of hosts) h.journal.onAppend = (events) => (events.some((e) => e.type === 'OrderPlaced') ? beginStop() : undefined);
          venue.mode = 'auto';
          venue.connected = true;
          for (const [i, h] of hosts.entries()) {
            h.paused = null;
            mids[i] = mids[i]! + 50;
            const { bids, asks } = ladderAround(mids[i]!, 2);
            await h.decide(target(bids, asks, { bestBid: (mids[i]! - 1).toFixed(2), bestAsk: (mids[i]! + 1).toFixed(2) }));
          }
          await advanceAll(2_000);
        }
        beginStop();
        venue.connected = true;
        venue.mode = 'auto';
        venue.placePolicy = () => ({ kind: 'accept' });
        venue.answerAll();
        let stopped = 0;
        const stops = hosts.map((h) => h.run(() => h.manager.stop('stop')).then(() => void (stopped += 1)));
        for (let t = 0; t < 4_000 && stopped < hosts.length; t += 100) await advanceAll(100);
        await Promise.all(stops);
        // Time goes on after the stop: still nothing is placed.
        await advanceAll(120_000);

        expect(hosts.flatMap((h) => h.errors)).toEqual([]);
        expect(venue.violations).toEqual([]);
        expect([...venue.live.keys()]).toEqual([]);
        for (const h of hosts) {
          expect([...h.journal.openOrders().keys()]).toEqual([]);
          expect(h.journal.ofType('RiskLimitBreached')).toEqual([]);
        }

        // Rate limits, per pair and per account, over sliding windows on the clock.
        const bound = (rate: number, burst: number, windowMs: number) => Math.floor(burst + (rate * windowMs) / 1000 + 1e-6);
        const all = venue.placements.map((p) => p.at);
        for (const windowMs of [1, 250, 1_000, 5_000, 30_000]) {
          expect(maxInWindow(all, windowMs)).toBeLessThanOrEqual(bound(orders.accountOrdersPerSecond, orders.accountOrderBurst, windowMs));
          for (const symbol of SYMBOLS) {
            const mine = venue.placements.filter((p) => p.symbol === symbol).map((p) => p.at);
            expect(maxInWindow(mine, windowMs)).toBeLessThanOrEqual(bound(orders.pairOrdersPerSecond, orders.pairOrderBurst, windowMs));
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
