/**
 * The requests our adapter makes ccxt send, checked against ccxt's own
 * recorded request fixtures for Bybit and OKX (expected URL and body). The
 * ccxt instances are real; only their HTTP layer is replaced (recorded HTTP
 * layer standing in for the exchange) and markets come from ccxt's recorded
 * market fixtures.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Exchange } from 'ccxt';
import { VirtualClock, WallClock } from '../../../../src/clock/clock.js';
import { createCcxtExchange } from '../../../../src/venues/ccxt/ccxt-exchange.js';
import type { CcxtMarketType } from '../../../../src/venues/ccxt/ccxt-markets.js';
import { CcxtVenue } from '../../../../src/venues/ccxt/ccxt-venue.js';
import { DeadMansSwitch } from '../../../../src/venues/ccxt/dead-mans-switch.js';
import { silentLogger } from '../../../../src/log/logger.js';
import type { OrderRequest } from '../../../../src/venues/venue.js';
import { binanceWithRecordedHttp, fixture, recordedCase, until, type RecordedCase } from './ccxt-fixtures.js';
import { paramsOf, RecordedHttp, type CapturedRequest } from './recorded-http.js';

const CREDENTIALS = { apiKey: 'TESTKEYnotreal0123456789abcdef', secret: 'TESTSECRETnotreal0123456789abcdef', password: 'TESTpassphrase' };

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function exchangeWithRecordedMarkets(exchangeId: 'bybit' | 'okx', sandbox: boolean): { exchange: Exchange; http: RecordedHttp } {
  const exchange = createCcxtExchange({
    exchangeId,
    sandbox,
    credentials: CREDENTIALS,
    rateLimitMs: 1,
    // Bybit: unified trading account, as in ccxt's own request fixtures (skips the account-type lookup).
    ...(exchangeId === 'bybit' ? { ccxtOptions: { enableUnifiedMargin: false, enableUnifiedAccount: true } } : {}),
  });
  exchange.setMarkets(Object.values(fixture(`${exchangeId}-markets.json`).markets));
  return { exchange, http: new RecordedHttp().install(exchange) };
}

function venueOn(exchange: Exchange, marketType: CcxtMarketType = 'spot', clock = new WallClock()): CcxtVenue {
  const venue = new CcxtVenue({ exchange, clock, marketType, deadMansSwitch: false, retry: { maxAttempts: 1 } });
  cleanup.push(() => venue.close());
  return venue;
}

/** An OrderRequest from a ccxt fixture input `[symbol, type, side, amount, price, params]`, in our venue-symbol terms. */
function requestFrom(exchange: Exchange, input: unknown[], clientOrderId: string, postOnly: boolean, reduceOnly = false): OrderRequest {
  const [symbol, , side, amount, price] = input as [string, string, 'buy' | 'sell', number, number];
  return { clientOrderId, symbol: String(exchange.market(symbol).id), side, amount: String(amount), price: String(price), postOnly, reduceOnly };
}

/** The body ccxt sent, without the keys the fixture says to skip and without our client order id key. */
function sentBody(req: CapturedRequest, omit: readonly string[]): unknown {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => !omit.includes(k)).map(([k, x]) => [k, strip(x)]));
    return v;
  };
  return strip(JSON.parse(req.body ?? 'null'));
}

const expected = (c: RecordedCase, omit: readonly string[]): unknown => {
  const fake = { body: c.output } as CapturedRequest;
  return sentBody(fake, omit);
};

