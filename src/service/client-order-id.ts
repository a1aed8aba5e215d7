import { createHash } from 'node:crypto';

/**
 * Client order ids derive from the pair stream and the revision of the
 * OrderPlaced event, so a retried placement reuses the same id and the venue
 * refuses a duplicate. Fits Binance's 36-char `[A-Za-z0-9_-]` rule.
 */
export function clientOrderIdPrefix(stream: string): string {
  return `mm${createHash('sha256').update(stream).digest('hex').slice(0, 8)}`;
}

export const clientOrderIdFor = (prefix: string, revision: number): string => `${prefix}r${revision}`;
