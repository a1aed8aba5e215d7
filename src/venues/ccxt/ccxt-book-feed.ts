/**
 * ccxt.pro `watchOrderBook` as an Observable<BookFeedEvent>.
 *
 * - Each resolution of watchOrderBook is the whole current book (ccxt applies
 *   the diffs); we emit its top `depth` levels as one BookEvent, so bursts are
 *   conflated to the latest state.
 * - Disconnect (ccxt rejects with a NetworkError and drops the client):
 *   `feed-problem` 'gap', reconnect with exponential backoff. ccxt
 *   re-subscribes on the new connection and fetches a fresh REST snapshot
 *   before resolving again; the local copy is dropped first, so no book from
 *   before the disconnect is ever emitted after it.
 * - Sequence gap (ccxt ChecksumError / InvalidNonce, e.g. Binance's U/u chain
 *   broke): `feed-problem` 'gap', resync at once from a fresh snapshot.
 * - A crossed book is a `feed-problem` 'crossed' and is not emitted.
 * - No update within `maxAgeMs`: `feed-problem` 'stale'. The first trustworthy
 *   book afterwards emits one `feed-recovered`, then the book.
 * - Websockets unavailable (the exchange has no watchOrderBook, or several
 *   connection attempts in a row failed): poll `fetchOrderBook` (each poll is a
 *   full snapshot) and try websockets again every `wsRetryAfterMs`.
 * - Book timestamps are receive time on the injected clock (like recordings),
 *   so staleness is measured on one clock, never against the exchange's.
 */
import type { Exchange } from 'ccxt';
import type { Observable } from 'rxjs';
import type { BookEvent } from '../../market-data/market-event.js';
import type { BookFeedEvent } from '../venue.js';
import { classifyVenueError, isSequenceGap } from './ccxt-errors.js';
import { FeedHealth } from './ccxt-feed-health.js';
import { parseOrderBookTop } from './ccxt-schemas.js';
import { watchLoop, type CcxtMarketFeedOptions, type Feed, type ReconnectSettings, type StreamLost, type WatchLoop } from './ccxt-watch-loop.js';

export interface BookFeedSettings extends ReconnectSettings {
  /** Levels per side in each BookEvent. */
  readonly depth: number;
  /** Depth of the snapshot ccxt requests (Binance: REST weight grows with it); undefined = ccxt's default. */
  readonly snapshotLimit: number | undefined;
  readonly maxAgeMs: number;
  /** Consecutive websocket failures before falling back to REST polling. */
  readonly wsFailuresBeforePolling: number;
  readonly pollIntervalMs: number;
  /** While polling, try websockets again after this long. */
  readonly wsRetryAfterMs: number;
}

export const DEFAULT_BOOK_FEED: BookFeedSettings = {
  depth: 20,
  snapshotLimit: undefined,
  maxAgeMs: 5_000,
  reconnectBaseDelayMs: 250,
  reconnectMaxDelayMs: 10_000,
  wsFailuresBeforePolling: 3,
  pollIntervalMs: 1_000,
  wsRetryAfterMs: 30_000,
};

export interface BookFeedOptions extends CcxtMarketFeedOptions {
  readonly settings: BookFeedSettings;
}

export function ccxtBookFeed(options: BookFeedOptions): Observable<BookFeedEvent> {
  return watchLoop<BookFeedEvent>(options, 'order book feed', (loop) => new BookFeed(options, loop));
}

type Mode = 'ws' | 'poll';

class BookFeed implements Feed {
  private readonly health: FeedHealth;
  private readonly ex: Exchange;
  private mode: Mode;
  /** Websocket failures already counted when the websocket is tried again after polling. */
  private wsFailures = 0;
  private pollingSince = 0;
  private sequence = 0;
  /** Set after a disconnect or gap: the next book must come from a fresh snapshot. */
  private resyncing = false;
  private crossed = false;

  constructor(
    private readonly o: BookFeedOptions,
    private readonly loop: WatchLoop<BookFeedEvent>,
  ) {
    this.ex = o.exchange;
    this.health = new FeedHealth({ venue: o.venue, symbol: o.symbol, clock: o.clock, maxAgeMs: o.settings.maxAgeMs, emit: (e) => loop.emit(e) });
    this.mode = this.ex.has['watchOrderBook'] === true ? 'ws' : 'poll';
  }

