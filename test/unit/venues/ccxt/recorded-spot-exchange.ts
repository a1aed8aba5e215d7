import { recordedCase, type readRecordedStreams } from './ccxt-fixtures.js';
import type { LoopbackBinanceWs } from './loopback-binance-ws.js';
import { paramsOf, type RecordedHttp, type RecordedReply } from './recorded-http.js';

/*
 * Binance spot as the tests' stand-in exchange answers it: recorded replies
 * for the book snapshot, open orders and trades; orders placed on it rest
 * (in `live`) until cancelled; the websocket replays recorded depth and
 * trades to whoever subscribes. Binance cannot be reached from here.
 */
export interface RecordedSpotOptions {
  /** Refuse a placement (e.g. insufficient funds) by returning the reply; undefined places it. */
  readonly refuse?: (params: Record<string, string>) => RecordedReply | undefined;
  /** A stream is replayed once this many clients subscribed to it (default 1). */
  readonly subscribersPerStream?: number;
  /** Pause between replayed messages (default 3 ms). */
  readonly publishEveryMs?: number;
}

export function serveRecordedSpot(
  http: RecordedHttp,
  ws: LoopbackBinanceWs,
  rec: Awaited<ReturnType<typeof readRecordedStreams>>,
  opts: RecordedSpotOptions = {},
): Map<string, Record<string, string>> {
  const live = new Map<string, Record<string, string>>();
  const createCase = recordedCase('binance-responses.json', 'createOrder', 'spot +selfTradePrevention +iceberg');
  let orderIds = 0;
  http.on('GET', '/api/v3/openOrders', { body: [] });
  http.on('GET', '/api/v3/depth', { body: rec.snapshot });
  http.on('GET', '/api/v3/myTrades', { body: [] });
  http.on('POST', '/api/v3/order', (req) => {
    const p = paramsOf(req);
    const refused = opts.refuse?.(p);
    if (refused) return refused;
    const body = { ...createCase.httpResponse, orderId: String(++orderIds), symbol: p['symbol'], clientOrderId: p['newClientOrderId'], price: p['price'], origQty: p['quantity'], side: p['side'], type: p['type'], icebergQty: '0' };
    live.set(body.orderId, body);
    return { body };
  });
  http.on('DELETE', '/api/v3/order', (req) => {
    const order = live.get(paramsOf(req)['orderId']!);
    if (!order) return { status: 400, body: { code: -2011, msg: 'Unknown order sent.' } };
    live.delete(order['orderId']!);
    return { body: { ...order, status: 'CANCELED', executedQty: '0' } };
  });
  http.on('DELETE', '/api/v3/openOrders', { status: 400, body: { code: -2011, msg: 'Unknown order sent.' } });
  const wanted = opts.subscribersPerStream ?? 1;
  const every = opts.publishEveryMs ?? 3;
  const subscribers = new Map<string, number>();
  ws.onSubscribe = (stream) => {
    const n = (subscribers.get(stream) ?? 0) + 1;
    subscribers.set(stream, n);
    if (n !== wanted) return;
    const payloads = stream === 'btcusdt@depth@100ms' ? rec.depth : stream === 'btcusdt@trade' ? rec.trades : [];
    void (async () => {
      for (const p of payloads) {
        ws.publish(stream, p);
        await new Promise((r) => setTimeout(r, every));
      }
    })();
  };
  return live;
}
