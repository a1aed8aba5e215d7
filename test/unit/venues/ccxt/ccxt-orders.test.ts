import { describe, expect, it } from '@jest/globals';
import { WallClock } from '../../../../src/clock/clock.js';
import type { CcxtVenueOptions } from '../../../../src/venues/ccxt/ccxt-venue.js';
import { CcxtVenue } from '../../../../src/venues/ccxt/ccxt-venue.js';
import { CcxtVenueError } from '../../../../src/venues/ccxt/ccxt-errors.js';
import type { OrderRequest } from '../../../../src/venues/venue.js';
import { binanceWithRecordedHttp, recordedCase, TEST_CREDENTIALS, until } from './ccxt-fixtures.js';
import { paramsOf, transportFailure, type CapturedRequest } from './recorded-http.js';

const RESPONSES = 'binance-responses.json';
const createCase = recordedCase(RESPONSES, 'createOrder', 'spot +selfTradePrevention +iceberg');
const closedOrderCase = recordedCase(RESPONSES, 'fetchOrder', 'Fetch spot closed order');

const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 4, budgetMs: 2_000 };

function spotVenue(extra: Partial<CcxtVenueOptions> = {}) {
  const { exchange, http } = binanceWithRecordedHttp();
  const venue = new CcxtVenue({ exchange, clock: new WallClock(), deadMansSwitch: false, retry: FAST_RETRY, ...extra });
  return { venue, http, exchange };
}

const bid = (clientOrderId: string, price = '61837.62', amount = '0.0001'): OrderRequest => ({ clientOrderId, symbol: 'BTCUSDT', side: 'buy', price, amount, postOnly: true, reduceOnly: false });

/** The recorded Binance createOrder reply (SOLUSDT), with the symbol, ids and size of the order we sent. */
function ackOf(req: CapturedRequest, orderId = createCase.httpResponse.orderId as string) {
  const p = paramsOf(req);
  return { body: { ...createCase.httpResponse, orderId, symbol: p['symbol'], clientOrderId: p['newClientOrderId'], price: p['price'], origQty: p['quantity'], type: p['type'], side: p['side'], icebergQty: '0.00000000' } };
}

/** A Binance error reply as the exchange sends it. */
const binanceError = (status: number, code: number, msg: string) => ({ status, body: { code, msg } });

