import { assign, emit, sendParent, sendTo, setup, type ActorRefFrom } from 'xstate';

/**
 * Supervision as actors. The supervisor spawns one slot actor per pair; the
 * slot holds that pair's restart policy: running, backing off after a crash
 * (a delay on the injected clock), given up after too many crashes, or
 * stopped. The pair actor itself lives in its runtime (src/service/pair-runtime.ts);
 * the shell (src/service/supervisor.ts) starts and restarts runtimes when the
 * supervisor emits `restart`. Nothing here does I/O, so one pair's crash only
 * ever touches its own slot.
 */

export interface RestartPolicy {
  /** Crashes after which the pair is not restarted but kept paused (`crash-loop`). */
  readonly maxCrashes: number;
  /** First backoff; doubles with each crash. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { maxCrashes: 5, backoffBaseMs: 1000, backoffMaxMs: 60_000 };

/** The n-th crash (1-based): restart after base·2^(n-1) ms, capped; null once crashes reach the limit. */
export function restartDelay(crashes: number, policy: RestartPolicy): number | null {
  if (crashes >= policy.maxCrashes) return null;
  return Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.max(0, crashes - 1));
}

interface SlotContext {
  readonly pairId: string;
  readonly policy: RestartPolicy;
  readonly crashes: number;
  readonly lastError: string | null;
}

type SlotEvent =
  | { type: 'CRASHED'; error: string }
  /** An operator stopped the pair, or the service is shutting down. */
  | { type: 'STOPPED' }
  /** An operator started (or resumed a given-up) pair: the crash count starts again. */
  | { type: 'STARTED' };

export const slotMachine = setup({
  types: {
    context: {} as SlotContext,
    events: {} as SlotEvent,
    input: {} as { pairId: string; policy: RestartPolicy },
  },
  guards: {
    crashesLeft: ({ context }) => restartDelay(context.crashes + 1, context.policy) !== null,
  },
  delays: {
    backoff: ({ context }) => restartDelay(context.crashes, context.policy) ?? 0,
  },
}).createMachine({
  id: 'slot',
  initial: 'running',
  context: ({ input }) => ({ pairId: input.pairId, policy: input.policy, crashes: 0, lastError: null }),
  on: {
    STOPPED: '.stopped',
    STARTED: { target: '.running', actions: assign({ crashes: 0, lastError: null }) },
  },
  states: {
    running: {
      on: {
        CRASHED: [
          { guard: 'crashesLeft', target: 'backoff', actions: assign(({ context, event }) => ({ crashes: context.crashes + 1, lastError: event.error })) },
          { target: 'gave-up', actions: assign(({ context, event }) => ({ crashes: context.crashes + 1, lastError: event.error })) },
        ],
      },
    },
    backoff: {
      after: {
        backoff: {
          target: 'running',
          actions: sendParent(({ context }) => ({ type: 'SLOT_RESTART', pairId: context.pairId })),
        },
      },
    },
    /** Kept paused with reason `crash-loop` until an operator starts or resumes it. */
    'gave-up': {
      entry: sendParent(({ context }) => ({ type: 'SLOT_GAVE_UP', pairId: context.pairId, crashes: context.crashes, error: context.lastError ?? 'unknown' })),
      on: { CRASHED: { actions: assign(({ context, event }) => ({ crashes: context.crashes + 1, lastError: event.error })) } },
    },
    stopped: {},
  },
});

export type SlotActor = ActorRefFrom<typeof slotMachine>;

type SupervisorEvent =
  | { type: 'ADD_PAIR'; pairId: string }
  | { type: 'PAIR_CRASHED'; pairId: string; error: string }
  | { type: 'PAIR_STOPPED'; pairId: string }
  | { type: 'PAIR_STARTED'; pairId: string }
  | { type: 'SLOT_RESTART'; pairId: string }
  | { type: 'SLOT_GAVE_UP'; pairId: string; crashes: number; error: string };

/** What the shell must do. */
export type SupervisorEmitted =
  | { type: 'restart'; pairId: string }
  | { type: 'gave-up'; pairId: string; crashes: number; error: string };

export const supervisorMachine = setup({
  types: {
    context: {} as { readonly policy: RestartPolicy; readonly slots: Readonly<Record<string, SlotActor>> },
    events: {} as SupervisorEvent,
    input: {} as { policy: RestartPolicy },
    emitted: {} as SupervisorEmitted,
  },
  actors: { slot: slotMachine },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({ policy: input.policy, slots: {} }),
  on: {
    ADD_PAIR: {
      actions: assign(({ context, event, spawn }) =>
        context.slots[event.pairId] ? {} : { slots: { ...context.slots, [event.pairId]: spawn('slot', { id: `slot-${event.pairId}`, input: { pairId: event.pairId, policy: context.policy } }) } },
      ),
    },
    PAIR_CRASHED: { actions: sendTo(({ context, event }) => context.slots[event.pairId]!, ({ event }) => ({ type: 'CRASHED' as const, error: event.error })) },
    PAIR_STOPPED: { actions: sendTo(({ context, event }) => context.slots[event.pairId]!, { type: 'STOPPED' as const }) },
    PAIR_STARTED: { actions: sendTo(({ context, event }) => context.slots[event.pairId]!, { type: 'STARTED' as const }) },
    SLOT_RESTART: { actions: emit(({ event }) => ({ type: 'restart' as const, pairId: event.pairId })) },
    SLOT_GAVE_UP: { actions: emit(({ event }) => ({ type: 'gave-up' as const, pairId: event.pairId, crashes: event.crashes, error: event.error })) },
  },
});

export type SupervisorMachine = typeof supervisorMachine;
