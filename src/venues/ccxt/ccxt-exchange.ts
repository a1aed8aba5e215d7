/**
 * Building the ccxt (ccxt.pro) exchange instance: credentials from the
 * environment, sandbox/testnet, a rate-limit budget below the exchange's own,
 * and the per-exchange options our adapter relies on.
 *
 * Import note: ccxt is imported as its ESM default export (`import ccxt from
 * 'ccxt'`). That form works under tsx and under Jest in ESM mode; the
 * namespace form (`import * as ccxt`) lacks some members (e.g. TICK_SIZE)
 * under Jest, and the CommonJS build pulls ESM-only dependencies.
 */
import ccxt from 'ccxt';
import type { Exchange } from 'ccxt';
import type { CcxtMarketType } from './ccxt-markets.js';

export interface Credentials {
  readonly apiKey: string;
  readonly secret: string;
  /** OKX and a few others need a passphrase. */
  readonly password?: string;
}

/** `MM_<EXCHANGE>_API_KEY`, `MM_<EXCHANGE>_SECRET`, optional `MM_<EXCHANGE>_PASSWORD`; e.g. MM_BINANCEUSDM_API_KEY. */
export function envVarNames(exchangeId: string): { apiKey: string; secret: string; password: string } {
  const p = `MM_${exchangeId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  return { apiKey: `${p}_API_KEY`, secret: `${p}_SECRET`, password: `${p}_PASSWORD` };
}

/** Credentials from the environment, or undefined when the key or the secret is missing (public data only). */
export function credentialsFromEnv(exchangeId: string, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const names = envVarNames(exchangeId);
  const apiKey = env[names.apiKey];
  const secret = env[names.secret];
  if (!apiKey || !secret) return undefined;
  const password = env[names.password];
  return password ? { apiKey, secret, password } : { apiKey, secret };
}

export interface CcxtExchangeOptions {
  /** ccxt exchange id; default 'binance' (spot). 'binanceusdm' for USD-M futures. */
  readonly exchangeId?: string;
  /** Use the exchange's testnet/sandbox (`setSandboxMode(true)`). */
  readonly sandbox?: boolean;
  readonly credentials?: Credentials;
  /** Share of the exchange's own request rate we allow ourselves, in (0, 1]; default 0.8. */
  readonly rateLimitFraction?: number;
  /** Explicit ms per request-cost unit (overrides the fraction; tests use a small value). */
  readonly rateLimitMs?: number;
  /** Which markets this instance trades; default 'spot', 'swap' for binanceusdm. */
  readonly marketType?: CcxtMarketType;
  /** Request timeout in ms (ccxt default 10 s). */
  readonly timeoutMs?: number;
  /** Extra ccxt options, merged last. */
  readonly ccxtOptions?: Readonly<Record<string, unknown>>;
}

export const DEFAULT_RATE_LIMIT_FRACTION = 0.8;

export const defaultMarketType = (exchangeId: string): CcxtMarketType => (exchangeId === 'binanceusdm' ? 'swap' : 'spot');

/**
 * ccxt options per exchange (quirks):
 * - binance / binanceusdm: load only the market type we trade (no calls to
 *   the other APIs), no currency or margin-pair lookups (signed SAPI calls a
 *   trading key may not be allowed to make), and public trades from
 *   `/trades` rather than `/aggTrades`, so REST backfill ids are the same ids
 *   the `@trade` websocket stream carries (aggregate ids are a different
 *   sequence and would defeat de-duplication).
 */
export function exchangeSpecificOptions(exchangeId: string, marketType: CcxtMarketType): Record<string, unknown> {
  switch (exchangeId) {
    case 'binance':
      return {
        fetchMarkets: { types: [marketType === 'spot' ? 'spot' : 'linear'] },
        fetchCurrencies: false,
        fetchMargins: false,
        fetchTradesMethod: marketType === 'spot' ? 'publicGetTrades' : 'fapiPublicGetTrades',
        ...(marketType === 'swap' ? { defaultType: 'swap' } : {}),
      };
    case 'binanceusdm':
      return { fetchMarkets: { types: ['linear'] }, fetchCurrencies: false, fetchMargins: false, fetchTradesMethod: 'fapiPublicGetTrades' };
    default:
      return marketType === 'swap' ? { defaultType: 'swap' } : {};
  }
}

type ExchangeConstructor = new (config?: Record<string, unknown>) => Exchange;

/** A ccxt.pro instance (REST and websocket) configured for the adapter. */
export function createCcxtExchange(options: CcxtExchangeOptions = {}): Exchange {
  const exchangeId = options.exchangeId ?? 'binance';
  const marketType = options.marketType ?? defaultMarketType(exchangeId);
  const ctor = (ccxt.pro as unknown as Record<string, ExchangeConstructor | undefined>)[exchangeId];
  if (typeof ctor !== 'function') throw new Error(`ccxt.pro has no exchange "${exchangeId}"`);
  const fraction = options.rateLimitFraction ?? DEFAULT_RATE_LIMIT_FRACTION;
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`rateLimitFraction must be in (0, 1], got ${fraction}`);
  const config: Record<string, unknown> = {
    enableRateLimit: true,
    options: { ...exchangeSpecificOptions(exchangeId, marketType), ...(options.ccxtOptions ?? {}) },
  };
  if (options.timeoutMs !== undefined) config['timeout'] = options.timeoutMs;
  if (options.credentials) {
    config['apiKey'] = options.credentials.apiKey;
    config['secret'] = options.credentials.secret;
    if (options.credentials.password !== undefined) config['password'] = options.credentials.password;
  }
  const exchange = new ctor(config);
  if (options.sandbox) exchange.setSandboxMode(true);
  // ccxt (>= 4.5.8x) adds its own websocket reconnect backoff (1 s doubling to
  // 60 s, on its own timers) on top of ours; ours runs on the injected clock and
  // is the one policy, so ccxt's is set to zero.
  const wsOptions = (exchange.options['ws'] ?? {}) as Record<string, unknown>;
  exchange.options['ws'] = { ...wsOptions, backoff: { base: 0, factor: 2, max: 0, stableAfter: 30_000 } };
  // Budget below the exchange's own: ccxt's rateLimit is ms per cost unit, so a
  // share f of the allowance is rateLimit / f. The throttler is rebuilt with it.
  const own = Number(exchange.rateLimit);
  // initRestRateLimiter keeps an existing bucket's refill rate, so drop it first.
  exchange.rateLimit = options.rateLimitMs ?? own / fraction;
  (exchange as unknown as { tokenBucket: unknown }).tokenBucket = undefined;
  exchange.initRestRateLimiter();
  return exchange;
}

/** Values that must never appear in a message or a log line. */
export const secretsOf = (exchange: Exchange): string[] =>
  [exchange.apiKey, exchange.secret, exchange.password].filter((s): s is string => typeof s === 'string' && s.length > 0);
