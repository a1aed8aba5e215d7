/**
 * `mm run --venue ccxt`: the venue spec (flags, validated) and the live run
 * through startVenue — the same call run-command makes — on a real ccxt
 * Binance instance whose HTTP layer answers with recorded payloads and whose
 * websockets point at a loopback server replaying recorded depth and trades
 * (both stand-ins for the exchange, which cannot be reached from here).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import pino from 'pino';
import { UsageError } from '../../../src/cli/errors.js';
import { WallClock } from '../../../src/clock/clock.js';
import { parseEngineConfig } from '../../../src/config/engine-config.js';
import { REDACTED_PATHS } from '../../../src/log/logger.js';
import { MemoryEventStore } from '../../../src/store/memory-event-store.js';
import { parseVenueSpec, startVenue, VenueSpecError } from '../../../src/venues/venue-factory.js';
import { binanceWithRecordedHttp, readRecordedStreams, TEST_CREDENTIALS, until } from './ccxt/ccxt-fixtures.js';
import { serveRecordedSpot } from './ccxt/recorded-spot-exchange.js';
import { LoopbackBinanceWs } from './ccxt/loopback-binance-ws.js';
import { paramsOf } from './ccxt/recorded-http.js';

describe('venue spec (mm run --venue)', () => {
  it('defaults to paper and reads a ccxt spec', () => {
    expect(parseVenueSpec({})).toEqual({ kind: 'paper' });
    expect(parseVenueSpec({ venue: 'ccxt', exchange: 'binance', symbols: 'BTC/USDT, ETH/USDT', sandbox: true })).toEqual({
      kind: 'ccxt',
      sandbox: true,
      venues: [{ kind: 'ccxt', exchange: 'binance', sandbox: true, symbols: ['BTC/USDT', 'ETH/USDT'] }],
    });
  });

  it('reads several exchanges: a plain symbol trades on each, exchange:symbol on that one only', () => {
    expect(parseVenueSpec({ venue: 'ccxt', exchange: 'binance,binanceusdm', symbols: 'binance:BTC/USDT, binanceusdm:BTC/USDT:USDT, ETHUSDT' })).toEqual({
      kind: 'ccxt',
      sandbox: false,
      venues: [
        { kind: 'ccxt', exchange: 'binance', sandbox: false, symbols: ['BTC/USDT', 'ETHUSDT'] },
        { kind: 'ccxt', exchange: 'binanceusdm', sandbox: false, symbols: ['BTC/USDT:USDT', 'ETHUSDT'] },
      ],
    });
    expect(parseVenueSpec({ venue: 'ccxt', exchange: 'binance, binanceus', symbols: 'BTC/USDT' })).toMatchObject({
      venues: [
        { exchange: 'binance', symbols: ['BTC/USDT'] },
        { exchange: 'binanceus', symbols: ['BTC/USDT'] },
      ],
    });
  });

  it.each([
    [{ venue: 'kraken' }, /--venue must be one of paper, ccxt, got "kraken"/],
    [{ venue: 'ccxt', symbols: 'BTC/USDT' }, /--venue ccxt needs --exchange/],
    [{ venue: 'ccxt', exchange: 'binance' }, /--venue ccxt needs --symbols/],
    [{ venue: 'ccxt', exchange: 'Bin ance', symbols: 'BTC/USDT' }, /--exchange: a ccxt exchange id such as binance or binanceusdm, got "Bin ance"/],
    [{ venue: 'ccxt', exchange: 'binance', symbols: 'btc-usdt' }, /--symbols: a symbol like BTC\/USDT or BTCUSDT, or exchange:symbol like binanceusdm:BTC\/USDT:USDT, got "btc-usdt"/],
    [{ exchange: 'binance' }, /--exchange needs --venue ccxt/],
    [{ venue: 'ccxt', exchange: 'binance,Okx', symbols: 'BTC/USDT' }, /--exchange: a ccxt exchange id such as binance or binanceusdm, got "Okx"/],
    [{ venue: 'ccxt', exchange: 'binance,binance', symbols: 'BTC/USDT' }, /--exchange: each exchange id once, got "binance,binance"/],
    [{ venue: 'ccxt', exchange: 'binance,', symbols: 'BTC/USDT' }, /--exchange: a ccxt exchange id such as binance or binanceusdm, got ""/],
    [{ venue: 'ccxt', exchange: 'binance,binanceusdm', symbols: 'okx:BTC/USDT' }, /--symbols: "okx:BTC\/USDT" names exchange "okx", which is not in --exchange \(binance, binanceusdm\)/],
    [{ venue: 'ccxt', exchange: 'binance,binanceusdm', symbols: 'binance:BTC/USDT' }, /--symbols: nothing to trade on binanceusdm; add binanceusdm:<symbol> or a symbol without an exchange prefix/],
    [{ venue: 'ccxt', exchange: 'binance', symbols: 'BTC/USDT,binance:BTC/USDT' }, /--symbols: BTC\/USDT is given twice for binance/],
    [{ venue: 'ccxt', exchange: 'binance', symbols: 'BTC/USDT,Binance:ETH/USDT' }, /--symbols: a symbol like BTC\/USDT or BTCUSDT, or exchange:symbol like binanceusdm:BTC\/USDT:USDT, got "Binance:ETH\/USDT"/],
  ])('refuses %j naming the flag and what is allowed', (opts, message) => {
    expect(() => parseVenueSpec(opts)).toThrow(VenueSpecError);
    expect(() => parseVenueSpec(opts)).toThrow(message);
  });

  it('startVenue turns a bad spec into a usage error (exit 2) and returns null for paper', async () => {
    const start = { store: new MemoryEventStore(), config: parseEngineConfig({}, 't'), logger: pino({ level: 'silent' }), clock: new WallClock(), instanceId: 'x', signal: new AbortController().signal };
    await expect(startVenue({ venue: 'nope' }, start)).rejects.toThrow(UsageError);
    const unknown = startVenue({ venue: 'ccxt', exchange: 'nosuchex', symbols: 'BTC/USDT' }, start);
    await expect(unknown).rejects.toThrow(UsageError);
    await expect(unknown).rejects.toThrow(/--exchange must be a ccxt.pro exchange id \(\d+ known, e.g. binance, binanceusdm, okx, bybit\), got "nosuchex"/);
    await expect(startVenue({ venue: 'ccxt', exchange: 'binance', symbols: 'BTC/USDT' }, { ...start, env: { MM_CCXT_ENDPOINTS: '{"rest":"http://x/y"}' } })).rejects.toThrow(
      /MM_CCXT_ENDPOINTS.rest: an origin like http:\/\/127.0.0.1:8080 \(no path\)/,
    );
    await expect(startVenue({}, start)).resolves.toBeNull();
  });
});

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('mm run --venue ccxt (recorded HTTP layer and loopback websocket server standing in for Binance)', () => {
  it('runs the pair live: PairStarted mode live, decisions, post-only orders, everything cancelled on stop; keys never logged', async () => {
    const rec = await readRecordedStreams(900);
    const server = await LoopbackBinanceWs.start();
    const { exchange, http } = binanceWithRecordedHttp();
    await server.install(exchange);
    cleanup.push(() => server.close());
    const live = serveRecordedSpot(http, server, rec);

    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const logger = pino({ level: 'debug', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
    const store = new MemoryEventStore();
    const controller = new AbortController();
    const config = parseEngineConfig({ pairs: [{ venue: 'binance', symbol: 'BTCUSDT', params: { orders: { minQuoteIntervalMs: 50 } } }] }, 't');
    const env = { MM_BINANCE_API_KEY: TEST_CREDENTIALS.apiKey, MM_BINANCE_SECRET: TEST_CREDENTIALS.secret };
    const running = startVenue({ venue: 'ccxt', exchange: 'binance', symbols: 'BTC/USDT' }, { store, config, logger, clock: new WallClock(), instanceId: 'live-1', signal: controller.signal, exchange, env });
    const stream = 'pair-binance-BTC_USDT';
    await until(() => live.size > 0, 25_000, 'live orders at the exchange');
    controller.abort('SIGTERM');
    const result = await running;

    const events = await store.readStream(stream);
    const started = events.find((e) => e.type === 'PairStarted');
    expect(started?.type === 'PairStarted' && started.data.mode).toBe('live');
    expect(events.some((e) => e.type === 'QuoteDecided')).toBe(true);
    const placed = events.filter((e) => e.type === 'OrderPlaced');
    expect(placed.length).toBeGreaterThan(0);
    expect(http.to('POST', '/api/v3/order').map(paramsOf).every((p) => p['type'] === 'LIMIT_MAKER')).toBe(true);
    expect(events.filter((e) => e.type === 'OrderCancelled').length).toBeGreaterThan(0);
    expect(live.size).toBe(0); // nothing left at the exchange
    expect(events.at(-1)?.type).toBe('PairStopped');
    expect(result?.pairs['BTCUSDT']?.state).toBe('stopped');
    const log = lines.join('');
    expect(log).toContain('"mode":"live"');
    expect(log).toContain('MM_BINANCE_API_KEY');
    expect(log).not.toContain(TEST_CREDENTIALS.apiKey);
    expect(log).not.toContain(TEST_CREDENTIALS.secret);
  }, 60_000);
});
