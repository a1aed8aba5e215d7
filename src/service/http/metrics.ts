import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PairView, ServiceControl, ServiceUpdate } from '../service-control.js';
import { PAIR_STATES } from './api-schemas.js';

/*
 * Prometheus metrics of the service, on a registry of its own (never the
 * prom-client global one, so two services in one process do not collide).
 *
 * - Per-pair gauges (state, quotes, open orders, inventory, PnL, risk) are
 *   read from ServiceControl.listPairs() at scrape time: they always agree
 *   with GET /api/pairs.
 * - Counters (events by type, orders, fills) count what ServiceUpdate pushes
 *   since the process started, as Prometheus counters do.
 * - Latency histograms are fed by the supervisor through observeTickToQuote
 *   and observeAppend (milliseconds in, seconds exposed).
 */

/** Buckets in seconds, 50 µs to 2.5 s: a tick-to-quote or an SQLite append sits in the low ones. */
export const LATENCY_BUCKETS_S = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface ServiceMetrics {
  readonly registry: Registry;
  /** Time from a market-data tick reaching the pair to its quote decision being recorded, in ms. */
  observeTickToQuote(pairId: string, ms: number): void;
  /** Time one append to the event store took, in ms. */
  observeAppend(pairId: string, ms: number): void;
  /** A ServiceControl subscriber: counts events by type, orders and fills. */
  onUpdate(update: ServiceUpdate): void;
  /** Subscribe to a control's updates and read its pairs at scrape time; returns the detach function. */
  attach(control: ServiceControl): () => void;
  /** The exposition text (refreshes the per-pair gauges first). */
  render(): Promise<string>;
  readonly contentType: string;
}

export interface ServiceMetricsOptions {
  /** Process metrics (CPU, RSS, heap, event-loop lag); default on. */
  readonly defaultMetrics?: boolean;
}

const num = (s: string): number => Number(s);

