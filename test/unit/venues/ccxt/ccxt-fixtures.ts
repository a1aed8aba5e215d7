/**
 * Recorded payloads for the ccxt adapter tests (test/fixtures/ccxt, see its
 * PROVENANCE.md; the bundled Binance recording for websocket replays) and a
 * real ccxt exchange wired to the recorded HTTP layer.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Exchange } from 'ccxt';
import { readRecordedLines } from '../../../../src/market-data/binance-recording.js';
import { createCcxtExchange, type CcxtExchangeOptions } from '../../../../src/venues/ccxt/ccxt-exchange.js';
import { RecordedHttp } from './recorded-http.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/ccxt/', import.meta.url));
const RECORDING = fileURLToPath(new URL('../../../../recordings/binance-spot-btcusdt/btcusdt_20240808.gz', import.meta.url));

export function fixture(name: string): any {
  return JSON.parse(readFileSync(FIXTURES + name, 'utf8'));
}

export interface RecordedCase {
  readonly description: string;
  readonly method: string;
  readonly input: unknown[];
  readonly httpResponse?: any;
  readonly parsedResponse?: any;
  readonly url?: string;
  readonly output?: string;
}

/** One case of a ccxt static fixture file (copied into test/fixtures/ccxt). */
export function recordedCase(file: string, method: string, description: string): RecordedCase {
  const cases = fixture(file).methods[method] as RecordedCase[] | undefined;
  const found = cases?.find((c) => c.description === description);
  if (!found) throw new Error(`no case "${description}" for ${method} in ${file}`);
  return found;
}

/** Obviously fake credentials: ccxt signs with them, nothing ever leaves the process. */
export const TEST_CREDENTIALS = { apiKey: 'TESTKEYnotreal0123456789abcdef', secret: 'TESTSECRETnotreal0123456789abcdef' } as const;

/** A real ccxt.pro Binance instance whose HTTP layer is the recorded one, markets from the recorded exchangeInfo. */
export function binanceWithRecordedHttp(options: Partial<CcxtExchangeOptions> = {}): { exchange: Exchange; http: RecordedHttp } {
  const exchangeId = options.exchangeId ?? 'binance';
  const exchange = createCcxtExchange({ credentials: TEST_CREDENTIALS, rateLimitMs: 1, timeoutMs: 3_000, ...options, exchangeId });
  const http = new RecordedHttp().install(exchange);
  const markets = fixture('binance-markets.json');
  if (exchangeId === 'binanceusdm') http.on('GET', '/fapi/v1/exchangeInfo', { body: markets.usdmExchangeInfo });
  else http.on('GET', '/api/v3/exchangeInfo', { body: markets.spotExchangeInfo });
  return { exchange, http };
}

// ---- the bundled real Binance recording, for websocket replays ----

export interface DepthSnapshot {
  readonly lastUpdateId: number;
  readonly bids: [string, string][];
  readonly asks: [string, string][];
}

export interface DepthUpdate {
  readonly e: 'depthUpdate';
  readonly E: number;
  readonly s: string;
  readonly U: number;
  readonly u: number;
  readonly b: [string, string][];
  readonly a: [string, string][];
}

export interface TradeMessage {
  readonly e: 'trade';
  readonly E: number;
  readonly s: string;
  readonly t: number;
  readonly p: string;
  readonly q: string;
  readonly T: number;
  readonly m: boolean;
  readonly M: boolean;
}

export interface RecordedStreams {
  readonly snapshot: DepthSnapshot;
  /** Raw `depthUpdate` payloads in receive order, as the `/ws` endpoint sends them (unwrapped from `{stream, data}`). */
  readonly depth: DepthUpdate[];
  readonly trades: TradeMessage[];
}

/** The first `lines` lines of the bundled recording (Binance spot BTCUSDT, hftbacktest, MIT). */
export async function readRecordedStreams(lines: number): Promise<RecordedStreams> {
  let snapshot: DepthSnapshot | undefined;
  const depth: DepthUpdate[] = [];
  const trades: TradeMessage[] = [];
  for await (const { line, lineNo } of readRecordedLines([RECORDING])) {
    if (lineNo > lines) break;
    const raw = JSON.parse(line.slice(line.indexOf(' ') + 1));
    if ('lastUpdateId' in raw) snapshot = raw as DepthSnapshot;
    else if (raw.data?.e === 'depthUpdate') depth.push(raw.data as DepthUpdate);
    else if (raw.data?.e === 'trade') trades.push(raw.data as TradeMessage);
  }
  if (!snapshot) throw new Error('no REST snapshot in the first lines of the recording');
  return { snapshot, depth, trades };
}

/**
 * Reference L2 book from the recorded snapshot and diffs (Binance's rules:
 * absolute sizes, qty 0 deletes). Stands in for the exchange's own book when
 * it answers a later snapshot request, and checks what the adapter emits.
 */
export class ReferenceBook {
  private readonly bids = new Map<string, string>();
  private readonly asks = new Map<string, string>();
  lastUpdateId: number;

  constructor(snapshot: DepthSnapshot) {
    for (const [p, q] of snapshot.bids) this.bids.set(p, q);
    for (const [p, q] of snapshot.asks) this.asks.set(p, q);
    this.lastUpdateId = snapshot.lastUpdateId;
  }

  apply(diff: DepthUpdate): void {
    if (diff.u <= this.lastUpdateId) return;
    for (const [p, q] of diff.b) (Number(q) === 0 ? this.bids.delete(p) : this.bids.set(p, q));
    for (const [p, q] of diff.a) (Number(q) === 0 ? this.asks.delete(p) : this.asks.set(p, q));
    this.lastUpdateId = diff.u;
  }

  snapshot(limit = 1000): DepthSnapshot {
    return { lastUpdateId: this.lastUpdateId, bids: this.side('bids').slice(0, limit), asks: this.side('asks').slice(0, limit) };
  }

  top(n: number): { bids: { price: number; size: number }[]; asks: { price: number; size: number }[] } {
    const lv = ([p, q]: [string, string]) => ({ price: Number(p), size: Number(q) });
    return { bids: this.side('bids').slice(0, n).map(lv), asks: this.side('asks').slice(0, n).map(lv) };
  }

  private side(which: 'bids' | 'asks'): [string, string][] {
    const entries = [...(which === 'bids' ? this.bids : this.asks).entries()];
    return entries.sort((a, b) => (which === 'bids' ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0])));
  }
}

/** Waits until `predicate` holds, polling every 5 ms; fails after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 4_000, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
