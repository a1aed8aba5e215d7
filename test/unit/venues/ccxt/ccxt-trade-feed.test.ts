import { afterEach, describe, expect, it } from '@jest/globals';
import type { Subscription } from 'rxjs';
import { WallClock } from '../../../../src/clock/clock.js';
import type { TradeEvent } from '../../../../src/market-data/market-event.js';
import { CcxtVenue, type FeedHealthEvent } from '../../../../src/venues/ccxt/ccxt-venue.js';
import { binanceWithRecordedHttp, readRecordedStreams, until, type TradeMessage } from './ccxt-fixtures.js';
import { LoopbackBinanceWs } from './loopback-binance-ws.js';
import { paramsOf } from './recorded-http.js';

const STREAM = 'btcusdt@trade';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A recorded `@trade` message in the shape Binance's REST `GET /api/v3/trades` returns it. */
const asRest = (t: TradeMessage) => ({ id: t.t, price: t.p, qty: t.q, quoteQty: String(Number(t.p) * Number(t.q)), time: t.T, isBuyerMaker: t.m, isBestMatch: t.M });

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('CcxtVenue.watchTrades over a loopback websocket server standing in for the exchange (recorded Binance trades, recorded HTTP layer for the backfill)', () => {
  it('reconnects after a drop and backfills the trades printed meanwhile: none lost, none duplicated, in order', async () => {
    const rec = await readRecordedStreams(900);
    const trades = rec.trades.slice(0, 80);
    const server = await LoopbackBinanceWs.start();
    const { exchange, http } = binanceWithRecordedHttp();
    await server.install(exchange);
    const venue = new CcxtVenue({ exchange, clock: new WallClock(), deadMansSwitch: false, trades: { reconnectBaseDelayMs: 20 } });
    const events: TradeEvent[] = [];
    let sub: Subscription | undefined;
    cleanup.push(async () => {
      sub?.unsubscribe();
      await venue.close();
      await server.close();
    });

    // The REST page the exchange would return after the outage: the latest trades, some already streamed.
    http.on('GET', '/api/v3/trades', { body: trades.slice(25, 56).map(asRest) });
    server.onSubscribe = (stream) => {
      if (stream !== STREAM) return;
      const n = server.subscribed.filter((s) => s === STREAM).length;
      void (async () => {
        for (const t of n === 1 ? trades.slice(0, 40) : trades.slice(50)) {
          server.publish(STREAM, t);
          await pause(1);
        }
      })();
    };
    const health: FeedHealthEvent[] = [];
    const healthSub = venue.watchFeedHealth('BTCUSDT').subscribe((e) => health.push(e));
    cleanup.push(async () => healthSub.unsubscribe());
    sub = venue.watchTrades('BTCUSDT').subscribe((e) => events.push(e));
    await until(() => events.length >= 40, 4_000, 'the first 40 trades');
    expect(venue.feedHealth('BTCUSDT')).toEqual({ book: true, trades: true, fills: true });
    server.dropAll(); // trades 40..49 print while we are disconnected
    await until(() => events.at(-1)?.tradeId === String(trades.at(-1)!.t), 4_000, 'the last trade');
    await pause(20);

    expect(events.map((e) => e.tradeId)).toEqual(trades.map((t) => String(t.t)));
    expect(new Set(events.map((e) => e.tradeId)).size).toBe(events.length);
    expect(events[0]).toEqual({ kind: 'trade', venue: 'binance', symbol: 'BTCUSDT', ts: expect.any(Number), tradeId: '3735683259', price: 61837.63, size: 0.02, aggressor: 'sell' });
    // Backfill from /api/v3/trades (ids in the same sequence as the @trade stream), latest page, no start time.
    const [backfill] = http.to('GET', '/api/v3/trades');
    expect(http.to('GET', '/api/v3/trades')).toHaveLength(1);
    expect(paramsOf(backfill!)).toEqual({ symbol: 'BTCUSDT', limit: '1000' });
    expect(http.to('GET', '/api/v3/aggTrades')).toHaveLength(0);
    expect(server.connections).toBe(2);
    // Feed health, like the book's: one gap on the drop, one recovery with the first batch after it.
    expect(health.map((e) => [e.feed, e.kind, e.kind === 'feed-problem' ? e.problem : ''])).toEqual([
      ['trades', 'feed-problem', 'gap'],
      ['trades', 'feed-recovered', ''],
    ]);
    expect(health[1]?.detail).toMatch(/^trades flow again \(after gap; down \d+ ms\)$/);
    expect(venue.feedHealth('BTCUSDT').trades).toBe(true);
  });

  it('reports a stale trade feed when nothing prints within staleAfterMs, and its recovery on the next trade', async () => {
    const rec = await readRecordedStreams(900);
    const server = await LoopbackBinanceWs.start();
    const { exchange } = binanceWithRecordedHttp();
    await server.install(exchange);
    const venue = new CcxtVenue({ exchange, clock: new WallClock(), deadMansSwitch: false, trades: { staleAfterMs: 150 } });
    const health: FeedHealthEvent[] = [];
    const healthSub = venue.watchFeedHealth('BTCUSDT').subscribe((e) => health.push(e));
    const sub = venue.watchTrades('BTCUSDT').subscribe(() => {});
    cleanup.push(async () => {
      sub.unsubscribe();
      healthSub.unsubscribe();
      await venue.close();
      await server.close();
    });
    await until(() => server.subscribed.includes(STREAM), 4_000, 'the subscription');
    await until(() => health.length === 1, 4_000, 'the stale report');
    expect(health[0]).toMatchObject({ feed: 'trades', kind: 'feed-problem', problem: 'stale' });
    expect(venue.feedHealth('BTCUSDT').trades).toBe(false);
    server.publish(STREAM, rec.trades[0]!);
    await until(() => health.length === 2, 4_000, 'the recovery');
    expect(health[1]).toMatchObject({ feed: 'trades', kind: 'feed-recovered' });
    expect(venue.feedHealth('BTCUSDT').trades).toBe(true);
  });
});
