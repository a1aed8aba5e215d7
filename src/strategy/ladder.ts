import { D, Decimal, toDecimalString } from '../core/decimal.js';
import type { MarketSpec } from '../venues/venue.js';
import type { SizeFactors } from './inventory-skew.js';
import type { QuoteLevel, RuleFiring } from './quote-types.js';
import {
  parseNonNegativeDecimal,
  parsePositiveDecimal,
  requireFinite,
  requireNonNegative,
  requirePositive,
  StrategyInputError,
} from './strategy-error.js';
import { roundAskToTick, roundBidToTick, roundDownToLot } from './tick-rounding.js';

export type LadderMarket = Pick<MarketSpec, 'tickSize' | 'lotSize' | 'minNotional'>;

export interface LadderInputs {
  /** Reference price (the mid), before skew. */
  readonly reference: number;
  /** Distance of level 0 from the skewed reference, in bps of the reference. */
  readonly halfSpreadBps: number;
  /** Signed shift of the reference, in bps (negative moves both sides down). */
  readonly skewBps: number;
  readonly levels: number;
  /** Extra distance per level, in bps of the reference. */
  readonly levelSpacingBps: number;
  /** Size of every level before the size factor, in quote currency, decimal string (when `sizing` is absent). */
  readonly levelSizeQuote?: string;
  /** Per-side sizing: level i has size + i x increment, in base or quote currency. Overrides levelSizeQuote. */
  readonly sizing?: Readonly<Record<LadderSide, LevelSizing>>;
  /** Sides to quote; a side set to false gets no levels (reduce-only rules). Both by default. */
  readonly sides?: Readonly<Record<LadderSide, boolean>>;
  /** Extra distance of one side from the reference, bps (negative brings it closer). */
  readonly sideAdjustBps?: Readonly<Partial<Record<LadderSide, number>>>;
  /** Most the levels of a side may add up to, base (position headroom). */
  readonly maxSideAmount?: Readonly<Partial<Record<LadderSide, string>>>;
  readonly sizeFactors: SizeFactors;
  readonly market: LadderMarket;
  readonly bestBid: number;
  readonly bestAsk: number;
}

export interface Ladder {
  /** Strictly decreasing prices, best first. */
  readonly bids: readonly QuoteLevel[];
  /** Strictly increasing prices, best first. */
  readonly asks: readonly QuoteLevel[];
  readonly rules: readonly RuleFiring[];
}

export type LadderSide = 'bid' | 'ask';

export interface LevelSizing {
  readonly unit: 'base' | 'quote';
  /** Decimal string > 0. */
  readonly size: string;
  /** Decimal string >= 0, added per level. */
  readonly increment: string;
}

function validate(x: LadderInputs): void {
  requirePositive('reference', x.reference);
  requirePositive('bestBid', x.bestBid);
  requirePositive('bestAsk', x.bestAsk);
  if (x.bestBid > x.bestAsk) {
    throw new StrategyInputError(`crossed book: best bid ${x.bestBid} > best ask ${x.bestAsk}`, {
      bestBid: x.bestBid,
      bestAsk: x.bestAsk,
    });
  }
  requireNonNegative('halfSpreadBps', x.halfSpreadBps);
  requireNonNegative('levelSpacingBps', x.levelSpacingBps);
  requireFinite('skewBps', x.skewBps);
  if (!Number.isInteger(x.levels) || x.levels < 0) {
    throw new StrategyInputError(`levels must be an integer >= 0, got ${x.levels}`, { levels: x.levels });
  }
  for (const side of ['bid', 'ask'] as const) {
    const f = x.sizeFactors[side];
    if (!Number.isFinite(f) || f < 0 || f > 2) {
      throw new StrategyInputError(`size factor ${side} must be in [0, 2], got ${f}`, { side, factor: f });
    }
  }
}

/**
 * Builds the bid and ask ladders. Per level: price from the skewed reference,
 * snapped outward to the tick (bid down, ask up), clamped so it never crosses
 * the touch (post-only maker quotes), de-duplicated, then sized in quote
 * currency and snapped down to the lot. Every level that is clamped or dropped
 * leaves a RuleFiring with its numbers.
 */
