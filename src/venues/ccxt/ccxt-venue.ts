/**
 * The Venue port over a real ccxt (ccxt.pro) exchange: live trading and
 * exchange testnets. This class only wires the parts together; each job lives
 * in its own module beside it:
 *
 *   ccxt-exchange.ts     instance, credentials from env, sandbox, rate budget, per-exchange options
 *   ccxt-markets.ts      markets -> MarketSpec (tick/lot/min notional/fees), precision modes
 *   ccxt-orders.ts       placement (post-only, client ids, batches, idempotent retry), cancels, open orders
 *   ccxt-order-check.ts  tick/lot grid checks; exact decimal strings to ccxt
 *   ccxt-errors.ts       ccxt error classes -> stable categories and actions; redaction
 *   ccxt-book-feed.ts    order book stream: resync, stale, REST fallback
 *   ccxt-trade-feed.ts   public trades: backfill after a reconnect, de-duplicated
 *   ccxt-fill-feed.ts    our fills: stream + REST reconciliation, de-duplicated
 *   ccxt-my-trades.ts    fetchMyTrades: our fills since a time, for restart recovery
 *   ccxt-fill-mapping.ts one trade -> Fill, shared by the two above
 *   ccxt-watch-loop.ts   the loop under the three feeds: reconnect with backoff, teardown
 *   dead-mans-switch.ts  exchange-side cancel-all timer
 *   ccxt-quirks.ts       per-exchange differences of ccxt's unified API
 *
 * Beyond the port: `feedHealthy()`, `feedHealth()`, `watchFeedHealth()`, `ordersInFlight()`,
 * `uncertainOrders()`, `deadMansSwitch`, and the `category`/`action` fields on
 * rejected placements (see CcxtOrderResult).
 */
import type { Exchange } from 'ccxt';
import { defer, filter, Observable, share, Subject, switchMap, tap, throwError } from 'rxjs';
import type { Clock } from '../../clock/clock.js';
import { D, toDecimalString } from '../../core/decimal.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import type { FeedProblemEvent, FeedRecoveredEvent, TradeEvent } from '../../market-data/market-event.js';
import type { Balance, BookFeedEvent, CancelResult, Fill, MarketSpec, OpenOrder, OrderRequest, Venue } from '../venue.js';
import { ccxtBookFeed, DEFAULT_BOOK_FEED, type BookFeedSettings } from './ccxt-book-feed.js';
import { classifyVenueError, CcxtVenueError } from './ccxt-errors.js';
import { createCcxtExchange, credentialsFromEnv, defaultMarketType, secretsOf, type CcxtExchangeOptions } from './ccxt-exchange.js';
import { ccxtFillFeed, DEFAULT_FILL_FEED, type FillFeedSettings } from './ccxt-fill-feed.js';
import { ENGINE_CLIENT_ORDER_ID, fetchOurTrades } from './ccxt-my-trades.js';
import { MarketIndex, type CcxtMarketType, type FeeOverride, type MarketBinding } from './ccxt-markets.js';
import { OrderRegistry } from './ccxt-order-registry.js';
import { CcxtOrders, type CcxtOrderResult } from './ccxt-orders.js';
import { DEFAULT_RETRY_POLICY, withRetry, type RetryPolicy } from './ccxt-retry.js';
import { ccxtBalancesSchema, parseReply } from './ccxt-schemas.js';
import { ccxtTradeFeed, DEFAULT_TRADE_FEED, type TradeFeedSettings } from './ccxt-trade-feed.js';
import type { CcxtFeedContext, CcxtMarketFeedOptions } from './ccxt-watch-loop.js';
import { DEFAULT_DEAD_MANS_SWITCH, DeadMansSwitch, type DeadMansSwitchSettings } from './dead-mans-switch.js';