  onStop(): void {
    this.health.stop();
    // ccxt keeps the subscription until the exchange is closed (CcxtVenue.close):
    // the venue shares one feed per symbol for its lifetime.
  }

  async run(): Promise<void> {
    this.health.start();
    if (this.mode === 'poll') this.pollingSince = this.o.clock.now();
    while (!this.loop.stopped) {
      if (this.mode === 'ws') await this.watch();
      else await this.pollStep();
    }
  }

  /** Websocket updates until the loop stops or the websocket is given up for polling. */
  private watch(): Promise<void> {
    return this.loop.watchStream({
      watch: () => this.ex.watchOrderBook(this.o.unified, this.o.settings.snapshotLimit),
      received: (book) => this.onBook(book, 'websocket'),
      lostMessage: 'order book websocket lost; reconnecting',
      resyncOn: isSequenceGap,
      lost: (lost) => this.lost(lost),
      failuresSoFar: this.wsFailures,
    });
  }

  private lost({ info, attempt, resync }: StreamLost): 'stop' | void {
    this.forgetLocalBook();
    if (resync) {
      this.health.problem('gap', `order book sequence broke; resyncing from a fresh snapshot (${info.message})`);
      return;
    }
    this.health.problem('gap', `order book websocket lost (${info.category}: ${info.message}); reconnecting`);
    if (attempt < this.o.settings.wsFailuresBeforePolling) return;
    this.o.logger.warn({ symbol: this.o.symbol, failures: attempt }, 'order book websocket unavailable; polling REST snapshots');
    this.mode = 'poll';
    this.pollingSince = this.o.clock.now();
    return 'stop';
  }

  private async pollStep(): Promise<void> {
    try {
      const book = await this.ex.fetchOrderBook(this.o.unified, this.o.settings.snapshotLimit);
      if (this.loop.stopped) return;
      this.onBook(book, 'REST snapshot');
    } catch (err) {
      if (this.loop.stopped) return;
      const info = classifyVenueError(err, this.o.secrets);
      this.o.logger.warn({ symbol: this.o.symbol, err: info.message }, 'order book poll failed');
    }
    await this.loop.sleep(this.o.settings.pollIntervalMs);
    if (this.ex.has['watchOrderBook'] === true && this.o.clock.now() - this.pollingSince >= this.o.settings.wsRetryAfterMs) {
      // One more websocket failure sends us straight back to polling.
      this.mode = 'ws';
      this.wsFailures = Math.max(0, this.o.settings.wsFailuresBeforePolling - 1);
      this.resyncing = true;
    }
  }

  /** Drops ccxt's copy of the book so that nothing stale survives a reconnect. */
  private forgetLocalBook(): void {
    this.resyncing = true;
    const books = (this.ex as unknown as { orderbooks?: Record<string, unknown> }).orderbooks;
    if (books && this.o.unified in books) delete books[this.o.unified];
  }

  private onBook(raw: unknown, source: string): void {
    const top = parseOrderBookTop(raw, this.o.settings.depth);
    const bestBid = top.bids[0]?.[0];
    const bestAsk = top.asks[0]?.[0];
    if (bestBid !== undefined && bestAsk !== undefined && bestBid >= bestAsk) {
      this.crossed = true;
      this.health.problem('crossed', `best bid ${bestBid} >= best ask ${bestAsk} at sequence ${top.nonce ?? '?'}`);
      return;
    }
    const sequence = top.nonce ?? ++this.sequence;
    this.sequence = sequence;
    const why = this.resyncing ? `book resynced from a fresh ${source === 'websocket' ? 'snapshot' : source} at sequence ${sequence}` : this.crossed ? `book uncrossed at sequence ${sequence}` : `book updates flowing again at sequence ${sequence}`;
    this.health.data(why);
    this.resyncing = false;
    this.crossed = false;
    const event: BookEvent = {
      kind: 'book',
      venue: this.o.venue,
      symbol: this.o.symbol,
      ts: this.o.clock.now(),
      sequence,
      bids: top.bids.map(([price, size]) => ({ price, size })),
      asks: top.asks.map(([price, size]) => ({ price, size })),
    };
    this.loop.emit(event);
  }
}
