/**
 * Building the live venue for `mm run --venue ccxt` (venue-factory.ts loads
 * this module only then: ccxt costs about a second to import).
 */
import ccxt from 'ccxt';
import type { Clock } from '../../clock/clock.js';
import type { Logger } from '../../log/logger.js';
import { VenueSpecError, type Endpoints, type VenueSpec } from '../venue-factory.js';
import { envVarNames } from './ccxt-exchange.js';
import { CcxtVenue } from './ccxt-venue.js';

/** The id must name a ccxt.pro exchange; the error names the flag. */
export function checkExchangeId(id: string): void {
  const known = (ccxt.pro as unknown as { readonly exchanges: readonly string[] }).exchanges;
  if (!known.includes(id)) throw new VenueSpecError(`--exchange must be a ccxt.pro exchange id (${known.length} known, e.g. binance, binanceusdm, okx, bybit), got "${id}"`);
}

export interface CcxtVenueBuild {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where the keys come from (MM_<EXCHANGE>_API_KEY / _SECRET); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * A ready ccxt instance (tests: a real ccxt exchange whose HTTP layer answers
   * with recorded payloads). Default: built from the spec.
   */
  readonly exchange?: ConstructorParameters<typeof CcxtVenue>[0]['exchange'];
}

/** The live venue for a ccxt spec. Keys are read from the environment only and never logged: the log says whether they were found. */
export function createCcxtVenue(spec: Extract<VenueSpec, { kind: 'ccxt' }>, build: CcxtVenueBuild): CcxtVenue {
  const env = build.env ?? process.env;
  const names = envVarNames(spec.exchange);
  build.logger.info(
    { exchange: spec.exchange, sandbox: spec.sandbox, symbols: spec.symbols, keys: env[names.apiKey] && env[names.secret] ? `found in ${names.apiKey}/${names.secret}` : `absent (${names.apiKey}/${names.secret} unset): public data only` },
    'ccxt venue',
  );
  return new CcxtVenue({
    exchangeId: spec.exchange,
    sandbox: spec.sandbox,
    env,
    symbols: spec.symbols,
    clock: build.clock,
    logger: build.logger,
    ...(build.exchange ? { exchange: build.exchange } : {}),
  });
}

/** Rewrites the exchange's URLs to `endpoints` (see ENDPOINTS_ENV). */
export async function routeExchange(exchange: CcxtVenue['exchange'], endpoints: Endpoints): Promise<void> {
  // ccxt refuses plain ws:// URLs until its http agent is loaded.
  if (endpoints.ws?.startsWith('ws://')) await exchange.loadHttpProxyAgent();
  const rewrite = (node: Record<string, unknown>): void => {
    for (const [key, value] of Object.entries(node)) {
      if (value !== null && typeof value === 'object') rewrite(value as Record<string, unknown>);
      else if (typeof value === 'string' && /^https?:\/\//.test(value) && endpoints.rest) node[key] = `${endpoints.rest}${new URL(value).pathname}`;
      else if (typeof value === 'string' && /^wss?:\/\//.test(value) && endpoints.ws) {
        const u = new URL(value);
        node[key] = `${endpoints.ws}/${u.host}${u.pathname}`;
      }
    }
  };
  rewrite((exchange.urls as unknown as { api: Record<string, unknown> }).api);
}

