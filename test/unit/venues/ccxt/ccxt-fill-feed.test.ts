import { afterEach, describe, expect, it } from '@jest/globals';
import type { Subscription } from 'rxjs';
import { VirtualClock, WallClock } from '../../../../src/clock/clock.js';
import { CcxtVenue, type FeedHealthEvent } from '../../../../src/venues/ccxt/ccxt-venue.js';
import type { Fill } from '../../../../src/venues/venue.js';
import { binanceWithRecordedHttp, recordedCase, until } from './ccxt-fixtures.js';
import { LoopbackBinanceWs } from './loopback-binance-ws.js';
import { paramsOf } from './recorded-http.js';

const RESPONSES = 'binance-responses.json';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

interface OurFill {
  readonly tradeId: number;
  readonly qty: string;
  readonly cumQty: string;
  readonly time: number;
}

const ORDER_ID = 5550001;
const CLIENT_ID = 'mm9f1c2e7ar41';

/**
 * A Binance spot `executionReport` for one fill of our order, in the recorded
 * format (field for field the "private watchMyTrades spot" message recorded in
 * ccxt's binance.pro source), with our symbol, ids and quantities.
 */
const executionReport = (f: OurFill) => ({
  e: 'executionReport',
  E: f.time + 1,
  s: 'BTCUSDT',
  c: CLIENT_ID,
  S: 'BUY',
  o: 'LIMIT_MAKER',
  f: 'GTC',
  q: '0.00300000',
  p: '61837.62000000',
  P: '0.00000000',
  F: '0.00000000',
  g: -1,
  C: '',
  x: 'TRADE',
  X: f.cumQty === '0.00300000' ? 'FILLED' : 'PARTIALLY_FILLED',
  r: 'NONE',
  i: ORDER_ID,
  l: f.qty,
  z: f.cumQty,
  L: '61837.62000000',
  n: '0.00000100',
  N: 'BTC',
  T: f.time,
  t: f.tradeId,
  I: 2696953381,
  w: false,
  m: true,
  M: true,
  O: f.time - 1_000,
  Z: '61.83762000',
  Y: '61.83762000',
  Q: '0.00000000',
});

/** The same fill as Binance's REST `GET /api/v3/myTrades` returns it (format of the recorded "Spot private trade"). */
const myTrade = (f: OurFill) => ({
  ...recordedCase(RESPONSES, 'fetchMyTrades', 'Spot private trade').httpResponse[0],
  symbol: 'BTCUSDT',
  id: String(f.tradeId),
  orderId: String(ORDER_ID),
  price: '61837.62000000',
  qty: f.qty,
  quoteQty: '61.83762000',
  commission: '0.00000100',
  commissionAsset: 'BTC',
  time: String(f.time),
  isBuyer: true,
  isMaker: true,
});

