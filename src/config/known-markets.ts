import type { MarketSpec } from '../venues/venue.js';

/**
 * Instrument rules for the markets in the bundled and shared recordings, so a
 * backtest needs no config. Fees are Binance's published regular-tier rates
 * (spot 0.1 %/0.1 %, USD-M futures 0.02 %/0.05 %); override them in the config
 * for your own tier. Live trading loads these from the exchange instead.
 */
const KNOWN: readonly MarketSpec[] = [
  { venue: 'binance', symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001', minNotional: '5', makerFee: '0.001', takerFee: '0.001' },
  { venue: 'binanceusdm', symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', tickSize: '0.1', lotSize: '0.001', minNotional: '100', makerFee: '0.0002', takerFee: '0.0005' },
];

export function knownMarket(venue: string, symbol: string): MarketSpec | undefined {
  return KNOWN.find((m) => m.venue === venue && m.symbol === symbol);
}

export const knownMarkets = (): readonly MarketSpec[] => KNOWN;
