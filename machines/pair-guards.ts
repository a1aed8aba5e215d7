import { D, toDecimalString } from '../src/core/decimal.js';
import { measureShock, isShock, withinResumeBand } from '../src/strategy/shock.js';
import { holdCleared, riskBreach } from '../src/risk/pair-risk.js';
import type { RiskBreach } from '../src/risk/risk-limits.js';
import type { ToxicAlarm } from '../src/risk/toxicity-signals.js';
import type { PairContext, PauseReason } from './pair-machine.types.js';

/**
 * Pure predicates over the pair context. The machine's guards call these, and
 * so do tests, so each rule lives in exactly one place.
 */

/**
 * Mid in decimal, then to float: (bid + ask) / 2 in binary gives 61500.009999999995
 * for 61500 / 61500.02, which would then be recorded in every decision.
 */
export const exactMid = (bestBid: number, bestAsk: number): number => D(bestBid).plus(bestAsk).div(2).toNumber();

export const midOf = (ctx: PairContext): number | null => ctx.mid;

export function feedAgeMs(ctx: PairContext): number {
  return ctx.now - (ctx.lastDataTs ?? ctx.startedAt);
}

export const feedIsStale = (ctx: PairContext): boolean => feedAgeMs(ctx) > ctx.params.feed.maxAgeMs;

/** The market-data condition that forbids quoting, if any. */
export function feedBlocker(ctx: PairContext): PauseReason | null {
  if (ctx.feedProblem) return 'feed-problem';
  if (ctx.feedStaleSince !== null) return 'feed-stale';
  return null;
}

export function shockMeasure(ctx: PairContext): { movePct: number; referencePrice: number } | null {
  const mid = midOf(ctx);
  if (mid === null || ctx.shockWindow.samples.length === 0) return null;
  return measureShock(ctx.shockWindow, mid);
}

export function shockDetected(ctx: PairContext): boolean {
  const m = shockMeasure(ctx);
  return m !== null && isShock(m, ctx.params.shock.thresholdPct);
}

export const absPosition = (ctx: PairContext) => D(ctx.position).abs();

export const beyondHardLimit = (ctx: PairContext): boolean => absPosition(ctx).gt(ctx.params.inventory.hardLimit);

export const withinMaxPosition = (ctx: PairContext): boolean => absPosition(ctx).lte(ctx.params.inventory.maxPosition);

export function liquidationExcess(ctx: PairContext): string {
  return toDecimalString(absPosition(ctx).minus(ctx.params.inventory.maxPosition));
}

export function targetPosition(ctx: PairContext): string {
  const max = D(ctx.params.inventory.maxPosition);
  return toDecimalString(D(ctx.position).isNeg() ? max.neg() : max);
}

export const cooldownOver = (ctx: PairContext): boolean => ctx.shock !== null && ctx.now >= ctx.shock.cooldownUntil;

export function backInResumeBand(ctx: PairContext): boolean {
  const mid = midOf(ctx);
  return ctx.shock !== null && mid !== null && withinResumeBand(mid, ctx.shock.referencePrice, ctx.params.shock.resumeBandPct);
}

export const rearmsLeft = (ctx: PairContext): boolean => ctx.shock !== null && ctx.shock.rearms < ctx.params.shock.maxRearms;

export function quoteDue(ctx: PairContext): boolean {
  if (midOf(ctx) === null) return false;
  if (ctx.quoteDirty || ctx.lastQuoteTs === null) return true;
  return ctx.now - ctx.lastQuoteTs >= ctx.params.orders.minQuoteIntervalMs;
}

export const canAutoResume = (ctx: PairContext, autoResumable: ReadonlySet<PauseReason>): boolean =>
  ctx.pause !== null && autoResumable.has(ctx.pause.reason) && feedBlocker(ctx) === null;

// ---- risk limits and toxicity (src/risk) ----

const riskAt = (ctx: PairContext) => ({ position: ctx.position, mid: ctx.mid, now: ctx.now });

/** The first risk limit (params.risk) breached now, if any. */
export const riskLimitBreach = (ctx: PairContext): RiskBreach | null => riskBreach(ctx.risk, ctx.params.risk, riskAt(ctx));

/** The toxicity alarm raised by the last input, waiting to be acted on. */
export const toxicAlarm = (ctx: PairContext): ToxicAlarm | null => ctx.risk.alarm;

/** Within risk.requoteDelayAfterFillMs of our last fill: no new decision (resting orders stay). */
export function requoteHeld(ctx: PairContext): boolean {
  const delay = ctx.params.risk.requoteDelayAfterFillMs;
  return delay > 0 && ctx.risk.lastFillTs !== null && ctx.now < ctx.risk.lastFillTs + delay;
}

/** A price-band or position-value pause whose condition no longer holds, with the feed and venue healthy. */
export const riskHoldCleared = (ctx: PairContext): boolean =>
  ctx.pause?.reason === 'risk-limit' && holdCleared(ctx.risk, ctx.params.risk, riskAt(ctx)) && feedBlocker(ctx) === null && ctx.venueDown === null;

/** A pause with a deadline (calm period, next UTC day, trade window). */
export const riskHoldTimed = (ctx: PairContext): boolean => ctx.risk.hold !== null && ctx.risk.hold.until !== null;
