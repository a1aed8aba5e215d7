import { Set as ImmutableSet } from 'immutable';
import type { RecordedEvent } from '../events/envelope.js';
import type { PairState } from '../events/primitives.js';
import { D, Decimal, toDecimalString } from '../src/core/decimal.js';
import { applyPairEvent, emptyPairProjection, REPORT_DECIMALS, type PairProjection, type PairSummary } from './pair-projection.js';
import { applyPerformanceEvent, emptyPerformance, fillRatio, type PairPerformance } from './performance.js';
import { pnlSummary } from './pnl.js';
import type { TrackedOrder } from './open-orders.js';

/*
 * The read models: one row per pair stream in each of three tables, derived
 * from the pair projection (inventory, PnL) and the performance fold. The
 * projection runner and the rebuild both fold with applyReadModelEvent, so a
 * stored row and a rebuilt row are equal value for value, not approximately.
 *
 * Rows are keyed by their SQL column names, so what a tool reads with plain
 * SQL, what a diff names and what this module computes are the same words.
 * Money is kept at full precision (as the projections keep it); reports round.
 */

export interface InventoryRow {
  readonly stream: string;
  readonly pair_id: string | null;
  readonly venue: string | null;
  readonly symbol: string | null;
  readonly base: string | null;
  readonly quote: string | null;
  /** Signed base amount: long > 0, short < 0. */
  readonly position: string;
  readonly average_cost: string;
  /** Average-cost method, gross of fees. */
  readonly realized_pnl: string;
  readonly fills: number;
  readonly bought_base: string;
  readonly sold_base: string;
}

export interface PnlRow {
  readonly stream: string;
  readonly pair_id: string | null;
  readonly realized_pnl: string;
  /** Marked at `mark_price`, the last mid recorded in a QuoteDecided event. */
  readonly unrealized_pnl: string;
  readonly mark_price: string | null;
  readonly fees: string;
  /** realized + unrealized − fees. */
  readonly net_pnl: string;
}

export interface PerformanceRow {
  readonly stream: string;
  readonly pair_id: string | null;
  readonly state: PairState;
  readonly decisions: number;
  readonly orders_placed: number;
  readonly orders_acknowledged: number;
  readonly orders_rejected: number;
  readonly orders_cancelled: number;
  readonly orders_filled: number;
  readonly orders_fully_filled: number;
  /** orders_filled / orders_placed, 12 decimal places. */
  readonly fill_ratio: string;
  readonly fills: number;
  readonly maker_fills: number;
  readonly taker_fills: number;
  readonly repeated_fills: number;
  readonly volume_base: string;
  readonly turnover_quote: string;
  readonly fees: string;
  readonly state_changes: number;
  readonly pauses: number;
  /** JSON object, reason → count, keys sorted (e.g. {"feed-stale":2}). */
  readonly pauses_by_reason: string;
  readonly resumes: number;
  readonly shocks: number;
  readonly shock_rearms: number;
  readonly shocks_cleared: number;
  readonly liquidations: number;
  readonly liquidations_completed: number;
}

export interface ReadModelRows {
  readonly inventory: InventoryRow;
  readonly pnl: PnlRow;
  readonly performance: PerformanceRow;
}

export type ReadModelTable = keyof ReadModelRows;
export const READ_MODEL_TABLES: readonly ReadModelTable[] = ['inventory', 'pnl', 'performance'];

/** How a column is stored: decimals as TEXT (exact), counts as INTEGER; `?` = nullable. */
export type ColumnKind = 'text' | 'text?' | 'decimal' | 'decimal?' | 'integer';
export type ColumnSpec<Row> = { readonly [K in keyof Row]-?: ColumnKind };

/** Every column of every table, in table order. Typed against the row interfaces, so the two cannot drift apart. */
export const READ_MODEL_COLUMNS: { readonly [T in ReadModelTable]: ColumnSpec<ReadModelRows[T]> } = {
  inventory: {
    stream: 'text',
    pair_id: 'text?',
    venue: 'text?',
    symbol: 'text?',
    base: 'text?',
    quote: 'text?',
    position: 'decimal',
    average_cost: 'decimal',
    realized_pnl: 'decimal',
    fills: 'integer',
    bought_base: 'decimal',
    sold_base: 'decimal',
  },
  pnl: {
    stream: 'text',
    pair_id: 'text?',
    realized_pnl: 'decimal',
    unrealized_pnl: 'decimal',
    mark_price: 'decimal?',
    fees: 'decimal',
    net_pnl: 'decimal',
  },
  performance: {
    stream: 'text',
    pair_id: 'text?',
    state: 'text',
    decisions: 'integer',
    orders_placed: 'integer',
    orders_acknowledged: 'integer',
    orders_rejected: 'integer',
    orders_cancelled: 'integer',
    orders_filled: 'integer',
    orders_fully_filled: 'integer',
    fill_ratio: 'decimal',
    fills: 'integer',
    maker_fills: 'integer',
    taker_fills: 'integer',
    repeated_fills: 'integer',
    volume_base: 'decimal',
    turnover_quote: 'decimal',
    fees: 'decimal',
    state_changes: 'integer',
    pauses: 'integer',
    pauses_by_reason: 'text',
    resumes: 'integer',
    shocks: 'integer',
    shock_rearms: 'integer',
    shocks_cleared: 'integer',
    liquidations: 'integer',
    liquidations_completed: 'integer',
  },
};

