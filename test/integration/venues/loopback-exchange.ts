import { createServer, type Server } from 'node:http';
import { fixture, readRecordedStreams } from '../../unit/venues/ccxt/ccxt-fixtures.js';
import { LoopbackBinanceWs } from '../../unit/venues/ccxt/loopback-binance-ws.js';
import { RecordedHttp } from '../../unit/venues/ccxt/recorded-http.js';
import { serveRecordedSpot } from '../../unit/venues/ccxt/recorded-spot-exchange.js';

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
  http.on('GET', '/api/v3/exchangeInfo', { body: fixture('binance-markets.json').spotExchangeInfo });
  const live = serveRecordedSpot(http, ws, rec, { subscribersPerStream: opts.subscribersPerStream ?? 1, publishEveryMs: 5 });
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
