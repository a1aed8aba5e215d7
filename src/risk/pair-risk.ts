import type { RiskParams, ToxicityParams } from '../config/params/risk-params.js';
import { D, toDecimalString } from '../core/decimal.js';
import type { Side } from '../core/types.js';
import {
  checkDailyLoss,
  checkDrawdown,
  checkPositionValue,
  checkPriceBand,
  checkTradesPerMinute,
  type RiskBreach,
  type RiskRule,
  type SideFill,
} from './risk-limits.js';
import { applyFillToPnl, markPnl, resetPeak, rollUtcDay, seedRunningPnl, utcDayStart, type PnlFill, type PnlSeed, type RunningPnl } from './running-pnl.js';
import {
  emptyToxicity,
  keepWindow,
  PAUSE_REASON_OF,
  toxicityOnFill,
  toxicityOnMid,
  toxicityOnTrade,
  type ToxicAlarm,
  type ToxicityState,
  type ToxicPauseReason,
  type ToxicSignal,
} from './toxicity-signals.js';

/*
 * The risk and toxicity state the pair machine keeps in its context, and the
 * pure updates its actions call. The machine decides what to do with an
 * alarm or a breach (pause, record); this module only measures.
 */

export interface RiskAndToxicityParams {
  readonly risk: RiskParams;
  readonly toxicity: ToxicityParams;
}

/** A pause this module owns, and how it ends. `until` is also recorded in the events (a restart re-arms from it). */
export type ToxicHold = { readonly kind: 'toxicity'; readonly signal: ToxicSignal; readonly reason: ToxicPauseReason; readonly until: number };

export type RiskHold =
  | ToxicHold
  | { readonly kind: 'risk'; readonly rule: RiskRule; readonly until: number | null; readonly whenClear: boolean };

export interface PairRiskState {
  readonly toxicity: ToxicityState;
  /** A toxic signal raised by the last input; the machine consumes (clears) it. */
  readonly alarm: ToxicAlarm | null;
  /** The last toxic signal seen while already paused for toxicity: the calm period then runs on from it. */
  readonly toxicWhilePaused: (ToxicAlarm & { readonly ts: number }) | null;
  readonly pnl: RunningPnl;
  /** Own fills within risk.tradesWindowMs. */
  readonly sideFills: readonly SideFill[];
  readonly lastFillTs: number | null;
  readonly hold: RiskHold | null;
  /** An operator resumed a daily-loss pause: the rule sleeps until this UTC day is over. */
  readonly dailyLossWaivedDay: number | null;
  /** An operator resumed a position-value pause at this value: it fires again only above it. */
  readonly positionValueWaivedAt: string | null;
}

export function initialPairRisk(seed: PnlSeed | undefined, now: number): PairRiskState {
  return {
    toxicity: emptyToxicity(),
    alarm: null,
    toxicWhilePaused: null,
    pnl: seedRunningPnl(seed, now),
    sideFills: [],
    lastFillTs: null,
    hold: null,
    dailyLossWaivedDay: null,
    positionValueWaivedAt: null,
  };
}

const positionValue = (position: string, mid: number) => D(position).abs().times(mid);

/** Which limits are on, worked out once per params object: the checks run on every book. */
interface LimitsOn {
  readonly any: boolean;
  readonly pnl: boolean;
}
const limitsOnCache = new WeakMap<RiskParams, LimitsOn>();
function limitsOn(p: RiskParams): LimitsOn {
  let on = limitsOnCache.get(p);
  if (!on) {
    const pnl = D(p.dailyLossLimitQuote).gt(0) || D(p.maxDrawdownQuote).gt(0);
    const any = pnl || D(p.maxPositionValueQuote).gt(0) || p.maxExposurePct > 0 || p.maxTradesPerMinute > 0 || p.priceCeiling > 0 || p.priceFloor > 0;
    on = { any, pnl };
    limitsOnCache.set(p, on);
  }
  return on;
}

const pnlRulesOn = (p: RiskParams): boolean => limitsOn(p).pnl;

const withAlarm = (s: PairRiskState, alarm: ToxicAlarm | null): ToxicAlarm | null => alarm ?? s.alarm;

export function riskOnMid(s: PairRiskState, p: RiskAndToxicityParams, ts: number, mid: number): PairRiskState {
  const tox = toxicityOnMid(s.toxicity, p.toxicity, ts, mid);
  const pnl = pnlRulesOn(p.risk) ? markPnl(rollUtcDay(s.pnl, ts), mid) : s.pnl;
  if (tox.state === s.toxicity && tox.alarm === null && pnl === s.pnl) return s;
  return { ...s, toxicity: tox.state, alarm: withAlarm(s, tox.alarm), pnl };
}

export function riskOnTrade(s: PairRiskState, p: RiskAndToxicityParams, trade: { ts: number; size: number; aggressor: Side }): PairRiskState {
  const tox = toxicityOnTrade(s.toxicity, p.toxicity, trade);
  if (tox.state === s.toxicity && tox.alarm === null) return s;
  return { ...s, toxicity: tox.state, alarm: withAlarm(s, tox.alarm) };
}

