import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import type { Logger } from '../../log/logger.js';
import { CommandRejectedError, UnknownPairError, type Identity, type PairCommand, type Role, type ServiceControl } from '../service-control.js';
import { bearerToken, roleAllows, type ApiTokens } from './api-tokens.js';
import { StrategyParamsSchema } from '../../config/strategy-params.js';
import { errorSchema, pairViewSchema, recordedEventSchema, strategyParamsDocSchema } from './api-schemas.js';
import { createServiceMetrics, type ServiceMetrics } from './metrics.js';
import { registerApiRoutes } from './api-routes.js';

/**
 * Who may call a route:
 * - 'public': anyone (health probes);
 * - 'loopback': anyone connecting from 127.0.0.1 / ::1, else a viewer token (/metrics);
 * - a role: a bearer token of that role or higher.
 * Routes that say nothing (including the 404 handler) need a viewer token.
 */
export type RouteAccess = 'public' | 'loopback' | Role;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** The caller, set by the auth hook on protected routes; null on open ones. */
    identity: Identity | null;
  }
}

export interface HttpAppOptions {
  readonly control: ServiceControl;
  readonly tokens: ApiTokens;
  readonly logger: Logger;
  /** Shared with the supervisor so it can feed the latency histograms; created here if absent. */
  readonly metrics?: ServiceMetrics;
  /** More routes on the same app (the dashboard). They pass through the same auth hook: set `config.access`. */
  readonly registerExtras?: (app: FastifyInstance) => void | Promise<void>;
  /** Largest accepted request body, bytes. */
  readonly bodyLimit?: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
export const isLoopback = (address: string | undefined): boolean => address !== undefined && (LOOPBACK.has(address) || address.startsWith('127.'));

const REALM = 'Bearer realm="mm"';

function sendError(reply: FastifyReply, statusCode: number, error: string, message: string): FastifyReply {
  return reply.code(statusCode).type('application/json').send({ statusCode, error, message });
}

/**
 * The operator API as a Fastify app, not listening (tests call `app.inject`).
 * JSON only. Tokens never reach the logs: Fastify's request log carries no
 * headers, and the logger redacts `*.headers.authorization` anyway.
 */
export async function buildHttpApp(opts: HttpAppOptions): Promise<FastifyInstance> {
  const { control, tokens } = opts;
  const log = opts.logger.child({ component: 'http' });
  const metrics = opts.metrics ?? createServiceMetrics();
  const detachMetrics = metrics.attach(control);

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit ?? 64 * 1024,
    // Never drop unknown keys or fill in defaults silently in a body: an operator's typo must be a 400.
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
  });
  app.decorateRequest('identity', null);
  // JSON only: a text body is refused with 415 rather than parsed into a string.
  app.removeContentTypeParser('text/plain');
  app.addHook('onClose', async () => detachMetrics());

  app.addSchema(errorSchema);
  app.addSchema(pairViewSchema);
  app.addSchema(recordedEventSchema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'mm operator API', version: '1', description: 'Read pairs, command them, change their parameters. Bearer tokens from MM_API_TOKENS; roles viewer < operator < admin.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: { StrategyParams: strategyParamsDocSchema(StrategyParamsSchema) } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });

  app.addHook('onRequest', async (request, reply) => {
    // The id every log line of this request carries (reqId), so an operator can find them.
    reply.header('x-request-id', request.id);
    const access: RouteAccess = request.routeOptions.config?.access ?? 'viewer';
    if (access === 'public') return;
    if (access === 'loopback' && isLoopback(request.socket.remoteAddress)) return;
    const needed: Role = access === 'loopback' ? 'viewer' : access;
    const header = request.headers.authorization;
    const presented = bearerToken(header);
    if (presented === null) {
      reply.header('WWW-Authenticate', REALM);
      return sendError(reply, 401, 'Unauthorized', header ? 'Authorization header is not "Bearer <token>"' : 'missing bearer token (Authorization: Bearer <token>)');
    }
    const identity = tokens.identify(presented);
    if (identity === null) {
      request.log.warn({ url: request.url, remoteAddress: request.socket.remoteAddress }, 'refused an unknown API token');
      reply.header('WWW-Authenticate', `${REALM}, error="invalid_token"`);
      return sendError(reply, 401, 'Unauthorized', 'unknown bearer token');
    }
    if (!roleAllows(identity.role, needed)) {
      request.log.warn({ identity: identity.name, role: identity.role, needed, method: request.method, url: request.url }, 'refused: role too low');
      return sendError(reply, 403, 'Forbidden', `role ${identity.role} may not do this; it needs ${needed} or higher`);
    }
    request.identity = identity;
  });

  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof UnknownPairError || err.name === 'UnknownPairError') return sendError(reply, 404, 'Not Found', err.message);
    if (err instanceof CommandRejectedError || err.name === 'CommandRejectedError') {
      const status = (err as unknown as CommandRejectedError).status ?? 400;
      request.log.info({ identity: request.identity?.name, url: request.url, reason: err.message }, 'request refused');
      return sendError(reply, status, status === 409 ? 'Conflict' : 'Bad Request', err.message);
    }
    if (err.validation) return sendError(reply, 400, 'Bad Request', err.message);
    const status = err.statusCode ?? 500;
    // Fastify's own 4xx: bad JSON, an empty JSON body, a body too large, an unsupported content type.
    if (status >= 400 && status < 500) return sendError(reply, status, STATUS_CODES[status] ?? 'Bad Request', err.message);
    request.log.error({ err, method: request.method, url: request.url, identity: request.identity?.name }, 'request failed');
    return sendError(reply, 500, 'Internal Server Error', `internal error; see the service log, reqId ${request.id}`);
  });

  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'Not Found', `no route ${request.method} ${request.url.split('?')[0]}`));

  registerApiRoutes(app, { control, metrics });
  app.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () => app.swagger());

  if (opts.registerExtras) {
    try {
      await opts.registerExtras(app);
    } catch (err) {
      await app.close();
      throw err;
    }
  }
  return app;
}

export interface HttpServerOptions extends HttpAppOptions {
  /** Default 127.0.0.1: the API is for the operator on this host. */
  readonly host?: string;
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
}

export interface RunningHttpServer {
  readonly app: FastifyInstance;
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const host = opts.host ?? '127.0.0.1';
  const app = await buildHttpApp(opts);
  await app.listen({ host, port: opts.port ?? 8080 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 8080);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  opts.logger.info({ url, tokens: opts.tokens.identities().map((i) => `${i.name}:${i.role}`) }, 'HTTP API listening');
  if (opts.tokens.size === 0) opts.logger.warn('no API tokens (MM_API_TOKENS is empty): every /api route answers 401');
  return { app, url, port, close: () => app.close() };
}

export type { PairCommand };
