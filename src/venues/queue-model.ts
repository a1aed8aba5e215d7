/**
 * Queue position of our resting orders at their price level, for the
 * simulated venue's `queue` fill model (see simulated-venue.ts for the whole
 * matching model).
 *
 * The replayed book does not contain our orders, so we track, per order, how
 * much DISPLAYED size is ahead of it at its price, and move it up as the data
 * shows that size going away:
 *
 * - Joining. An order that starts resting joins at the back of the size
 *   displayed at its price at that moment (0 if the level is empty: a price
 *   inside the spread, or between displayed levels). If its price is beyond the
 *   deepest displayed level the size there is unknown: `ahead` is undefined and
 *   the order only fills on prints through it and book crosses, until a book
 *   shows its price; it then joins behind what is displayed there.
 * - Trades. A print at our price, by an aggressor on the other side, first
 *   consumes the size ahead of us; only what is left fills us (partially if it
 *   is smaller than our order). Our own orders at one price queue among
 *   themselves in arrival order (`printAtLevel`).
 * - Cancellations. On a book, the size at our price is compared with the last
 *   book's size minus what printed there since: a decrease not explained by
 *   prints is cancellations. They are split between the size ahead of us and
 *   the size behind us in proportion to the two (the linear case of
 *   hftbacktest's probabilistic queue model): with nothing behind us (the
 *   level has not grown since we joined), every cancellation is ahead of us.
 *   What is ahead never exceeds what the level now displays.
 * - Growth. Size added to the level joins behind us: it never pushes us back.
 * - Through. A print strictly through our price, or the opposite side of the
 *   book reaching our price, means the whole level ahead of us has gone: we
 *   are at the front (`toFront`).
 *
 * Known approximations: depth updates arrive in 100 ms batches, so a decrease
 * that a print explains may be seen before the print (then it counts as a
 * cancellation and the print consumes the queue again: optimistic); hidden
 * and iceberg size is invisible to us as it is in the data.
 */
import { D, type Decimal } from '../core/decimal.js';

const ZERO = D(0);

/** Where one resting order stands in the queue of its price level. */
export interface QueueSlot {
  /** Displayed size ahead of the order; undefined while its level is unknown (beyond the displayed depth). */
  ahead: Decimal | undefined;
  /** Size displayed at the order's price in the last book that showed its price; undefined before one did. */
  lastSize: Decimal | undefined;
  /** lastSize as a float, to skip books that did not change the level. */
  lastSizeNum: number | undefined;
  /** Volume printed at the order's price since that book. */
  traded: Decimal;
}

/** A new resting order behind `displayed` (undefined: the level is beyond the displayed depth). */
export function joinQueue(displayed: number | undefined): QueueSlot {
  if (displayed === undefined) return { ahead: undefined, lastSize: undefined, lastSizeNum: undefined, traded: ZERO };
  const size = D(displayed);
  return { ahead: size, lastSize: size, lastSizeNum: displayed, traded: ZERO };
}

/**
 * A book shows `displayed` at the order's price (0 if the price is within the
 * displayed range but has no level). Attributes the change since the last
 * book to prints, cancellations and growth, and moves the order up.
 */
export function observeLevel(slot: QueueSlot, displayed: number): void {
  if (slot.lastSizeNum === displayed && slot.traded.isZero()) return;
  const size = D(displayed);
  const { ahead, lastSize } = slot;
  slot.lastSize = size;
  slot.lastSizeNum = displayed;
  if (lastSize === undefined || ahead === undefined) {
    // First sight of the level: behind what is there now (or less, if prints already moved us up).
    slot.ahead = ahead === undefined ? size : minOf(ahead, size);
    slot.traded = ZERO;
    return;
  }
  // What the level would show if only the prints had happened.
  const expected = lastSize.minus(slot.traded);
  slot.traded = ZERO;
  const cancelled = expected.minus(size);
  if (cancelled.lte(0)) {
    slot.ahead = minOf(ahead, size);
    return;
  }
  const front = ahead;
  const back = maxOf(ZERO, expected.minus(front));
  const total = front.plus(back);
  const fromFront = total.isZero() ? cancelled : cancelled.mul(front).div(total);
  // If more was cancelled behind us than was there, the excess came from the front.
  const excess = maxOf(ZERO, cancelled.minus(fromFront).minus(back));
  slot.ahead = minOf(maxOf(ZERO, front.minus(fromFront).minus(excess)), size);
}

/** The level ahead of the order is gone (a print through its price, or a book through it). */
export function toFront(slot: QueueSlot): void {
  slot.ahead = ZERO;
}

export interface QueuedOrder {
  readonly slot: QueueSlot;
  /** Amount still open on the order. */
  readonly remaining: Decimal;
}

/**
 * A print of `volume` at the price of `queue` (our orders resting there, in
 * arrival order), by an aggressor on the other side. The print consumes the
 * displayed size ahead of each order first; our orders fill in time priority
 * among themselves with what reaches them, each fill snapped down to `lot`.
 * Returns the fill per order (0 for none) and moves every order up by the
 * displayed size the print consumed.
 */
export function printAtLevel(queue: readonly QueuedOrder[], volume: Decimal, lot: Decimal): Decimal[] {
  const fills = queue.map(() => ZERO);
  let left = volume;
  let displayedTaken = ZERO;
  for (let i = 0; i < queue.length && left.gt(0); i++) {
    const q = queue[i] as QueuedOrder;
    // An order whose level was never seen waits for a book; it does not hold up the others.
    if (q.slot.ahead === undefined) continue;
    const before = maxOf(ZERO, q.slot.ahead.minus(displayedTaken));
    const toDisplayed = minOf(left, before);
    left = left.minus(toDisplayed);
    displayedTaken = displayedTaken.plus(toDisplayed);
    if (left.isZero()) break;
    const fill = snapDown(minOf(q.remaining, left), lot);
    fills[i] = fill;
    left = left.minus(fill);
    // Not filled in full: the rest of the print (less than a lot) cannot reach the orders behind it.
    if (fill.lt(q.remaining)) break;
  }
  for (const q of queue) {
    q.slot.traded = q.slot.traded.plus(volume);
    if (q.slot.ahead !== undefined) q.slot.ahead = maxOf(ZERO, q.slot.ahead.minus(displayedTaken));
  }
  return fills;
}

export const minOf = (a: Decimal, b: Decimal): Decimal => (a.lte(b) ? a : b);
export const maxOf = (a: Decimal, b: Decimal): Decimal => (a.gte(b) ? a : b);
/** Down to a multiple of `step`; 0 for anything <= 0. */
export const snapDown = (x: Decimal, step: Decimal): Decimal => (x.lte(0) ? ZERO : x.div(step).floor().mul(step));
