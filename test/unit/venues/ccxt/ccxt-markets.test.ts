import { describe, expect, it } from '@jest/globals';
import ccxt from 'ccxt';
import { WallClock } from '../../../../src/clock/clock.js';
import { createCcxtExchange, credentialsFromEnv, envVarNames } from '../../../../src/venues/ccxt/ccxt-exchange.js';
import { MarketRefusedError, marketSpecOf, stepFromPrecision } from '../../../../src/venues/ccxt/ccxt-markets.js';
import { ccxtMarketSchema } from '../../../../src/venues/ccxt/ccxt-schemas.js';
import { CcxtVenue } from '../../../../src/venues/ccxt/ccxt-venue.js';
import { binanceWithRecordedHttp, fixture, TEST_CREDENTIALS } from './ccxt-fixtures.js';
import { RecordedHttp } from './recorded-http.js';

const clock = new WallClock();

describe('ccxt markets -> MarketSpec (real ccxt instance, recorded HTTP layer standing in for the exchange)', () => {
  it('loads Binance spot markets from the recorded exchangeInfo into exact decimal specs', async () => {
    const { exchange, http } = binanceWithRecordedHttp();
    const venue = new CcxtVenue({ exchange, clock, deadMansSwitch: false });
    const specs = await venue.markets();
    expect(specs.find((s) => s.symbol === 'BTCUSDT')).toEqual({
      venue: 'binance',
      symbol: 'BTCUSDT',
      base: 'BTC',
      quote: 'USDT',
      tickSize: '0.01',
      lotSize: '0.00001',
      minNotional: '5',
      makerFee: '0.001',
      takerFee: '0.001',
    });
    expect(specs.find((s) => s.symbol === 'LTCUSDT')).toMatchObject({ tickSize: '0.01', lotSize: '0.001', minNotional: '5' });
    // Only the spot exchangeInfo was requested: no futures, currency or margin-pair endpoints.
    expect(http.requests.map((r) => `${r.method} ${r.url.pathname}`)).toEqual(['GET /api/v3/exchangeInfo']);
    expect(exchange.precisionMode).toBe(ccxt.TICK_SIZE);
  });

  it('loads Binance USD-M markets (binanceusdm) with the futures grid and fees', async () => {
    const { exchange, http } = binanceWithRecordedHttp({ exchangeId: 'binanceusdm' });
    const venue = new CcxtVenue({ exchange, clock, deadMansSwitch: false, symbols: ['BTCUSDT'] });
    const specs = await venue.markets();
    const linear = exchange.market('BTC/USDT:USDT');
    expect(specs).toEqual([
      {
        venue: 'binanceusdm',
        symbol: 'BTCUSDT',
        base: 'BTC',
        quote: 'USDT',
        tickSize: '0.1',
        lotSize: '0.001',
        minNotional: '5',
        makerFee: String(linear?.maker),
        takerFee: String(linear?.taker),
      },
    ]);
    expect(http.requests.map((r) => r.url.pathname)).toEqual(['/fapi/v1/exchangeInfo']);
  });

  it('reads precision as a step in TICK_SIZE mode and as decimals in DECIMAL_PLACES mode', () => {
    expect(stepFromPrecision(0.01, ccxt.TICK_SIZE, 'price')).toBe('0.01');
    expect(stepFromPrecision(1e-8, ccxt.TICK_SIZE, 'amount')).toBe('0.00000001');
    expect(stepFromPrecision(2, ccxt.DECIMAL_PLACES, 'price')).toBe('0.01');
    expect(stepFromPrecision(0, ccxt.DECIMAL_PLACES, 'amount')).toBe('1');
    expect(() => stepFromPrecision(5, ccxt.SIGNIFICANT_DIGITS, 'price')).toThrow(MarketRefusedError);
    expect(() => stepFromPrecision(undefined, ccxt.TICK_SIZE, 'price')).toThrow(MarketRefusedError);

    // ccxt's own recorded Binance BTC/USDT market from the decimal-places era: same grid as today's tick sizes.
    const recorded = ccxtMarketSchema.parse(fixture('binance-markets.json').unifiedDecimalPlaces['BTC/USDT']);
    expect(marketSpecOf('binance', recorded, ccxt.DECIMAL_PLACES)).toMatchObject({ tickSize: '0.01', lotSize: '0.00001', minNotional: '5', makerFee: '0.001' });
  });

  it('refuses inverse contracts, contracts not sized in 1 base unit, and markets without fees', () => {
    const swap = ccxtMarketSchema.parse(fixture('bybit-markets.json').markets['LTC/USDT:USDT']);
    expect(marketSpecOf('bybit', swap, ccxt.TICK_SIZE)).toMatchObject({ symbol: 'LTCUSDT', tickSize: '0.01', lotSize: '0.1', minNotional: '0' });
    expect(() => marketSpecOf('bybit', { ...swap, inverse: true, linear: false }, ccxt.TICK_SIZE)).toThrow(/inverse/);
    expect(() => marketSpecOf('bybit', { ...swap, contractSize: 0.01 }, ccxt.TICK_SIZE)).toThrow(/contract size/);
    expect(() => marketSpecOf('bybit', { ...swap, maker: undefined }, ccxt.TICK_SIZE)).toThrow(/fees/);
    expect(marketSpecOf('bybit', { ...swap, maker: undefined }, ccxt.TICK_SIZE, { makerFee: '-0.0001', takerFee: '0.0004' })).toMatchObject({ makerFee: '-0.0001', takerFee: '0.0004' });
  });

  it('fails with the symbol named when a configured market does not exist', async () => {
    const { exchange } = binanceWithRecordedHttp();
    const venue = new CcxtVenue({ exchange, clock, deadMansSwitch: false, symbols: ['BTCUSDT', 'NOPEUSDT'] });
    await expect(venue.markets()).rejects.toThrow(/NOPEUSDT/);
  });

  it('keeps the request rate below the exchange own budget', () => {
    const binance = createCcxtExchange({ exchangeId: 'binance' });
    expect(binance.rateLimit).toBe(50 / 0.8);
    expect((binance.tokenBucket as Record<string, number>)['refillRate']).toBeCloseTo(0.8 / 50);
    expect(createCcxtExchange({ exchangeId: 'binance', rateLimitFraction: 0.5 }).rateLimit).toBe(100);
    expect(() => createCcxtExchange({ rateLimitFraction: 1.5 })).toThrow(/rateLimitFraction/);
    const venue = new CcxtVenue({ exchangeId: 'okx', clock, deadMansSwitch: false, env: {} });
    expect(venue.rateLimitMs).toBeCloseTo(110 / 0.8);
  });

  it('uses the testnet in sandbox mode (requests go to testnet.binance.vision)', async () => {
    const exchange = createCcxtExchange({ exchangeId: 'binance', sandbox: true, rateLimitMs: 1 });
    const http = new RecordedHttp().install(exchange).on('GET', '/api/v3/exchangeInfo', { body: fixture('binance-markets.json').spotExchangeInfo });
    await new CcxtVenue({ exchange, clock, deadMansSwitch: false }).markets();
    expect(http.requests[0]?.url.host).toBe('testnet.binance.vision');
  });

  it('takes credentials only from MM_<EXCHANGE>_API_KEY / _SECRET (/_PASSWORD)', () => {
    expect(envVarNames('binanceusdm')).toEqual({ apiKey: 'MM_BINANCEUSDM_API_KEY', secret: 'MM_BINANCEUSDM_SECRET', password: 'MM_BINANCEUSDM_PASSWORD' });
    expect(credentialsFromEnv('binance', { MM_BINANCE_API_KEY: 'k', MM_BINANCE_SECRET: 's' })).toEqual({ apiKey: 'k', secret: 's' });
    expect(credentialsFromEnv('okx', { MM_OKX_API_KEY: 'k', MM_OKX_SECRET: 's', MM_OKX_PASSWORD: 'p' })).toEqual({ apiKey: 'k', secret: 's', password: 'p' });
    expect(credentialsFromEnv('binance', { MM_BINANCE_API_KEY: 'k' })).toBeUndefined();
    const venue = new CcxtVenue({ exchangeId: 'binance', clock, deadMansSwitch: false, env: { MM_BINANCE_API_KEY: TEST_CREDENTIALS.apiKey, MM_BINANCE_SECRET: TEST_CREDENTIALS.secret } });
    expect(venue.exchange.apiKey).toBe(TEST_CREDENTIALS.apiKey);
  });
});
