/**
 * TEST DOUBLE at the websocket boundary only: a loopback websocket server
 * (127.0.0.1, ephemeral port) standing in for Binance's websocket endpoints.
 * It speaks the two protocols ccxt.pro uses for Binance spot:
 * - market streams (`/ws/<n>`): `{"method":"SUBSCRIBE","params":[...],"id":n}`
 *   -> `{"result":null,"id":n}`, then raw stream payloads (depthUpdate, trade);
 * - the WebSocket API (`/ws-api/v3`): `userDataStream.subscribe.signature`
 *   -> `{"id","status":200,"result":{"subscriptionId":0}}`, then user data
 *   events wrapped as `{"subscriptionId":0,"event":{...}}`.
 * Tests push recorded-format payloads and can drop every connection.
 *
 * `ws` is a dependency of ccxt (no types installed), loaded through
 * createRequire with the small interface below.
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Exchange } from 'ccxt';

interface WsSocket {
  readonly readyState: number;
  send(data: string): void;
  terminate(): void;
  on(event: 'message', cb: (data: Buffer) => void): void;
  on(event: 'close', cb: () => void): void;
}

interface WsServer {
  on(event: 'connection', cb: (socket: WsSocket, req: IncomingMessage) => void): void;
  on(event: 'listening', cb: () => void): void;
  address(): AddressInfo;
  close(cb?: () => void): void;
}

interface WsModule {
  WebSocketServer: new (options: { host: string; port: number; verifyClient?: (info: unknown, cb: (ok: boolean, code?: number) => void) => void }) => WsServer;
}

const require = createRequire(import.meta.url);
const { WebSocketServer } = require('ws') as WsModule;

const OPEN = 1;

export class LoopbackBinanceWs {
  private readonly sockets = new Set<WsSocket>();
  private readonly streams = new Map<string, Set<WsSocket>>();
  private readonly userSockets = new Set<WsSocket>();
  private readonly waiters: { predicate: () => boolean; resolve: () => void }[] = [];
  /** Every SUBSCRIBE stream name in arrival order (one entry per subscription). */
  readonly subscribed: string[] = [];
  /** Number of user-data subscriptions seen. */
  userSubscriptions = 0;
  connections = 0;
  accepting = true;
  onSubscribe: ((stream: string) => void) | undefined;

  private constructor(private readonly server: WsServer) {
    server.on('connection', (socket, req) => this.connected(socket, req));
  }

  static async start(): Promise<LoopbackBinanceWs> {
    let self: LoopbackBinanceWs | undefined;
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      verifyClient: (_info, cb) => cb(self?.accepting ?? true, 503),
    });
    self = new LoopbackBinanceWs(server);
    await new Promise<void>((resolve) => server.on('listening', resolve));
    return self;
  }

  get port(): number {
    return this.server.address().port;
  }

  /**
   * Points every websocket URL of a Binance ccxt instance at this server
   * (nothing else is reachable). ccxt refuses plain `ws://` URLs until its
   * http agent is loaded (`loadHttpProxyAgent`); real endpoints are wss://.
   */
  async install(exchange: Exchange): Promise<void> {
    await exchange.loadHttpProxyAgent();
    const base = `ws://127.0.0.1:${this.port}`;
    const ws = (exchange.urls as unknown as { api: { ws: Record<string, unknown> } }).api.ws;
    for (const key of Object.keys(ws)) {
      // ccxt tells spot from futures connections by "/stream" in the URL (isSpotUrl).
      if (typeof ws[key] === 'string') ws[key] = key === 'spot' || key === 'margin' ? `${base}/stream-${key}/ws` : `${base}/${key}/ws`;
    }
    const api = ws['ws-api'] as Record<string, unknown>;
    for (const key of Object.keys(api)) api[key] = `${base}/ws-api/v3`;
  }

  /** Sends a raw stream payload to every connection subscribed to `stream`. */
  publish(stream: string, payload: unknown): number {
    const text = JSON.stringify(payload);
    let sent = 0;
    for (const s of this.streams.get(stream) ?? []) {
      if (s.readyState === OPEN) {
        s.send(text);
        sent++;
      }
    }
    return sent;
  }

  /** Sends a user data event over the WebSocket API subscription. */
  publishUser(event: unknown): number {
    const text = JSON.stringify({ subscriptionId: 0, event });
    let sent = 0;
    for (const s of this.userSockets) {
      if (s.readyState === OPEN) {
        s.send(text);
        sent++;
      }
    }
    return sent;
  }

  /** The exchange drops every connection (no close frame). */
  dropAll(): void {
    for (const s of this.sockets) s.terminate();
    this.sockets.clear();
    this.streams.clear();
    this.userSockets.clear();
  }

  /** Resolves once `stream` has been subscribed `times` times in all. */
  waitForSubscription(stream: string, times = 1): Promise<void> {
    return this.waitFor(() => this.subscribed.filter((s) => s === stream).length >= times);
  }

  waitForUserSubscription(times = 1): Promise<void> {
    return this.waitFor(() => this.userSubscriptions >= times);
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private waitFor(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ predicate, resolve }));
  }

  private wake(): void {
    for (const w of [...this.waiters]) {
      if (w.predicate()) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  private connected(socket: WsSocket, _req: IncomingMessage): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.userSockets.delete(socket);
      for (const set of this.streams.values()) set.delete(socket);
    });
    socket.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { method?: string; params?: unknown; id?: unknown };
      if (msg.method === 'SUBSCRIBE' && Array.isArray(msg.params)) {
        socket.send(JSON.stringify({ result: null, id: msg.id }));
        for (const stream of msg.params as string[]) {
          const set = this.streams.get(stream) ?? new Set();
          set.add(socket);
          this.streams.set(stream, set);
          this.subscribed.push(stream);
          this.onSubscribe?.(stream);
        }
      } else if (msg.method === 'UNSUBSCRIBE') {
        socket.send(JSON.stringify({ result: null, id: msg.id }));
      } else if (msg.method === 'userDataStream.subscribe.signature') {
        this.userSockets.add(socket);
        this.userSubscriptions++;
        socket.send(JSON.stringify({ id: msg.id, status: 200, result: { subscriptionId: 0 } }));
      }
      this.wake();
    });
  }
}
