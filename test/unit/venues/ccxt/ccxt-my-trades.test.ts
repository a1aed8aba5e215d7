import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { VirtualClock } from '../../../../src/clock/clock.js';
import { clientOrderIdFor, clientOrderIdPrefix } from '../../../../src/service/client-order-id.js';
import { CcxtVenueError } from '../../../../src/venues/ccxt/ccxt-errors.js';
import { ENGINE_CLIENT_ORDER_ID } from '../../../../src/venues/ccxt/ccxt-my-trades.js';
import { CcxtVenue } from '../../../../src/venues/ccxt/ccxt-venue.js';
import type { Fill } from '../../../../src/venues/venue.js';
import { binanceWithRecordedHttp, recordedCase, TEST_CREDENTIALS, until } from './ccxt-fixtures.js';
import { paramsOf, transportFailure, type CapturedRequest, type RecordedHttp } from './recorded-http.js';

const RESPONSES = 'binance-responses.json';
const recordedTrade = () => recordedCase(RESPONSES, 'fetchMyTrades', 'Spot private trade').httpResponse[0];
const recordedOrder = () => recordedCase(RESPONSES, 'fetchOrder', 'Fetch spot closed order').httpResponse;

/** Our client ids, made the way the engine makes them. */
const OURS_A = clientOrderIdFor(clientOrderIdPrefix('pair-ltcusdt'), 12);
const OURS_B = clientOrderIdFor(clientOrderIdPrefix('pair-ltcusdt'), 15);
/** The recorded order's own client id: an order placed by something else (Binance's web UI prefix). */
const FOREIGN = recordedOrder().clientOrderId as string;

const T0 = Number(recordedTrade().time);

/** The recorded `GET /api/v3/myTrades` entry, re-keyed: trade id, order id, side, price, qty, fee, time. */
function myTrade(id: number, orderId: string, side: 'buy' | 'sell', price: string, qty: string, commission: string, asset: string, time: number, maker: boolean) {
  return { ...recordedTrade(), id: String(id), orderId, price, qty, commission, commissionAsset: asset, time: String(time), isBuyer: side === 'buy', isMaker: maker };
}

/** The recorded `GET /api/v3/order` reply (closed LTCUSDT order), re-keyed. */
function order(orderId: string, clientOrderId: string, side: 'BUY' | 'SELL', price: string, origQty: string, executedQty: string, status: string) {
  return { ...recordedOrder(), orderId, clientOrderId, side, price, origQty, executedQty, status, type: 'LIMIT_MAKER' };
}

const trades = [
  myTrade(309520011, '4000001', 'buy', '69.61000000', '0.20000000', '0.00020000', 'LTC', T0 + 1_000, true),
  myTrade(309520012, '4000002', 'sell', '69.70000000', '0.10000000', '0.00697000', 'USDT', T0 + 2_000, false),
  myTrade(309520013, '4000003', 'buy', '69.50000000', '0.30000000', '0.00030000', 'LTC', T0 + 2_500, true),
  myTrade(309520014, '4000001', 'buy', '69.61000000', '0.20000000', '0.00020000', 'LTC', T0 + 3_000, true),
];
const orders: Record<string, unknown> = {
  // Ours, partly filled by two of the trades: 0.5 ordered, 0.4 filled now.
  '4000001': order('4000001', OURS_A, 'BUY', '69.61000000', '0.50000000', '0.40000000', 'PARTIALLY_FILLED'),
  '4000002': order('4000002', OURS_B, 'SELL', '69.70000000', '0.10000000', '0.10000000', 'FILLED'),
  // Not ours.
  '4000003': order('4000003', FOREIGN, 'BUY', '69.50000000', '0.30000000', '0.30000000', 'FILLED'),
};

