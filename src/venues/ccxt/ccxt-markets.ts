/**
 * ccxt markets -> our MarketSpec: tick size, lot size, minimum notional and
 * maker/taker fees as exact decimal strings.
 *
 * ccxt quirks handled here:
 * - `market.precision` means different things per exchange: a step
 *   (TICK_SIZE mode, e.g. 0.01 — most exchanges now, Binance included) or a
 *   number of decimals (DECIMAL_PLACES, e.g. 2 — older ccxt markets and some
 *   exchanges). SIGNIFICANT_DIGITS has no grid at all and is refused.
 * - ccxt numbers are float64 parsed from the venue's decimal strings; their
 *   shortest string form is exact for the digits a venue sends, so they are
 *   read back through that form (never through arithmetic on floats).
 * - A symbol is the venue's market id (`BTCUSDT`), as in our events; one
 *   exchange instance can list the same id twice (bybit: spot and linear
 *   swap), so markets are taken from one market type only.
 * - Inverse contracts and contracts whose size is not 1 base unit are refused:
 *   our inventory and PnL count amounts in base currency, linearly.
 */
import ccxt from 'ccxt';
import type { Exchange } from 'ccxt';
import { D, type Decimal, toDecimalString } from '../../core/decimal.js';
import type { MarketSpec } from '../venue.js';
import { CcxtVenueError } from './ccxt-errors.js';
import { ccxtMarketSchema, parseReply, type CcxtMarket } from './ccxt-schemas.js';

export type CcxtMarketType = 'spot' | 'swap';

export interface FeeOverride {
  readonly makerFee: string;
  readonly takerFee: string;
}

/** One tradable market: our spec, ccxt's unified symbol, and the grid as decimals. */
export interface MarketBinding {
  readonly spec: MarketSpec;
  /** ccxt unified symbol, e.g. `BTC/USDT` or `BTC/USDT:USDT`. */
  readonly unified: string;
  readonly contract: boolean;
  readonly tick: Decimal;
  readonly lot: Decimal;
  readonly minNotional: Decimal;
}

export class MarketRefusedError extends Error {
  override readonly name = 'MarketRefusedError';
}

/** A grid step (tick or lot) as a decimal string, from ccxt's precision in the exchange's precision mode. */
export function stepFromPrecision(value: number | null | undefined, precisionMode: number, what: string): string {
  if (value === null || value === undefined) throw new MarketRefusedError(`no ${what} precision`);
  if (precisionMode === ccxt.TICK_SIZE) {
    if (!(value > 0)) throw new MarketRefusedError(`${what} tick ${value} is not positive`);
    return toDecimalString(D(value));
  }
  if (precisionMode === ccxt.DECIMAL_PLACES) {
    if (!Number.isInteger(value)) throw new MarketRefusedError(`${what} decimal places ${value} is not an integer`);
    return toDecimalString(D(10).pow(-value));
  }
  throw new MarketRefusedError(`precision mode ${precisionMode} (significant digits) has no ${what} grid`);
}

/** Our MarketSpec for one ccxt market; throws MarketRefusedError for markets we cannot trade linearly on a grid. */
export function marketSpecOf(venueId: string, market: CcxtMarket, precisionMode: number, fees?: FeeOverride): MarketSpec {
  if (market.inverse === true) throw new MarketRefusedError(`${market.symbol} is an inverse contract`);
  if (market.contract === true && market.contractSize !== undefined && market.contractSize !== null && market.contractSize !== 1) {
    throw new MarketRefusedError(`${market.symbol} contract size is ${market.contractSize}, not 1 ${market.base}`);
  }
  const maker = fees?.makerFee ?? (market.maker === null || market.maker === undefined ? undefined : toDecimalString(D(market.maker)));
  const taker = fees?.takerFee ?? (market.taker === null || market.taker === undefined ? undefined : toDecimalString(D(market.taker)));
  if (maker === undefined || taker === undefined) throw new MarketRefusedError(`${market.symbol} has no maker/taker fees; configure them`);
  const minCost = market.limits?.cost?.min;
  return {
    venue: venueId,
    symbol: market.id,
    base: market.base,
    quote: market.quote,
    tickSize: stepFromPrecision(market.precision.price, precisionMode, 'price'),
    lotSize: stepFromPrecision(market.precision.amount, precisionMode, 'amount'),
    minNotional: minCost === null || minCost === undefined ? '0' : toDecimalString(D(minCost)),
    makerFee: maker,
    takerFee: taker,
  };
}

const isOfType = (m: CcxtMarket, type: CcxtMarketType): boolean =>
  type === 'spot' ? m.spot === true || m.type === 'spot' : m.type === 'swap' && m.linear !== false;

export interface MarketIndexOptions {
  readonly venueId: string;
  readonly marketType: CcxtMarketType;
  /** Venue symbols (market ids) or unified symbols; default: every active market of the type. */
  readonly symbols?: readonly string[];
  readonly fees?: FeeOverride;
}

/** The markets one venue trades, addressable by venue symbol (market id) or unified symbol. */
export class MarketIndex {
  private readonly byId = new Map<string, MarketBinding>();
  private readonly byUnified = new Map<string, MarketBinding>();

  private constructor(bindings: readonly MarketBinding[]) {
    for (const b of bindings) {
      this.byId.set(b.spec.symbol, b);
      this.byUnified.set(b.unified, b);
    }
  }

  /** From an exchange whose markets are loaded. */
  static fromExchange(exchange: Exchange, options: MarketIndexOptions): MarketIndex {
    const raw = Object.values(exchange.markets ?? {});
    const markets = raw.map((m) => parseReply(ccxtMarketSchema, m, 'market')).filter((m) => isOfType(m, options.marketType));
    const mode = Number(exchange.precisionMode);
    const bind = (m: CcxtMarket): MarketBinding => {
      const spec = marketSpecOf(options.venueId, m, mode, options.fees);
      return { spec, unified: m.symbol, contract: m.contract === true, tick: D(spec.tickSize), lot: D(spec.lotSize), minNotional: D(spec.minNotional) };
    };
    if (options.symbols) {
      const bindings = options.symbols.map((wanted) => {
        const m = markets.find((x) => x.id === wanted || x.symbol === wanted);
        if (!m) throw new MarketRefusedError(`${exchange.id} has no ${options.marketType} market ${wanted}`);
        return bind(m);
      });
      return new MarketIndex(bindings);
    }
    const bindings: MarketBinding[] = [];
    for (const m of markets) {
      if (m.active === false) continue;
      try {
        bindings.push(bind(m));
      } catch (err) {
        if (!(err instanceof MarketRefusedError)) throw err;
      }
    }
    return new MarketIndex(bindings);
  }

  get(symbol: string): MarketBinding | undefined {
    return this.byId.get(symbol) ?? this.byUnified.get(symbol);
  }

  /** The binding, or a 'validation' error naming the symbol. */
  require(symbol: string): MarketBinding {
    const b = this.get(symbol);
    if (!b) {
      throw new CcxtVenueError({ category: 'validation', action: 'reject', retryable: false, errorClass: 'UnknownSymbol', message: `unknown symbol ${symbol}` });
    }
    return b;
  }

  /** The venue symbol of a unified symbol, when we trade it. */
  venueSymbolOf(unified: string | null | undefined): string | undefined {
    return unified ? this.byUnified.get(unified)?.spec.symbol : undefined;
  }

  specs(): MarketSpec[] {
    return [...this.byId.values()].map((b) => b.spec);
  }
}