describe('Bybit (recorded request fixtures, sandbox/testnet)', () => {
  const file = 'bybit-requests.json';

  it('spot post-only limit order: PostOnly, exact qty/price, our orderLinkId, testnet URL', async () => {
    const c = recordedCase(file, 'createOrder', 'Spot limit buy with postOnly');
    const { exchange, http } = exchangeWithRecordedMarkets('bybit', true);
    http.on('POST', '/v5/order/create', { body: { retCode: 0, retMsg: 'OK', result: { orderId: '1321003749386327552', orderLinkId: 'mmbybit01r1' }, retExtInfo: {}, time: 1672211918471 } });
    const [result] = await venueOn(exchange).placeOrders([requestFrom(exchange, c.input, 'mmbybit01r1', true)]);
    expect(result).toMatchObject({ status: 'accepted', venueOrderId: '1321003749386327552' });
    const [req] = http.to('POST', '/v5/order/create');
    expect(req!.url.href).toBe(c.url);
    expect(sentBody(req!, ['orderLinkId'])).toEqual(expected(c, []));
    expect(JSON.parse(req!.body!).orderLinkId).toBe('mmbybit01r1');
  });

  it('linear swap post-only reduce-only order', async () => {
    const c = recordedCase(file, 'createOrder', 'Swap limit sell with reduceOnly and postOnly');
    const { exchange, http } = exchangeWithRecordedMarkets('bybit', true);
    http.on('POST', '/v5/order/create', { body: { retCode: 0, retMsg: 'OK', result: { orderId: '2', orderLinkId: 'mmbybit02r1' }, retExtInfo: {}, time: 1 } });
    const [result] = await venueOn(exchange, 'swap').placeOrders([requestFrom(exchange, c.input, 'mmbybit02r1', true, true)]);
    expect(result).toMatchObject({ status: 'accepted' });
    const [req] = http.to('POST', '/v5/order/create');
    expect(req!.url.href).toBe(c.url);
    expect(sentBody(req!, ['orderLinkId'])).toEqual(expected(c, []));
  });

  it('batch placement (create-batch) in one request', async () => {
    const c = recordedCase(file, 'createOrders', 'Spot create orders');
    const { exchange, http } = exchangeWithRecordedMarkets('bybit', true);
    http.on('POST', '/v5/order/create-batch', (req) => {
      const sent = JSON.parse(req.body!).request as { orderLinkId: string }[];
      return {
        body: {
          retCode: 0,
          retMsg: 'OK',
          result: { list: sent.map((o, i) => ({ category: 'spot', symbol: 'LTCUSDT', orderId: `16668004943305121${i}`, orderLinkId: o.orderLinkId, createAt: '1686206800186' })) },
          retExtInfo: { list: sent.map(() => ({ code: 0, msg: 'OK' })) },
          time: 1686206800191,
        },
      };
    });
    const orders = (c.input[0] as { symbol: string; side: 'buy' | 'sell'; amount: number; price: number }[]).map(
      (o, i): OrderRequest => ({ clientOrderId: `mmbybit03r${i}`, symbol: String(exchange.market(o.symbol).id), side: o.side, amount: String(o.amount), price: String(o.price), postOnly: false, reduceOnly: false }),
    );
    const results = await venueOn(exchange).placeOrders(orders);
    expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    const reqs = http.to('POST', '/v5/order/create-batch');
    expect(reqs).toHaveLength(1);
    expect(reqs[0]!.url.href).toBe(c.url);
    // The fixture repeats `category` inside every entry; the installed ccxt (4.5.84) sends it once, at the top
    // level, which is all Bybit's create-batch reads. Everything else must match.
    const want = expected(c, []) as { category: string; request: Record<string, unknown>[] };
    expect(sentBody(reqs[0]!, ['orderLinkId'])).toEqual({ ...want, request: want.request.map(({ category: _c, ...rest }) => rest) });
    expect(JSON.parse(reqs[0]!.body!).request.map((o: { orderLinkId: string }) => o.orderLinkId)).toEqual(['mmbybit03r0', 'mmbybit03r1']);
  });
});

