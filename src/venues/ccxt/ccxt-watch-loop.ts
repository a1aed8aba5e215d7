/**
 * The loop every ccxt.pro feed (order book, public trades, our fills) runs
 * on: a feed says what it watches and what an update, a lost stream or a
 * resync means for it; this module does the rest, the same way for each:
 *
 * - The feed as an Observable: started on subscription, stopped on
 *   unsubscribe (or when the exchange is closed by us), completed when its
 *   work ends; a feed that fails is logged (`<name> stopped`) and completes.
 * - `watchStream`: call the ccxt.pro watch method again and again (ccxt
 *   re-subscribes after a dropped connection), hand each update to the feed,
 *   and on failure reconnect with exponential backoff on the injected clock,
 *   counting consecutive failures until the next update. An error after which
 *   the connection is still good (a broken sequence) is a resync: retried at
 *   once, not counted. The feed's `lost` hook runs first on every failure: it
 *   drops state, schedules its backfill, reports feed health, or gives up on
 *   websockets.
 * - `sleep` and `retrying` (REST backfills, polls) on the same clock, cut
 *   short by the stop.
 */
import type { Exchange } from 'ccxt';
import { Observable, type Subscriber } from 'rxjs';
import type { Clock } from '../../clock/clock.js';
import type { Logger } from '../../log/logger.js';
import { classifyVenueError, isClosedByUser, type VenueErrorInfo } from './ccxt-errors.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, sleep, withRetry, type RetryPolicy } from './ccxt-retry.js';

/** What every ccxt feed is given, whatever it watches. */
export interface CcxtFeedContext {
  readonly exchange: Exchange;
  readonly venue: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly secrets: readonly string[];
}

/** A feed of one market. */
export interface CcxtMarketFeedOptions extends CcxtFeedContext {
  /** Venue symbol, as in our events. */
  readonly symbol: string;
  /** ccxt unified symbol. */
  readonly unified: string;
}

/** Backoff between reconnection attempts: base x 2^(attempt-1), capped. */
export interface ReconnectSettings {
  readonly reconnectBaseDelayMs: number;
  readonly reconnectMaxDelayMs: number;
}

export interface WatchLoopOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Venue symbol, for logs. */
  readonly symbol: string;
  readonly secrets: readonly string[];
  readonly settings: ReconnectSettings;
  /** Policy of `retrying`; default DEFAULT_RETRY_POLICY. */
  readonly retry?: RetryPolicy;
}

/** What a feed runs on the loop. */
export interface Feed {
  /** The feed's work, until the loop is stopped; a throw ends the feed (logged). */
  run(): Promise<void>;
  /** Called once when the loop stops (unsubscribe, closed exchange, end of run): release timers. */
  onStop?(): void;
  /** Awaited after the stop, before completing: work still in flight. */
  drain?(): Promise<void>;
}

/** A watch that failed, as the feed's `lost` hook sees it. */
export interface StreamLost {
  /** Classified, redacted. */
  readonly info: VenueErrorInfo;
  /** Consecutive connection failures, this one included (not incremented by a resync). */
  readonly attempt: number;
  /** The connection is still good (`resyncOn` matched): the stream is watched again at once, without backoff. */
  readonly resync: boolean;
}

export interface WatchStream<T> {
  /** One call of the ccxt.pro watch method: resolves with the next update. */
  readonly watch: () => Promise<T>;
  /** An update; a throw here counts as a lost stream, like a failed watch. */
  readonly received: (update: T) => void | Promise<void>;
  /** Logged (warn) with each backoff. */
  readonly lostMessage: string;
  /** Errors after which the connection is still good (a sequence gap). */
  readonly resyncOn?: (err: unknown) => boolean;
  /** Every failure, before the backoff: reset, schedule a backfill, report. `'stop'` ends the watch at once, without backoff. */
  readonly lost?: (lost: StreamLost) => 'stop' | void;
  /** Consecutive failures already counted when the watch starts (default 0). */
  readonly failuresSoFar?: number;
}

/** `feed` on a WatchLoop as an Observable; `name` (e.g. 'trade feed') is for logs. */
export function watchLoop<E>(options: WatchLoopOptions, name: string, feed: (loop: WatchLoop<E>) => Feed): Observable<E> {
  return new Observable<E>((subscriber) => {
    const loop = new WatchLoop<E>(options, name, subscriber);
    void loop.run(feed(loop));
    return () => loop.stop();
  });
}

export class WatchLoop<E> {
  private readonly abort = new AbortController();
  private feed: Feed | null = null;

  constructor(
    private readonly o: WatchLoopOptions,
    private readonly name: string,
    private readonly subscriber: Subscriber<E>,
  ) {}

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  emit(event: E): void {
    this.subscriber.next(event);
  }

  stop(): void {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    this.feed?.onStop?.();
  }

  async run(feed: Feed): Promise<void> {
    this.feed = feed;
    try {
      await feed.run();
    } catch (err) {
      this.o.logger.error({ err: classifyVenueError(err, this.o.secrets).message, symbol: this.o.symbol }, `${this.name} stopped`);
    } finally {
      this.stop();
      if (feed.drain) await feed.drain();
      this.subscriber.complete();
    }
  }

  /** Resolves after `ms` on the clock, or at once on stop. */
  sleep(ms: number): Promise<void> {
    return sleep(this.o.clock, ms, this.abort.signal);
  }

  /** `op` retried on the clock within the retry policy (idempotent reads only); the stop ends the retries. */
  retrying<T>(op: () => Promise<T>): Promise<T> {
    return withRetry(op, { clock: this.o.clock, policy: this.o.retry ?? DEFAULT_RETRY_POLICY, secrets: this.o.secrets, signal: this.abort.signal });
  }

  /** Watches until the loop stops or `lost` says 'stop'; reconnects with backoff in between. */
  async watchStream<T>(s: WatchStream<T>): Promise<void> {
    let failures = s.failuresSoFar ?? 0;
    while (!this.stopped) {
      try {
        const update = await s.watch();
        if (this.stopped) return;
        failures = 0;
        await s.received(update);
      } catch (err) {
        if (this.stopped) return;
        if (isClosedByUser(err)) return this.stop();
        const info = classifyVenueError(err, this.o.secrets);
        const resync = s.resyncOn?.(err) === true;
        if (!resync) failures++;
        if (s.lost?.({ info, attempt: failures, resync }) === 'stop') return;
        if (resync) continue;
        const { reconnectBaseDelayMs: baseDelayMs, reconnectMaxDelayMs: maxDelayMs } = this.o.settings;
        const delay = backoffDelay({ baseDelayMs, maxDelayMs }, failures);
        this.o.logger.warn({ symbol: this.o.symbol, attempt: failures, delayMs: delay, err: info.message }, s.lostMessage);
        await this.sleep(delay);
      }
    }
  }
}
