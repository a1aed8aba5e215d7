/**
 * The order manager's pure core: given the ladder the strategy wants and the
 * orders we have working, decide what to keep, cancel and place. Keeping an
 * order that is close enough preserves its queue position and saves venue
 * round-trips; the tolerances say what "close enough" means.
 */
import { D, type Decimal } from '../core/decimal.js';
import type { Side } from '../core/types.js';
import type { QuoteLevel } from '../strategy/quote-types.js';

export interface WorkingOrder {
  readonly clientOrderId: string;
  readonly side: Side;
  /** Ladder level the order was placed for (0 = nearest the reference price). */
  readonly level: number;
  /** Decimal string. */
  readonly price: string;
  /** Decimal string: amount still open. */
  readonly remaining: string;
}

export type WantedLevel = QuoteLevel & { readonly side: Side };

export interface DiffTolerance {
  /** Keep an order whose price is within this many bps of the wanted price. */
  readonly priceToleranceBps: number;
  /** Keep an order whose remaining amount is within this fraction of the wanted amount (0.5 = +/-50%). */
  readonly sizeTolerance: number;
}

export interface OrderDiff {
  readonly keep: WorkingOrder[];
  /** The caller cancels these first, then places. */
  readonly cancel: WorkingOrder[];
  readonly place: WantedLevel[];
}

const SIDES: readonly Side[] = ['buy', 'sell'];

/**
 * A working order is kept when it is on the same side and level as a wanted
 * level and within both tolerances; otherwise it is cancelled and the wanted
 * level placed afresh. When several working orders sit on one wanted level,
 * the first one in `working` that is within tolerance is kept (callers pass
 * oldest first, so the best queue position survives) and the rest cancelled,
 * as are orders on levels no longer wanted. Outputs are ordered by side (buy
 * first), level, then clientOrderId, so the same inputs give the same commands.
 *
 * Throws on a wanted ladder that repeats a level: that is a strategy bug, and
 * guessing which one was meant would hide it.
 */
export function diffOrders(
  wanted: { readonly bids: readonly QuoteLevel[]; readonly asks: readonly QuoteLevel[] },
  working: readonly WorkingOrder[],
  tolerance: DiffTolerance,
): OrderDiff {
  const bps = D(tolerance.priceToleranceBps);
  const sizeFraction = D(tolerance.sizeTolerance);
  const keep: WorkingOrder[] = [];
  const cancel: WorkingOrder[] = [];
  const place: WantedLevel[] = [];

  for (const side of SIDES) {
    const ladder = side === 'buy' ? wanted.bids : wanted.asks;
    const wantedByLevel = new Map<number, QuoteLevel>();
    for (const q of ladder) {
      if (wantedByLevel.has(q.level)) throw new Error(`wanted ${side} ladder repeats level ${q.level}`);
      wantedByLevel.set(q.level, q);
    }
    const workingByLevel = new Map<number, WorkingOrder[]>();
    for (const w of working) {
      if (w.side !== side) continue;
      const list = workingByLevel.get(w.level);
      if (list) list.push(w);
      else workingByLevel.set(w.level, [w]);
    }

    const levels = [...new Set([...wantedByLevel.keys(), ...workingByLevel.keys()])].sort((a, b) => a - b);
    for (const level of levels) {
      const want = wantedByLevel.get(level);
      const candidates = workingByLevel.get(level) ?? [];
      const kept = want ? candidates.find((w) => withinTolerance(w, want, bps, sizeFraction)) : undefined;
      if (kept) keep.push(kept);
      else if (want) place.push({ side, level: want.level, price: want.price, amount: want.amount });
      cancel.push(...candidates.filter((w) => w !== kept).sort(byClientOrderId));
    }
  }
  return { keep, cancel, place };
}

/** Exported for tests and for callers that explain a keep decision. */
export function withinTolerance(order: WorkingOrder, want: QuoteLevel, priceToleranceBps: Decimal, sizeTolerance: Decimal): boolean {
  const wantPrice = D(want.price);
  const wantAmount = D(want.amount);
  const priceOk = D(order.price).minus(wantPrice).abs().mul(10_000).lte(wantPrice.abs().mul(priceToleranceBps));
  const sizeOk = D(order.remaining).minus(wantAmount).abs().lte(wantAmount.abs().mul(sizeTolerance));
  return priceOk && sizeOk;
}

const byClientOrderId = (a: WorkingOrder, b: WorkingOrder): number =>
  a.clientOrderId < b.clientOrderId ? -1 : a.clientOrderId > b.clientOrderId ? 1 : 0;
