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
 */
import type { Exchange } from 'ccxt';
import { Observable } from 'rxjs';
import type { Clock } from '../../clock/clock.js';
import type { Logger } from '../../log/logger.js';
import type { TradeEvent } from '../../market-data/market-event.js';
import { classifyVenueError, isClosedByUser } from './ccxt-errors.js';
import { tradesBackfillTakesSince } from './ccxt-quirks.js';
import { RecentIds } from './ccxt-recent-ids.js';
import { backoffDelay, sleep, withRetry, type RetryPolicy } from './ccxt-retry.js';
import { ccxtTradeSchema, parseReply, type CcxtTrade } from './ccxt-schemas.js';

export interface TradeFeedSettings {
  readonly reconnectBaseDelayMs: number;
  readonly reconnectMaxDelayMs: number;
  /** Trades per backfill request. */
  readonly backfillLimit: number;
  /** Poll interval when the exchange has no websocket trades. */
  readonly pollIntervalMs: number;
}

export const DEFAULT_TRADE_FEED: TradeFeedSettings = { reconnectBaseDelayMs: 250, reconnectMaxDelayMs: 10_000, backfillLimit: 1_000, pollIntervalMs: 2_000 };

export interface TradeFeedOptions {
  readonly exchange: Exchange;
  readonly venue: string;
  readonly symbol: string;
  readonly unified: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: TradeFeedSettings;
  readonly retry: RetryPolicy;
  readonly secrets: readonly string[];
}

export function ccxtTradeFeed(options: TradeFeedOptions): Observable<TradeEvent> {
  return new Observable<TradeEvent>((subscriber) => {
    const loop = new TradeFeedLoop(options, (e) => subscriber.next(e), () => subscriber.complete());
    void loop.run();
    return () => loop.stop();
  });
}

const byTimeThenId = (a: CcxtTrade, b: CcxtTrade): number => a.timestamp - b.timestamp || compareIds(a.id, b.id);

/** Numeric ids compare as numbers (Binance), others as strings. */
export function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

class TradeFeedLoop {
  private readonly abort = new AbortController();
  private readonly seen = new RecentIds();
  private readonly ex: Exchange;
  /** Timestamp of the last trade emitted; undefined before the first. */
  private lastTs: number | undefined;
  private failures = 0;
  private needBackfill = false;

  constructor(
    private readonly o: TradeFeedOptions,
    private readonly emit: (e: TradeEvent) => void,
    private readonly complete: () => void,
  ) {
    this.ex = o.exchange;
  }

  stop(): void {
    this.abort.abort();
  }

  async run(): Promise<void> {
    try {
      const ws = this.ex.has['watchTrades'] === true;
      while (!this.abort.signal.aborted) {
        if (ws) await this.wsStep();
        else await this.pollStep();
      }
    } catch (err) {
      this.o.logger.error({ err: classifyVenueError(err, this.o.secrets).message, symbol: this.o.symbol }, 'trade feed stopped');
    } finally {
      this.stop();
      this.complete();
    }
  }

  private async wsStep(): Promise<void> {
    let batch: CcxtTrade[];
    try {
      const raw = await this.ex.watchTrades(this.o.unified);
      if (this.abort.signal.aborted) return;
      batch = raw.map((t) => parseReply(ccxtTradeSchema, t, 'trade'));
      this.failures = 0;
    } catch (err) {
      if (this.abort.signal.aborted) return;
      if (isClosedByUser(err)) return this.stop();
      const info = classifyVenueError(err, this.o.secrets);
      this.failures++;
      this.needBackfill = this.lastTs !== undefined;
      const delay = backoffDelay({ baseDelayMs: this.o.settings.reconnectBaseDelayMs, maxDelayMs: this.o.settings.reconnectMaxDelayMs }, this.failures);
      this.o.logger.warn({ symbol: this.o.symbol, attempt: this.failures, delayMs: delay, err: info.message }, 'trade websocket lost; reconnecting');
      await sleep(this.o.clock, delay, this.abort.signal);
      return;
    }
    if (this.needBackfill) {
      // The new stream is live (it just delivered): what printed in between comes from REST.
      this.needBackfill = false;
      batch = batch.concat(await this.backfill());
    }
    this.emitNew(batch);
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
    await sleep(this.o.clock, this.o.settings.pollIntervalMs, this.abort.signal);
  }

  /** Recent trades from REST, those at or after the last emitted one; empty when REST fails (logged). */
  private async backfill(): Promise<CcxtTrade[]> {
    const since = tradesBackfillTakesSince(this.ex) ? this.lastTs : undefined;
    try {
      const raw = await withRetry(() => this.ex.fetchTrades(this.o.unified, since, this.o.settings.backfillLimit), {
        clock: this.o.clock,
        policy: this.o.retry,
        secrets: this.o.secrets,
        signal: this.abort.signal,
      });
      const trades = raw.map((t) => parseReply(ccxtTradeSchema, t, 'trade'));
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
      this.emit({ kind: 'trade', venue: this.o.venue, symbol: this.o.symbol, ts, tradeId: t.id, price: t.price, size: t.amount, aggressor: t.side });
    }
  }
}