/** One row to write: the latest content of one table's row for one stream. */
export type ReadModelUpsert = { [T in ReadModelTable]: { readonly table: T; readonly row: ReadModelRows[T] } }[ReadModelTable];

/** The read models a projection covers: rows of every table, each sorted by stream. */
export interface ReadModelSnapshot {
  readonly inventory: readonly InventoryRow[];
  readonly pnl: readonly PnlRow[];
  readonly performance: readonly PerformanceRow[];
}

/** The read models are per pair stream; other streams advance the checkpoint and nothing else. */
export const isProjectedStream = (stream: string): boolean => stream.startsWith('pair-');

/** Everything folded so far for one stream: enough to continue the fold after a restart. */
export interface StreamProjection {
  readonly stream: string;
  /** Revision of the last event applied; -1 before the first. */
  readonly revision: number;
  /** Global position of the last event applied; 0 before the first. */
  readonly logPosition: number;
  readonly pair: PairProjection;
  readonly performance: PairPerformance;
}

/**
 * Keys the fold must never apply twice and so keeps for ever: trade ids
 * (fill idempotency) and ids of orders already counted as filled. They are
 * handed out one by one as they appear, so a store can append them instead of
 * rewriting a growing set on every commit.
 */
export type RememberedKind = 'trade-id' | 'filled-order';
export interface RememberedKey {
  readonly kind: RememberedKind;
  readonly key: string;
}

export interface ReadModelStep {
  readonly state: StreamProjection;
  /** Tables whose row this event may have changed: every table on a stream's first event, then those whose inputs changed. */
  readonly changed: readonly ReadModelTable[];
  /** The rows to upsert: the changed tables' rows as of this event. Computed on first access, so a batch can skip the rows it overwrites. */
  readonly upserts: readonly ReadModelUpsert[];
  readonly remembered: readonly RememberedKey[];
}

export class ProjectionSequenceError extends Error {
  override readonly name = 'ProjectionSequenceError';
  constructor(
    readonly stream: string,
    readonly expectedRevision: number,
    readonly revision: number,
    readonly position: number,
  ) {
    super(
      `stream "${stream}": expected revision ${expectedRevision} next but got revision ${revision} (position ${position}); ` +
        'an event would be skipped or applied twice, so the projection stops',
    );
  }
}

export function emptyStreamProjection(stream: string): StreamProjection {
  return { stream, revision: -1, logPosition: 0, pair: emptyPairProjection(), performance: emptyPerformance() };
}

/**
 * Fold one recorded event of `state.stream` into its read models. Pure and
 * deterministic. Events must come in revision order with none missing: a gap
 * or a repeat throws ProjectionSequenceError, because folding past either
 * would make the numbers silently wrong.
 */
export function applyReadModelEvent(state: StreamProjection, event: RecordedEvent): ReadModelStep {
  if (event.stream !== state.stream) throw new RangeError(`event of stream "${event.stream}" folded into the projection of "${state.stream}"`);
  if (event.revision !== state.revision + 1) throw new ProjectionSequenceError(state.stream, state.revision + 1, event.revision, event.position);
  const before = state.pair;
  const repeatedFill = event.type === 'OrderFilled' && before.tradeIds.has(event.data.tradeId);
  const pair = applyPairEvent(before, event);
  const performance = applyPerformanceEvent(state.performance, event, { market: before.market, repeatedFill });
  const remembered: RememberedKey[] = [];
  if (event.type === 'OrderFilled' && !repeatedFill) {
    remembered.push({ kind: 'trade-id', key: event.data.tradeId });
    if (!state.performance.filledOrderIds.has(event.data.clientOrderId)) remembered.push({ kind: 'filled-order', key: event.data.clientOrderId });
  }
  const next: StreamProjection = { ...state, revision: event.revision, logPosition: event.position, pair, performance };
  // Each row is a function of the inputs named here; the folds keep an input's object when it does not change.
  const first = state.revision === -1;
  const sameIds = pair.pairId === before.pairId;
  const changed = READ_MODEL_TABLES.filter((table) => {
    if (first || !sameIds) return true;
    switch (table) {
      case 'inventory':
        return pair.market !== before.market || pair.inventory !== before.inventory;
      case 'pnl':
        return pair.inventory !== before.inventory || pair.feesAndMark !== before.feesAndMark;
      case 'performance':
        return pair.state !== before.state || performance !== state.performance;
    }
  });
  let upserts: readonly ReadModelUpsert[] | undefined;
  return {
    state: next,
    changed,
    get upserts() {
      upserts ??= upsertsOf(next, changed);
      return upserts;
    },
    remembered,
  };
}