export function buildLadder(x: LadderInputs): Ladder {
  validate(x);
  const tick = parsePositiveDecimal('tickSize', x.market.tickSize);
  const lot = parsePositiveDecimal('lotSize', x.market.lotSize);
  const minNotional = parseNonNegativeDecimal('minNotional', x.market.minNotional);
  const sizingOf = (side: LadderSide) => {
    const s = x.sizing?.[side];
    if (s) return { unit: s.unit, size: parsePositiveDecimal(`${side} size`, s.size), increment: parseNonNegativeDecimal(`${side} size increment`, s.increment) };
    if (x.levelSizeQuote === undefined) throw new StrategyInputError('ladder needs levelSizeQuote or sizing', {});
    return { unit: 'quote' as const, size: parsePositiveDecimal('levelSizeQuote', x.levelSizeQuote), increment: D(0) };
  };
  const caps = { bid: x.maxSideAmount?.bid, ask: x.maxSideAmount?.ask };
  const capOf = (side: LadderSide) => {
    const c = caps[side];
    return c === undefined ? null : parseNonNegativeDecimal(`${side} headroom`, c);
  };
  const rules: RuleFiring[] = [];

  const build = (side: LadderSide, ownBestBid: string | undefined): QuoteLevel[] => {
    const out: QuoteLevel[] = [];
    if (x.sides && !x.sides[side]) return out;
    const factor = x.sizeFactors[side];
    const sizing = sizingOf(side);
    const cap = capOf(side);
    let used = D(0);
    const adjust = x.sideAdjustBps?.[side] ?? 0;
    requireFinite(`${side} adjustment bps`, adjust);
    // The best price that still rests as a maker: one tick inside the far touch.
    const touchLimit =
      side === 'bid' ? D(roundAskToTick(x.bestAsk, tick)).minus(tick) : D(roundBidToTick(x.bestBid, tick)).plus(tick);
    // With a zero half-spread both sides could land on one tick: our ask must also clear our own bid (no self-trade).
    const ownLimit = ownBestBid === undefined ? null : D(ownBestBid).plus(tick);
    const against = ownLimit !== null && ownLimit.gt(touchLimit) ? 'own-bid' : 'book';
    const limit = against === 'own-bid' && ownLimit !== null ? ownLimit : touchLimit;
    let last: Decimal | null = null;
    for (let i = 0; i < x.levels; i++) {
      // Additive in bps, so the quoted width is 2 x half-spread of the reference whatever the skew.
      const half = adjust === 0 ? D(x.halfSpreadBps) : Decimal.max(0, D(x.halfSpreadBps).plus(adjust));
      const offset = half.plus(D(i).times(x.levelSpacingBps));
      const bps = side === 'bid' ? D(x.skewBps).minus(offset) : D(x.skewBps).plus(offset);
      const raw = D(x.reference).times(bps.div(10_000).plus(1));
      let price = D(side === 'bid' ? roundBidToTick(raw, tick) : roundAskToTick(raw, tick));

      const crosses = side === 'bid' ? price.gt(limit) : price.lt(limit);
      if (crosses) {
        rules.push({
          rule: 'no-cross-clamp',
          detail: {
            side,
            level: i,
            price: toDecimalString(price),
            clampedTo: toDecimalString(limit),
            touch: side === 'bid' ? x.bestAsk : x.bestBid,
            against,
          },
        });
        price = limit;
      }
      if (!price.gt(0)) {
        rules.push({ rule: 'non-positive-price', detail: { side, level: i, price: toDecimalString(price) } });
        continue;
      }
      if (last !== null && (side === 'bid' ? price.gte(last) : price.lte(last))) {
        rules.push({ rule: 'duplicate-price', detail: { side, level: i, price: toDecimalString(price) } });
        continue;
      }

      const levelSize = sizing.increment.isZero() ? sizing.size : sizing.size.plus(sizing.increment.times(i));
      const sized = sizing.unit === 'quote' ? levelSize.times(factor).div(price) : levelSize.times(factor);
      let amount = D(roundDownToLot(sized, lot));
      if (cap !== null && amount.gt(cap.minus(used))) {
        const capped = D(roundDownToLot(Decimal.max(0, cap.minus(used)), lot));
        rules.push({
          rule: 'headroom-cap',
          detail: { side, level: i, amount: toDecimalString(amount), headroom: toDecimalString(cap), alreadyQuoted: toDecimalString(used), cappedTo: toDecimalString(capped) },
        });
        amount = capped;
      }
      if (amount.isZero()) {
        rules.push({
          rule: 'zero-amount',
          detail: { side, level: i, price: toDecimalString(price), sizeFactor: factor, lotSize: toDecimalString(lot) },
        });
        continue;
      }
      const notional = price.times(amount);
      if (notional.lt(minNotional)) {
        rules.push({
          rule: 'min-notional',
          detail: {
            side,
            level: i,
            price: toDecimalString(price),
            amount: toDecimalString(amount),
            notional: toDecimalString(notional),
            minNotional: toDecimalString(minNotional),
          },
        });
        continue;
      }
      // Level keeps its index, so the audit trail shows which level survived.
      out.push({ level: i, price: toDecimalString(price), amount: toDecimalString(amount) });
      used = used.plus(amount);
      last = price;
    }
    return out;
  };

  const bids = build('bid', undefined);
  const asks = build('ask', bids[0]?.price);
  return { bids, asks, rules };
}
