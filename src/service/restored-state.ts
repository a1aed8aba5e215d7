import type { DomainEvent } from '../../events/catalog.js';
import type { PairState } from '../../events/primitives.js';
import { AUTO_RESUMABLE, type PauseReason, type RestoredMachineState } from '../../machines/pair-machine.types.js';

/**
 * Where a pair's log left its state machine, for restart recovery. A pure fold
 * over the stream: the last transition decides. PairStarted and PairCrashed
 * are not transitions of the strategy, so a restart that died before its first
 * transition still resumes what the run before it left.
 */
export interface LoggedMachineState {
  /** `to` of the last transition event, or null for a new stream. */
  readonly state: PairState | null;
  readonly pause: { readonly reason: string; readonly detail: string } | null;
  readonly shock: { readonly referencePrice: number; readonly cooldownUntil: number; readonly rearms: number } | null;
  /** The last PairStopped came from an operator's stop command: stay stopped until an operator starts the pair. */
  readonly operatorStopped: boolean;
}

export const OPERATOR_STOP_PREFIX = 'operator';

/** Pauses that describe the previous process, not the pair: a new instance starts afresh. */
const CLEARED_BY_RESTART = new Set(['fenced', 'store-failure']);

export function loggedMachineState(events: Iterable<DomainEvent>): LoggedMachineState {
  let s: LoggedMachineState = { state: null, pause: null, shock: null, operatorStopped: false };
  for (const e of events) {
    switch (e.type) {
      case 'Paused':
        s = { ...s, state: 'paused', pause: { reason: e.data.reason, detail: e.data.detail }, shock: null, operatorStopped: false };
        break;
      case 'ShockDetected':
        s = { ...s, state: 'shock-cooldown', pause: null, shock: { referencePrice: Number(e.data.price), cooldownUntil: e.data.cooldownUntil, rearms: e.data.rearms }, operatorStopped: false };
        break;
      case 'StateRestored':
        if (e.data.to === 'paused') s = { ...s, state: 'paused', pause: { reason: e.data.pauseReason ?? 'unknown', detail: e.data.detail }, shock: null };
        else if (e.data.to === 'shock-cooldown' && e.data.cooldownUntil !== undefined && e.data.referencePrice !== undefined)
          s = { ...s, state: 'shock-cooldown', pause: null, shock: { referencePrice: Number(e.data.referencePrice), cooldownUntil: e.data.cooldownUntil, rearms: e.data.rearms ?? 0 } };
        break;
      case 'PairStopped':
        s = { state: 'stopped', pause: null, shock: null, operatorStopped: e.data.reason.startsWith(OPERATOR_STOP_PREFIX) };
        break;
      default:
        if ('to' in e.data && typeof e.data.to === 'string') s = { ...s, state: e.data.to as PairState, pause: null, shock: null, operatorStopped: false };
    }
  }
  return s;
}

/**
 * What START should resume: a pause only an operator lifts (its reason kept),
 * or a shock cooldown with its recorded deadline. Auto-resumable pauses,
 * quoting and liquidating start through the normal guards.
 */
export function restoreFor(logged: LoggedMachineState): RestoredMachineState | undefined {
  if (logged.state === 'shock-cooldown' && logged.shock) return { state: 'shock-cooldown', ...logged.shock };
  if (logged.state === 'paused' && logged.pause) {
    const reason = logged.pause.reason as PauseReason;
    if (AUTO_RESUMABLE.has(reason) || CLEARED_BY_RESTART.has(reason)) return undefined;
    return { state: 'paused', reason, detail: logged.pause.detail };
  }
  return undefined;
}
