/** Order and trade side. For a trade it is the aggressor's side. */
export type Side = 'buy' | 'sell';

export const oppositeSide = (side: Side): Side => (side === 'buy' ? 'sell' : 'buy');

/** Stable identity of a trading pair on one venue, e.g. `binance-BTC_USDT`. */
export type PairId = string;

export const pairIdOf = (venue: string, symbol: string): PairId => `${venue}-${symbol.replace('/', '_')}`;

export const pairStreamOf = (pairId: PairId): string => `pair-${pairId}`;
