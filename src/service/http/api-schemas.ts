import { z } from 'zod';

/*
 * JSON schemas of the operator API: requests are validated with them, responses
 * serialized with them, and @fastify/swagger builds /openapi.json from them.
 * Money and sizes are decimal strings, as in the event log.
 */

const decimal = { type: 'string', pattern: '^-?(0|[1-9]\\d*)(\\.\\d+)?$', description: 'decimal string' } as const;
const nullableMs = { type: ['integer', 'null'], description: 'epoch ms, or null before the first one' } as const;

export const PAIR_STATES = ['starting', 'quoting', 'paused', 'shock-cooldown', 'liquidating', 'stopped'] as const;
export const PAIR_COMMANDS = ['start', 'stop', 'pause', 'resume'] as const;

const quoteLevel = {
  type: 'object',
  required: ['price', 'amount'],
  properties: { price: decimal, amount: decimal },
} as const;

const ladder = {
  type: 'object',
  required: ['bids', 'asks', 'ts'],
  properties: { bids: { type: 'array', items: quoteLevel }, asks: { type: 'array', items: quoteLevel }, ts: nullableMs },
} as const;

export const pairViewSchema = {
  $id: 'PairView',
  type: 'object',
  description: 'One pair as the operator sees it.',
  required: ['id', 'venue', 'symbol', 'state', 'paramsVersion', 'quotes', 'book', 'openOrders', 'inventory', 'pnl', 'risk'],
  properties: {
    id: { type: 'string' },
    venue: { type: 'string' },
    symbol: { type: 'string' },
    state: { type: 'string', enum: PAIR_STATES },
    paramsVersion: { type: 'integer' },
    quotes: { ...ladder, description: 'The ladder of the last quote decision.' },
    book: { ...ladder, description: 'Top levels of the venue book.' },
    openOrders: {
      type: 'array',
      items: {
        type: 'object',
        required: ['clientOrderId', 'side', 'price', 'amount', 'remaining', 'status'],
        properties: {
          clientOrderId: { type: 'string' },
          side: { type: 'string', enum: ['buy', 'sell'] },
          price: decimal,
          amount: decimal,
          remaining: decimal,
          status: { type: 'string' },
        },
      },
    },
    inventory: { type: 'object', required: ['position', 'averageCost'], properties: { position: decimal, averageCost: decimal } },
    pnl: {
      type: 'object',
      description: 'Quote currency.',
      required: ['realised', 'unrealised', 'fees', 'net'],
      properties: { realised: decimal, unrealised: decimal, fees: decimal, net: decimal },
    },
    risk: {
      type: 'object',
      required: ['pauseReason', 'pauseDetail', 'inventoryRatio', 'alerts', 'crashes'],
      properties: {
        pauseReason: { type: ['string', 'null'] },
        pauseDetail: { type: ['string', 'null'] },
        inventoryRatio: { type: 'number', description: 'position / inventory.maxPosition, signed' },
        alerts: { type: 'array', items: { type: 'string' } },
        crashes: { type: 'integer' },
      },
    },
  },
} as const;

export const errorSchema = {
  $id: 'ApiError',
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: { statusCode: { type: 'integer' }, error: { type: 'string' }, message: { type: 'string' } },
} as const;

export const recordedEventSchema = {
  $id: 'RecordedEvent',
  type: 'object',
  required: ['id', 'type', 'version', 'time', 'stream', 'revision', 'position', 'data', 'metadata'],
  properties: {
    id: { type: 'string' },
    type: { type: 'string', description: 'Event type from the catalog (events/catalog.ts).' },
    version: { type: 'integer', description: 'Schema version of data.' },
    time: { type: 'string', format: 'date-time' },
    stream: { type: 'string' },
    revision: { type: 'integer', description: '0-based position in the pair stream.' },
    position: { type: 'integer', description: 'Global position in the store.' },
    data: { type: 'object', additionalProperties: true },
    metadata: { type: 'object', additionalProperties: true },
  },
} as const;

const count = { type: 'integer', minimum: 0 } as const;