export function createServiceMetrics(options: ServiceMetricsOptions = {}): ServiceMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const state = new Gauge({ name: 'mm_pair_state', help: '1 for the state the pair is in, 0 for the others', labelNames: ['pair', 'state'], registers });
  const paramsVersion = new Gauge({ name: 'mm_pair_params_version', help: 'Version of the parameters in force', labelNames: ['pair'], registers });
  const quoteLevels = new Gauge({ name: 'mm_pair_quote_levels', help: 'Levels in the current quote ladder', labelNames: ['pair', 'side'], registers });
  const bestQuote = new Gauge({ name: 'mm_pair_best_quote_price', help: 'Best price of the current quote ladder (quote currency)', labelNames: ['pair', 'side'], registers });
  const bestBook = new Gauge({ name: 'mm_pair_book_best_price', help: 'Best price of the venue book (quote currency)', labelNames: ['pair', 'side'], registers });
  const openOrders = new Gauge({ name: 'mm_pair_open_orders', help: 'Orders open on the venue', labelNames: ['pair', 'side'], registers });
  const position = new Gauge({ name: 'mm_pair_position_base', help: 'Signed inventory (base currency)', labelNames: ['pair'], registers });
  const inventoryRatio = new Gauge({ name: 'mm_pair_inventory_ratio', help: 'Position as a signed fraction of inventory.maxPosition', labelNames: ['pair'], registers });
  const pnl = new Gauge({ name: 'mm_pair_pnl_quote', help: 'PnL in quote currency by component', labelNames: ['pair', 'component'], registers });
  const crashes = new Gauge({ name: 'mm_pair_crashes', help: 'Crashes of the pair actor since the process started', labelNames: ['pair'], registers });
  const riskAlerts = new Gauge({ name: 'mm_pair_risk_alerts', help: 'Risk limits currently breached or near', labelNames: ['pair'], registers });
  const ready = new Gauge({ name: 'mm_service_ready', help: '1 when every pair started and reconciled', registers });

  const events = new Counter({ name: 'mm_pair_events_total', help: 'Events appended, by type', labelNames: ['pair', 'type'], registers });
  const quotes = new Counter({ name: 'mm_pair_quotes_total', help: 'Quote decisions recorded (QuoteDecided)', labelNames: ['pair'], registers });
  const orders = new Counter({ name: 'mm_pair_orders_total', help: 'Orders by outcome: placed, acknowledged, cancelled, rejected', labelNames: ['pair', 'outcome'], registers });
  const fills = new Counter({ name: 'mm_pair_fills_total', help: 'Fills recorded', labelNames: ['pair', 'side', 'liquidity'], registers });
  const filledBase = new Counter({ name: 'mm_pair_filled_base_total', help: 'Base amount filled', labelNames: ['pair', 'side'], registers });
  const invalidObservations = new Counter({ name: 'mm_metrics_invalid_observations_total', help: 'Latency observations refused (negative or not finite)', labelNames: ['metric'], registers });

  const tickToQuote = new Histogram({ name: 'mm_tick_to_quote_seconds', help: 'From a market-data tick reaching the pair to its quote decision being recorded', labelNames: ['pair'], buckets: LATENCY_BUCKETS_S, registers });
  const append = new Histogram({ name: 'mm_event_append_seconds', help: 'One append to the event store', labelNames: ['pair'], buckets: LATENCY_BUCKETS_S, registers });

  let source: ServiceControl | null = null;

  const observe = (h: Histogram<'pair'>, metric: string, pairId: string, ms: number) => {
    // A bad observation is a bug in the caller, not a reason to crash a pair on its hot path: count it.
    if (!Number.isFinite(ms) || ms < 0) {
      invalidObservations.inc({ metric });
      return;
    }
    h.observe({ pair: pairId }, ms / 1000);
  };

  const ORDER_OUTCOMES: Readonly<Record<string, string>> = {
    OrderPlaced: 'placed',
    OrderAcknowledged: 'acknowledged',
    OrderCancelled: 'cancelled',
    OrderRejected: 'rejected',
  };

  function onUpdate(update: ServiceUpdate): void {
    if (update.type !== 'event') return;
    const pair = update.pairId;
    const { type, data } = update.event;
    events.inc({ pair, type });
    if (type === 'QuoteDecided') quotes.inc({ pair });
    const outcome = ORDER_OUTCOMES[type];
    if (outcome) orders.inc({ pair, outcome });
    if (type === 'OrderFilled') {
      const fill = data as { side?: string; liquidity?: string; amount?: string };
      const side = fill.side ?? 'unknown';
      fills.inc({ pair, side, liquidity: fill.liquidity ?? 'unknown' });
      const amount = Number(fill.amount);
      if (Number.isFinite(amount) && amount > 0) filledBase.inc({ pair, side }, amount);
    }
  }

  function setPair(p: PairView): void {
    const pair = p.id;
    for (const s of PAIR_STATES) state.set({ pair, state: s }, p.state === s ? 1 : 0);
    paramsVersion.set({ pair }, p.paramsVersion);
    quoteLevels.set({ pair, side: 'bid' }, p.quotes.bids.length);
    quoteLevels.set({ pair, side: 'ask' }, p.quotes.asks.length);
    const bestBid = p.quotes.bids.reduce<number | null>((m, l) => (m === null || num(l.price) > m ? num(l.price) : m), null);
    const bestAsk = p.quotes.asks.reduce<number | null>((m, l) => (m === null || num(l.price) < m ? num(l.price) : m), null);
    if (bestBid !== null) bestQuote.set({ pair, side: 'bid' }, bestBid);
    if (bestAsk !== null) bestQuote.set({ pair, side: 'ask' }, bestAsk);
    const bookBid = p.book.bids[0];
    const bookAsk = p.book.asks[0];
    if (bookBid) bestBook.set({ pair, side: 'bid' }, num(bookBid.price));
    if (bookAsk) bestBook.set({ pair, side: 'ask' }, num(bookAsk.price));
    openOrders.set({ pair, side: 'buy' }, p.openOrders.filter((o) => o.side === 'buy').length);
    openOrders.set({ pair, side: 'sell' }, p.openOrders.filter((o) => o.side === 'sell').length);
    position.set({ pair }, num(p.inventory.position));
    inventoryRatio.set({ pair }, p.risk.inventoryRatio);
    for (const component of ['realised', 'unrealised', 'fees', 'net'] as const) pnl.set({ pair, component }, num(p.pnl[component]));
    crashes.set({ pair }, p.risk.crashes);
    riskAlerts.set({ pair }, p.risk.alerts.length);
  }

  const pairGauges = [state, paramsVersion, quoteLevels, bestQuote, bestBook, openOrders, position, inventoryRatio, pnl, crashes, riskAlerts];

  function refresh(): void {
    if (!source) return;
    // Reset first, so a pair that went away (or a quote side that emptied) leaves no stale series.
    for (const g of pairGauges) g.reset();
    for (const p of source.listPairs()) setPair(p);
    ready.set(source.health().ready ? 1 : 0);
  }

  return {
    registry,
    contentType: registry.contentType,
    observeTickToQuote: (pairId, ms) => observe(tickToQuote, 'tick_to_quote', pairId, ms),
    observeAppend: (pairId, ms) => observe(append, 'event_append', pairId, ms),
    onUpdate,
    attach(control) {
      source = control;
      const unsubscribe = control.subscribe(onUpdate);
      return () => {
        unsubscribe();
        if (source === control) source = null;
      };
    },
    async render() {
      refresh();
      return registry.metrics();
    },
  };
}
