import { mkdtempSync } from 'node:fs';
import { merge, Subject, type Observable } from 'rxjs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../src/clock/clock.js';
import { StrategyParamsSchema, type StrategyParamsInput } from '../../src/config/strategy-params.js';
import { silentLogger } from '../../src/log/logger.js';
import type { BookEvent, TradeEvent } from '../../src/market-data/market-event.js';
import { PairRuntime } from '../../src/service/pair-runtime.js';
import type { EventStore } from '../../src/store/event-store.js';
import { SimulatedVenue } from '../../src/venues/simulated-venue.js';
import type { Fill, MarketSpec } from '../../src/venues/venue.js';
import { BTCUSDT_SPOT } from '../fixtures/markets.js';

/**
 * Test double at the venue boundary: a live exchange can deliver a fill twice
 * (websocket plus REST backfill). This venue lets a test inject such fills.
 */
export class DuplicatingVenue extends SimulatedVenue {
  readonly injectedFills = new Subject<Fill>();
  override watchFills(symbol: string): Observable<Fill> {
    return merge(super.watchFills(symbol), this.injectedFills);
  }
}

export const T0 = 1_723_161_254_000;
export const STREAM = 'pair-binance-BTC_USDT';
export const MARKET: MarketSpec = BTCUSDT_SPOT;

export const tempDbPath = (name: string): string => join(mkdtempSync(join(tmpdir(), 'mm-it-')), name);

export const book = (ts: number, bid: number, ask: number, size = 2): BookEvent => ({
  kind: 'book',
  venue: 'binance',
  symbol: 'BTCUSDT',
  ts,
  sequence: ts,
  bids: [{ price: bid, size }, { price: bid - 0.5, size }],
  asks: [{ price: ask, size }, { price: ask + 0.5, size }],
});

export const trade = (ts: number, price: number, size: number, aggressor: 'buy' | 'sell'): TradeEvent => ({ kind: 'trade', venue: 'binance', symbol: 'BTCUSDT', ts, tradeId: `t${ts}`, price, size, aggressor });

/** One pair runtime on a simulated venue and a virtual clock: the production wiring, minus the recording. */
export function runtimeHarness(store: EventStore, opts: { instanceId?: string; params?: StrategyParamsInput; clock?: VirtualClock; stream?: string } = {}) {
  const clock = opts.clock ?? new VirtualClock(T0);
  const venue = new DuplicatingVenue({ id: 'binance', markets: [MARKET], clock });
  const runtime = new PairRuntime({
    pairId: 'binance-BTC_USDT',
    stream: opts.stream ?? STREAM,
    market: MARKET,
    params: StrategyParamsSchema.parse(opts.params ?? {}),
    store,
    venue,
    clock,
    logger: silentLogger(),
    instanceId: opts.instanceId ?? 'it',
    mode: 'backtest',
  });
  const feed = async (event: BookEvent | TradeEvent) => {
    clock.advanceTo(event.ts);
    await runtime.drain();
    venue.onMarketEvent(event);
    await runtime.drain();
  };
  return { clock, venue, runtime, feed };
}