export interface CcxtVenueOptions extends CcxtExchangeOptions {
  readonly clock: Clock;
  /** Venue id in events and MarketSpecs; default the exchange id (e.g. 'binance', 'binanceusdm'). */
  readonly id?: string;
  /** A ready ccxt.pro instance; when given, the exchange options above are not used to build one. */
  readonly exchange?: Exchange;
  /** Where credentials come from when `credentials` is not given; default process.env (MM_<EXCHANGE>_API_KEY/_SECRET). */
  readonly env?: NodeJS.ProcessEnv;
  /** Markets to trade (venue ids like BTCUSDT, or unified symbols); default all active markets of the type. */
  readonly symbols?: readonly string[];
  /** Maker/taker fees overriding ccxt's (your account tier). */
  readonly fees?: FeeOverride;
  readonly logger?: Logger;
  readonly retry?: Partial<RetryPolicy>;
  readonly book?: Partial<BookFeedSettings>;
  readonly trades?: Partial<TradeFeedSettings>;
  readonly fills?: Partial<FillFeedSettings>;
  /**
   * Whether a client order id is ours (fetchMyTrades skips the trades of other
   * orders); default the engine's format (ENGINE_CLIENT_ORDER_ID).
   */
  readonly ownsClientOrderId?: (clientOrderId: string) => boolean;
  /** Exchange-side cancel-all timer; `false` to leave it off. Started by `startDeadMansSwitch()`. */
  readonly deadMansSwitch?: Partial<DeadMansSwitchSettings> | false;
}

/** A health report of one of the venue's feeds (the book's also travel on watchBook). */
export type FeedHealthEvent = (FeedProblemEvent | FeedRecoveredEvent) & { readonly feed: 'book' | 'trades' | 'fills' };

export class CcxtVenue implements Venue {
  readonly id: string;
  readonly exchange: Exchange;
  readonly deadMansSwitch: DeadMansSwitch | null;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly marketType: CcxtMarketType;
  private readonly retry: RetryPolicy;
  private readonly registry = new OrderRegistry();
  private readonly orders: CcxtOrders;
  private readonly closing = new AbortController();
  private readonly books = new Map<string, Observable<BookFeedEvent>>();
  private readonly tradeFeeds = new Map<string, Observable<TradeEvent>>();
  private readonly fillFeeds = new Map<string, Observable<Fill>>();
  /** Per venue symbol: when fetchMyTrades last read our trades (the fill feed starts from there). */
  private readonly reconciledAt = new Map<string, number>();
  /** Venue symbols whose book feed is in an open outage. */
  private readonly unhealthy = new Set<string>();
  /** `<feed>:<symbol>` of every feed in an open outage. */
  private readonly outages = new Set<string>();
  private readonly healthEvents = new Subject<FeedHealthEvent>();
  private index: Promise<MarketIndex> | null = null;
  private loadedIndex: MarketIndex | null = null;

  constructor(private readonly opts: CcxtVenueOptions) {
    const exchangeId = opts.exchange ? String(opts.exchange.id) : (opts.exchangeId ?? 'binance');
    this.exchange =
      opts.exchange ??
      createCcxtExchange({ ...opts, exchangeId, credentials: opts.credentials ?? credentialsFromEnv(exchangeId, opts.env ?? process.env) });
    this.id = opts.id ?? exchangeId;
    this.clock = opts.clock;
    this.log = (opts.logger ?? silentLogger()).child({ venue: this.id });
    this.marketType = opts.marketType ?? defaultMarketType(exchangeId);
    this.retry = { ...DEFAULT_RETRY_POLICY, ...(opts.retry ?? {}) };
    this.orders = new CcxtOrders({
      exchange: this.exchange,
      markets: () => this.markets_(),
      registry: this.registry,
      clock: this.clock,
      retry: this.retry,
      logger: this.log,
      secrets: this.secrets(),
      signal: this.closing.signal,
    });
    this.deadMansSwitch =
      opts.deadMansSwitch === false
        ? null
        : new DeadMansSwitch({
            exchange: this.exchange,
            clock: this.clock,
            logger: this.log,
            settings: { ...DEFAULT_DEAD_MANS_SWITCH, ...(opts.deadMansSwitch ?? {}) },
            // Unseen fills are as dangerous as a dead book: let the exchange cancel everything.
            isHealthy: () => this.unhealthy.size === 0 && ![...this.outages].some((k) => k.startsWith('fills:')),
            marketIds: () => this.loadedIndex?.specs().map((s) => s.symbol) ?? [],
            secrets: this.secrets(),
          });
  }

  // ---- markets ----

  async markets(): Promise<readonly MarketSpec[]> {
    return (await this.markets_()).specs();
  }

  /** ms per request-cost unit ccxt's throttler allows itself (below the exchange's own limit). */
  get rateLimitMs(): number {
    return Number(this.exchange.rateLimit);
  }

