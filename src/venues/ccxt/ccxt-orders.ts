/**
 * Orders through ccxt: post-only limit orders with our deterministic client
 * order id, in batches where the exchange has them, with idempotent retries;
 * cancels; the venue's open orders.
 *
 * Placement outcome per order: `accepted` (with the venue order id) or
 * `rejected` (with the reason, a stable `category` and the `action` the
 * runtime should take). Retries never create a second order:
 * - a rate-limit refusal is retried after a backoff (the venue refused it);
 * - after a network failure the venue may or may not have the order, so it is
 *   looked up by client order id first; found -> accepted, definitely absent
 *   -> sent again with the same client order id, unknown -> wait and look again;
 * - a "duplicate client order id" reply is resolved the same way;
 * - if the budget runs out while the outcome is still unknown, the order is
 *   reported rejected (category 'network') and a background task keeps
 *   cancelling it by client order id until the venue confirms it is gone, so
 *   a placement the log records as rejected cannot stay live at the venue.
 */
import type { Exchange } from 'ccxt';
import type { Clock } from '../../clock/clock.js';
import { D, toDecimalString } from '../../core/decimal.js';
import type { Logger } from '../../log/logger.js';
import type { CancelResult, OpenOrder, OrderRequest, OrderResult } from '../venue.js';
import { CcxtVenueError, classifyVenueError, type VenueErrorAction, type VenueErrorCategory, type VenueErrorInfo } from './ccxt-errors.js';
import type { MarketBinding, MarketIndex } from './ccxt-markets.js';
import { checkCcxtPrecision, checkOrderRequest } from './ccxt-order-check.js';
import type { OrderRegistry, TrackedOrder } from './ccxt-order-registry.js';
import {
  canAddressByClientOrderId,
  canBatchCancel,
  canBatchCreate,
  canFetchOrderByClientOrderId,
  clientOrderIdParams,
  maxBatchSize,
  orderParams,
} from './ccxt-quirks.js';
import { backoffDelay, sleep, withRetry, type RetryPolicy } from './ccxt-retry.js';
import { ccxtBatchEntrySchema, ccxtOrderSchema, parseReply, type CcxtOrder } from './ccxt-schemas.js';

export type CcxtRejected = Extract<OrderResult, { status: 'rejected' }>;
export type CcxtOrderResult = Extract<OrderResult, { status: 'accepted' }> | CcxtRejected;

export interface CcxtOrdersOptions {
  readonly exchange: Exchange;
  readonly markets: () => Promise<MarketIndex>;
  readonly registry: OrderRegistry;
  readonly clock: Clock;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  readonly secrets: readonly string[];
  /** Aborted when the venue closes: background work stops. */
  readonly signal: AbortSignal;
}

const NO_ID = undefined as unknown as string;

const validation = (message: string): VenueErrorInfo => ({ category: 'validation', action: 'reject', retryable: false, errorClass: 'PreTradeCheck', message });

export class CcxtOrders {
  private readonly ex: Exchange;
  private readonly uncertain = new Map<string, { symbol: string; unified: string }>();

  constructor(private readonly o: CcxtOrdersOptions) {
    this.ex = o.exchange;
  }

  // ---- placement ----

