import { applyFillToInventory, emptyInventory, type Inventory } from '../../projections/inventory.js';
import { D, toDecimalString } from '../core/decimal.js';
import type { Side } from '../core/types.js';

/*
 * The pair's running PnL for the loss and drawdown limits: the same
 * average-cost inventory fold as the projection (projections/inventory.ts),
 * fees valued in quote currency, marked at the mid. Pure and decimal.
 */

export const DAY_MS = 86_400_000;

/** 00:00 UTC of the day containing `ms`. */
export const utcDayStart = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/** 00:00 UTC of the next day. */
export const nextUtcDayStart = (ms: number): number => utcDayStart(ms) + DAY_MS;

export interface RunningPnl {
  readonly inventory: Inventory;
  /** Fees paid in quote currency (negative = rebates). */
  readonly fees: string;
  /** Last mid the PnL was marked at; null before the first. */
  readonly mark: string | null;
  /** Highest net PnL seen (the drawdown reference). */
  readonly peak: string;
  /** 00:00 UTC of the day the daily loss is counted in. */
  readonly dayStart: number;
  /** Net PnL at dayStart (or at the start of the run, when it began that day). */
  readonly dayStartNet: string;
}

/** What the runtime's projection knows at start. */
export interface PnlSeed {
  readonly inventory: Inventory;
  readonly fees: string;
  readonly lastMid: string | null;
  /** From the log (recorded-pnl.ts): net PnL at 00:00 UTC today, and the highest net PnL. Absent: both start from now. */
  readonly dayStartNet?: string;
  readonly peak?: string;
}

export function netPnl(s: Pick<RunningPnl, 'inventory' | 'fees' | 'mark'>): string {
  const pos = D(s.inventory.position);
  const unrealised = s.mark === null || pos.isZero() ? D(0) : D(s.mark).minus(s.inventory.averageCost).times(pos);
  return toDecimalString(D(s.inventory.realizedPnl).plus(unrealised).minus(s.fees));
}

/**
 * A restart seeds the PnL so far and, from the log, the net PnL at 00:00 UTC
 * and the peak, so the daily loss counts from midnight and the drawdown from
 * the log's peak. Without them (a new pair) both start from now.
 */
export function seedRunningPnl(seed: PnlSeed | undefined, now: number): RunningPnl {
  const base = { inventory: seed?.inventory ?? emptyInventory(), fees: seed?.fees ?? '0', mark: seed?.lastMid ?? null };
  const net = netPnl(base);
  const peak = seed?.peak !== undefined && D(seed.peak).gt(net) ? seed.peak : net;
  return { ...base, peak, dayStart: utcDayStart(now), dayStartNet: seed?.dayStartNet ?? net };
}

export interface PnlFill {
  readonly side: Side;
  readonly price: number;
  readonly amount: number;
  readonly fee: number;
  /** Absent: the fee is in quote currency. */
  readonly feeCurrency?: string;
}

export function applyFillToPnl(s: RunningPnl, fill: PnlFill, market: { readonly base: string; readonly quote: string }): RunningPnl {
  const price = toDecimalString(fill.price);
  const inventory = applyFillToInventory(s.inventory, { side: fill.side, price, amount: toDecimalString(fill.amount) });
  // As the projection (projections/pnl.ts): a fee in a third currency (BNB) has no price here and is not counted.
  if (fill.feeCurrency !== undefined && fill.feeCurrency !== market.base && fill.feeCurrency !== market.quote) return { ...s, inventory };
  const fee = fill.feeCurrency === market.base ? D(fill.fee).times(price) : D(fill.fee);
  return { ...s, inventory, fees: toDecimalString(D(s.fees).plus(fee)) };
}

/** Marks at the mid and raises the peak. */
export function markPnl(s: RunningPnl, mid: number): RunningPnl {
  const marked = { ...s, mark: toDecimalString(mid) };
  const net = netPnl(marked);
  return D(net).gt(s.peak) ? { ...marked, peak: net } : marked;
}

/** On the first input of a new UTC day the daily loss starts again from the current net PnL. */
export function rollUtcDay(s: RunningPnl, now: number): RunningPnl {
  const day = utcDayStart(now);
  return day > s.dayStart ? { ...s, dayStart: day, dayStartNet: netPnl(s) } : s;
}

/** Net PnL since dayStart (negative is a loss). */
export const dailyPnl = (s: RunningPnl): string => toDecimalString(D(netPnl(s)).minus(s.dayStartNet));

/** How far the net PnL is below its peak (>= 0). */
export const drawdown = (s: RunningPnl): string => toDecimalString(D(s.peak).minus(netPnl(s)));

/** After an operator resumes a drawdown pause, the drawdown counts from here. */
export const resetPeak = (s: RunningPnl): RunningPnl => ({ ...s, peak: netPnl(s) });
