/**
 * The boundary: every structure ccxt hands us is checked here, once, with zod.
 * Only the fields the adapter reads are described; code past this module
 * trusts them. A reply that does not fit is a `CcxtReplyError` (category
 * 'internal'): the venue said something we do not understand, and nothing is
 * guessed.
 */
import { z } from 'zod';
import { CcxtVenueError } from './ccxt-errors.js';

const num = z.number().finite();
const optNum = num.nullish();
const optStr = z.string().nullish();
const side = z.enum(['buy', 'sell']);

export const ccxtMarketSchema = z.object({
  id: z.string().min(1),
  symbol: z.string().min(1),
  base: z.string().min(1),
  quote: z.string().min(1),
  type: z.string().nullish(),
  spot: z.boolean().nullish(),
  contract: z.boolean().nullish(),
  linear: z.boolean().nullish(),
  inverse: z.boolean().nullish(),
  contractSize: optNum,
  active: z.boolean().nullish(),
  maker: optNum,
  taker: optNum,
  precision: z.object({ price: optNum, amount: optNum }),
  limits: z
    .object({
      cost: z.object({ min: optNum }).nullish(),
      amount: z.object({ min: optNum }).nullish(),
    })
    .nullish(),
});
export type CcxtMarket = z.infer<typeof ccxtMarketSchema>;

export const ccxtOrderSchema = z.object({
  id: z.string().min(1),
  clientOrderId: optStr,
  symbol: optStr,
  side: side.nullish(),
  price: optNum,
  amount: optNum,
  filled: optNum,
  remaining: optNum,
  status: optStr,
  timestamp: optNum,
});
export type CcxtOrder = z.infer<typeof ccxtOrderSchema>;

/** An entry of a batch reply: either an order, or a per-order error (no id, the venue's message in `info`). */
export const ccxtBatchEntrySchema = z.object({
  id: optStr,
  clientOrderId: optStr,
  status: optStr,
  info: z.unknown(),
});

export const ccxtTradeSchema = z.object({
  id: z.string().min(1),
  order: optStr,
  symbol: optStr,
  side,
  price: num,
  amount: num,
  timestamp: num,
  takerOrMaker: z.enum(['maker', 'taker']).nullish(),
  fee: z.object({ cost: optNum, currency: optStr }).nullish(),
});
export type CcxtTrade = z.infer<typeof ccxtTradeSchema>;

const level = z.tuple([num, num], num.nullish());
export const ccxtOrderBookTopSchema = z.object({
  bids: z.array(level),
  asks: z.array(level),
  nonce: optNum,
  timestamp: optNum,
});
export type CcxtOrderBookTop = z.infer<typeof ccxtOrderBookTopSchema>;

const amounts = z.record(z.string(), optNum);
export const ccxtBalancesSchema = z.object({ free: amounts.nullish(), used: amounts.nullish(), total: amounts.nullish() });
export type CcxtBalances = z.infer<typeof ccxtBalancesSchema>;

/** Parses `value` with `schema` or throws a CcxtVenueError naming what was being read. */
export function parseReply<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
  throw new CcxtVenueError({ category: 'internal', action: 'halt', retryable: false, errorClass: 'CcxtReplyError', message: `unexpected ${what} from ccxt (${where})` });
}

/** The top `depth` levels of a ccxt order book, validated (the deep levels are never read). */
export function parseOrderBookTop(book: unknown, depth: number): CcxtOrderBookTop {
  const b = (book ?? {}) as { bids?: unknown; asks?: unknown; nonce?: unknown; timestamp?: unknown };
  const top = {
    bids: firstLevels(b.bids, depth),
    asks: firstLevels(b.asks, depth),
    nonce: b.nonce,
    timestamp: b.timestamp,
  };
  return parseReply(ccxtOrderBookTopSchema, top, 'order book');
}

/** ccxt's book sides are Array subclasses: copy into a plain array rather than slice (species constructor). */
function firstLevels(side: unknown, depth: number): unknown {
  if (!Array.isArray(side)) return side;
  const out: unknown[] = [];
  for (let i = 0; i < side.length && i < depth; i++) out.push(side[i]);
  return out;
}