export const performanceSchema = {
  type: 'object',
  description: 'Folded from the pair stream (projections/performance.ts).',
  properties: {
    decisions: count,
    ordersPlaced: count,
    ordersAcknowledged: count,
    ordersRejected: count,
    ordersCancelled: count,
    ordersFilled: count,
    ordersFullyFilled: count,
    fills: count,
    makerFills: count,
    takerFills: count,
    repeatedFills: count,
    volumeBase: decimal,
    turnoverQuote: decimal,
    fees: decimal,
    fillRatio: decimal,
    stateChanges: count,
    pauses: count,
    pausesByReason: { type: 'object', additionalProperties: { type: 'integer' } },
    resumes: count,
    shocks: count,
    shockRearms: count,
    shocksCleared: count,
    liquidations: count,
    liquidationsCompleted: count,
  },
} as const;

export const historyPointSchema = {
  type: 'object',
  required: ['ts', 'netPnl', 'drawdown', 'position'],
  properties: { ts: { type: 'integer' }, netPnl: { type: 'number' }, drawdown: { type: 'number' }, position: { type: 'number' } },
} as const;

export const riskAlertSchema = {
  type: 'object',
  required: ['pairId', 'ts', 'kind', 'detail'],
  properties: { pairId: { type: 'string' }, ts: { type: 'integer' }, kind: { type: 'string' }, detail: { type: 'string' } },
} as const;

export const healthSchema = {
  type: 'object',
  required: ['status', 'live', 'ready', 'detail'],
  properties: { status: { type: 'string', enum: ['ok', 'unavailable'] }, live: { type: 'boolean' }, ready: { type: 'boolean' }, detail: { type: 'string' } },
} as const;

export const pairIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200, description: 'Pair id, e.g. binance-BTC_USDT' } },
} as const;

/** Why: every operator action is recorded with a reason, so it is required. */
const reason = { type: 'string', minLength: 1, maxLength: 500, description: 'Why; recorded in the OperatorCommand / ParametersChanged event.' } as const;

export const commandBodySchema = {
  type: 'object',
  required: ['reason'],
  additionalProperties: false,
  properties: { reason },
} as const;

export const paramsPatchBodySchema = {
  type: 'object',
  required: ['params', 'reason'],
  additionalProperties: false,
  properties: {
    params: {
      type: 'object',
      additionalProperties: true,
      description:
        'A partial StrategyParams (components.schemas.StrategyParams; the README parameter table), deep-merged onto the current parameters and validated as a whole; an unknown key or a value out of range is refused with 400 naming the key, the value and the allowed range.',
    },
    reason,
  },
} as const;

export const eventsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'integer', minimum: 0, description: 'First revision to return (default 0).' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'At most this many events (1..1000, default 100).' },
  },
} as const;

export const errorResponses = {
  400: { $ref: 'ApiError#', description: 'Invalid input; the message says why.' },
  401: { $ref: 'ApiError#', description: 'Missing or unknown bearer token.' },
  403: { $ref: 'ApiError#', description: 'The token’s role may not do this.' },
  404: { $ref: 'ApiError#', description: 'Unknown pair.' },
} as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON Schema 2020-12 (what zod emits) to the OpenAPI 3.0 dialect the document uses. */
function toOpenApi30(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toOpenApi30);
  if (!isObject(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema') continue;
    if ((key === 'exclusiveMinimum' || key === 'exclusiveMaximum') && typeof value === 'number') {
      out[key === 'exclusiveMinimum' ? 'minimum' : 'maximum'] = value;
      out[key] = true;
    } else if (key === 'unit') {
      // Parameter metadata (`.meta({ unit })`): not an OpenAPI keyword, so an extension.
      out['x-unit'] = value;
    } else {
      out[key] = toOpenApi30(value);
    }
  }
  return out;
}

/**
 * StrategyParams as the OpenAPI document shows it, generated from the zod
 * schema so it cannot drift. Documentation only: the PATCH body is validated
 * by the service with the zod schema itself (JSON-schema validation here
 * would fill in defaults and overwrite the current values).
 */
export function strategyParamsDocSchema(schema: z.ZodType): Record<string, unknown> {
  const doc = toOpenApi30(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' })) as Record<string, unknown>;
  return { ...doc, description: 'Strategy parameters of one pair; every field has a default. PATCH /api/pairs/{id}/params takes any part of it.' };
}