/** The current rows of the given tables of one stream. */
export function upsertsOf(state: StreamProjection, tables: Iterable<ReadModelTable>): ReadModelUpsert[] {
  const out: ReadModelUpsert[] = [];
  for (const table of tables) {
    switch (table) {
      case 'inventory':
        out.push({ table, row: inventoryRow(state.stream, state.pair) });
        break;
      case 'pnl':
        out.push({ table, row: pnlRow(state.stream, state.pair) });
        break;
      case 'performance':
        out.push({ table, row: performanceRow(state.stream, state.pair, state.performance) });
        break;
    }
  }
  return out;
}

/** All three rows of one stream. */
export const readModelRows = (s: StreamProjection): ReadModelRows => ({
  inventory: inventoryRow(s.stream, s.pair),
  pnl: pnlRow(s.stream, s.pair),
  performance: performanceRow(s.stream, s.pair, s.performance),
});

/** Reads pairId, market and inventory only (applyReadModelEvent relies on it). */
function inventoryRow(stream: string, pair: PairProjection): InventoryRow {
  const market = pair.market;
  return {
    stream,
    pair_id: pair.pairId,
    venue: market?.venue ?? null,
    symbol: market?.symbol ?? null,
    base: market?.base ?? null,
    quote: market?.quote ?? null,
    position: pair.inventory.position,
    average_cost: pair.inventory.averageCost,
    realized_pnl: pair.inventory.realizedPnl,
    fills: pair.inventory.fills,
    bought_base: pair.inventory.boughtBase,
    sold_base: pair.inventory.soldBase,
  };
}

/** Reads pairId, inventory and feesAndMark only. */
function pnlRow(stream: string, pair: PairProjection): PnlRow {
  const pnl = pnlSummary(pair.inventory, pair.feesAndMark);
  return {
    stream,
    pair_id: pair.pairId,
    realized_pnl: pnl.realizedPnl,
    unrealized_pnl: pnl.unrealizedPnl,
    mark_price: pair.feesAndMark.lastMid,
    fees: pnl.fees,
    net_pnl: pnl.netPnl,
  };
}

/** Reads pairId, state and the performance fold only. */
function performanceRow(stream: string, pair: PairProjection, perf: PairPerformance): PerformanceRow {
  return {
    stream,
    pair_id: pair.pairId,
    state: pair.state,
    decisions: perf.decisions,
    orders_placed: perf.ordersPlaced,
    orders_acknowledged: perf.ordersAcknowledged,
    orders_rejected: perf.ordersRejected,
    orders_cancelled: perf.ordersCancelled,
    orders_filled: perf.ordersFilled,
    orders_fully_filled: perf.ordersFullyFilled,
    fill_ratio: fillRatio(perf),
    fills: perf.fills,
    maker_fills: perf.makerFills,
    taker_fills: perf.takerFills,
    repeated_fills: perf.repeatedFills,
    volume_base: perf.volumeBase,
    turnover_quote: perf.turnoverQuote,
    fees: perf.fees,
    state_changes: perf.stateChanges,
    pauses: perf.pauses,
    pauses_by_reason: JSON.stringify(Object.fromEntries(Object.entries(perf.pausesByReason).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))),
    resumes: perf.resumes,
    shocks: perf.shocks,
    shock_rearms: perf.shockRearms,
    shocks_cleared: perf.shocksCleared,
    liquidations: perf.liquidations,
    liquidations_completed: perf.liquidationsCompleted,
  };
}

const roundReport = (value: string): string => toDecimalString(D(value).toDecimalPlaces(REPORT_DECIMALS, Decimal.ROUND_HALF_EVEN));

