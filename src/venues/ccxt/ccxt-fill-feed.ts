/**
 * Our fills as an Observable<Fill>: ccxt.pro `watchMyTrades` (or `watchOrders`
 * as a trigger where that is what the exchange streams), reconciled against
 * `fetchMyTrades`, because private streams are known to miss fills.
 *
 * - Backfill from REST after every reconnect or stream error, and every
 *   `pollIntervalMs` regardless (the only source when the exchange streams
 *   neither trades nor orders). It starts `overlapMs` before the last fill
 *   seen, pages forward, and keeps only what is new.
 * - De-duplicated by venue trade id (the idempotency key of a fill): a fill
 *   delivered by both the stream and the backfill is emitted once.
 * - Every fill is mapped to our client order id. Binance's trade history has
 *   only the venue order id, so the mapping comes from the order registry, or
 *   from `fetchOrder` for an order this process did not place; a fill whose
 *   order cannot be resolved yet is held and retried, never emitted wrongly.
 * - `remaining` is the order size minus the fills counted for it so far (once
 *   per trade id, including those reconciliation reported: ccxt-fill-mapping.ts).
 * - `ts` is the venue's fill time.
 * - All handling is serialised, so a stream batch and a backfill never race.
 * - Health (`onHealth`): a lost stream or a failed backfill is a `gap`
 *   problem (fills may be unseen); the next successful backfill, which
 *   covers the outage, is the `feed-recovered`. No `stale`: without orders
 *   filling, silence is normal.
 */
import type { Exchange } from 'ccxt';
import type { Observable } from 'rxjs';
import { D } from '../../core/decimal.js';
import type { FeedProblemEvent, FeedRecoveredEvent } from '../../market-data/market-event.js';
import type { Fill } from '../venue.js';
import { FeedHealth } from './ccxt-feed-health.js';
import { classifyVenueError } from './ccxt-errors.js';
import { fillOfTrade } from './ccxt-fill-mapping.js';
import type { MarketBinding } from './ccxt-markets.js';
import type { OrderRegistry, TrackedOrder } from './ccxt-order-registry.js';
import { byTimeThenId, RecentIds } from './ccxt-recent-ids.js';
import type { RetryPolicy } from './ccxt-retry.js';
import { ccxtOrderSchema, ccxtTradeSchema, parseReply, type CcxtTrade } from './ccxt-schemas.js';
import { watchLoop, type CcxtFeedContext, type Feed, type ReconnectSettings, type WatchLoop } from './ccxt-watch-loop.js';

export interface FillFeedSettings extends ReconnectSettings {
  /** Reconciliation with `fetchMyTrades` this often, whatever the stream does. */
  readonly pollIntervalMs: number;
  /** A backfill starts this long before the last fill seen. */
  readonly overlapMs: number;
  /** On start, also look back this far (0: only fills from the subscription on). */
  readonly startupLookbackMs: number;
  readonly pageLimit: number;
  readonly maxPages: number;
}

export const DEFAULT_FILL_FEED: FillFeedSettings = {
  reconnectBaseDelayMs: 250,
  reconnectMaxDelayMs: 10_000,
  pollIntervalMs: 15_000,
  overlapMs: 5_000,
  startupLookbackMs: 0,
  pageLimit: 500,
  maxPages: 10,
};

export interface FillFeedOptions extends CcxtFeedContext {
  readonly market: MarketBinding;
  readonly registry: OrderRegistry;
  /** The order behind a venue order id the registry does not know (fetchOrder). */
  readonly resolveOrder: (venueOrderId: string) => Promise<TrackedOrder | undefined>;
  /** Whether a client order id is one of ours: trades of other orders on the account (manual, another bot) are not our fills. */
  readonly isOurs?: (clientOrderId: string) => boolean;
  readonly settings: FillFeedSettings;
  readonly retry: RetryPolicy;
  /**
   * When reconciliation (`fetchMyTrades`) last read our trades, if it did: the
   * feed then starts from there, so a fill between that read and this feed's
   * start is not missed. Trades reported twice are de-duplicated downstream
   * (PairRuntime, by trade id) and counted once in the registry.
   */
  readonly reconciledAt?: () => number | undefined;
  /** Gap and recovered reports of this feed. */
  readonly onHealth?: (event: FeedProblemEvent | FeedRecoveredEvent) => void;
}

export function ccxtFillFeed(options: FillFeedOptions): Observable<Fill> {
  return watchLoop<Fill>({ ...options, symbol: options.market.spec.symbol }, 'fill feed', (loop) => new FillFeed(options, loop));
}

const parseFills = (raw: readonly unknown[]): CcxtTrade[] => raw.map((t) => parseReply(ccxtTradeSchema, t, 'fill'));

class FillFeed implements Feed {
  private readonly seen = new RecentIds();
  private readonly ex: Exchange;
  /** Fills whose order could not be resolved yet, by trade id. */
  private readonly held = new Map<string, CcxtTrade>();
  private serial: Promise<void> = Promise.resolve();
  private startedAt = 0;
  /** Fills at or after this time are ours to report (start minus look-back, or the last reconciliation). */
  private from = 0;
  private lastFillTs: number | undefined;
  private needBackfill = false;
  private readonly health: FeedHealth | null;

  constructor(
    private readonly o: FillFeedOptions,
    private readonly loop: WatchLoop<Fill>,
  ) {
    this.ex = o.exchange;
    const emit = o.onHealth;
    this.health = emit ? new FeedHealth({ venue: o.venue, symbol: o.market.spec.symbol, clock: o.clock, maxAgeMs: 0, emit }) : null;
  }

