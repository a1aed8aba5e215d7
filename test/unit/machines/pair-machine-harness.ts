import { createActor } from 'xstate';
import type { DomainEvent, DomainEventOf, EventType } from '../../../events/catalog.js';
import { pairMachine } from '../../../machines/pair-machine.js';
import type { PairMachineEvent } from '../../../machines/pair-machine.types.js';
import { VirtualClock } from '../../../src/clock/clock.js';
import { StrategyParamsSchema, type StrategyParamsInput } from '../../../src/config/strategy-params.js';
import type { MarketSpec } from '../../../src/venues/venue.js';
import { BTCUSDT_SPOT } from '../../fixtures/markets.js';

export const T0 = 1_723_161_254_000;

export const SPOT: MarketSpec = BTCUSDT_SPOT;

/** A pair actor on a virtual clock, with every emitted domain event captured. */
export function pairHarness(options: { position?: string; params?: StrategyParamsInput } = {}) {
  const clock = new VirtualClock(T0);
  const params = StrategyParamsSchema.parse(options.params ?? {});
  const actor = createActor(pairMachine, {
    clock,
    input: { pairId: 'binance-BTC_USDT', market: SPOT, params, paramsVersion: 1, position: options.position ?? '0', now: T0 },
  });
  const emitted: DomainEvent[] = [];
  const errors: unknown[] = [];
  actor.on('domain', (e) => emitted.push(e.event));
  actor.subscribe({ error: (err) => errors.push(err) });
  actor.start();

  const send = (event: PairMachineEvent) => {
    if ('ts' in event) clock.advanceTo(event.ts);
    actor.send(event);
  };
  return {
    actor,
    clock,
    params,
    emitted,
    errors,
    send,
    start: (ts = T0) => send({ type: 'START', ts }),
    book: (ts: number, bestBid: number, bestAsk: number) => send({ type: 'BOOK', ts, bestBid, bestAsk }),
    heartbeat: (ts: number) => send({ type: 'HEARTBEAT', ts }),
    position: (ts: number, position: string) => send({ type: 'POSITION', ts, position }),
    /** Let virtual time pass with no input (timers fire). */
    advance: (ts: number) => clock.advanceTo(ts),
    state: () => String(actor.getSnapshot().value),
    types: () => emitted.map((e) => e.type),
    last: <T extends EventType>(type: T): DomainEventOf<T> | undefined => [...emitted].reverse().find((e): e is DomainEventOf<T> => e.type === type),
    clear: () => emitted.splice(0),
  };
}