function answerOrders(http: RecordedHttp): void {
  http.on('GET', '/api/v3/order', (req: CapturedRequest) => {
    const o = orders[paramsOf(req)['orderId'] ?? ''];
    return o ? { body: o } : { status: 400, body: { code: -2013, msg: 'Order does not exist.' } };
  });
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function venueOn(http: ReturnType<typeof binanceWithRecordedHttp>, extra: Partial<ConstructorParameters<typeof CcxtVenue>[0]> = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const venue = new CcxtVenue({ exchange: http.exchange, clock: new VirtualClock(T0 + 60_000), deadMansSwitch: false, symbols: ['LTCUSDT'], logger, retry: { maxAttempts: 1 }, ...extra });
  cleanup.push(() => venue.close());
  return { venue, lines };
}

describe('CcxtVenue.fetchMyTrades (real ccxt Binance, recorded HTTP replies re-keyed)', () => {
  it('the engine client order id format is what the venue recognises as ours', () => {
    expect(OURS_A).toMatch(ENGINE_CLIENT_ORDER_ID);
    expect(FOREIGN).not.toMatch(ENGINE_CLIENT_ORDER_ID);
  });

  it('maps our trades to fills with our client ids, sides, prices and fees; remaining from the order state now; skips a foreign order', async () => {
    const rec = binanceWithRecordedHttp();
    rec.http.on('GET', '/api/v3/myTrades', { body: trades });
    answerOrders(rec.http);
    const { venue, lines } = venueOn(rec);

    const fills = await venue.fetchMyTrades('LTCUSDT', T0);

    expect(fills).toEqual([
      { venue: 'binance', symbol: 'LTCUSDT', tradeId: '309520011', clientOrderId: OURS_A, venueOrderId: '4000001', side: 'buy', price: '69.61', amount: '0.2', fee: '0.0002', feeCurrency: 'LTC', liquidity: 'maker', remaining: '0.3', ts: T0 + 1_000 },
      { venue: 'binance', symbol: 'LTCUSDT', tradeId: '309520012', clientOrderId: OURS_B, venueOrderId: '4000002', side: 'sell', price: '69.7', amount: '0.1', fee: '0.00697', feeCurrency: 'USDT', liquidity: 'taker', remaining: '0', ts: T0 + 2_000 },
      { venue: 'binance', symbol: 'LTCUSDT', tradeId: '309520014', clientOrderId: OURS_A, venueOrderId: '4000001', side: 'buy', price: '69.61', amount: '0.2', fee: '0.0002', feeCurrency: 'LTC', liquidity: 'maker', remaining: '0.1', ts: T0 + 3_000 },
    ]);
    const myTrades = rec.http.to('GET', '/api/v3/myTrades');
    expect(myTrades).toHaveLength(1);
    expect(paramsOf(myTrades[0]!)).toMatchObject({ symbol: 'LTCUSDT', startTime: String(T0), limit: '500' });
    // One order lookup per order, not per trade.
    expect(rec.http.to('GET', '/api/v3/order').map((r) => paramsOf(r)['orderId']).sort()).toEqual(['4000001', '4000002', '4000003']);
    const skipped = lines.find((l) => l['msg'] === 'reconciliation: trades of an order that is not ours; skipped');
    expect(skipped).toMatchObject({ venueOrderId: '4000003', clientOrderId: FOREIGN, tradeIds: ['309520013'] });
    expect(JSON.stringify(lines)).not.toContain(TEST_CREDENTIALS.secret);
  });

  it('the fill feed started after it repeats the read trades without counting them twice (remaining stays the order state now)', async () => {
    const rec = binanceWithRecordedHttp();
    rec.exchange.has['watchMyTrades'] = false;
    rec.exchange.has['watchOrders'] = false;
    rec.http.on('GET', '/api/v3/myTrades', { body: trades });
    answerOrders(rec.http);
    // Read 1 s after the last trade: the feed starts from the read minus its 5 s overlap, so it sees them all again.
    const { venue } = venueOn(rec, { clock: new VirtualClock(T0 + 4_000) });
    const reconciled = await venue.fetchMyTrades('LTCUSDT', T0);
    expect(reconciled.filter((f) => f.clientOrderId === OURS_A).map((f) => f.remaining)).toEqual(['0.3', '0.1']);

    const fed: Fill[] = [];
    const sub = venue.watchFills('LTCUSDT').subscribe((f) => fed.push(f));
    cleanup.push(async () => sub.unsubscribe());
    // Like fetchMyTrades, the feed skips the foreign order's trade: it is no fill of ours.
    await until(() => fed.length === 3, 4_000, 'the repeated fills');
    await new Promise((r) => setTimeout(r, 100));

    expect(fed.map((f) => [f.tradeId, f.clientOrderId])).toEqual([
      ['309520011', OURS_A],
      ['309520012', OURS_B],
      ['309520014', OURS_A],
    ]);
    // Counted once: 0.5 ordered, 0.4 filled. Counted twice it would read 0 and close the order in the registry.
    expect(fed.filter((f) => f.clientOrderId === OURS_A).map((f) => f.remaining)).toEqual(['0.1', '0.1']);
  });

  it('pages forward from the last trade time until a short page', async () => {
    const rec = binanceWithRecordedHttp();
    const pages = [trades.slice(0, 2), trades.slice(1, 3), trades.slice(3)];
    rec.http.on('GET', '/api/v3/myTrades', () => ({ body: pages.shift() ?? [] }));
    answerOrders(rec.http);
    const { venue } = venueOn(rec, { fills: { pageLimit: 2 } });

    const fills = await venue.fetchMyTrades('LTCUSDT', T0);

    expect(fills.map((f) => f.tradeId)).toEqual(['309520011', '309520012', '309520014']);
    expect(rec.http.to('GET', '/api/v3/myTrades').map((r) => [paramsOf(r)['startTime'], paramsOf(r)['limit']])).toEqual([
      [String(T0), '2'],
      [String(T0 + 2_000), '2'],
      [String(T0 + 2_500), '2'],
    ]);
  });

  it('without since asks once for the recent history (no paging from epoch 0)', async () => {
    const rec = binanceWithRecordedHttp();
    rec.http.on('GET', '/api/v3/myTrades', { body: trades.slice(1, 2) });
    answerOrders(rec.http);
    const { venue } = venueOn(rec, { fills: { pageLimit: 1 } });

    const fills = await venue.fetchMyTrades('LTCUSDT');

    expect(fills.map((f) => [f.tradeId, f.clientOrderId])).toEqual([['309520012', OURS_B]]);
    const calls = rec.http.to('GET', '/api/v3/myTrades');
    expect(calls).toHaveLength(1);
    expect(paramsOf(calls[0]!)['startTime']).toBeUndefined();
  });

  it('a trade whose order the venue no longer knows is skipped and logged, not invented', async () => {
    const rec = binanceWithRecordedHttp();
    rec.http.on('GET', '/api/v3/myTrades', { body: [myTrade(309520099, '4999999', 'buy', '69.61000000', '0.20000000', '0.00020000', 'LTC', T0 + 1_000, true), ...trades.slice(1, 2)] });
    answerOrders(rec.http);
    const { venue, lines } = venueOn(rec);

    const fills = await venue.fetchMyTrades('LTCUSDT', T0);

    expect(fills.map((f) => f.tradeId)).toEqual(['309520012']);
    expect(lines.find((l) => String(l['msg']).startsWith('reconciliation: the venue does not know the order'))).toMatchObject({ venueOrderId: '4999999', tradeIds: ['309520099'] });
  });

  it('a network failure is classified (category network, action pause) and thrown; the key is not in the message', async () => {
    const rec = binanceWithRecordedHttp();
    rec.http.on('GET', '/api/v3/myTrades', transportFailure());
    const { venue } = venueOn(rec);

    const err = await venue.fetchMyTrades('LTCUSDT', T0).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(CcxtVenueError);
    expect({ category: (err as CcxtVenueError).category, action: (err as CcxtVenueError).action }).toEqual({ category: 'network', action: 'pause-and-cancel-on-reconnect' });
    expect((err as Error).message).toContain('fetching our trades on LTCUSDT');
    expect((err as Error).message).not.toContain(TEST_CREDENTIALS.apiKey);
  });

  it('an order lookup that fails for another reason than unknown-order fails the whole read (classified)', async () => {
    const rec = binanceWithRecordedHttp();
    rec.http.on('GET', '/api/v3/myTrades', { body: trades.slice(0, 1) });
    rec.http.on('GET', '/api/v3/order', transportFailure());
    const { venue } = venueOn(rec);

    const err = await venue.fetchMyTrades('LTCUSDT', T0).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect({ category: (err as CcxtVenueError).category, action: (err as CcxtVenueError).action }).toEqual({ category: 'network', action: 'pause-and-cancel-on-reconnect' });
    expect((err as Error).message).toContain('fetching order 4000001 of a trade on LTCUSDT');
  });
});
