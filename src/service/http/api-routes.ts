import type { FastifyInstance } from 'fastify';
import { fillRatio } from '../../../projections/performance.js';
import type { Identity, PairCommand, ServiceControl } from '../service-control.js';
import {
  commandBodySchema,
  errorResponses,
  eventsQuerySchema,
  healthSchema,
  historyPointSchema,
  PAIR_COMMANDS,
  pairIdParams,
  paramsPatchBodySchema,
  performanceSchema,
  riskAlertSchema,
} from './api-schemas.js';
import type { ServiceMetrics } from './metrics.js';

interface Deps {
  readonly control: ServiceControl;
  readonly metrics: ServiceMetrics;
}

type IdParams = { id: string };

/** The auth hook sets the identity on every role-protected route; a missing one is a wiring bug, not a request to serve. */
function identityOf(request: { identity: Identity | null }): Identity {
  if (!request.identity) throw new Error('no identity on a protected route');
  return request.identity;
}

export function registerApiRoutes(app: FastifyInstance, { control, metrics }: Deps): void {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: { tags: ['health'], summary: 'Liveness: the process works', security: [], response: { 200: healthSchema, 503: healthSchema } },
    },
    async (_request, reply) => {
      const h = control.health();
      return reply.code(h.live ? 200 : 503).send({ status: h.live ? 'ok' : 'unavailable', ...h });
    },
  );

  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: { tags: ['health'], summary: 'Readiness: every pair started and reconciled', security: [], response: { 200: healthSchema, 503: healthSchema } },
    },
    async (_request, reply) => {
      const h = control.health();
      const ok = h.live && h.ready;
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', ...h });
    },
  );

  app.get(
    '/metrics',
    {
      config: { access: 'loopback' },
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics (text exposition format)',
        description: 'Open to clients on the loopback interface; from elsewhere it needs a viewer token.',
        produces: ['text/plain'],
        response: { 200: { type: 'string', description: 'Prometheus text format 0.0.4' }, 401: errorResponses[401], 403: errorResponses[403] },
      },
    },
    async (_request, reply) => {
      const text = await metrics.render();
      return reply.type(metrics.contentType).send(text);
    },
  );

  app.get(
    '/api/pairs',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['pairs'],
        summary: 'Every pair: state, quotes, open orders, inventory, PnL, risk status',
        response: { 200: { type: 'object', required: ['pairs'], properties: { pairs: { type: 'array', items: { $ref: 'PairView#' } } } }, 401: errorResponses[401] },
      },
    },
    async () => ({ pairs: control.listPairs() }),
  );

  app.get<{ Params: IdParams }>(
    '/api/pairs/:id',
    {
      config: { access: 'viewer' },
      schema: { tags: ['pairs'], summary: 'One pair', params: pairIdParams, response: { 200: { $ref: 'PairView#' }, 401: errorResponses[401], 404: errorResponses[404] } },
    },
    async (request) => control.getPair(request.params.id),
  );

  app.post<{ Params: IdParams & { command: PairCommand }; Body: { reason: string } }>(
    '/api/pairs/:id/:command',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['commands'],
        summary: 'Start, stop, pause or resume a pair (operator)',
        description: 'Recorded as an OperatorCommand event carrying the token name and the reason, then applied.',
        params: {
          type: 'object',
          required: ['id', 'command'],
          properties: { ...pairIdParams.properties, command: { type: 'string', enum: PAIR_COMMANDS } },
        },
        body: commandBodySchema,
        response: {
          200: { type: 'object', required: ['pair'], properties: { pair: { $ref: 'PairView#' } } },
          ...errorResponses,
          409: { $ref: 'ApiError#', description: 'The command is not valid in the pair’s state.' },
        },
      },
    },
    async (request) => {
      const identity = identityOf(request);
      const { id, command } = request.params;
      request.log.info({ identity: identity.name, pairId: id, command, reason: request.body.reason }, 'operator command');
      const pair = await control.command(id, command, identity, request.body.reason);
      return { pair };
    },
  );

  app.patch<{ Params: IdParams; Body: { params: Record<string, unknown>; reason: string } }>(
    '/api/pairs/:id/params',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['commands'],
        summary: 'Change a pair’s strategy parameters (admin)',
        description: 'Validated, recorded as ParametersChanged with the next version, then applied.',
        params: pairIdParams,
        body: paramsPatchBodySchema,
        response: {
          200: {
            type: 'object',
            required: ['paramsVersion', 'params'],
            properties: { paramsVersion: { type: 'integer' }, params: { type: 'object', additionalProperties: true, description: 'The full parameters now in force.' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const identity = identityOf(request);
      const { id } = request.params;
      request.log.info({ identity: identity.name, pairId: id, patch: request.body.params, reason: request.body.reason }, 'parameter change');
      return control.changeParams(id, request.body.params, identity, request.body.reason);
    },
  );

  app.get<{ Params: IdParams }>(
    '/api/pairs/:id/performance',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['pairs'],
        summary: 'Performance folded from the pair stream, and the PnL / inventory history',
        params: pairIdParams,
        response: {
          200: {
            type: 'object',
            required: ['pairId', 'performance', 'history'],
            properties: { pairId: { type: 'string' }, performance: performanceSchema, history: { type: 'array', items: historyPointSchema } },
          },
          401: errorResponses[401],
          404: errorResponses[404],
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      control.getPair(id);
      const { filledOrderIds: _ids, ...performance } = control.performance(id);
      return { pairId: id, performance: { ...performance, fillRatio: fillRatio(performance) }, history: control.history(id) };
    },
  );

  app.get<{ Params: IdParams; Querystring: { from?: number; limit: number } }>(
    '/api/pairs/:id/events',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['pairs'],
        summary: 'The pair’s recorded events, oldest first',
        params: pairIdParams,
        querystring: eventsQuerySchema,
        response: {
          200: {
            type: 'object',
            required: ['pairId', 'events', 'next'],
            properties: {
              pairId: { type: 'string' },
              events: { type: 'array', items: { $ref: 'RecordedEvent#' } },
              next: { type: 'integer', description: 'Pass as `from` to read on.' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const from = request.query.from ?? 0;
      control.getPair(id);
      const events = await control.events(id, { fromRevision: from, limit: request.query.limit });
      const last = events[events.length - 1];
      return { pairId: id, events, next: last ? last.revision + 1 : from };
    },
  );

  app.get(
    '/api/risk/alerts',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['risk'],
        summary: 'Risk alerts of every pair, newest last',
        response: { 200: { type: 'object', required: ['alerts'], properties: { alerts: { type: 'array', items: riskAlertSchema } } }, 401: errorResponses[401] },
      },
    },
    async () => ({ alerts: control.riskAlerts() }),
  );
}