  private markets_(): Promise<MarketIndex> {
    if (!this.index) {
      this.index = withRetry(() => this.exchange.loadMarkets(), { clock: this.clock, policy: this.retry, secrets: this.secrets(), signal: this.closing.signal })
        .then(() => {
          const built = MarketIndex.fromExchange(this.exchange, {
            venueId: this.id,
            marketType: this.marketType,
            ...(this.opts.symbols ? { symbols: this.opts.symbols } : {}),
            ...(this.opts.fees ? { fees: this.opts.fees } : {}),
          });
          this.loadedIndex = built;
          return built;
        })
        .catch((err: unknown) => {
          this.index = null;
          throw err instanceof CcxtVenueError ? err : new CcxtVenueError(classifyVenueError(err, this.secrets()), 'loading markets');
        });
    }
    return this.index;
  }

  // ---- streams ----

  watchBook(symbol: string): Observable<BookFeedEvent> {
    return this.sharedFeed(this.books, symbol, (market) =>
      ccxtBookFeed({ ...this.marketFeed(market), settings: { ...DEFAULT_BOOK_FEED, ...this.opts.book } }).pipe(
        tap((e) => {
          if (e.kind === 'feed-problem') this.unhealthy.add(symbol);
          else if (e.kind === 'feed-recovered') this.unhealthy.delete(symbol);
          if (e.kind !== 'book') this.reportHealth('book', e);
        }),
      ),
    );
  }

  watchTrades(symbol: string): Observable<TradeEvent> {
    return this.sharedFeed(this.tradeFeeds, symbol, (market) =>
      ccxtTradeFeed({ ...this.marketFeed(market), settings: { ...DEFAULT_TRADE_FEED, ...this.opts.trades }, retry: this.retry, onHealth: (e) => this.reportHealth('trades', e) }),
    );
  }

  watchFills(symbol: string): Observable<Fill> {
    return this.sharedFeed(this.fillFeeds, symbol, (market) =>
      ccxtFillFeed({
        ...this.feedContext(),
        market,
        registry: this.registry,
        resolveOrder: (venueOrderId) => this.orders.resolveOrder(venueOrderId, market),
        isOurs: this.opts.ownsClientOrderId ?? ((id) => ENGINE_CLIENT_ORDER_ID.test(id)),
        reconciledAt: () => this.reconciledAt.get(symbol),
        settings: { ...DEFAULT_FILL_FEED, ...this.opts.fills },
        retry: this.retry,
        onHealth: (e) => this.reportHealth('fills', e),
      }),
    );
  }

  /**
   * Our fills on `symbol` at or after `since` (all of the venue's recent ones
   * without it), oldest first, each with our client order id; trades of orders
   * that are not ours are skipped and logged. See ccxt-my-trades.ts.
   */
  async fetchMyTrades(symbol: string, since?: number): Promise<readonly Fill[]> {
    const market = (await this.markets_()).require(symbol);
    const readAt = this.clock.now();
    const settings = { ...DEFAULT_FILL_FEED, ...this.opts.fills };
    const fills = await fetchOurTrades(
      {
        exchange: this.exchange,
        venue: this.id,
        market,
        registry: this.registry,
        fetchOrder: (venueOrderId) => this.orders.fetchOrderState(venueOrderId, market),
        isOurs: this.opts.ownsClientOrderId ?? ((id) => ENGINE_CLIENT_ORDER_ID.test(id)),
        pageLimit: settings.pageLimit,
        maxPages: settings.maxPages,
        clock: this.clock,
        retry: this.retry,
        logger: this.log,
        secrets: this.secrets(),
        signal: this.closing.signal,
      },
      since,
    );
    // A fill feed started after this read backfills from the read on, minus its overlap.
    const previous = this.reconciledAt.get(symbol);
    this.reconciledAt.set(symbol, previous === undefined ? readAt : Math.min(previous, readAt));
    return fills;
  }

  /** What every feed is given: exchange, venue id, clock, logger, secrets to redact. */
  private feedContext(): CcxtFeedContext {
    return { exchange: this.exchange, venue: this.id, clock: this.clock, logger: this.log, secrets: this.secrets() };
  }

  private marketFeed(market: MarketBinding): CcxtMarketFeedOptions {
    return { ...this.feedContext(), symbol: market.spec.symbol, unified: market.unified };
  }

  /** One running feed per symbol and kind, shared by all subscribers, started on first subscription. */
  private sharedFeed<T>(cache: Map<string, Observable<T>>, symbol: string, make: (market: MarketBinding) => Observable<T>): Observable<T> {
    let feed = cache.get(symbol);
    if (!feed) {
      feed = defer(() => this.markets_()).pipe(
        switchMap((index) => {
          const market = index.get(symbol);
          return market ? make(market) : throwError(() => new Error(`unknown symbol ${symbol}`));
        }),
        share(),
      );
      cache.set(symbol, feed);
    }
    return feed;
  }

