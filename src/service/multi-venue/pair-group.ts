import { D, type Decimal, toDecimalString } from '../../core/decimal.js';
import type { PairProjection } from '../../../projections/pair-projection.js';

/*
 * The pure part of multi-venue quoting. A pair group is one instrument quoted
 * on several venues; each member is its own pair actor with its own stream
 * (single writer), orders and inventory. The group's total comes from the
 * members' recorded events alone (fills, orders, decisions), so a replay of
 * the members' streams gives the same numbers.
 *
 * The limit is a reservation: a member may rest on its adding side only what
 * the group limit leaves after the group's position AND what the other
 * members already have resting (or have decided to rest) on that side. Then
 * position + everything resting on one side <= limit after every decision; a
 * fill only moves size from "resting" to "position", so the total cannot pass
 * the limit by more than what members decided on views that were stale at the
 * same moment (one order in practice; see the property test).
 */

/** What one member has, from its own stream. Decimal strings, amounts >= 0. */
export interface MemberExposure {
  readonly position: string;
  /** Open and in-flight buy/sell amounts still unfilled. */
  readonly openBuy: string;
  readonly openSell: string;
  /** Bid/ask ladder totals of its last decision, while it is in a quoting state (0 otherwise). */
  readonly decidedBuy: string;
  readonly decidedSell: string;
}

/** The group as one member sees it: what its decision uses, recorded in its QuoteDecided inputs. */
export interface GroupView {
  /** Sum of every member's position (this member's included), base. */
  readonly position: string;
  /** The group's total limit (abs), base. */
  readonly limit: string;
  /** What the OTHER members reserve on the buy and sell sides: max(open, decided) each. */
  readonly othersBuy: string;
  readonly othersSell: string;
}

const sum = (xs: readonly Decimal[]): Decimal => xs.reduce((a, b) => a.plus(b), D(0));
const maxOf = (a: Decimal, b: Decimal): Decimal => (a.gte(b) ? a : b);

/** States in which a member's last decision is (about to be) on the venue. */
const QUOTING_STATES = new Set(['quoting', 'liquidating']);

/** A member's exposure from its own folded stream. */
export function memberExposure(p: PairProjection): MemberExposure {
  let openBuy = D(0);
  let openSell = D(0);
  for (const o of p.openOrders.values()) {
    if (o.side === 'buy') openBuy = openBuy.plus(o.remaining);
    else openSell = openSell.plus(o.remaining);
  }
  const live = p.lastQuote !== null && QUOTING_STATES.has(p.state);
  const decidedBuy = live ? sum((p.lastQuote?.output.bids ?? []).map((l) => D(l.amount))) : D(0);
  const decidedSell = live ? sum((p.lastQuote?.output.asks ?? []).map((l) => D(l.amount))) : D(0);
  return {
    position: p.inventory.position,
    openBuy: toDecimalString(openBuy),
    openSell: toDecimalString(openSell),
    decidedBuy: toDecimalString(decidedBuy),
    decidedSell: toDecimalString(decidedSell),
  };
}

/** The group position: the sum of the members' positions. */
export const groupPosition = (members: readonly MemberExposure[]): string => toDecimalString(sum(members.map((m) => D(m.position))));

/** What member `index` sees of the group. */
export function groupViewFor(members: readonly MemberExposure[], index: number, limit: string): GroupView {
  const others = members.filter((_, i) => i !== index);
  return {
    position: groupPosition(members),
    limit,
    othersBuy: toDecimalString(sum(others.map((m) => maxOf(D(m.openBuy), D(m.decidedBuy))))),
    othersSell: toDecimalString(sum(others.map((m) => maxOf(D(m.openSell), D(m.decidedSell))))),
  };
}

/** Room left on each side for this member: limit - position - others (buys), limit + position - others (sells); may be negative. */
export function groupRoom(view: GroupView): { readonly buy: Decimal; readonly sell: Decimal } {
  const limit = D(view.limit);
  const position = D(view.position);
  return { buy: limit.minus(position).minus(view.othersBuy), sell: limit.plus(position).minus(view.othersSell) };
}

export const sameView = (a: GroupView | null, b: GroupView | null): boolean =>
  a === b || (a !== null && b !== null && a.position === b.position && a.limit === b.limit && a.othersBuy === b.othersBuy && a.othersSell === b.othersSell);