  async place(requests: readonly OrderRequest[]): Promise<CcxtOrderResult[]> {
    let index: MarketIndex;
    try {
      index = await this.o.markets();
    } catch (err) {
      // Nothing was sent: every order is refused with what stopped the market load.
      const info = classifyVenueError(err, this.o.secrets);
      return requests.map((r) => this.rejected(r.clientOrderId, info));
    }
    const results: Promise<OrderResult>[] = new Array(requests.length);
    /** Orders to send now, grouped per market so batches stay on one symbol. */
    const bySymbol = new Map<string, { binding: MarketBinding; items: { i: number; request: OrderRequest }[] }>();
    requests.forEach((request, i) => {
      const running = this.o.registry.placement(request.clientOrderId);
      if (running) {
        results[i] = running;
        return;
      }
      const known = this.o.registry.get(request.clientOrderId);
      if (known?.venueOrderId !== undefined && known.state !== 'rejected') {
        // Already acknowledged: the same client order id never makes a second order.
        results[i] = Promise.resolve(this.accepted(request.clientOrderId, known.venueOrderId));
        return;
      }
      const binding = index.get(request.symbol);
      const reason = binding ? (checkOrderRequest(request, binding) ?? checkCcxtPrecision(this.ex, request, binding)) : `unknown symbol ${request.symbol}`;
      if (!binding || reason) {
        results[i] = Promise.resolve(this.rejected(request.clientOrderId, validation(reason ?? 'invalid order')));
        return;
      }
      const group = bySymbol.get(binding.spec.symbol) ?? { binding, items: [] };
      group.items.push({ i, request });
      bySymbol.set(binding.spec.symbol, group);
    });

    for (const { binding, items } of bySymbol.values()) {
      const batch = canBatchCreate(this.ex, binding) && items.length > 1;
      if (batch) {
        const size = maxBatchSize(this.ex);
        for (let k = 0; k < items.length; k += size) {
          const chunk = items.slice(k, k + size);
          const outcome = this.placeBatch(chunk.map((c) => c.request), binding);
          chunk.forEach((c, j) => {
            results[c.i] = this.o.registry.trackPlacement(c.request.clientOrderId, () => outcome.then((r) => r[j] ?? this.placeOne(c.request, binding, true)));
          });
          await outcome;
        }
      } else {
        for (const { i, request } of items) {
          results[i] = this.o.registry.trackPlacement(request.clientOrderId, () => this.placeOne(request, binding, false));
          await results[i];
        }
      }
    }
    return (await Promise.all(results)) as CcxtOrderResult[];
  }