  async run(): Promise<void> {
    this.startedAt = this.o.clock.now();
    const reconciled = this.o.reconciledAt?.();
    // From the reconciliation's read minus the overlap: the venue's clock may lag ours (repeats are dropped downstream).
    this.from = Math.min(this.startedAt - this.o.settings.startupLookbackMs, reconciled === undefined ? Infinity : reconciled - this.o.settings.overlapMs);
    const poll = this.pollLoop();
    if (this.from < this.startedAt) await this.backfill('start');
    if (this.ex.has['watchMyTrades'] === true) await this.streamLoop('trades');
    else if (this.ex.has['watchOrders'] === true) await this.streamLoop('orders');
    await poll;
  }

  drain(): Promise<void> {
    return this.serial.catch(() => undefined);
  }

  private async pollLoop(): Promise<void> {
    while (!this.loop.stopped) {
      await this.loop.sleep(this.o.settings.pollIntervalMs);
      if (!this.loop.stopped) await this.backfill('periodic reconciliation');
    }
  }

  private streamLoop(kind: 'trades' | 'orders'): Promise<void> {
    const unified = this.o.market.unified;
    return this.loop.watchStream<unknown[]>({
      watch: () => {
        const watching = kind === 'trades' ? this.ex.watchMyTrades(unified) : this.ex.watchOrders(unified);
        if (this.needBackfill) {
          // Subscribed again; what filled while we were away comes from REST.
          this.needBackfill = false;
          void this.backfill('reconnect');
        }
        return watching;
      },
      received: async (raw) => {
        if (kind === 'trades') await this.handle(parseFills(raw));
        else if (raw.some((o) => (parseReply(ccxtOrderSchema, o, 'order update').filled ?? 0) > 0)) await this.backfill('order update with fills');
      },
      lostMessage: 'fill stream lost; reconnecting, then backfilling',
      lost: ({ info }) => {
        this.needBackfill = true;
        this.health?.problem('gap', `fill stream lost: ${info.message}; fills are backfilled from REST once it is back`);
      },
    });
  }

  /** Fetches our trades since shortly before the last fill seen and handles the new ones (serialised). */
  private backfill(reason: string): Promise<void> {
    return this.queue(async () => {
      const { pageLimit, maxPages, overlapMs } = this.o.settings;
      let since = (this.lastFillTs ?? this.from) - overlapMs;
      for (let page = 0; page < maxPages && !this.loop.stopped; page++) {
        let raw;
        try {
          raw = await this.loop.retrying(() => this.ex.fetchMyTrades(this.o.market.unified, since, pageLimit));
        } catch (err) {
          const message = classifyVenueError(err, this.o.secrets).message;
          this.o.logger.warn({ reason, err: message }, 'fill backfill failed; will retry');
          this.needBackfill = true;
          this.health?.problem('gap', `fill backfill (${reason}) failed: ${message}`);
          return;
        }
        const trades = parseFills(raw);
        await this.handleNow(trades.filter((t) => t.timestamp >= this.from));
        if (trades.length < pageLimit) break;
        since = Math.max(...trades.map((t) => t.timestamp));
      }
      if (this.held.size) await this.handleNow([]);
      if (!this.loop.stopped) this.health?.data(`fills reconciled with the venue (${reason})`);
    });
  }

  private handle(trades: CcxtTrade[]): Promise<void> {
    return this.queue(() => this.handleNow(trades));
  }

  private queue(task: () => Promise<void>): Promise<void> {
    const next = this.serial.then(task);
    this.serial = next.catch((err) => {
      this.o.logger.error({ err: classifyVenueError(err, this.o.secrets).message }, 'fill handling failed');
    });
    return this.serial;
  }

  private async handleNow(trades: CcxtTrade[]): Promise<void> {
    const all = [...this.held.values(), ...trades].sort(byTimeThenId);
    this.held.clear();
    for (const t of all) {
      if (this.seen.has(t.id)) continue;
      if (t.symbol && t.symbol !== this.o.market.unified) continue;
      if (!t.order) {
        this.o.logger.error({ tradeId: t.id }, 'fill without a venue order id; ignored');
        continue;
      }
      let order = this.o.registry.getByVenueId(t.order);
      if (!order) {
        try {
          order = await this.o.resolveOrder(t.order);
        } catch (err) {
          this.o.logger.warn({ tradeId: t.id, venueOrderId: t.order, err: classifyVenueError(err, this.o.secrets).message }, 'cannot resolve the order of a fill yet; holding it');
        }
      }
      if (!order) {
        this.held.set(t.id, t);
        continue;
      }
      if (this.o.isOurs && !this.o.isOurs(order.clientOrderId)) {
        this.seen.add(t.id);
        this.o.logger.warn({ tradeId: t.id, venueOrderId: t.order, clientOrderId: order.clientOrderId }, 'trade of an order that is not ours (another client on the account); not our fill, skipped');
        continue;
      }
      this.seen.add(t.id);
      // Counted once per trade id: a trade reconciliation already reported does not shrink `remaining` twice.
      const remaining = this.o.registry.applyFill(order, D(t.amount), t.id);
      if (remaining === undefined) this.o.logger.warn({ tradeId: t.id, clientOrderId: order.clientOrderId }, 'order size unknown; remaining reported as 0');
      this.lastFillTs = Math.max(this.lastFillTs ?? t.timestamp, t.timestamp);
      this.loop.emit(fillOfTrade(this.o.venue, this.o.market, t, { clientOrderId: order.clientOrderId, venueOrderId: t.order }, remaining ?? D(0)));
    }
  }
}
