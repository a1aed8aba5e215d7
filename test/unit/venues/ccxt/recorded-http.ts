/**
 * TEST DOUBLE at the HTTP boundary only: a replacement for ccxt's HTTP layer
 * (`exchange.fetchImplementation`) that answers with recorded exchange
 * payloads and records every request. The ccxt exchange instance itself is
 * real: it signs, sends, parses and maps errors exactly as in production.
 * Nothing here opens a socket.
 */
import type { Exchange } from 'ccxt';

export interface CapturedRequest {
  readonly method: string;
  readonly url: URL;
  readonly body: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
}

export interface RecordedReply {
  readonly status?: number;
  /** JSON-serialised unless it is a string. */
  readonly body: unknown;
  /** Answer only after this many ms (the exchange being slow). */
  readonly delayMs?: number;
}

/** A reply, a function producing one, or an Error to throw as a transport failure. */
export type Responder = RecordedReply | Error | ((req: CapturedRequest) => RecordedReply | Error | Promise<RecordedReply | Error>);

interface Route {
  readonly method: string;
  readonly path: string;
  readonly responder: Responder;
  /** Remaining uses; undefined = unlimited. */
  times: number | undefined;
}

export class RecordedHttp {
  readonly requests: CapturedRequest[] = [];
  private readonly routes: Route[] = [];

  /** Adds a route; the most recently added route that still has uses wins. */
  on(method: string, path: string, responder: Responder, times?: number): this {
    this.routes.push({ method: method.toUpperCase(), path, responder, times });
    return this;
  }

  once(method: string, path: string, responder: Responder): this {
    return this.on(method, path, responder, 1);
  }

  install(exchange: Exchange): this {
    (exchange as unknown as { fetchImplementation: unknown }).fetchImplementation = this.fetch;
    return this;
  }

  to(method: string, path: string): CapturedRequest[] {
    return this.requests.filter((r) => r.method === method.toUpperCase() && r.url.pathname === path);
  }

  readonly fetch = async (url: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> => {
    const method = (init.method ?? 'GET').toUpperCase();
    const req: CapturedRequest = { method, url: new URL(url), body: typeof init.body === 'string' ? init.body : undefined, headers: { ...(init.headers ?? {}) } };
    this.requests.push(req);
    const route = [...this.routes].reverse().find((r) => r.method === method && r.path === req.url.pathname && (r.times === undefined || r.times > 0));
    if (!route) throw new Error(`no recorded reply for ${method} ${req.url.pathname}`);
    if (route.times !== undefined) route.times--;
    const reply = typeof route.responder === 'function' ? await route.responder(req) : route.responder;
    if (reply instanceof Error) throw reply;
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    return new Response(text, { status: reply.status ?? 200, headers: { 'content-type': 'application/json' } });
  };
}

/** What undici throws when the connection fails; ccxt turns it into a NetworkError. */
export const transportFailure = (): Error => new TypeError('fetch failed');

/** Query parameters of a request (GET query or form-encoded body), as a plain object. */
export function paramsOf(req: CapturedRequest): Record<string, string> {
  const out: Record<string, string> = Object.fromEntries(req.url.searchParams.entries());
  if (req.body && !req.body.trimStart().startsWith('{') && !req.body.trimStart().startsWith('[')) {
    Object.assign(out, Object.fromEntries(new URLSearchParams(req.body).entries()));
  }
  return out;
}
