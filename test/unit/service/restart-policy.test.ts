import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createActor } from 'xstate';
import { VirtualClock } from '../../../src/clock/clock.js';
import { restartDelay, supervisorMachine, type RestartPolicy } from '../../../machines/supervisor-machine.js';

const policy: RestartPolicy = { maxCrashes: 5, backoffBaseMs: 1000, backoffMaxMs: 60_000 };

describe('restartDelay', () => {
  it('doubles from the base, is capped, and gives up at maxCrashes', () => {
    expect([1, 2, 3, 4, 5].map((n) => restartDelay(n, policy))).toEqual([1000, 2000, 4000, 8000, null]);
    expect(restartDelay(8, { ...policy, maxCrashes: 100 })).toBe(60_000);
  });

  it('never shrinks with more crashes and never exceeds the cap (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 2, max: 60 }), fc.integer({ min: 1, max: 59 }), (base, cap, max, n) => {
        const p = { maxCrashes: max, backoffBaseMs: base, backoffMaxMs: Math.max(base, cap) };
        const a = restartDelay(n, p);
        const b = restartDelay(n + 1, p);
        if (n >= max) return a === null;
        expect(a).not.toBeNull();
        expect(a!).toBeLessThanOrEqual(p.backoffMaxMs);
        expect(a!).toBeGreaterThanOrEqual(Math.min(base, p.backoffMaxMs));
        return b === null || b >= a!;
      }),
    );
  });
});

describe('supervisor actor', () => {
  it('restarts a crashed pair after its backoff on the injected clock, then gives up; other slots are untouched', () => {
    const clock = new VirtualClock(0);
    const actor = createActor(supervisorMachine, { clock: clock as never, input: { policy: { ...policy, maxCrashes: 3 } } });
    const seen: string[] = [];
    actor.on('restart', (e) => seen.push(`restart ${e.pairId} @${clock.now()}`));
    actor.on('gave-up', (e) => seen.push(`gave-up ${e.pairId} after ${e.crashes}`));
    actor.start();
    actor.send({ type: 'ADD_PAIR', pairId: 'a' });
    actor.send({ type: 'ADD_PAIR', pairId: 'b' });
    actor.send({ type: 'PAIR_CRASHED', pairId: 'a', error: 'boom' });
    clock.advanceTo(999);
    expect(seen).toEqual([]);
    clock.advanceTo(1000);
    expect(seen).toEqual(['restart a @1000']);
    actor.send({ type: 'PAIR_CRASHED', pairId: 'a', error: 'boom' });
    clock.advanceTo(3000);
    expect(seen).toEqual(['restart a @1000', 'restart a @3000']);
    actor.send({ type: 'PAIR_CRASHED', pairId: 'a', error: 'boom again' });
    expect(seen[2]).toBe('gave-up a after 3');
    // An operator start resets the count: the next crash backs off from the base again.
    actor.send({ type: 'PAIR_STARTED', pairId: 'a' });
    actor.send({ type: 'PAIR_CRASHED', pairId: 'a', error: 'x' });
    clock.advanceTo(4000);
    expect(seen[3]).toBe('restart a @4000');
    // A stopped pair is not restarted.
    actor.send({ type: 'PAIR_CRASHED', pairId: 'b', error: 'x' });
    actor.send({ type: 'PAIR_STOPPED', pairId: 'b' });
    clock.advanceTo(10_000);
    expect(seen.filter((s) => s.includes(' b'))).toEqual([]);
    const slots = actor.getSnapshot().context.slots;
    expect(Object.keys(slots).sort()).toEqual(['a', 'b']);
    expect(slots.b!.getSnapshot().value).toBe('stopped');
  });
});
