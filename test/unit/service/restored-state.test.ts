import { describe, expect, it } from '@jest/globals';
import type { DomainEvent } from '../../../events/catalog.js';
import { loggedMachineState, restoreFor } from '../../../src/service/restored-state.js';

const paused = (reason: Extract<DomainEvent, { type: 'Paused' }>['data']['reason'], detail = 'd'): DomainEvent => ({ type: 'Paused', data: { from: 'quoting', to: 'paused', reason, detail, numbers: {} } });
const shock = (cooldownUntil: number, rearms = 0): DomainEvent => ({
  type: 'ShockDetected',
  data: { from: 'quoting', to: 'shock-cooldown', price: '62000.05', referencePrice: '60000.05', movePct: 3.3, thresholdPct: 2, windowMs: 5000, cooldownUntil, rearms },
});
const started: DomainEvent = { type: 'QuotingStarted', data: { from: 'starting', to: 'quoting', reason: 'r' } };

describe('restart recovery: the state a log leaves', () => {
  it('resumes a shock cooldown with its recorded deadline, across a restart that died before its first transition', () => {
    const logged = loggedMachineState([started, shock(1_000_000, 1), { type: 'PairCrashed', data: { error: 'x', crashes: 1, restartInMs: 1000 } }]);
    expect(restoreFor(logged)).toEqual({ state: 'shock-cooldown', referencePrice: 62000.05, cooldownUntil: 1_000_000, rearms: 1 });
    // A restored cooldown restores the same again on the next restart.
    const again = loggedMachineState([
      shock(1_000_000),
      { type: 'StateRestored', data: { from: 'starting', to: 'shock-cooldown', reason: 'restart', detail: '', cooldownUntil: 1_000_000, referencePrice: '62000.05', rearms: 0 } },
    ]);
    expect(restoreFor(again)).toEqual({ state: 'shock-cooldown', referencePrice: 62000.05, cooldownUntil: 1_000_000, rearms: 0 });
  });

  it('keeps pauses only an operator lifts; auto-resumable ones and those of the previous process start afresh', () => {
    expect(restoreFor(loggedMachineState([started, paused('operator', 'alice: x')]))).toEqual({ state: 'paused', reason: 'operator', detail: 'alice: x' });
    expect(restoreFor(loggedMachineState([started, paused('risk-limit')]))).toMatchObject({ state: 'paused', reason: 'risk-limit' });
    expect(restoreFor(loggedMachineState([paused('crash-loop')]))).toMatchObject({ reason: 'crash-loop' });
    for (const r of ['feed-stale', 'feed-problem', 'venue-unavailable', 'fenced', 'store-failure'] as const) expect(restoreFor(loggedMachineState([started, paused(r)]))).toBeUndefined();
    expect(restoreFor(loggedMachineState([paused('operator'), { type: 'Resumed', data: { from: 'paused', to: 'quoting', reason: 'operator', detail: '' } }]))).toBeUndefined();
    expect(restoreFor(loggedMachineState([]))).toBeUndefined();
  });

  it('remembers an operator stop, not a shutdown stop', () => {
    const stop = (reason: string): DomainEvent => ({ type: 'PairStopped', data: { from: 'quoting', to: 'stopped', reason, position: '0', openOrders: 0 } });
    expect(loggedMachineState([started, stop('operator alice (operator): eod')]).operatorStopped).toBe(true);
    expect(loggedMachineState([started, stop('SIGTERM')]).operatorStopped).toBe(false);
  });
});