describe('CcxtVenue.watchFills over a loopback websocket server standing in for the exchange (Binance user data via the WebSocket API, recorded HTTP layer for orders and the backfill)', () => {
  it('loses no fill and duplicates none across a dropped connection (stream + fetchMyTrades backfill, de-duplicated by trade id)', async () => {
    const server = await LoopbackBinanceWs.start();
    const { exchange, http } = binanceWithRecordedHttp();
    await server.install(exchange);
    const venue = new CcxtVenue({ exchange, clock: new WallClock(), deadMansSwitch: false, fills: { reconnectBaseDelayMs: 20, pollIntervalMs: 60_000 } });
    const fills: Fill[] = [];
    let sub: Subscription | undefined;
    cleanup.push(async () => {
      sub?.unsubscribe();
      await venue.close();
      await server.close();
    });

    const createCase = recordedCase(RESPONSES, 'createOrder', 'spot +selfTradePrevention +iceberg');
    http.on('POST', '/api/v3/order', (req) => {
      const p = paramsOf(req);
      return { body: { ...createCase.httpResponse, symbol: 'BTCUSDT', orderId: String(ORDER_ID), clientOrderId: p['newClientOrderId'], price: p['price'], origQty: p['quantity'], type: 'LIMIT_MAKER', icebergQty: '0' } };
    });
    const [ack] = await venue.placeOrders([{ clientOrderId: CLIENT_ID, symbol: 'BTCUSDT', side: 'buy', price: '61837.62', amount: '0.003', postOnly: true, reduceOnly: false }]);
    expect(ack).toMatchObject({ status: 'accepted', venueOrderId: String(ORDER_ID) });

    const now = Date.now();
    const f1: OurFill = { tradeId: 900001, qty: '0.00100000', cumQty: '0.00100000', time: now + 10 };
    const f2: OurFill = { tradeId: 900002, qty: '0.00100000', cumQty: '0.00200000', time: now + 20 };
    const f3: OurFill = { tradeId: 900003, qty: '0.00100000', cumQty: '0.00300000', time: now + 30 };
    http.on('GET', '/api/v3/myTrades', { body: [myTrade(f1), myTrade(f2)] });

    const health: FeedHealthEvent[] = [];
    const healthSub = venue.watchFeedHealth('BTCUSDT').subscribe((e) => health.push(e));
    cleanup.push(async () => healthSub.unsubscribe());
    sub = venue.watchFills('BTCUSDT').subscribe((f) => fills.push(f));
    await server.waitForUserSubscription(1);
    await pause(50); // let ccxt register its watch after the subscription ack (an event before that is only cached by ccxt)
    server.publishUser(executionReport(f1));
    await until(() => fills.length === 1, 4_000, 'the first fill');

    server.dropAll(); // f2 happens while we are disconnected: only REST knows it
    await server.waitForUserSubscription(2);
    await until(() => fills.length === 2, 4_000, 'the backfilled fill');
    await pause(50);
    server.publishUser(executionReport(f2)); // the stream repeats it
    server.publishUser(executionReport(f3));
    await until(() => fills.length === 3, 4_000, 'the last fill');
    await pause(50);

    expect(fills.map((f) => [f.tradeId, f.remaining])).toEqual([
      ['900001', '0.002'],
      ['900002', '0.001'],
      ['900003', '0'],
    ]);
    expect(fills[1]).toEqual({
      venue: 'binance',
      symbol: 'BTCUSDT',
      tradeId: '900002',
      clientOrderId: CLIENT_ID,
      venueOrderId: String(ORDER_ID),
      side: 'buy',
      price: '61837.62',
      amount: '0.001',
      fee: '0.000001',
      feeCurrency: 'BTC',
      liquidity: 'maker',
      remaining: '0.001',
      ts: f2.time,
    });
    const backfills = http.to('GET', '/api/v3/myTrades');
    expect(backfills).toHaveLength(1);
    expect(Number(paramsOf(backfills[0]!)['startTime'])).toBeLessThanOrEqual(f1.time);
    expect(server.userSubscriptions).toBe(2);
    // Feed health: the drop is a gap (fills may be unseen) until the backfill has reconciled them.
    expect(health.map((e) => [e.feed, e.kind])).toEqual([
      ['fills', 'feed-problem'],
      ['fills', 'feed-recovered'],
    ]);
    expect(health[1]?.detail).toMatch(/^fills reconciled with the venue \(reconnect\)/);
    expect(venue.feedHealth('BTCUSDT').fills).toBe(true);
  });

  it('maps the recorded fetchMyTrades reply to our Fill shape (REST-only mode), resolving the client order id through fetchOrder', async () => {
    const { exchange, http } = binanceWithRecordedHttp();
    exchange.has['watchMyTrades'] = false;
    exchange.has['watchOrders'] = false;
    const spotTrade = recordedCase(RESPONSES, 'fetchMyTrades', 'Spot private trade');
    const closed = recordedCase(RESPONSES, 'fetchOrder', 'Fetch spot closed order');
    const tradeTime = spotTrade.parsedResponse[0].timestamp as number;
    const clock = new VirtualClock(tradeTime + 5_000);
    // The recorded order was placed by another client (its id is not ours): declared ours here, so the feed maps it.
    const RECORDED_CLIENT_ID = 'x-R4BD3S825806ed40c861260428a48c';
    const venue = new CcxtVenue({ exchange, clock, deadMansSwitch: false, symbols: ['LTCUSDT'], fills: { startupLookbackMs: 60_000 }, ownsClientOrderId: (id) => id === RECORDED_CLIENT_ID });
    cleanup.push(() => venue.close());
    http.on('GET', '/api/v3/myTrades', { body: spotTrade.httpResponse });
    // Binance's myTrades has no client order id: the adapter asks for the order (recorded reply, re-keyed to this trade's order).
    http.on('GET', '/api/v3/order', { body: { ...closed.httpResponse, orderId: '3784695242', origQty: '0.20000000', executedQty: '0.20000000' } });
    const fills: Fill[] = [];
    const sub = venue.watchFills('LTCUSDT').subscribe((f) => fills.push(f));
    cleanup.push(async () => sub.unsubscribe());
    await until(() => fills.length === 1, 4_000, 'the recorded fill');
    expect(fills[0]).toEqual({
      venue: 'binance',
      symbol: 'LTCUSDT',
      tradeId: '309520010',
      clientOrderId: 'x-R4BD3S825806ed40c861260428a48c',
      venueOrderId: '3784695242',
      side: 'sell',
      price: '69.63',
      amount: '0.2',
      fee: '0.013926',
      feeCurrency: 'USDT',
      liquidity: 'taker',
      remaining: '0',
      ts: 1698138992358,
    });
    expect(paramsOf(http.to('GET', '/api/v3/order')[0]!)).toMatchObject({ symbol: 'LTCUSDT', orderId: '3784695242' });
  });

  it('skips a trade of an order that is not ours (another client on the account): it is no fill of ours', async () => {
    const { exchange, http } = binanceWithRecordedHttp();
    exchange.has['watchMyTrades'] = false;
    exchange.has['watchOrders'] = false;
    const spotTrade = recordedCase(RESPONSES, 'fetchMyTrades', 'Spot private trade');
    const closed = recordedCase(RESPONSES, 'fetchOrder', 'Fetch spot closed order');
    const tradeTime = spotTrade.parsedResponse[0].timestamp as number;
    const clock = new VirtualClock(tradeTime + 5_000);
    // The recorded order was placed by another client: its id is not of our format.
    const venue = new CcxtVenue({ exchange, clock, deadMansSwitch: false, symbols: ['LTCUSDT'], fills: { startupLookbackMs: 60_000 } });
    cleanup.push(() => venue.close());
    http.on('GET', '/api/v3/myTrades', { body: spotTrade.httpResponse });
    // Binance's myTrades has no client order id: the adapter asks for the order (recorded reply, re-keyed to this trade's order).
    http.on('GET', '/api/v3/order', { body: { ...closed.httpResponse, orderId: '3784695242', origQty: '0.20000000', executedQty: '0.20000000' } });
    const fills: Fill[] = [];
    const sub = venue.watchFills('LTCUSDT').subscribe((f) => fills.push(f));
    cleanup.push(async () => sub.unsubscribe());
    await until(() => http.to('GET', '/api/v3/order').length > 0, 4_000, 'the order lookup');
    await new Promise((r) => setTimeout(r, 200));
    expect(fills).toEqual([]);
  });
});
