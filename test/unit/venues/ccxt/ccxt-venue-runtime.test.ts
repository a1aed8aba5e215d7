/**
 * The pair runtime driving the ccxt adapter, as in live mode: a real ccxt
 * Binance instance whose HTTP layer is the recorded one and whose websockets
 * point at a loopback websocket server standing in for the exchange (recorded
 * Binance depth diffs and trades). Checks that the port is used as the
 * runtime expects: reconcile, quote, place post-only orders with the logged
 * client order ids, cancel everything on stop.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { WallClock } from '../../../../src/clock/clock.js';
import { StrategyParamsSchema } from '../../../../src/config/strategy-params.js';
import { silentLogger } from '../../../../src/log/logger.js';
import { PairRuntime } from '../../../../src/service/pair-runtime.js';
import { MemoryEventStore } from '../../../../src/store/memory-event-store.js';
import { CcxtVenue } from '../../../../src/venues/ccxt/ccxt-venue.js';
import { binanceWithRecordedHttp, readRecordedStreams, until } from './ccxt-fixtures.js';
import { serveRecordedSpot } from './recorded-spot-exchange.js';
import { LoopbackBinanceWs } from './loopback-binance-ws.js';
import { paramsOf } from './recorded-http.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('PairRuntime on CcxtVenue (recorded HTTP layer and loopback websocket server standing in for the exchange)', () => {
  it('reconciles, quotes with post-only orders carrying the logged client order ids, and cancels them on stop', async () => {
    const rec = await readRecordedStreams(900);
    const server = await LoopbackBinanceWs.start();
    const { exchange, http } = binanceWithRecordedHttp();
    await server.install(exchange);
    const clock = new WallClock();
    const venue = new CcxtVenue({ exchange, clock, symbols: ['BTCUSDT'], deadMansSwitch: false, fills: { pollIntervalMs: 60_000 } });
    cleanup.push(async () => {
      await venue.close();
      await server.close();
    });

    const live = serveRecordedSpot(http, server, rec);

    const [market] = await venue.markets();
    const store = new MemoryEventStore();
    const stream = 'pair-binance-BTC_USDT';
    const runtime = new PairRuntime({
      pairId: 'binance-BTC_USDT',
      stream,
      market: market!,
      params: StrategyParamsSchema.parse({ orders: { minQuoteIntervalMs: 50 } }),
      store,
      venue,
      clock,
      logger: silentLogger(),
      instanceId: 'ccxt-it',
      mode: 'live',
    });
    await runtime.start();
    cleanup.push(() => runtime.stop('test cleanup'));
    await until(() => runtime.state.openOrders.size > 0, 5_000, 'live quotes');
    await runtime.stop('end of test');

    const events = await store.readStream(stream);
    const placed = events.filter((e) => e.type === 'OrderPlaced').map((e) => e.data as { clientOrderId: string; price: string; amount: string; side: string });
    const acked = events.filter((e) => e.type === 'OrderAcknowledged');
    expect(placed.length).toBeGreaterThan(0);
    expect(acked.length).toBe(placed.length);
    expect(events.some((e) => e.type === 'OrderRejected')).toBe(false);
    // What reached the exchange is exactly what the log says was decided: client ids, sides, prices, sizes.
    const sent = http.to('POST', '/api/v3/order').map(paramsOf);
    expect(sent.map((p) => [p['newClientOrderId'], p['side']!.toLowerCase(), p['price'], p['quantity'], p['type']])).toEqual(
      placed.map((o) => [o.clientOrderId, o.side, o.price, o.amount, 'LIMIT_MAKER']),
    );
    expect(live.size).toBe(0); // everything cancelled on stop
    expect(events.at(-1)?.type).toBe('PairStopped');
  });
  it('on Binance -2010 insufficient balance (a recorded error payload through real ccxt): places smaller, records the rule, does not pause', async () => {
    const rec = await readRecordedStreams(900);
    const server = await LoopbackBinanceWs.start();
    const { exchange, http } = binanceWithRecordedHttp();
    await server.install(exchange);
    const clock = new WallClock();
    const venue = new CcxtVenue({ exchange, clock, symbols: ['BTCUSDT'], deadMansSwitch: false, fills: { pollIntervalMs: 60_000 } });
    cleanup.push(async () => {
      await venue.close();
      await server.close();
    });
    const live = serveRecordedSpot(http, server, rec, {
      refuse: (p) => (p['side'] === 'BUY' && Number(p['quantity']) > 0.001 ? { status: 400, body: { code: -2010, msg: 'Account has insufficient balance for requested action.' } } : undefined),
    });
    const [market] = await venue.markets();
    const store = new MemoryEventStore();
    const stream = 'pair-binance-BTC_USDT';
    const runtime = new PairRuntime({
      pairId: 'binance-BTC_USDT',
      stream,
      market: market!,
      params: StrategyParamsSchema.parse({ orders: { minQuoteIntervalMs: 50 } }),
      store,
      venue,
      clock,
      logger: silentLogger(),
      instanceId: 'ccxt-funds',
      mode: 'live',
    });
    await runtime.start();
    cleanup.push(() => runtime.stop('test cleanup'));
    await until(() => [...live.values()].some((o) => o['side'] === 'BUY'), 25_000, 'a smaller bid live at the exchange');
    await runtime.stop('end of test');

    const events = await store.readStream(stream);
    const rejected = events.filter((e) => e.type === 'OrderRejected').map((e) => e.data as { category?: string; reason: string });
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.every((r) => r.category === 'insufficient-funds')).toBe(true);
    expect(rejected[0]?.reason).toMatch(/buy size cut to/);
    const smaller = events.filter((e) => e.type === 'OrderPlaced').map((e) => e.data as { side: string; amount: string; rule?: string }).filter((o) => o.side === 'buy' && o.rule);
    expect(smaller.length).toBeGreaterThan(0);
    expect(Number(smaller.at(-1)?.amount)).toBeLessThanOrEqual(0.001);
    expect(smaller.at(-1)?.rule).toMatch(/^insufficient-funds: buy size capped at/);
    expect(events.some((e) => e.type === 'Paused')).toBe(false);
    expect(live.size).toBe(0);
  }, 60_000);
});
