import { describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/clock/clock.js';

describe('VirtualClock', () => {
  it('fires due timers in due order with now() at their due time, and never goes back', () => {
    const clock = new VirtualClock(1_000);
    const fired: Array<[string, number]> = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 200);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 100);
    const cancelled = clock.setTimeout(() => fired.push(['x', clock.now()]), 150);
    clock.clearTimeout(cancelled);
    clock.advanceTo(1_150);
    expect(fired).toEqual([['a', 1_100]]);
    clock.advanceTo(1_500);
    expect(fired).toEqual([['a', 1_100], ['b', 1_200]]);
    expect(clock.now()).toBe(1_500);
    clock.advanceTo(1_000);
    expect(clock.now()).toBe(1_500);
  });

  it('fires a timer scheduled by a timer within the same advance', () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 10);
    }, 10);
    clock.advanceTo(25);
    expect(fired).toEqual([10, 20]);
    expect(clock.pendingTimers()).toBe(0);
  });
});