describe('OKX (recorded request fixtures)', () => {
  const file = 'okx-requests.json';
  const skip = (fixture(file).skipKeys as string[]) ?? [];

  /** OKX order replies (per-order sCode/sMsg), echoing the client ids that were sent. */
  const okxAck = (ids: string[]) => (req: CapturedRequest) => {
    const sent = JSON.parse(req.body!) as { clOrdId: string }[];
    return { body: { code: '0', msg: '', data: sent.map((o, i) => ({ clOrdId: o.clOrdId, ordId: ids[i], tag: '', sCode: '0', sMsg: '' })) } };
  };

  it('a limit order with our client id (clOrdId); post-only becomes ordType post_only', async () => {
    const c = recordedCase(file, 'createOrder', 'spot order with clientOrderid');
    const { exchange, http } = exchangeWithRecordedMarkets('okx', false);
    http.on('POST', '/api/v5/trade/batch-orders', okxAck(['312269865356374016']));
    const venue = venueOn(exchange);
    const [plain] = await venue.placeOrders([requestFrom(exchange, c.input, 'mycustomid', false)]);
    expect(plain).toMatchObject({ status: 'accepted', venueOrderId: '312269865356374016' });
    const [req] = http.to('POST', '/api/v5/trade/batch-orders');
    expect(req!.url.href).toBe(c.url);
    expect(JSON.parse(req!.body!)).toEqual(JSON.parse(c.output!));

    await venue.placeOrders([requestFrom(exchange, c.input, 'mmokx0001r2', true)]);
    const postOnly = JSON.parse(http.to('POST', '/api/v5/trade/batch-orders')[1]!.body!);
    expect(postOnly).toEqual([expect.objectContaining({ instId: 'LTC-USDT', ordType: 'post_only', sz: '0.5', px: '50', clOrdId: 'mmokx0001r2' })]);
  });

  it('batch placement and batch cancel', async () => {
    const create = recordedCase(file, 'createOrders', 'Create multiple spot orders at the same time');
    const cancel = recordedCase(file, 'cancelOrders', 'Cancel multiple spot orders');
    const { exchange, http } = exchangeWithRecordedMarkets('okx', false);
    const venue = venueOn(exchange);

    http.on('POST', '/api/v5/trade/batch-orders', okxAck(['1', '2']));
    const orders = (create.input[0] as { symbol: string; side: 'buy' | 'sell'; amount: number; price: number }[]).map(
      (o, i): OrderRequest => ({ clientOrderId: `mmokx0002r${i}`, symbol: String(exchange.market(o.symbol).id), side: o.side, amount: String(o.amount), price: String(o.price), postOnly: false, reduceOnly: false }),
    );
    expect((await venue.placeOrders(orders)).map((r) => r.status)).toEqual(['accepted', 'accepted']);
    const [batch] = http.to('POST', '/api/v5/trade/batch-orders');
    expect(batch!.url.href).toBe(create.url);
    expect(sentBody(batch!, skip)).toEqual(expected(create, skip));
    expect(JSON.parse(batch!.body!).map((o: { clOrdId: string }) => o.clOrdId)).toEqual(['mmokx0002r0', 'mmokx0002r1']);

    // Two LTC-USDT orders acknowledged with the fixture's venue ids, then cancelled together by client id.
    const [idA, idB] = cancel.input[0] as string[];
    http.on('POST', '/api/v5/trade/batch-orders', okxAck([idA!, idB!]));
    await venue.placeOrders([
      { clientOrderId: 'mmokx0003r1', symbol: 'LTC-USDT', side: 'buy', price: '50', amount: '0.5', postOnly: true, reduceOnly: false },
      { clientOrderId: 'mmokx0003r2', symbol: 'LTC-USDT', side: 'sell', price: '90', amount: '0.5', postOnly: true, reduceOnly: false },
    ]);
    http.on('POST', '/api/v5/trade/cancel-batch-orders', (req) => ({
      body: { code: '0', msg: '', data: (JSON.parse(req.body!) as { ordId: string }[]).map((o) => ({ clOrdId: '', ordId: o.ordId, sCode: '0', sMsg: '' })) },
    }));
    const cancelled = await venue.cancelOrders('LTC-USDT', ['mmokx0003r1', 'mmokx0003r2']);
    expect(cancelled.map((r) => [r.clientOrderId, r.status, r.status === 'cancelled' && r.remaining])).toEqual([
      ['mmokx0003r1', 'cancelled', '0.5'],
      ['mmokx0003r2', 'cancelled', '0.5'],
    ]);
    const [cancelReq] = http.to('POST', '/api/v5/trade/cancel-batch-orders');
    expect(cancelReq!.url.href).toBe(cancel.url);
    expect(JSON.parse(cancelReq!.body!)).toEqual(JSON.parse(cancel.output!));
  });
});