  private async placeOne(request: OrderRequest, binding: MarketBinding, startUncertain: boolean): Promise<CcxtOrderResult> {
    const { clock, retry } = this.o;
    this.track(request, binding, 'in-flight');
    const params = orderParams(binding, request.clientOrderId, request.postOnly, request.reduceOnly);
    const started = clock.now();
    let uncertain = startUncertain;
    let last: VenueErrorInfo | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        if (uncertain) {
          const found = await this.lookup(request.clientOrderId, binding);
          if (found) return this.acknowledge(request, binding, found);
        }
        // Exact decimal strings: ccxt passes strings through its precision
        // functions unchanged when they are on the grid (checked before sending).
        const order = await this.ex.createOrder(binding.unified, 'limit', request.side, request.amount as unknown as number, request.price as unknown as number, params);
        const ack = ccxtOrderSchema.safeParse(order);
        if (ack.success) return this.acknowledge(request, binding, ack.data);
        // The venue answered but we cannot read the answer: the order may well exist.
        throw new CcxtVenueError({ category: 'internal', action: 'halt', retryable: true, errorClass: 'CcxtReplyError', message: 'unreadable order acknowledgement' });
      } catch (err) {
        const info = classifyVenueError(err, this.o.secrets);
        last = info;
        if (info.category === 'duplicate-order' || (info.category === 'internal' && !info.retryable)) {
          // Either our id is already at the venue, or something failed after the request may have gone out.
          const found = await this.lookup(request.clientOrderId, binding).catch(() => undefined);
          if (found) return this.acknowledge(request, binding, found);
          return this.refuse(request, info);
        }
        if (info.category === 'network' || info.category === 'internal') uncertain = true;
        if (!info.retryable) return this.refuse(request, info);
        const delay = backoffDelay(retry, attempt);
        if (attempt >= retry.maxAttempts || clock.now() - started + delay > retry.budgetMs || this.o.signal.aborted) break;
        this.o.logger.warn({ clientOrderId: request.clientOrderId, category: info.category, attempt, delayMs: delay, err: info.message }, 'order placement failed; retrying');
        await sleep(clock, delay, this.o.signal);
      }
    }
    if (uncertain) {
      const found = await this.lookup(request.clientOrderId, binding).catch(() => undefined);
      if (found) return this.acknowledge(request, binding, found);
      if (found === undefined) this.cancelInBackground(request.clientOrderId, binding);
    }
    return this.refuse(request, last ?? validation('placement budget exhausted'));
  }

  /**
   * One batch request; per-order outcomes in request order. When the batch as a
   * whole fails the orders are placed (or looked up) one by one instead.
   */
  private async placeBatch(requests: readonly OrderRequest[], binding: MarketBinding): Promise<(CcxtOrderResult | undefined)[]> {
    for (const r of requests) this.track(r, binding, 'in-flight');
    const orders = requests.map((r) => ({
      symbol: binding.unified,
      type: 'limit' as const,
      side: r.side,
      amount: r.amount as unknown as number,
      price: r.price as unknown as number,
      params: orderParams(binding, r.clientOrderId, r.postOnly, r.reduceOnly),
    }));
    let replies: unknown;
    try {
      replies = await this.ex.createOrders(orders);
    } catch (err) {
      const info = classifyVenueError(err, this.o.secrets);
      if (info.retryable || info.category === 'not-supported' || info.category === 'internal') {
        this.o.logger.warn({ category: info.category, err: info.message, orders: requests.length }, 'batch placement failed; placing one by one');
        const uncertain = info.category === 'network' || info.category === 'internal';
        const out: CcxtOrderResult[] = [];
        for (const r of requests) out.push(await this.placeOne(r, binding, uncertain));
        return out;
      }
      return requests.map((r) => this.refuse(r, info));
    }
    if (!Array.isArray(replies) || replies.length !== requests.length) {
      // Cannot tell which reply is which: resolve each order by its client id.
      return requests.map(() => undefined);
    }
    return requests.map((r, j) => {
      const entry = ccxtBatchEntrySchema.safeParse(replies[j]);
      // An entry we cannot read: that order is resolved by its client id (undefined -> looked up).
      if (!entry.success) return undefined;
      if (entry.data.id && entry.data.status !== 'rejected') {
        const order = ccxtOrderSchema.safeParse(replies[j]);
        return order.success ? this.acknowledge(r, binding, order.data) : undefined;
      }
      return this.refuse(r, this.batchEntryError(entry.data.info));
    });
  }

  /** A per-order error inside a batch reply, mapped through the exchange's own error table where possible. */
  private batchEntryError(entryInfo: unknown): VenueErrorInfo {
    const body = JSON.stringify(entryInfo ?? {});
    try {
      this.ex.handleErrors(400, 'Bad Request', '', 'POST', {}, body, entryInfo, {}, '');
    } catch (err) {
      return classifyVenueError(err, this.o.secrets);
    }
    return { category: 'exchange-error', action: 'reject', retryable: false, errorClass: 'BatchEntryError', message: `batch entry refused: ${body}` };
  }

  /**
   * The order with this client order id at the venue: the order, `null` when
   * the venue says it does not exist, or throws when the venue cannot tell.
   */
  private async lookup(clientOrderId: string, binding: MarketBinding): Promise<CcxtOrder | null> {
    if (canFetchOrderByClientOrderId(this.ex)) {
      try {
        const order = await this.ex.fetchOrder(NO_ID, binding.unified, clientOrderIdParams(this.ex, clientOrderId));
        return parseReply(ccxtOrderSchema, order, 'order lookup');
      } catch (err) {
        if (classifyVenueError(err).category === 'unknown-order') return null;
        throw err;
      }
    }
    const open = await this.ex.fetchOpenOrders(binding.unified);
    const hit = open.find((o) => o.clientOrderId === clientOrderId);
    return hit ? parseReply(ccxtOrderSchema, hit, 'order lookup') : null;
  }

  private track(request: OrderRequest, binding: MarketBinding, state: 'in-flight' | 'uncertain'): void {
    this.o.registry.upsert({ clientOrderId: request.clientOrderId, symbol: binding.spec.symbol, side: request.side, amount: D(request.amount), state });
  }

  private acknowledge(request: OrderRequest, binding: MarketBinding, order: CcxtOrder): CcxtOrderResult {
    if (order.clientOrderId && order.clientOrderId !== request.clientOrderId) {
      this.o.logger.warn({ clientOrderId: request.clientOrderId, venueClientOrderId: order.clientOrderId, venueOrderId: order.id }, 'venue acknowledged with a different client order id');
    }
    const status = order.status ?? 'open';
    if (status === 'rejected' || status === 'expired' || status === 'canceled') {
      // E.g. a post-only order the venue accepted and expired at once instead of letting it cross.
      this.o.registry.upsert({ clientOrderId: request.clientOrderId, symbol: binding.spec.symbol, venueOrderId: order.id, state: 'closed' });
      const category: VenueErrorCategory = request.postOnly && status !== 'rejected' ? 'post-only-would-cross' : 'invalid-order';
      return this.rejected(request.clientOrderId, { category, action: 'reject', retryable: false, errorClass: 'OrderStatus', message: `venue reported the new order as ${status}` });
    }
    this.o.registry.upsert({ clientOrderId: request.clientOrderId, symbol: binding.spec.symbol, venueOrderId: order.id, side: request.side, amount: D(request.amount), state: 'open' });
    return this.accepted(request.clientOrderId, order.id);
  }

  private refuse(request: OrderRequest, info: VenueErrorInfo): CcxtRejected {
    this.o.registry.setState(request.clientOrderId, 'rejected');
    return this.rejected(request.clientOrderId, info);
  }

  private accepted(clientOrderId: string, venueOrderId: string): CcxtOrderResult {
    return { clientOrderId, status: 'accepted', venueOrderId, ts: this.o.clock.now() };
  }

  private rejected(clientOrderId: string, info: VenueErrorInfo): CcxtRejected {
    return { clientOrderId, status: 'rejected', reason: `${info.category}: ${info.message}`, category: info.category, action: info.action, ts: this.o.clock.now() };
  }

  // ---- orders whose placement outcome is unknown ----

  /** Client order ids being cancelled in the background because their placement outcome was never learnt. */
  uncertainOrders(): string[] {
    return [...this.uncertain.keys()];
  }

  private cancelInBackground(clientOrderId: string, binding: MarketBinding): void {
    if (this.uncertain.has(clientOrderId)) return;
    this.uncertain.set(clientOrderId, { symbol: binding.spec.symbol, unified: binding.unified });
    this.o.registry.setState(clientOrderId, 'uncertain');
    this.o.logger.error({ clientOrderId, symbol: binding.spec.symbol }, 'order placement outcome unknown; cancelling it by client order id until the venue confirms');
    void (async () => {
      for (let attempt = 1; !this.o.signal.aborted; attempt++) {
        try {
          await this.ex.cancelOrder(NO_ID, binding.unified, clientOrderIdParams(this.ex, clientOrderId));
          this.o.logger.warn({ clientOrderId }, 'order with unknown placement outcome existed and was cancelled');
          break;
        } catch (err) {
          const info = classifyVenueError(err, this.o.secrets);
          if (info.category === 'unknown-order') break;
          if (!info.retryable) {
            this.o.logger.error({ clientOrderId, err: info.message }, 'cannot cancel order with unknown placement outcome');
            break;
          }
        }
        await sleep(this.o.clock, backoffDelay(this.o.retry, attempt), this.o.signal);
      }
      this.uncertain.delete(clientOrderId);
      this.o.registry.setState(clientOrderId, 'rejected');
    })();
  }

  // ---- cancels ----

  /**
   * Cancels by client order id. `cancelled` carries the amount that was still
   * open; `unknown-order` means the venue does not have it (filled, already
   * cancelled, never created). Rate-limit and network failures are retried
   * within the budget; an order whose fate is still unknown after that is
   * answered `failed` with its category (never reported gone: it may be
   * live), after every order of the call was tried.
   */
  async cancel(symbol: string, clientOrderIds: readonly string[]): Promise<CancelResult[]> {
    const index = await this.o.markets();
    const binding = index.get(symbol);
    const ts = (): number => this.o.clock.now();
    if (!binding) return clientOrderIds.map((id) => ({ clientOrderId: id, status: 'unknown-order', reason: `unknown symbol ${symbol}`, ts: ts() }));
    // Placements still in flight are answered first: only then is there something to cancel.
    await Promise.all(clientOrderIds.map((id) => this.o.registry.placement(id)?.catch(() => undefined)));

    const results = new Map<string, CancelResult>();
    const pending: string[] = [];
    for (const id of clientOrderIds) {
      const t = this.o.registry.get(id);
      if (t?.state === 'rejected') results.set(id, { clientOrderId: id, status: 'unknown-order', reason: 'the venue never accepted this order', ts: ts() });
      else pending.push(id);
    }
    const viaBatch = pending.filter((id) => this.o.registry.get(id)?.venueOrderId !== undefined);
    if (canBatchCancel(this.ex, binding) && viaBatch.length > 1) {
      for (const r of await this.cancelBatch(viaBatch, binding)) results.set(r.clientOrderId, r);
    }
    for (const id of pending) {
      if (results.has(id)) continue;
      try {
        results.set(id, await this.cancelOne(id, binding));
      } catch (err) {
        const info = classifyVenueError(err, this.o.secrets);
        this.o.logger.warn({ clientOrderId: id, category: info.category, err: info.message }, 'cancel could not be confirmed');
        results.set(id, { clientOrderId: id, status: 'failed', reason: `cancel could not be confirmed: ${info.message}`, category: info.category, action: info.action, ts: ts() });
      }
    }
    return clientOrderIds.map((id) => results.get(id) ?? { clientOrderId: id, status: 'unknown-order', reason: 'no result', ts: ts() });
  }

  private async cancelOne(clientOrderId: string, binding: MarketBinding): Promise<CancelResult> {
    const t = this.o.registry.get(clientOrderId);
    const byVenueId = t?.venueOrderId !== undefined;
    if (!byVenueId && !canAddressByClientOrderId(this.ex)) {
      return { clientOrderId, status: 'unknown-order', reason: 'no venue order id known for this client order id', ts: this.o.clock.now() };
    }
    try {
      const reply = await withRetry(
        () => (byVenueId ? this.ex.cancelOrder(t.venueOrderId as string, binding.unified) : this.ex.cancelOrder(NO_ID, binding.unified, clientOrderIdParams(this.ex, clientOrderId))),
        { clock: this.o.clock, policy: this.o.retry, secrets: this.o.secrets, signal: this.o.signal },
      );
      return this.cancelled(clientOrderId, binding, reply);
    } catch (err) {
      const info = classifyVenueError(err, this.o.secrets);
      if (info.category === 'unknown-order') {
        this.o.registry.setState(clientOrderId, 'closed');
        return { clientOrderId, status: 'unknown-order', reason: info.message, ts: this.o.clock.now() };
      }
      throw new CcxtVenueError(info, `cancel ${clientOrderId}`);
    }
  }

  private async cancelBatch(clientOrderIds: readonly string[], binding: MarketBinding): Promise<CancelResult[]> {
    const venueIds = clientOrderIds.map((id) => this.o.registry.get(id)?.venueOrderId as string);
    let replies: unknown;
    try {
      replies = await this.ex.cancelOrders(venueIds, binding.unified);
    } catch (err) {
      this.o.logger.warn({ err: classifyVenueError(err, this.o.secrets).message }, 'batch cancel failed; cancelling one by one');
      return [];
    }
    if (!Array.isArray(replies)) return [];
    const out: CancelResult[] = [];
    for (const reply of replies) {
      const entry = ccxtOrderSchema.safeParse(reply);
      if (!entry.success) continue;
      const t = this.o.registry.getByVenueId(entry.data.id);
      if (!t || (entry.data.status && entry.data.status !== 'canceled' && entry.data.status !== 'closed')) continue;
      out.push(this.cancelled(t.clientOrderId, binding, reply));
    }
    return out;
  }

  private cancelled(clientOrderId: string, binding: MarketBinding, reply: unknown): CancelResult {
    const t = this.o.registry.get(clientOrderId);
    const parsed = ccxtOrderSchema.safeParse(reply);
    const order = parsed.success ? parsed.data : undefined;
    let remaining: string;
    if (order?.remaining !== undefined && order.remaining !== null) remaining = toDecimalString(D(order.remaining));
    else if (order?.amount !== undefined && order.amount !== null && order.filled !== undefined && order.filled !== null) remaining = toDecimalString(D(order.amount).minus(D(order.filled)));
    else if (t?.amount) remaining = toDecimalString(t.amount.minus(t.filled));
    else remaining = '0';
    if (t) this.o.registry.setState(clientOrderId, 'closed');
    else this.o.registry.upsert({ clientOrderId, symbol: binding.spec.symbol, venueOrderId: order?.id, state: 'closed' });
    return { clientOrderId, status: 'cancelled', remaining, ts: this.o.clock.now() };
  }

  /** Every open order on the symbol, then a venue-wide sweep where the exchange has cancel-all. */
  async cancelAll(symbol: string): Promise<CancelResult[]> {
    const open = await this.openOrders(symbol);
    const results = open.length ? await this.cancel(symbol, open.map((o) => o.clientOrderId)) : [];
    if (this.ex.has['cancelAllOrders'] === true) {
      const binding = (await this.o.markets()).require(symbol);
      try {
        await withRetry(() => this.ex.cancelAllOrders(binding.unified), { clock: this.o.clock, policy: this.o.retry, secrets: this.o.secrets, signal: this.o.signal });
      } catch (err) {
        const info = classifyVenueError(err, this.o.secrets);
        // Binance answers -2011 "Unknown order sent." when nothing was open.
        if (info.category !== 'unknown-order') throw new CcxtVenueError(info, `cancel-all on ${symbol}`);
      }
    }
    return results;
  }

  // ---- reads ----

  async openOrders(symbol: string): Promise<OpenOrder[]> {
    const binding = (await this.o.markets()).require(symbol);
    const raw = await withRetry(() => this.ex.fetchOpenOrders(binding.unified), { clock: this.o.clock, policy: this.o.retry, secrets: this.o.secrets, signal: this.o.signal });
    return raw.map((r) => {
      const o = parseReply(ccxtOrderSchema, r, 'open order');
      if (!o.side || o.price === null || o.price === undefined || o.amount === null || o.amount === undefined) {
        throw new CcxtVenueError({ category: 'internal', action: 'halt', retryable: false, errorClass: 'CcxtReplyError', message: `open order ${o.id} lacks side, price or amount` });
      }
      const known = this.o.registry.getByVenueId(o.id);
      const clientOrderId = o.clientOrderId ?? known?.clientOrderId ?? o.id;
      const t = this.o.registry.upsert({ clientOrderId, symbol: binding.spec.symbol, venueOrderId: o.id, side: o.side, amount: D(o.amount), state: 'open' });
      const filled = D(o.filled ?? 0);
      if (filled.gt(t.filled)) t.filled = filled;
      return {
        clientOrderId,
        venueOrderId: o.id,
        symbol: binding.spec.symbol,
        side: o.side,
        price: toDecimalString(D(o.price)),
        amount: toDecimalString(D(o.amount)),
        filled: toDecimalString(filled),
        ts: o.timestamp ?? this.o.clock.now(),
      };
    });
  }

  /** The order behind a fill we cannot place: looked up at the venue and remembered. */
  async resolveOrder(venueOrderId: string, binding: MarketBinding): Promise<TrackedOrder | undefined> {
    const known = this.o.registry.getByVenueId(venueOrderId);
    if (known) return known;
    const o = await this.fetchOrderState(venueOrderId, binding);
    return this.o.registry.upsert({
      clientOrderId: o.clientOrderId ?? o.id,
      symbol: binding.spec.symbol,
      venueOrderId: o.id,
      side: o.side ?? undefined,
      amount: o.amount === null || o.amount === undefined ? undefined : D(o.amount),
      state: o.status === 'open' ? 'open' : 'closed',
    });
  }

  /** The order as the venue holds it now (fetchOrder by venue id, retried); errors are ccxt's, for the caller to classify. */
  async fetchOrderState(venueOrderId: string, binding: MarketBinding): Promise<CcxtOrder> {
    const raw = await withRetry(() => this.ex.fetchOrder(venueOrderId, binding.unified), { clock: this.o.clock, policy: this.o.retry, secrets: this.o.secrets, signal: this.o.signal });
    return parseReply(ccxtOrderSchema, raw, 'order');
  }
}
