/**
 * ccxt.pro `watchTrades` as an Observable<TradeEvent>.
 *
 * - Reconnect with exponential backoff when the stream fails.
 * - After a reconnect, the first batch from the new stream is held back while
 *   `fetchTrades` backfills what printed during the outage; the two are merged
 *   (time, then id order), de-duplicated by trade id, and only trades at or
 *   after the last one already emitted are kept. Emission is therefore
 *   gap-free and duplicate-free across the drop.
 * - No websocket trades on the exchange: poll `fetchTrades`.
 * - Event time is receive time on the injected clock, as for books.
 * - Health (`onHealth`), like the book's: a lost stream is a `gap` problem,
 *   no trade within `staleAfterMs` is `stale` (0: off; quiet markets are
 *   normal, so the default is long), and the first batch after either (with
 *   its backfill) is one `feed-recovered`.
 */
import type { Exchange } from 'ccxt';
import type { Observable } from 'rxjs';
import type { FeedProblemEvent, FeedRecoveredEvent, TradeEvent } from '../../market-data/market-event.js';
import { FeedHealth } from './ccxt-feed-health.js';
import { classifyVenueError } from './ccxt-errors.js';
import { tradesBackfillTakesSince } from './ccxt-quirks.js';
import { byTimeThenId, RecentIds } from './ccxt-recent-ids.js';
import type { RetryPolicy } from './ccxt-retry.js';
import { ccxtTradeSchema, parseReply, type CcxtTrade } from './ccxt-schemas.js';
import { watchLoop, type CcxtMarketFeedOptions, type Feed, type ReconnectSettings, type WatchLoop } from './ccxt-watch-loop.js';

export { compareIds } from './ccxt-recent-ids.js';

export interface TradeFeedSettings extends ReconnectSettings {
  /** Trades per backfill request. */
  readonly backfillLimit: number;
  /** Poll interval when the exchange has no websocket trades. */
  readonly pollIntervalMs: number;
  /** No trade for this long is a `stale` problem (ms; 0 = never). */
  readonly staleAfterMs: number;
}

export const DEFAULT_TRADE_FEED: TradeFeedSettings = { reconnectBaseDelayMs: 250, reconnectMaxDelayMs: 10_000, backfillLimit: 1_000, pollIntervalMs: 2_000, staleAfterMs: 120_000 };

export interface TradeFeedOptions extends CcxtMarketFeedOptions {
  readonly settings: TradeFeedSettings;
  readonly retry: RetryPolicy;
  /** Stale, gap and recovered reports of this feed. */
  readonly onHealth?: (event: FeedProblemEvent | FeedRecoveredEvent) => void;
}

export function ccxtTradeFeed(options: TradeFeedOptions): Observable<TradeEvent> {
  return watchLoop<TradeEvent>(options, 'trade feed', (loop) => new TradeFeed(options, loop));
}

const parseTrades = (raw: readonly unknown[]): CcxtTrade[] => raw.map((t) => parseReply(ccxtTradeSchema, t, 'trade'));

class TradeFeed implements Feed {
  private readonly seen = new RecentIds();
  private readonly ex: Exchange;
  /** Timestamp of the last trade emitted; undefined before the first. */
  private lastTs: number | undefined;
  private needBackfill = false;
  private readonly health: FeedHealth | null;

  constructor(
    private readonly o: TradeFeedOptions,
    private readonly loop: WatchLoop<TradeEvent>,
  ) {
    this.ex = o.exchange;
    const emit = o.onHealth;
    this.health = emit ? new FeedHealth({ venue: o.venue, symbol: o.symbol, clock: o.clock, maxAgeMs: o.settings.staleAfterMs, emit }) : null;
  }

  onStop(): void {
    this.health?.stop();
  }

  async run(): Promise<void> {
    if (this.o.settings.staleAfterMs > 0) this.health?.start();
    if (this.ex.has['watchTrades'] !== true) {
      while (!this.loop.stopped) await this.pollStep();
      return;
    }
    await this.loop.watchStream({
      watch: async () => parseTrades(await this.ex.watchTrades(this.o.unified)),
      received: (batch) => this.received(batch),
      lostMessage: 'trade websocket lost; reconnecting',
      lost: ({ info }) => {
        this.needBackfill = this.lastTs !== undefined;
        this.health?.problem('gap', `trade stream lost: ${info.message}`);
      },
    });
  }

  private async received(batch: CcxtTrade[]): Promise<void> {
    if (this.needBackfill) {
      // The new stream is live (it just delivered): what printed in between comes from REST.
      this.needBackfill = false;
      batch = batch.concat(await this.backfill());
    }
    this.emitNew(batch);
    this.health?.data('trades flow again');
  }

  private async pollStep(): Promise<void> {
    const trades = await this.backfill();
    if (this.lastTs === undefined) {
      // First poll: the page is history from before we subscribed; remember it, emit from the next poll on.
      for (const t of trades) {
        this.seen.add(t.id);
        this.lastTs = Math.max(this.lastTs ?? t.timestamp, t.timestamp);
      }
    } else this.emitNew(trades);
    if (trades.length > 0) this.health?.data('trades flow again (REST polling)');
    await this.loop.sleep(this.o.settings.pollIntervalMs);
  }

  /** Recent trades from REST, those at or after the last emitted one; empty when REST fails (logged). */
  private async backfill(): Promise<CcxtTrade[]> {
    const since = tradesBackfillTakesSince(this.ex) ? this.lastTs : undefined;
    try {
      const trades = parseTrades(await this.loop.retrying(() => this.ex.fetchTrades(this.o.unified, since, this.o.settings.backfillLimit)));
      const from = this.lastTs;
      return from === undefined ? trades : trades.filter((t) => t.timestamp >= from);
    } catch (err) {
      this.o.logger.warn({ symbol: this.o.symbol, err: classifyVenueError(err, this.o.secrets).message }, 'trade backfill failed; trades printed during the outage are missing');
      return [];
    }
  }

  private emitNew(trades: CcxtTrade[]): void {
    const ts = this.o.clock.now();
    for (const t of [...trades].sort(byTimeThenId)) {
      if (!this.seen.add(t.id)) continue;
      this.lastTs = this.lastTs === undefined ? t.timestamp : Math.max(this.lastTs, t.timestamp);
      this.loop.emit({ kind: 'trade', venue: this.o.venue, symbol: this.o.symbol, ts, tradeId: t.id, price: t.price, size: t.amount, aggressor: t.side });
    }
  }
}
