/**
 * Restart recovery against a real exchange adapter: a PairRuntime on a
 * CcxtVenue (real ccxt Binance, recorded HTTP replies re-keyed, loopback
 * websocket server standing in for the exchange's streams). The process is
 * killed while a bid is live; the exchange fills half of it while we are
 * down. On restart the fill must be in the log, noted as a correction, before
 * anything is quoted, and the fill feed repeating it must not record it twice.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { WallClock } from '../../../../src/clock/clock.js';
import { StrategyParamsSchema } from '../../../../src/config/strategy-params.js';
import { D, toDecimalString } from '../../../../src/core/decimal.js';
import { silentLogger } from '../../../../src/log/logger.js';
import { PairRuntime } from '../../../../src/service/pair-runtime.js';
import { MemoryEventStore } from '../../../../src/store/memory-event-store.js';
import { CcxtVenue } from '../../../../src/venues/ccxt/ccxt-venue.js';
import { binanceWithRecordedHttp, readRecordedStreams, recordedCase, until } from './ccxt-fixtures.js';
import { LoopbackBinanceWs } from './loopback-binance-ws.js';
import { paramsOf } from './recorded-http.js';

const RESPONSES = 'binance-responses.json';
const STREAM = 'pair-binance-BTC_USDT';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

type Order = Record<string, string>;

/** The exchange's side of the account, shared by both processes: orders by venue id, and our trade history. */
class Account {
  readonly orders = new Map<string, Order>();
  readonly trades: Record<string, unknown>[] = [];
  private ids = 0;
  private readonly createCase = recordedCase(RESPONSES, 'createOrder', 'spot +selfTradePrevention +iceberg');
  private readonly tradeCase = recordedCase(RESPONSES, 'fetchMyTrades', 'Spot private trade');

  open(): Order[] {
    return [...this.orders.values()].filter((o) => o['status'] === 'NEW' || o['status'] === 'PARTIALLY_FILLED');
  }

  /** One process's ccxt Binance: the recorded replies re-keyed to this account's state. */
  exchange(snapshot: unknown) {
    const { exchange, http } = binanceWithRecordedHttp();
    http.on('GET', '/api/v3/depth', { body: snapshot });
    http.on('POST', '/api/v3/order', (req) => {
      const p = paramsOf(req);
      const body = { ...this.createCase.httpResponse, orderId: String(5_000_000 + ++this.ids), symbol: p['symbol'], clientOrderId: p['newClientOrderId'], price: p['price'], origQty: p['quantity'], executedQty: '0', status: 'NEW', side: p['side'], type: p['type'], icebergQty: '0', fills: [] };
      this.orders.set(body.orderId, body);
      return { body };
    });
    http.on('DELETE', '/api/v3/order', (req) => {
      const order = this.orders.get(paramsOf(req)['orderId']!);
      if (!order || !this.open().includes(order)) return { status: 400, body: { code: -2011, msg: 'Unknown order sent.' } };
      order['status'] = 'CANCELED';
      return { body: order };
    });
    http.on('DELETE', '/api/v3/openOrders', { status: 400, body: { code: -2011, msg: 'Unknown order sent.' } });
    http.on('GET', '/api/v3/openOrders', () => ({ body: this.open() }));
    http.on('GET', '/api/v3/order', (req) => {
      const order = this.orders.get(paramsOf(req)['orderId']!);
      return order ? { body: order } : { status: 400, body: { code: -2013, msg: 'Order does not exist.' } };
    });
    http.on('GET', '/api/v3/myTrades', (req) => {
      const p = paramsOf(req);
      const since = p['startTime'] === undefined ? 0 : Number(p['startTime']);
      return { body: this.trades.filter((t) => Number(t['time']) >= since).slice(0, Number(p['limit'] ?? 500)) };
    });
    return { exchange, http };
  }

  /** The exchange fills `qty` of an order (a maker buy): the recorded myTrades entry, re-keyed. */
  fill(order: Order, tradeId: number, qty: string, time: number): void {
    const executed = D(order['executedQty'] ?? '0').plus(qty);
    order['executedQty'] = toDecimalString(executed);
    order['status'] = executed.gte(D(order['origQty']!)) ? 'FILLED' : 'PARTIALLY_FILLED';
    const price = order['price']!;
    this.trades.push({
      ...this.tradeCase.httpResponse[0],
      symbol: 'BTCUSDT',
      id: String(tradeId),
      orderId: order['orderId'],
      price,
      qty,
      quoteQty: toDecimalString(D(price).times(qty)),
      // Binance charges a maker buy 0.1% of the base received (the engine's folds take base or quote fees).
      commission: toDecimalString(D(qty).times('0.001')),
      commissionAsset: 'BTC',
      time: String(time),
      isBuyer: order['side'] === 'BUY',
      isMaker: true,
    });
  }
}