describe('CcxtVenue orders (real ccxt Binance instance, recorded HTTP layer standing in for the exchange)', () => {
  it('places a post-only limit order with our client order id and the exact decimal strings; accepted with the venue id', async () => {
    const { venue, http } = spotVenue();
    http.on('POST', '/api/v3/order', (req) => ackOf(req));
    const [result] = await venue.placeOrders([bid('mm1a2b3c4dr7')]);
    expect(result).toMatchObject({ clientOrderId: 'mm1a2b3c4dr7', status: 'accepted', venueOrderId: '9780331417' });
    const [post] = http.to('POST', '/api/v3/order');
    expect(paramsOf(post!)).toMatchObject({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT_MAKER', newClientOrderId: 'mm1a2b3c4dr7', price: '61837.62', quantity: '0.0001' });
    expect(post!.headers['X-MBX-APIKEY']).toBe(TEST_CREDENTIALS.apiKey);
  });

  it('refuses prices and sizes off the grid instead of letting ccxt round them (priceToPrecision would lift a bid)', async () => {
    const { venue, http, exchange } = spotVenue();
    await venue.markets();
    expect(exchange.priceToPrecision('BTC/USDT', '61837.625')).toBe('61837.63'); // the trap: nearest, not down
    const results = await venue.placeOrders([
      bid('mmoffgrid1', '61837.625'),
      bid('mmoffgrid2', '61837.62', '0.000015'),
      bid('mmoffgrid3', '61837.62', '0.00001'),
      { ...bid('mmoffgrid4'), symbol: 'NOPEUSDT' },
      bid('mmoffgrid5', '6.1837e4'),
    ]);
    expect(results.map((r) => (r.status === 'rejected' ? [r.category, r.reason] : r.status))).toEqual([
      ['validation', 'validation: price 61837.625 is off the tick grid 0.01'],
      ['validation', 'validation: amount 0.000015 is off the lot grid 0.00001'],
      ['validation', 'validation: notional 0.6183762 below min notional 5'],
      ['validation', 'validation: unknown symbol NOPEUSDT'],
      ['validation', 'validation: invalid price "6.1837e4"'],
    ]);
    expect(http.to('POST', '/api/v3/order')).toHaveLength(0);
  });

  it('keeps an order in flight until acknowledged: the same client order id is never sent twice', async () => {
    const { venue, http } = spotVenue();
    http.on('POST', '/api/v3/order', (req) => ({ ...ackOf(req), delayMs: 60 }));
    const first = venue.placeOrders([bid('mmdup0001r1')]);
    await until(() => venue.ordersInFlight().includes('mmdup0001r1'), 2_000, 'order in flight');
    const second = venue.placeOrders([bid('mmdup0001r1')]);
    const [a, b] = await Promise.all([first, second]);
    expect(a?.[0]).toMatchObject({ status: 'accepted', venueOrderId: '9780331417' });
    expect(b?.[0]).toMatchObject({ status: 'accepted', venueOrderId: '9780331417' });
    expect(venue.ordersInFlight()).toEqual([]);
    const again = await venue.placeOrders([bid('mmdup0001r1')]);
    expect(again[0]).toMatchObject({ status: 'accepted', venueOrderId: '9780331417' });
    expect(http.to('POST', '/api/v3/order')).toHaveLength(1);
  });

  it('after a network failure during create, looks the order up by client id; absent -> sends again with the same id', async () => {
    const { venue, http } = spotVenue();
    http.on('POST', '/api/v3/order', (req) => ackOf(req));
    http.once('POST', '/api/v3/order', transportFailure());
    http.on('GET', '/api/v3/order', binanceError(400, -2013, 'Order does not exist.'));
    const [result] = await venue.placeOrders([bid('mmretry01r1')]);
    expect(result).toMatchObject({ status: 'accepted', venueOrderId: '9780331417' });
    const posts = http.to('POST', '/api/v3/order');
    expect(posts.map((p) => paramsOf(p)['newClientOrderId'])).toEqual(['mmretry01r1', 'mmretry01r1']);
    expect(http.to('GET', '/api/v3/order').map((r) => paramsOf(r)['origClientOrderId'])).toEqual(['mmretry01r1']);
  });

  it('after a network failure during create, finds the order the venue did create and does not send it again', async () => {
    const { venue, http } = spotVenue();
    http.once('POST', '/api/v3/order', transportFailure());
    http.on('GET', '/api/v3/order', (req) => ({
      body: { ...closedOrderCase.httpResponse, symbol: 'BTCUSDT', orderId: '4242', clientOrderId: paramsOf(req)['origClientOrderId'], status: 'NEW', type: 'LIMIT_MAKER', side: 'BUY', price: '61837.62000000', origQty: '0.00010000', executedQty: '0.00000000', cummulativeQuoteQty: '0.00000000' },
    }));
    const [result] = await venue.placeOrders([bid('mmretry02r1')]);
    expect(result).toMatchObject({ status: 'accepted', venueOrderId: '4242' });
    expect(http.to('POST', '/api/v3/order')).toHaveLength(1);
  });

  it('retries a rate-limited placement after a backoff, without a lookup (the venue refused it)', async () => {
    const { venue, http } = spotVenue();
    http.on('POST', '/api/v3/order', (req) => ackOf(req));
    http.once('POST', '/api/v3/order', binanceError(429, -1003, 'Too much request weight used; current limit is 6000 request weight per 1 MINUTE.'));
    const [result] = await venue.placeOrders([bid('mmrate001r1')]);
    expect(result).toMatchObject({ status: 'accepted' });
    expect(http.to('POST', '/api/v3/order')).toHaveLength(2);
    expect(http.to('GET', '/api/v3/order')).toHaveLength(0);
  });

  const errorCases: [string, string, string, { status: number; body: unknown } | Error, number][] = [
    ['-2010 insufficient balance', 'insufficient-funds', 'reduce-size-or-pause', binanceError(400, -2010, 'Account has insufficient balance for requested action.'), 1],
    ['-2010 post-only would take', 'post-only-would-cross', 'reject', binanceError(400, -2010, 'Order would immediately match and take.'), 1],
    ['-1013 PRICE_FILTER', 'invalid-order', 'reject', binanceError(400, -1013, 'Filter failure: PRICE_FILTER'), 1],
    ['-1013 invalid quantity', 'invalid-order', 'reject', binanceError(400, -1013, 'Invalid quantity.'), 1],
    ['-1003 rate limit (HTTP 429)', 'rate-limited', 'backoff', binanceError(429, -1003, 'Too much request weight used; current limit is 6000 request weight per 1 MINUTE.'), 3],
    ['-1003 IP ban (HTTP 418)', 'rate-limited', 'backoff', binanceError(418, -1003, 'Way too much request weight used; IP banned until 1723161600000.'), 3],
    ['-1015 too many new orders', 'rate-limited', 'backoff', binanceError(400, -1015, 'Too many new orders; current limit is 50 orders per 10 SECOND.'), 3],
    ['-2015 bad API key', 'auth', 'halt', binanceError(401, -2015, 'Invalid API-key, IP, or permissions for action.'), 1],
    ['HTTP 503', 'network', 'pause-and-cancel-on-reconnect', { status: 503, body: 'Service Unavailable' }, 3],
  ];

  it.each(errorCases)('maps Binance %s to category %s / action %s', async (_name, category, action, reply, posts) => {
    const { venue, http } = spotVenue();
    http.on('POST', '/api/v3/order', reply);
    http.on('GET', '/api/v3/order', binanceError(400, -2013, 'Order does not exist.'));
    const [result] = await venue.placeOrders([bid('mmerr0001r1')]);
    expect(result).toMatchObject({ status: 'rejected', category, action });
    expect(http.to('POST', '/api/v3/order')).toHaveLength(posts);
    const reason = result?.status === 'rejected' ? result.reason : '';
    expect(reason).not.toContain(TEST_CREDENTIALS.apiKey);
    expect(reason).not.toContain(TEST_CREDENTIALS.secret);
  });

  it('network failure that never clears: rejected as network, and the order is cancelled by client id in the background', async () => {
    const { venue, http } = spotVenue();
    http.on('POST', '/api/v3/order', transportFailure());
    http.on('GET', '/api/v3/order', transportFailure());
    http.on('DELETE', '/api/v3/order', binanceError(400, -2011, 'Unknown order sent.'));
    http.once('DELETE', '/api/v3/order', transportFailure());
    const [result] = await venue.placeOrders([bid('mmlost001r1')]);
    expect(result).toMatchObject({ status: 'rejected', category: 'network', action: 'pause-and-cancel-on-reconnect' });
    expect(venue.uncertainOrders()).toEqual(['mmlost001r1']);
    await until(() => venue.uncertainOrders().length === 0, 2_000, 'background cancel');
    expect(http.to('DELETE', '/api/v3/order').map((r) => paramsOf(r)['origClientOrderId'])).toEqual(['mmlost001r1', 'mmlost001r1']);
    await venue.close();
  });

  it('cancels by venue id and reports what was still open; unknown orders are unknown-order', async () => {
    const { venue, http } = spotVenue();
    http.on('POST', '/api/v3/order', (req) => ackOf(req));
    http.on('DELETE', '/api/v3/order', (req) => ({
      body: { ...createCase.httpResponse, symbol: 'BTCUSDT', orderId: paramsOf(req)['orderId'], origClientOrderId: 'mmcancel1r1', clientOrderId: 'cancel-xyz', price: '61837.62000000', origQty: '0.00010000', executedQty: '0.00004000', status: 'CANCELED', type: 'LIMIT_MAKER', icebergQty: '0.00000000' },
    }));
    await venue.placeOrders([bid('mmcancel1r1')]);
    const [cancelled] = await venue.cancelOrders('BTCUSDT', ['mmcancel1r1']);
    expect(cancelled).toMatchObject({ clientOrderId: 'mmcancel1r1', status: 'cancelled', remaining: '0.00006' });
    expect(paramsOf(http.to('DELETE', '/api/v3/order')[0]!)).toMatchObject({ symbol: 'BTCUSDT', orderId: '9780331417' });

    http.on('DELETE', '/api/v3/order', binanceError(400, -2011, 'Unknown order sent.'));
    const [unknown] = await venue.cancelOrders('BTCUSDT', ['mmnever01r9']);
    expect(unknown).toMatchObject({ clientOrderId: 'mmnever01r9', status: 'unknown-order' });
    // An order this process never saw is addressed by its client id.
    expect(paramsOf(http.to('DELETE', '/api/v3/order')[1]!)).toMatchObject({ origClientOrderId: 'mmnever01r9' });
  });

  it("a cancel whose outcome stays unknown is answered 'failed' (network) instead of reporting the order gone; the others of the call are still cancelled", async () => {
    const { venue, http } = spotVenue();
    http.on('POST', '/api/v3/order', (req) => ackOf(req));
    await venue.placeOrders([bid('mmcxl0002r1')]);
    http.on('DELETE', '/api/v3/order', (req) =>
      paramsOf(req)['origClientOrderId'] === 'mmcxl0001r1'
        ? transportFailure()
        : { body: { ...createCase.httpResponse, symbol: 'BTCUSDT', orderId: paramsOf(req)['orderId'], origClientOrderId: 'mmcxl0002r1', price: '61837.62000000', origQty: '0.00010000', executedQty: '0', status: 'CANCELED', type: 'LIMIT_MAKER', icebergQty: '0' } },
    );
    const results = await venue.cancelOrders('BTCUSDT', ['mmcxl0001r1', 'mmcxl0002r1']);
    expect(results[0]).toMatchObject({ clientOrderId: 'mmcxl0001r1', status: 'failed', category: 'network', action: 'pause-and-cancel-on-reconnect' });
    expect(results[1]).toMatchObject({ clientOrderId: 'mmcxl0002r1', status: 'cancelled', remaining: '0.0001' });
    expect(http.to('DELETE', '/api/v3/order').filter((r) => paramsOf(r)['origClientOrderId'] === 'mmcxl0001r1')).toHaveLength(FAST_RETRY.maxAttempts);
  });

  it('cancels a placement that is still in flight once it is acknowledged', async () => {
    const { venue, http } = spotVenue();
    http.on('POST', '/api/v3/order', (req) => ({ ...ackOf(req), delayMs: 40 }));
    http.on('DELETE', '/api/v3/order', { body: { ...createCase.httpResponse, symbol: 'BTCUSDT', status: 'CANCELED', origQty: '0.00010000', executedQty: '0', icebergQty: '0' } });
    const placing = venue.placeOrders([bid('mmflight1r1')]);
    await until(() => venue.ordersInFlight().length === 1, 2_000, 'in flight');
    const [cancelled] = await venue.cancelOrders('BTCUSDT', ['mmflight1r1']);
    await placing;
    expect(cancelled).toMatchObject({ status: 'cancelled', remaining: '0.0001' });
    const order = http.requests.map((r) => `${r.method} ${r.url.pathname}`).filter((s) => s.includes('/order'));
    expect(order).toEqual(['POST /api/v3/order', 'DELETE /api/v3/order']);
  });

  it('places spot orders one by one (ccxt binance has no spot batch endpoint)', async () => {
    const { venue, http } = spotVenue();
    let n = 0;
    http.on('POST', '/api/v3/order', (req) => ackOf(req, String(++n)));
    const results = await venue.placeOrders([bid('mmspot001r1'), { ...bid('mmspot001r2', '61900.01'), side: 'sell', reduceOnly: true }]);
    expect(results.map((r) => r.status === 'accepted' && r.venueOrderId)).toEqual(['1', '2']);
    const posts = http.to('POST', '/api/v3/order').map(paramsOf);
    expect(posts.map((p) => [p['side'], p['price'], p['newClientOrderId']])).toEqual([
      ['BUY', '61837.62', 'mmspot001r1'],
      ['SELL', '61900.01', 'mmspot001r2'],
    ]);
    expect(posts[1]).not.toHaveProperty('reduceOnly'); // reduce-only means nothing on spot
  });

  it('batches USD-M orders (createOrders) with GTX post-only; per-order outcomes, -5022 as post-only-would-cross', async () => {
    const { exchange, http } = binanceWithRecordedHttp({ exchangeId: 'binanceusdm' });
    const venue = new CcxtVenue({ exchange, clock: new WallClock(), deadMansSwitch: false, retry: FAST_RETRY });
    const recorded = recordedCase(RESPONSES, 'createOrders', 'create swap orders').httpResponse[0];
    http.on('POST', '/fapi/v1/batchOrders', (req) => {
      const sent = JSON.parse(paramsOf(req)['batchOrders']!) as Record<string, string>[];
      return {
        body: [
          { ...recorded, clientOrderId: sent[0]!['newClientOrderId'], side: sent[0]!['side'], price: sent[0]!['price'], origQty: sent[0]!['quantity'], timeInForce: 'GTX' },
          { code: -5022, msg: 'Due to the order could not be executed as maker, the Post Only order will be rejected. The order will not be recorded in the order history' },
        ],
      };
    });
    const results = await venue.placeOrders([
      { clientOrderId: 'mmusdm001r1', symbol: 'BTCUSDT', side: 'sell', price: '110001', amount: '0.2', postOnly: true, reduceOnly: false },
      { clientOrderId: 'mmusdm001r2', symbol: 'BTCUSDT', side: 'buy', price: '109000.1', amount: '0.002', postOnly: true, reduceOnly: true },
    ]);
    expect(results[0]).toMatchObject({ status: 'accepted', venueOrderId: '4087922044' });
    expect(results[1]).toMatchObject({ status: 'rejected', category: 'post-only-would-cross' });
    const [batch] = http.to('POST', '/fapi/v1/batchOrders');
    const sent = JSON.parse(paramsOf(batch!)['batchOrders']!) as Record<string, unknown>[];
    expect(sent).toEqual([
      expect.objectContaining({ symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTX', quantity: '0.2', price: '110001', newClientOrderId: 'mmusdm001r1' }),
      expect.objectContaining({ side: 'BUY', timeInForce: 'GTX', quantity: '0.002', price: '109000.1', newClientOrderId: 'mmusdm001r2', reduceOnly: true }),
    ]);
  });

  it('reads open orders from the recorded fetchOpenOrders reply', async () => {
    const { venue, http } = spotVenue();
    http.on('GET', '/api/v3/openOrders', { body: recordedCase(RESPONSES, 'fetchOpenOrders', 'Fetch spot open orders').httpResponse });
    expect(await venue.fetchOpenOrders('LTCUSDT')).toEqual([
      { clientOrderId: 'x-R4BD3S82102a551f8c1642bba06728', venueOrderId: '3811057334', symbol: 'LTCUSDT', side: 'buy', price: '50', amount: '0.2', filled: '0', ts: 1699380855570 },
    ]);
  });

  it('cancel-all cancels each open order, then sweeps with the venue cancel-all (nothing left is fine)', async () => {
    const { venue, http } = spotVenue();
    http.on('GET', '/api/v3/openOrders', { body: recordedCase(RESPONSES, 'fetchOpenOrders', 'Fetch spot open orders').httpResponse });
    http.on('DELETE', '/api/v3/order', { body: { ...recordedCase(RESPONSES, 'fetchOpenOrders', 'Fetch spot open orders').httpResponse[0], status: 'CANCELED' } });
    http.on('DELETE', '/api/v3/openOrders', binanceError(400, -2011, 'Unknown order sent.'));
    expect(await venue.cancelAll('LTCUSDT')).toEqual([{ clientOrderId: 'x-R4BD3S82102a551f8c1642bba06728', status: 'cancelled', remaining: '0.2', ts: expect.any(Number) }]);
    expect(http.requests.map((r) => `${r.method} ${r.url.pathname}`).slice(1)).toEqual(['GET /api/v3/openOrders', 'DELETE /api/v3/order', 'DELETE /api/v3/openOrders']);
  });

  it('reads balances from the recorded fetchBalance reply as decimal strings', async () => {
    const { venue, http } = spotVenue();
    http.on('GET', '/api/v3/account', { body: recordedCase(RESPONSES, 'fetchBalance', 'Spot balance').httpResponse });
    expect(await venue.fetchBalances()).toEqual({
      BTC: { free: '0', used: '0', total: '0' },
      ETH: { free: '0.02229833', used: '0', total: '0.02229833' },
      LTC: { free: '0.919741', used: '0', total: '0.919741' },
    });
  });
});
