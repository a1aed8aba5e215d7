import { createServer, type Server } from 'node:http';
import { fixture, readRecordedStreams, recordedCase } from '../../unit/venues/ccxt/ccxt-fixtures.js';
import { LoopbackBinanceWs } from '../../unit/venues/ccxt/loopback-binance-ws.js';
import { paramsOf, RecordedHttp } from '../../unit/venues/ccxt/recorded-http.js';

/*
 * A loopback stand-in for Binance spot, for `mm run --venue ccxt` run as a
 * separate process (routed here with MM_CCXT_ENDPOINTS): an HTTP server
 * answering with recorded Binance payloads, keeping the orders placed on it,
 * and a websocket server replaying recorded depth and trades. Binance cannot
 * be reached from here.
 */
export interface LoopbackExchange {
  /** `http://127.0.0.1:<port>`, the REST origin. */
  readonly origin: string;
  readonly ws: LoopbackBinanceWs;
  readonly http: RecordedHttp;
  /** Orders resting at the exchange, by order id. */
  readonly live: Map<string, Record<string, string>>;
  close(): Promise<void>;
}

/** The recorded-payload router, served over real HTTP on 127.0.0.1. */
async function serveHttp(http: RecordedHttp): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined;
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      http
        .fetch(`http://127.0.0.1${req.url ?? '/'}`, { method: req.method ?? 'GET', ...(body !== undefined ? { body } : {}), headers })
        .then(async (reply) => {
          res.writeHead(reply.status, { 'content-type': 'application/json' });
          res.end(await reply.text());
        })
        .catch((err: unknown) => {
          res.writeHead(599);
          res.end(String(err));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, origin: `http://127.0.0.1:${address.port}` };
}

/**
 * `subscribersPerStream`: a stream is replayed once that many clients have
 * subscribed to it (several exchanges routed here see the same sequence).
 */
export async function startLoopbackExchange(opts: { readonly subscribersPerStream?: number } = {}): Promise<LoopbackExchange> {
  const rec = await readRecordedStreams(3_000);
  const ws = await LoopbackBinanceWs.start();
  const http = new RecordedHttp();
  const { server, origin } = await serveHttp(http);
  const live = new Map<string, Record<string, string>>();
  const createCase = recordedCase('binance-responses.json', 'createOrder', 'spot +selfTradePrevention +iceberg');
  let orderIds = 0;
  http.on('GET', '/api/v3/exchangeInfo', { body: fixture('binance-markets.json').spotExchangeInfo });
  http.on('GET', '/api/v3/openOrders', { body: [] });
  http.on('GET', '/api/v3/depth', { body: rec.snapshot });
  http.on('GET', '/api/v3/myTrades', { body: [] });
  http.on('POST', '/api/v3/order', (req) => {
    const p = paramsOf(req);
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
  const subscribers = new Map<string, number>();
  ws.onSubscribe = (stream) => {
    const n = (subscribers.get(stream) ?? 0) + 1;
    subscribers.set(stream, n);
    if (n !== wanted) return;
    const payloads = stream === 'btcusdt@depth@100ms' ? rec.depth : stream === 'btcusdt@trade' ? rec.trades : [];
    void (async () => {
      for (const p of payloads) {
        ws.publish(stream, p);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
  };
  return {
    origin,
    ws,
    http,
    live,
    close: async () => {
      await ws.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
