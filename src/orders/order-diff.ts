/**
 * The order manager's pure core: given the ladder the strategy wants and the
 * orders we have working, decide what to keep, cancel and place. Keeping an
 * order that is close enough preserves its queue position and saves venue
 * round-trips; the tolerances say what "close enough" means. With DiffRules,
 * an order's age matters too: one older than maxOrderAgeMs is replaced, and
 * one younger than minOrderLifetimeMs is held (neither cancelled nor
 * replaced) unless it would cross.
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
  /** When the order was placed (clock ms); without it the age rules do not apply to the order. */
  readonly placedAt?: number;
}

export type WantedLevel = QuoteLevel & { readonly side: Side };

export interface DiffTolerance {
  /** Keep an order whose price is within this many bps of the wanted price. */
  readonly priceToleranceBps: number;
  /** Keep an order whose remaining amount is within this fraction of the wanted amount (0.5 = +/-50%). */
  readonly sizeTolerance: number;
}

/** Age rules and the book the decision saw. */
export interface DiffRules {
  readonly now: number;
  /** An order at least this old is replaced even within tolerance; 0 = no maximum. */
  readonly maxOrderAgeMs: number;
  /** An order younger than this is held: not cancelled, not replaced (unless it would cross); 0 = off. */
  readonly minOrderLifetimeMs: number;
  /** Best bid and ask of the book the decision saw (decimal strings). */
  readonly bestBid?: string;
  readonly bestAsk?: string;
}

/**
 * Why a working order is cancelled:
 * - requote: outside tolerance of its wanted level, on a level no longer wanted, or a duplicate on a level;
 * - max-age: older than maxOrderAgeMs;
 * - would-cross: at or through the opposite best of the book, or of the wanted opposite ladder (a self-trade).
 */
export type CancelReason = 'requote' | 'max-age' | 'would-cross';

export interface OrderDiff {
  readonly keep: WorkingOrder[];
  /** Younger than minOrderLifetimeMs: left alone for now, and their level is not placed again. */
  readonly hold: WorkingOrder[];
  /** The caller cancels these first, then places. */
  readonly cancel: WorkingOrder[];
  readonly place: WantedLevel[];
  /** Why each cancelled order goes, by client order id. */
  readonly reasons: ReadonlyMap<string, CancelReason>;
  /** The earliest time the same inputs give a different diff (a held order comes of age, a kept one expires); null: never. */
  readonly reviewAt: number | null;
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
 * With `rules`: an order that would cross (see CancelReason) is cancelled
 * whatever its age; else one at least maxOrderAgeMs old is not kept (it is
 * replaced); else one younger than minOrderLifetimeMs that would have been
 * cancelled is held instead, and a wanted level with a held order on it is
 * not placed until the order comes of age (`reviewAt`).
 *
 * Throws on a wanted ladder that repeats a level: that is a strategy bug, and
 * guessing which one was meant would hide it.
 */
export function diffOrders(
  wanted: { readonly bids: readonly QuoteLevel[]; readonly asks: readonly QuoteLevel[] },
  working: readonly WorkingOrder[],
  tolerance: DiffTolerance,
  rules?: DiffRules,
): OrderDiff {
  const bps = D(tolerance.priceToleranceBps);
  const sizeFraction = D(tolerance.sizeTolerance);
  const keep: WorkingOrder[] = [];
  const hold: WorkingOrder[] = [];
  const cancel: WorkingOrder[] = [];
  const place: WantedLevel[] = [];
  const reasons = new Map<string, CancelReason>();
  let reviewAt: number | null = null;
  const review = (t: number) => {
    reviewAt = reviewAt === null ? t : Math.min(reviewAt, t);
  };

  const age = (w: WorkingOrder): number | null => (rules && w.placedAt !== undefined ? rules.now - w.placedAt : null);
  const young = (w: WorkingOrder): boolean => {
    const a = age(w);
    return a !== null && rules !== undefined && rules.minOrderLifetimeMs > 0 && a < rules.minOrderLifetimeMs;
  };
  const expired = (w: WorkingOrder): boolean => {
    const a = age(w);
    return a !== null && rules !== undefined && rules.maxOrderAgeMs > 0 && a >= rules.maxOrderAgeMs;
  };
  const crossLimits = rules ? crossingLimits(wanted, rules) : null;
  const crosses = (w: WorkingOrder): boolean => {
    if (!crossLimits) return false;
    const limit = w.side === 'buy' ? crossLimits.lowestAsk : crossLimits.highestBid;
    if (limit === null) return false;
    return w.side === 'buy' ? D(w.price).gte(limit) : D(w.price).lte(limit);
  };

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
      const kept = want ? candidates.find((w) => !crosses(w) && !expired(w) && withinTolerance(w, want, bps, sizeFraction)) : undefined;
      const others = candidates.filter((w) => w !== kept).sort(byClientOrderId);
      const held = others.filter((w) => young(w) && !crosses(w));
      if (kept) {
        keep.push(kept);
        if (rules && rules.maxOrderAgeMs > 0 && kept.placedAt !== undefined) review(kept.placedAt + rules.maxOrderAgeMs);
      } else if (want && held.length === 0) {
        place.push({ side, level: want.level, price: want.price, amount: want.amount });
      }
      for (const w of others) {
        if (held.includes(w)) {
          hold.push(w);
          if (rules && w.placedAt !== undefined) review(w.placedAt + rules.minOrderLifetimeMs);
          continue;
        }
        cancel.push(w);
        reasons.set(w.clientOrderId, crosses(w) ? 'would-cross' : expired(w) ? 'max-age' : 'requote');
      }
    }
  }
  return { keep, hold, cancel, place, reasons, reviewAt };
}

/** Prices at or through which a working order would cross: the opposite best of the book, or of our own wanted ladder. */
function crossingLimits(
  wanted: { readonly bids: readonly QuoteLevel[]; readonly asks: readonly QuoteLevel[] },
  rules: DiffRules,
): { lowestAsk: Decimal | null; highestBid: Decimal | null } {
  let lowestAsk: Decimal | null = rules.bestAsk !== undefined ? D(rules.bestAsk) : null;
  let highestBid: Decimal | null = rules.bestBid !== undefined ? D(rules.bestBid) : null;
  for (const a of wanted.asks) if (lowestAsk === null || D(a.price).lt(lowestAsk)) lowestAsk = D(a.price);
  for (const b of wanted.bids) if (highestBid === null || D(b.price).gt(highestBid)) highestBid = D(b.price);
  return { lowestAsk, highestBid };
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
