/**
 * What a ccxt error means for the engine. ccxt already maps each exchange's
 * error codes to its own error classes (from the exchange definition); this
 * module maps those classes to a small set of stable categories, each with the
 * action the runtime is expected to take. Category strings are part of the
 * contract: they appear in rejection results and logs, so never rename one.
 *
 * Secrets never leave this module in a message: every message is redacted
 * (API key, secret, password, request signatures) before it is stored.
 */
import ccxt from 'ccxt';
import type { VenueErrorAction, VenueErrorCategory } from '../venue.js';

export type { VenueErrorAction, VenueErrorCategory } from '../venue.js';

export interface VenueErrorInfo {
  readonly category: VenueErrorCategory;
  readonly action: VenueErrorAction;
  /** Retrying the same request may succeed (for an order: only after checking it was not created). */
  readonly retryable: boolean;
  /** The ccxt error class name, e.g. `InsufficientFunds`. */
  readonly errorClass: string;
  /** Redacted message, safe to log and to store in events. */
  readonly message: string;
}

/** A typed error thrown by the ccxt adapter; the message is already redacted. */
export class CcxtVenueError extends Error {
  override readonly name = 'CcxtVenueError';
  readonly category: VenueErrorCategory;
  readonly action: VenueErrorAction;
  readonly retryable: boolean;
  readonly errorClass: string;

  constructor(info: VenueErrorInfo, context?: string) {
    super(context ? `${context}: ${info.message}` : info.message);
    this.category = info.category;
    this.action = info.action;
    this.retryable = info.retryable;
    this.errorClass = info.errorClass;
  }
}

const REDACTED = '[redacted]';

/**
 * Removes credentials from a message: the given secret values wherever they
 * appear, and signature / key parameters in URLs and headers.
 */
export function redactSecrets(message: string, secrets: readonly (string | undefined)[] = []): string {
  let out = message;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out
    .replace(/(signature|sign|api_?key|apiKey|passphrase|secret)=([^&\s"']+)/gi, `$1=${REDACTED}`)
    .replace(/("?(?:X-MBX-APIKEY|X-BAPI-API-KEY|OK-ACCESS-KEY|OK-ACCESS-SIGN|OK-ACCESS-PASSPHRASE|X-BAPI-SIGN)"?\s*[:=]\s*"?)([^",\s}]+)/gi, `$1${REDACTED}`);
}

/**
 * Binance reports a re-used client order id as a generic -2010 "Duplicate
 * order sent." which ccxt maps to InvalidOrder; recognise it by its message.
 */
const DUPLICATE_MESSAGES = ['Duplicate order sent', 'duplicate clientOrderId', 'Duplicated clOrdId', 'OrderLinkedID is duplicate'];

/**
 * Post-only refusals ccxt maps to a plain InvalidOrder: Binance USD-M -5022
 * ("...could not be executed as maker, the Post Only order will be rejected").
 */
const POST_ONLY_MESSAGES = ['could not be executed as maker', 'Order would immediately match and take'];

function info(category: VenueErrorCategory, action: VenueErrorAction, retryable: boolean, err: unknown, secrets: readonly (string | undefined)[]): VenueErrorInfo {
  const errorClass = err instanceof Error ? err.constructor.name : typeof err;
  const raw = err instanceof Error ? err.message : String(err);
  return { category, action, retryable, errorClass, message: redactSecrets(raw, secrets) };
}

/** Classifies any error thrown by a ccxt call. Most specific classes first: ccxt's hierarchy nests them. */
export function classifyVenueError(err: unknown, secrets: readonly (string | undefined)[] = []): VenueErrorInfo {
  if (err instanceof CcxtVenueError) {
    return { category: err.category, action: err.action, retryable: err.retryable, errorClass: err.errorClass, message: redactSecrets(err.message, secrets) };
  }
  if (!(err instanceof ccxt.BaseError)) return info('internal', 'halt', false, err, secrets);
  const msg = err.message;
  // ExchangeError branch
  if (err instanceof ccxt.OrderNotFound) return info('unknown-order', 'reject', false, err, secrets);
  if (err instanceof ccxt.DuplicateOrderId || DUPLICATE_MESSAGES.some((m) => msg.includes(m))) return info('duplicate-order', 'reject', false, err, secrets);
  if (err instanceof ccxt.OrderImmediatelyFillable || (err instanceof ccxt.InvalidOrder && POST_ONLY_MESSAGES.some((m) => msg.includes(m)))) return info('post-only-would-cross', 'reject', false, err, secrets);
  if (err instanceof ccxt.InsufficientFunds) return info('insufficient-funds', 'reduce-size-or-pause', false, err, secrets);
  if (err instanceof ccxt.InvalidOrder) return info('invalid-order', 'reject', false, err, secrets);
  if (err instanceof ccxt.AuthenticationError) return info('auth', 'halt', false, err, secrets);
  if (err instanceof ccxt.NotSupported) return info('not-supported', 'halt', false, err, secrets);
  if (err instanceof ccxt.ArgumentsRequired) return info('internal', 'halt', false, err, secrets);
  if (err instanceof ccxt.BadRequest || err instanceof ccxt.OperationRejected) return info('invalid-order', 'reject', false, err, secrets);
  if (err instanceof ccxt.ExchangeClosedByUser) return info('internal', 'halt', false, err, secrets);
  if (err instanceof ccxt.ExchangeError) return info('exchange-error', 'reject', false, err, secrets);
  // OperationFailed branch (NetworkError and friends)
  if (err instanceof ccxt.RateLimitExceeded || err instanceof ccxt.DDoSProtection) return info('rate-limited', 'backoff', true, err, secrets);
  if (err instanceof ccxt.NetworkError) return info('network', 'pause-and-cancel-on-reconnect', true, err, secrets);
  if (err instanceof ccxt.OperationFailed) return info('exchange-error', 'backoff', true, err, secrets);
  return info('exchange-error', 'reject', false, err, secrets);
}

/** A websocket book stream that lost its sequence (ccxt ChecksumError / InvalidNonce): resync, do not back off. */
export const isSequenceGap = (err: unknown): boolean => err instanceof ccxt.InvalidNonce;

/** The exchange instance was closed by us: a feed loop must end quietly. */
export const isClosedByUser = (err: unknown): boolean => err instanceof ccxt.ExchangeClosedByUser;
