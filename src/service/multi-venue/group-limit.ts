import type { StrategyParams } from '../../config/strategy-params.js';
import { D, type Decimal, toDecimalString } from '../../core/decimal.js';
import { decideQuotes } from '../../strategy/decide-quotes.js';
import type { QuoteDecision, QuoteInputs, QuoteLevel, RuleFiring } from '../../strategy/quote-types.js';
import type { MarketSpec } from '../../venues/venue.js';
import { groupRoom, type GroupView } from './pair-group.js';

/**
 * Cuts one side of a ladder (best level first) to `room` in total: levels are
 * kept while they fit, the level that does not fit is cut down to the lot
 * (and dropped if that leaves it under the minimum notional), the rest go.
 */
function cutSide(levels: readonly QuoteLevel[], room: Decimal, market: Pick<MarketSpec, 'lotSize' | 'minNotional'>): QuoteLevel[] {
  const out: QuoteLevel[] = [];
  let left = room;
  for (const l of levels) {
    if (left.lte(0)) break;
    const amount = D(l.amount);
    if (amount.lte(left)) {
      out.push(l);
      left = left.minus(amount);
      continue;
    }
    const cut = left.div(market.lotSize).floor().mul(market.lotSize);
    if (cut.gt(0) && cut.mul(l.price).gte(market.minNotional)) out.push({ ...l, amount: toDecimalString(cut) });
    break;
  }
  return out;
}

const total = (levels: readonly QuoteLevel[]): Decimal => levels.reduce((a, l) => a.plus(l.amount), D(0));

/**
 * The group limit applied to one member's decision: each side is cut to the
 * room the group leaves it (pair-group.ts). With no room on a side that side
 * is not quoted: beyond the group limit the member only reduces. Recorded as
 * the rule `group-limit` with its numbers.
 */
export function limitToGroup(decision: QuoteDecision, view: GroupView, market: Pick<MarketSpec, 'lotSize' | 'minNotional'>): QuoteDecision {
  const room = groupRoom(view);
  const bids = cutSide(decision.bids, room.buy, market);
  const asks = cutSide(decision.asks, room.sell, market);
  const wantedBuy = total(decision.bids);
  const wantedSell = total(decision.asks);
  const keptBuy = total(bids);
  const keptSell = total(asks);
  if (keptBuy.eq(wantedBuy) && keptSell.eq(wantedSell)) return decision;
  const rule: RuleFiring = {
    rule: 'group-limit',
    detail: {
      groupPosition: view.position,
      limit: view.limit,
      othersBuy: view.othersBuy,
      othersSell: view.othersSell,
      buyRoom: toDecimalString(room.buy),
      sellRoom: toDecimalString(room.sell),
      wantedBuy: toDecimalString(wantedBuy),
      wantedSell: toDecimalString(wantedSell),
      keptBuy: toDecimalString(keptBuy),
      keptSell: toDecimalString(keptSell),
    },
  };
  const reason = `${decision.reason}; group-limit: ${bids.length} bids, ${asks.length} asks within group room (buy ${toDecimalString(room.buy)}, sell ${toDecimalString(room.sell)})`;
  return { bids, asks, rules: [...decision.rules, rule], reason };
}

/**
 * The decision of a pair: the strategy's, then, for a member of a pair group
 * (inputs.group recorded), the group limit. The machine and `mm replay
 * --verify` both call this, so a recorded decision recomputes exactly.
 */
export function decideMemberQuotes(inputs: QuoteInputs, params: StrategyParams, market: MarketSpec): QuoteDecision {
  const decision = decideQuotes(inputs, params, market);
  return inputs.group ? limitToGroup(decision, inputs.group, market) : decision;
}