describe('restart recovery on CcxtVenue (real ccxt Binance on recorded replies; loopback websocket server standing in for the exchange)', () => {
  it('a fill made while the process was down is appended as ReconciliationCorrected + OrderFilled before the first quote, and its repeat on the fill feed is not recorded twice', async () => {
    const rec = await readRecordedStreams(900);
    const account = new Account();
    const clock = new WallClock();
    const store = new MemoryEventStore();
    const params = StrategyParamsSchema.parse({ orders: { minQuoteIntervalMs: 50 } });

    async function processStart(name: string, logger = silentLogger()) {
      // Each process has its own connections: a fresh loopback server replaying the recorded streams from their start.
      const server = await LoopbackBinanceWs.start();
      cleanup.push(() => server.close());
      server.onSubscribe = (stream) => {
        const payloads = stream === 'btcusdt@depth@100ms' ? rec.depth : stream === 'btcusdt@trade' ? rec.trades : [];
        void (async () => {
          for (const p of payloads) {
            server.publish(stream, p);
            await new Promise((r) => setTimeout(r, 3));
          }
        })();
      };
      const { exchange, http } = account.exchange(rec.snapshot);
      await server.install(exchange);
      const venue = new CcxtVenue({ exchange, clock, symbols: ['BTCUSDT'], deadMansSwitch: false, logger, fills: { pollIntervalMs: 60_000 } });
      cleanup.push(() => venue.close());
      const [market] = await venue.markets();
      const runtime = new PairRuntime({ pairId: 'binance-BTC_USDT', stream: STREAM, market: market!, params, store, venue, clock, logger, instanceId: name, mode: 'live' });
      return { venue, http, runtime };
    }

    // First process: quotes, then dies with its orders live.
    const first = await processStart('first');
    await first.runtime.start();
    await until(() => account.open().some((o) => o['side'] === 'BUY'), 10_000, 'a live bid');
    await until(() => first.runtime.state.openOrders.size > 0 && [...first.runtime.state.openOrders.values()].every((o) => o.status === 'open'), 5_000, 'acknowledged orders');
    first.runtime.abandon();
    await first.venue.close();
    expect((await store.readStream(STREAM)).some((e) => e.type === 'OrderFilled')).toBe(false);

    // While it is down the exchange fills half of our bid.
    const bid = account.open().find((o) => o['side'] === 'BUY')!;
    const half = toDecimalString(D(bid['origQty']!).div(2));
    const tradeId = 777000001;
    account.fill(bid, tradeId, half, Date.now() - 1_000);
    const before = (await store.readStream(STREAM)).length;

    // Second process: rebuilds, reconciles, quotes.
    const lines: Record<string, unknown>[] = [];
    const second = await processStart('second', pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) }));
    await second.runtime.start();
    cleanup.push(() => second.runtime.stop('test cleanup'));
    await until(() => lines.some((l) => l['msg'] === 'pair started'), 5_000, 'the second start');
    const readAfter = async () => (await store.readStream(STREAM)).slice(before);
    let after: Awaited<ReturnType<typeof readAfter>>;
    // The fill feed starts from the reconciliation's read (minus its overlap), so it delivers the trade again; the runtime drops it.
    await until(() => lines.some((l) => l['msg'] === 'duplicate fill ignored' && l['tradeId'] === String(tradeId)), 10_000, 'the fill feed repeating the trade');
    let quoted = false;
    const stopPolling = setInterval(() => void readAfter().then((es) => (quoted = es.some((e) => e.type === 'QuoteDecided'))), 20);
    await until(() => quoted, 10_000, 'a quote after the restart').finally(() => clearInterval(stopPolling));
    await second.runtime.stop('end of test');
    after = await readAfter();

    const types = after.map((e) => e.type);
    const corrected = after.findIndex((e) => e.type === 'ReconciliationCorrected' && e.data.subject === `fill ${tradeId}`);
    const filled = after.findIndex((e) => e.type === 'OrderFilled');
    expect(types[0]).toBe('PairStarted');
    expect(corrected).toBeGreaterThan(0);
    expect(filled).toBe(corrected + 1);
    const firstQuote = types.indexOf('QuoteDecided');
    expect(firstQuote).toBeGreaterThan(filled);
    expect(after[filled]?.data).toMatchObject({
      tradeId: String(tradeId),
      clientOrderId: bid['clientOrderId'],
      venueOrderId: bid['orderId'],
      side: 'buy',
      price: toDecimalString(D(bid['price']!)),
      amount: half,
      liquidity: 'maker',
      fee: toDecimalString(D(half).times('0.001')),
      feeCurrency: 'BTC',
      remaining: half,
    });
    // Exactly once in the whole log, though the fill feed delivered it again.
    const all = await store.readStream(STREAM);
    expect(all.filter((e) => e.type === 'OrderFilled' && e.data.tradeId === String(tradeId))).toHaveLength(1);
    expect(second.runtime.state.inventory.position).toBe(half);
    // The restart asked for our trades since the last recorded fill: none yet, so the venue's recent history.
    const reads = second.http.to('GET', '/api/v3/myTrades').map(paramsOf);
    expect(reads[0]?.['startTime']).toBeUndefined();
  }, 60_000);
});
