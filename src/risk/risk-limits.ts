import type { RiskParams } from '../config/params/risk-params.js';
import { D, toDecimalString } from '../core/decimal.js';
import type { Side } from '../core/types.js';
import { dailyPnl, drawdown, nextUtcDayStart, type RunningPnl } from './running-pnl.js';

/*
 * Risk limits of one pair, each a pure check of its own parameters: null
 * when it holds, a breach (with the numbers for RiskLimitBreached and Paused)
 * when it does not. A limit is breached AT its threshold.
 */

export type RiskRule = 'max-position-value' | 'max-exposure' | 'daily-loss' | 'max-drawdown' | 'trades-per-minute' | 'price-band';

/** How a risk pause ends: at a deadline, when the condition clears, or only by an operator. */
export type RiskResume = { readonly kind: 'at'; readonly at: number } | { readonly kind: 'when-clear' } | { readonly kind: 'operator' };

export interface RiskBreach {
  readonly rule: RiskRule;
  readonly value: string;
  readonly threshold: string;
  readonly detail: string;
  readonly resume: RiskResume;
}

const isOn = (amount: string): boolean => D(amount).gt(0);

/** Money in a breach, to 12 places: the average cost is a quotient, and 40 digits of it would only be noise. */
const money = (d: ReturnType<typeof D>): string => toDecimalString(d.toDecimalPlaces(12));

/** |position| x mid against the value limit and the exposure limit (capital x pct), whichever binds first. */
export function checkPositionValue(position: string, mid: number, p: RiskParams): RiskBreach | null {
  const valueOn = isOn(p.maxPositionValueQuote);
  const exposureOn = p.maxExposurePct > 0 && isOn(p.capitalQuote);
  if (!valueOn && !exposureOn) return null;
  const value = D(position).abs().times(mid);
  if (valueOn && value.gte(p.maxPositionValueQuote)) {
    return {
      rule: 'max-position-value',
      value: money(value),
      threshold: p.maxPositionValueQuote,
      detail: `position value ${money(value)} (|${position}| at ${mid}) at or above ${p.maxPositionValueQuote}`,
      resume: { kind: 'when-clear' },
    };
  }
  if (exposureOn) {
    const exposurePct = value.div(p.capitalQuote).times(100);
    if (exposurePct.gte(p.maxExposurePct)) {
      return {
        rule: 'max-exposure',
        value: toDecimalString(exposurePct.toDecimalPlaces(6)),
        threshold: String(p.maxExposurePct),
        detail: `exposure ${money(value)} is ${toDecimalString(exposurePct.toDecimalPlaces(4))}% of capital ${p.capitalQuote}`,
        resume: { kind: 'when-clear' },
      };
    }
  }
  return null;
}

export function checkPriceBand(mid: number, p: RiskParams): RiskBreach | null {
  if (p.priceCeiling > 0 && mid > p.priceCeiling) {
    return { rule: 'price-band', value: toDecimalString(mid), threshold: String(p.priceCeiling), detail: `mid ${mid} above the ceiling ${p.priceCeiling}`, resume: { kind: 'when-clear' } };
  }
  if (p.priceFloor > 0 && mid < p.priceFloor) {
    return { rule: 'price-band', value: toDecimalString(mid), threshold: String(p.priceFloor), detail: `mid ${mid} below the floor ${p.priceFloor}`, resume: { kind: 'when-clear' } };
  }
  return null;
}

/** The loss of the current UTC day (pnl already rolled to `now`). Resumes at the next 00:00 UTC. */
export function checkDailyLoss(pnl: RunningPnl, now: number, p: RiskParams): RiskBreach | null {
  if (!isOn(p.dailyLossLimitQuote)) return null;
  const loss = D(dailyPnl(pnl)).neg();
  if (loss.lt(p.dailyLossLimitQuote)) return null;
  const at = nextUtcDayStart(now);
  return {
    rule: 'daily-loss',
    value: money(loss),
    threshold: p.dailyLossLimitQuote,
    detail: `lost ${money(loss)} since ${new Date(pnl.dayStart).toISOString()}; paused until ${new Date(at).toISOString()}`,
    resume: { kind: 'at', at },
  };
}

export function checkDrawdown(pnl: RunningPnl, p: RiskParams): RiskBreach | null {
  if (!isOn(p.maxDrawdownQuote)) return null;
  const dd = D(drawdown(pnl));
  if (dd.lt(p.maxDrawdownQuote)) return null;
  return {
    rule: 'max-drawdown',
    value: money(dd),
    threshold: p.maxDrawdownQuote,
    detail: `net PnL ${money(D(pnl.peak).minus(dd))} is ${money(dd)} below its peak ${money(D(pnl.peak))}`,
    resume: { kind: 'operator' },
  };
}

export interface SideFill {
  readonly ts: number;
  readonly side: Side;
}

/** Own fills on one side within the window beyond the maximum (tribeca's trades-per-minute safety). */
export function checkTradesPerMinute(fills: readonly SideFill[], now: number, p: RiskParams): RiskBreach | null {
  if (p.maxTradesPerMinute <= 0) return null;
  const from = now - p.tradesWindowMs;
  let buys = 0;
  let sells = 0;
  for (const f of fills) {
    if (f.ts <= from) continue;
    if (f.side === 'buy') buys++;
    else sells++;
  }
  const [side, count] = buys >= sells ? (['buy', buys] as const) : (['sell', sells] as const);
  if (count <= p.maxTradesPerMinute) return null;
  return {
    rule: 'trades-per-minute',
    value: String(count),
    threshold: String(p.maxTradesPerMinute),
    detail: `${count} own ${side} fills within ${p.tradesWindowMs} ms, more than ${p.maxTradesPerMinute}`,
    resume: { kind: 'at', at: now + p.tradesWindowMs },
  };
}