/** The `mm replay` summary of one pair, from its stored rows (money rounded as reports round it). */
export function pairSummaryFromRows(rows: ReadModelRows): PairSummary {
  return {
    decisions: rows.performance.decisions,
    orders: rows.performance.orders_placed,
    fills: rows.inventory.fills,
    position: rows.inventory.position,
    averageCost: roundReport(rows.inventory.average_cost),
    realizedPnl: roundReport(rows.pnl.realized_pnl),
    unrealizedPnl: roundReport(rows.pnl.unrealized_pnl),
    fees: roundReport(rows.pnl.fees),
    netPnl: roundReport(rows.pnl.net_pnl),
    state: rows.performance.state,
  };
}

/** Group a snapshot's rows by stream (streams missing a table's row are left out). */
export function rowsByStream(snapshot: ReadModelSnapshot): Map<string, ReadModelRows> {
  const out = new Map<string, ReadModelRows>();
  const pnl = new Map(snapshot.pnl.map((r) => [r.stream, r]));
  const performance = new Map(snapshot.performance.map((r) => [r.stream, r]));
  for (const inventory of snapshot.inventory) {
    const p = pnl.get(inventory.stream);
    const perf = performance.get(inventory.stream);
    if (p && perf) out.set(inventory.stream, { inventory, pnl: p, performance: perf });
  }
  return out;
}

/* ------------------------------------------------------------------------- *
 * Persisting the fold between runs.
 *
 * Choice: the runner persists the whole folded state of each stream it
 * touched (pair projection + performance) as JSON, in the same transaction as
 * the rows and the checkpoint, rather than re-reading each stream from the
 * log on restart. A restart then costs one row per stream, whatever the
 * length of the log, and the state can never be from a different point in
 * the log than the rows and checkpoint beside it. The two sets that grow
 * without bound (trade ids, filled order ids) are left out of the JSON and
 * stored as one row per key, appended as they appear, so a commit writes
 * what changed rather than the whole history again.
 * ------------------------------------------------------------------------- */

/** Bumped whenever the JSON shape changes; an unknown format is refused (rebuild the read models). */
export const STREAM_STATE_FORMAT = 1;

export interface SerialisedStreamProjection {
  readonly stream: string;
  readonly revision: number;
  readonly logPosition: number;
  /** JSON of everything but the remembered keys. */
  readonly state: string;
}

export interface StoredStreamProjection extends SerialisedStreamProjection {
  readonly remembered: { readonly [K in RememberedKind]: readonly string[] };
}

export class StreamStateError extends Error {
  override readonly name = 'StreamStateError';
  constructor(
    readonly stream: string,
    problem: string,
  ) {
    super(`stored projection state of stream "${stream}" is unusable: ${problem}; rebuild the read models into a fresh file`);
  }
}

export function serialiseStreamProjection(s: StreamProjection): SerialisedStreamProjection {
  const { tradeIds: _tradeIds, openOrders, ...pair } = s.pair;
  const { filledOrderIds: _filled, ...performance } = s.performance;
  const state = JSON.stringify({ format: STREAM_STATE_FORMAT, pair: { ...pair, openOrders: [...openOrders.values()] }, performance });
  return { stream: s.stream, revision: s.revision, logPosition: s.logPosition, state };
}

export function restoreStreamProjection(stored: StoredStreamProjection): StreamProjection {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored.state);
  } catch (error) {
    throw new StreamStateError(stored.stream, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new StreamStateError(stored.stream, 'not a JSON object');
  const { format, pair, performance } = parsed as { format?: unknown; pair?: unknown; performance?: unknown };
  if (format !== STREAM_STATE_FORMAT) throw new StreamStateError(stored.stream, `format ${String(format)}, this build reads format ${STREAM_STATE_FORMAT}`);
  if (!isRecord(pair) || !isRecord(performance) || !Array.isArray(pair.openOrders)) throw new StreamStateError(stored.stream, 'missing pair or performance state');
  // Every key of the empty state must be present, so a truncated state fails here rather than as NaN later.
  for (const [name, value, template] of [
    ['pair', pair, emptyPairProjection()],
    ['performance', performance, emptyPerformance()],
  ] as const) {
    for (const key of Object.keys(template)) {
      if (key === 'tradeIds' || key === 'filledOrderIds') continue;
      if (!(key in value)) throw new StreamStateError(stored.stream, `${name}.${key} is missing`);
    }
  }
  const openOrders = new Map((pair.openOrders as TrackedOrder[]).map((o) => [o.clientOrderId, o]));
  const restoredPair = { ...(pair as unknown as PairProjection), openOrders, tradeIds: ImmutableSet(stored.remembered['trade-id']) };
  const restoredPerformance = { ...(performance as unknown as PairPerformance), filledOrderIds: ImmutableSet(stored.remembered['filled-order']) };
  return {
    stream: stored.stream,
    revision: stored.revision,
    logPosition: stored.logPosition,
    pair: restoredPair,
    performance: restoredPerformance,
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