  /** False while the symbol's book feed is in an outage (between feed-problem and feed-recovered). */
  feedHealthy(symbol: string): boolean {
    return !this.unhealthy.has(symbol);
  }

  /** Each feed of the symbol: true unless it is between a feed-problem and its feed-recovered. */
  feedHealth(symbol: string): { readonly book: boolean; readonly trades: boolean; readonly fills: boolean } {
    return { book: !this.outages.has(`book:${symbol}`), trades: !this.outages.has(`trades:${symbol}`), fills: !this.outages.has(`fills:${symbol}`) };
  }

  /** Problems and recoveries of the symbol's book, trade and fill feeds, as they happen (the feeds must be subscribed). */
  watchFeedHealth(symbol: string): Observable<FeedHealthEvent> {
    return this.healthEvents.pipe(filter((e) => e.symbol === symbol));
  }

  private reportHealth(feed: FeedHealthEvent['feed'], e: FeedProblemEvent | FeedRecoveredEvent): void {
    const key = `${feed}:${e.symbol}`;
    if (e.kind === 'feed-problem') this.outages.add(key);
    else this.outages.delete(key);
    this.log[e.kind === 'feed-problem' ? 'warn' : 'info']({ feed, symbol: e.symbol, ...(e.kind === 'feed-problem' ? { problem: e.problem } : {}), detail: e.detail }, `${feed} feed ${e.kind === 'feed-problem' ? 'problem' : 'recovered'}`);
    this.healthEvents.next({ ...e, feed });
  }

  // ---- orders ----

  /** Per order: accepted with the venue id, or rejected with reason, `category` and `action`. */
  placeOrders(orders: readonly OrderRequest[]): Promise<readonly CcxtOrderResult[]> {
    return this.orders.place(orders);
  }

  cancelOrders(symbol: string, clientOrderIds: readonly string[]): Promise<readonly CancelResult[]> {
    return this.orders.cancel(symbol, clientOrderIds);
  }

  cancelAll(symbol: string): Promise<readonly CancelResult[]> {
    return this.orders.cancelAll(symbol);
  }

  fetchOpenOrders(symbol: string): Promise<readonly OpenOrder[]> {
    return this.orders.openOrders(symbol);
  }

  /** Client order ids whose placement is in flight (not yet acknowledged or refused). */
  ordersInFlight(): string[] {
    return this.registry.inFlight();
  }

  /** Client order ids reported rejected after network failures, still being cancelled by client id in the background. */
  uncertainOrders(): string[] {
    return this.orders.uncertainOrders();
  }

  async fetchBalances(): Promise<Readonly<Record<string, Balance>>> {
    const raw = await withRetry(() => this.exchange.fetchBalance(), { clock: this.clock, policy: this.retry, secrets: this.secrets(), signal: this.closing.signal }).catch(
      (err: unknown) => {
        throw new CcxtVenueError(classifyVenueError(err, this.secrets()), 'fetching balances');
      },
    );
    const b = parseReply(ccxtBalancesSchema, raw, 'balances');
    const currencies = new Set([...Object.keys(b.total ?? {}), ...Object.keys(b.free ?? {}), ...Object.keys(b.used ?? {})]);
    const dec = (v: number | null | undefined): string => toDecimalString(D(v ?? 0));
    const out: Record<string, Balance> = {};
    for (const ccy of [...currencies].sort()) {
      const free = b.free?.[ccy];
      const used = b.used?.[ccy];
      const total = b.total?.[ccy];
      out[ccy] = { free: dec(free), used: dec(used), total: total === null || total === undefined ? toDecimalString(D(free ?? 0).plus(D(used ?? 0))) : dec(total) };
    }
    return out;
  }

  // ---- lifecycle ----

  /** Arms the exchange-side cancel-all timer where the exchange has one (no-op otherwise). */
  async startDeadMansSwitch(): Promise<void> {
    await this.markets_();
    await this.deadMansSwitch?.start();
  }

  /** Stops background work, disarms the dead man's switch and closes every websocket; streams complete. */
  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    await this.deadMansSwitch?.stop();
    this.closing.abort();
    await this.exchange.close();
    this.healthEvents.complete();
  }

  private secrets(): string[] {
    return secretsOf(this.exchange);
  }
}
