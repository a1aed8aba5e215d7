import type { z } from 'zod';
import { OrderFilledV1Data, type EventType } from './catalog.js';

/** What an upcaster may read besides the old data: the envelope of the stored event. */
export interface UpcastContext {
  readonly stream: string;
  readonly revision: number;
  /** The event's recorded time, ISO 8601. */
  readonly time: string;
}

/** Turns valid data of schema version `from` into data of version `from + 1`. */
export interface Upcaster {
  readonly from: number;
  /** The schema of version `from`: old data is validated before it is transformed. */
  readonly schema: z.ZodType;
  readonly upcast: (data: never, ctx: UpcastContext) => unknown;
}

/**
 * Every schema change of a stored event comes with an upcaster, so a log
 * written by any earlier version reads back as the current version. Keyed by
 * event type, in version order.
 */
export const upcasters: Partial<Record<EventType, readonly Upcaster[]>> = {
  OrderFilled: [
    {
      from: 1,
      schema: OrderFilledV1Data,
      // v1 did not keep the venue's fill time; the best it knows is when the fill was recorded.
      upcast: (data: z.output<typeof OrderFilledV1Data>, ctx: UpcastContext) => ({ ...data, fillTs: Date.parse(ctx.time) }),
    },
  ],
};