describe("dead man's switch (cancelAllOrdersAfter)", () => {
  it('arms, refreshes while healthy, withholds the refresh while unhealthy, disarms on stop (OKX cancel-all-after fixtures)', async () => {
    const arm = recordedCase('okx-requests.json', 'cancelAllOrdersAfter', 'Cancel orders after');
    const disarm = recordedCase('okx-requests.json', 'cancelAllOrdersAfter', 'Close cancel orders after');
    const { exchange, http } = exchangeWithRecordedMarkets('okx', false);
    http.on('POST', '/api/v5/trade/cancel-all-after', { body: { code: '0', msg: '', data: [{ triggerTime: '1587971460', ts: '1587971400' }] } });
    const clock = new VirtualClock(1_000_000);
    let healthy = true;
    const dms = new DeadMansSwitch({
      exchange,
      clock,
      logger: silentLogger(),
      settings: { timeoutMs: arm.input[0] as number, refreshMs: 3_000 },
      isHealthy: () => healthy,
      marketIds: () => [],
      secrets: [],
    });
    expect(dms.kind).toBe('cancelAllOrdersAfter');
    const calls = () => http.to('POST', '/api/v5/trade/cancel-all-after');
    await dms.start();
    expect(calls()).toHaveLength(1);
    expect(calls()[0]!.url.href).toBe(arm.url);
    expect(JSON.parse(calls()[0]!.body!)).toEqual(JSON.parse(arm.output!));
    clock.advanceTo(1_003_000);
    await until(() => calls().length === 2, 2_000, 'the refresh');
    expect(dms.armedAt).toBe(1_003_000);
    healthy = false;
    clock.advanceTo(1_006_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls()).toHaveLength(2); // withheld: the exchange will cancel everything at the deadline
    await dms.stop();
    expect(calls()).toHaveLength(3);
    expect(JSON.parse(calls()[2]!.body!)).toEqual(JSON.parse(disarm.output!));
    expect(clock.pendingTimers()).toBe(0);
  });

  it('Binance USD-M: per-symbol countdownCancelAll through the implicit API; Binance spot: not supported', async () => {
    const { exchange, http } = binanceWithRecordedHttp({ exchangeId: 'binanceusdm' });
    http.on('POST', '/fapi/v1/countdownCancelAll', { body: { symbol: 'BTCUSDT', countdownTime: '60000' } });
    const venue = new CcxtVenue({ exchange, clock: new VirtualClock(0), symbols: ['BTCUSDT'], deadMansSwitch: { timeoutMs: 60_000, refreshMs: 20_000 } });
    cleanup.push(() => venue.close());
    await venue.startDeadMansSwitch();
    expect(venue.deadMansSwitch?.kind).toBe('binance-countdown');
    await venue.close();
    expect(http.to('POST', '/fapi/v1/countdownCancelAll').map((r) => [paramsOf(r)['symbol'], paramsOf(r)['countdownTime']])).toEqual([
      ['BTCUSDT', '60000'],
      ['BTCUSDT', '0'],
    ]);

    const spot = binanceWithRecordedHttp();
    const spotVenue = new CcxtVenue({ exchange: spot.exchange, clock: new VirtualClock(0) });
    cleanup.push(() => spotVenue.close());
    await spotVenue.startDeadMansSwitch();
    expect(spotVenue.deadMansSwitch?.supported).toBe(false);
    expect(spot.http.requests.map((r) => r.url.pathname)).toEqual(['/api/v3/exchangeInfo']);
  });
});