export function riskOnFill(s: PairRiskState, p: RiskAndToxicityParams, market: { readonly base: string; readonly quote: string }, ts: number, fill: PnlFill): PairRiskState {
  const tox = toxicityOnFill(s.toxicity, p.toxicity, { ts, side: fill.side, amount: fill.amount, price: fill.price });
  const sideFills = p.risk.maxTradesPerMinute > 0 ? keepWindow([...s.sideFills, { ts, side: fill.side }], ts, p.risk.tradesWindowMs) : s.sideFills;
  return {
    ...s,
    toxicity: tox.state,
    alarm: withAlarm(s, tox.alarm),
    pnl: applyFillToPnl(rollUtcDay(s.pnl, ts), fill, market),
    sideFills,
    lastFillTs: ts,
  };
}

/** The first risk limit breached now, if any. Cheap when every limit is off. */
export function riskBreach(s: PairRiskState, p: RiskParams, at: { position: string; mid: number | null; now: number }): RiskBreach | null {
  if (!limitsOn(p).any) return null;
  if (at.mid !== null) {
    const band = checkPriceBand(at.mid, p);
    if (band) return band;
    const value = checkPositionValue(at.position, at.mid, p);
    if (value && !(s.positionValueWaivedAt !== null && positionValue(at.position, at.mid).lte(s.positionValueWaivedAt))) return value;
  }
  const pnl = rollUtcDay(s.pnl, at.now);
  if (s.dailyLossWaivedDay !== utcDayStart(at.now)) {
    const loss = checkDailyLoss(pnl, at.now, p);
    if (loss) return loss;
  }
  return checkDrawdown(pnl, p) ?? checkTradesPerMinute(s.sideFills, at.now, p);
}

export function holdFor(breach: RiskBreach): RiskHold {
  return { kind: 'risk', rule: breach.rule, until: breach.resume.kind === 'at' ? breach.resume.at : null, whenClear: breach.resume.kind === 'when-clear' };
}

export function toxicHold(alarm: ToxicAlarm, now: number, p: ToxicityParams): ToxicHold {
  return { kind: 'toxicity', signal: alarm.signal, reason: PAUSE_REASON_OF[alarm.signal], until: now + p.calmPeriodMs };
}

/** The pause reason of a hold, as the Paused event records it. */
export const holdReason = (h: RiskHold): 'risk-limit' | ToxicPauseReason => (h.kind === 'risk' ? 'risk-limit' : h.reason);

/** A condition-based hold (price band, position value) whose condition no longer holds. */
export function holdCleared(s: PairRiskState, p: RiskParams, at: { position: string; mid: number | null; now: number }): boolean {
  const h = s.hold;
  if (h === null || h.kind !== 'risk' || !h.whenClear || at.mid === null) return false;
  if (h.rule === 'price-band') return checkPriceBand(at.mid, p) === null;
  return checkPositionValue(at.position, at.mid, p) === null;
}

/** The deadline of a timed hold, or null. */
export const holdDeadline = (s: PairRiskState): number | null => s.hold?.until ?? null;

/**
 * An operator resumed: the rule that held is waived where it would otherwise
 * fire again at once (the day's loss, the drawdown from the old peak, the
 * fills already counted, the position value as it stands).
 */
export function acknowledgeOperatorResume(s: PairRiskState, at: { position: string; mid: number | null; now: number }): PairRiskState {
  const h = s.hold;
  const cleared = { ...s, hold: null, alarm: null, toxicWhilePaused: null };
  if (h === null || h.kind !== 'risk') return cleared;
  switch (h.rule) {
    case 'daily-loss':
      return { ...cleared, dailyLossWaivedDay: utcDayStart(at.now) };
    case 'max-drawdown':
      return { ...cleared, pnl: resetPeak(rollUtcDay(s.pnl, at.now)) };
    case 'trades-per-minute':
      return { ...cleared, sideFills: [] };
    case 'max-position-value':
    case 'max-exposure': {
      return { ...cleared, positionValueWaivedAt: at.mid === null ? null : toDecimalString(positionValue(at.position, at.mid)) };
    }
    case 'price-band':
      return cleared;
  }
}

/** A toxic signal while paused for toxicity: noted (no event), the deadline moves when it comes. */
export const noteToxicWhilePaused = (s: PairRiskState, now: number): PairRiskState =>
  s.alarm === null ? s : { ...s, alarm: null, toxicWhilePaused: { ...s.alarm, ts: now } };

/**
 * At the end of a calm period that was not calm: the new deadline is one calm
 * period after the last toxic signal (always later than the old one).
 */
export function rearmToxicHold(s: PairRiskState, p: ToxicityParams): { state: PairRiskState; alarm: ToxicAlarm; until: number } | null {
  const last = s.toxicWhilePaused;
  if (last === null || s.hold?.kind !== 'toxicity') return null;
  const until = last.ts + p.calmPeriodMs;
  const { ts: _ts, ...alarm } = last;
  return { state: { ...s, toxicWhilePaused: null, hold: { ...s.hold, signal: last.signal, until } }, alarm, until };
}
