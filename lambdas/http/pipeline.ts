// The shared middleware stack (middy) every surface runs: request logging without secrets, body
// size limit, route matching, JSON parsing and schema validation, authentication, and typed-error
// mapping to the error shape of docs/api.md §Errors. Operations stay thin: validated input in, a response out.
import middy from '@middy/core';
import { DomainError } from '../domain/errors';
import { isTenantId } from '../domain/identifiers';
import { logger } from '../logger';
import { authenticateCaller, type Principal } from '../service/auth';
import type { App } from '../service/container';
import * as z from '../zod';
import { Router } from './router';
import {
  type HttpRequest,
  type HttpResponse,
  json,
  type OperationInput,
  type RouteDef,
  type RouteTable,
  type Surface,
} from './types';

export const MAX_BODY_BYTES = 1024 * 1024;

export type Operation = (input: OperationInput<never, never>, app: App) => Promise<HttpResponse>;
export type Operations = Record<string, Operation>;

interface PipelineState {
  req: HttpRequest;
  route?: RouteDef;
  params: Record<string, string>;
  started: number;
  principal: Principal;
}

function errorResponse(err: unknown, route: RouteDef | undefined): HttpResponse {
  if (err instanceof DomainError) {
    // An Apple device treats 401 as "unenroll me" (docs/protocol.md §Never 401): never send one there.
    const status = route?.surface === 'apple' && err.status === 401 ? 400 : err.status;
    return json(status, {
      error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
    });
  }
  if (err instanceof z.$ZodError) {
    const issues = err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = issues[0];
    const message = first ? `${first.path || 'body'}: ${first.message}` : 'invalid input';
    return json(400, { error: { code: 'bad-request', message, details: { issues } } });
  }
  return json(500, { error: { code: 'internal', message: 'internal error' } });
}

/** The bearer token of an `Authorization: Bearer <token>` header. */
function bearerToken(req: HttpRequest): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
}

function parseJsonBody(req: HttpRequest): unknown {
  if (req.body.length === 0) return undefined;
  try {
    return JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new DomainError('bad-request', 'request body is not valid JSON');
  }
}

/** Paths can carry secrets (enrollment tokens): log the route template, not the path. */
function logLine(state: PipelineState, status: number) {
  return {
    requestId: state.req.requestId,
    method: state.req.method,
    route: state.route?.path ?? 'unmatched',
    // A tenant from the path only when it is one (a refused path may carry 3,000 characters).
    tenant:
      (isTenantId(state.params.tenant) ? state.params.tenant : undefined) ??
      (state.principal.kind === 'key' ? state.principal.tenantId : undefined),
    status,
    ms: Date.now() - state.started,
  };
}

/** Builds the request handler of one or more surfaces (the local server serves all three) from the route table. */
export function createPipeline(app: App, table: RouteTable, operations: Operations, surfaces: readonly Surface[]) {
  const router = Router.forSurfaces(table.routes, surfaces);

  const core = async (state: PipelineState): Promise<HttpResponse> => {
    const { req } = state;
    if (req.body.length > MAX_BODY_BYTES)
      throw new DomainError('payload-too-large', `request body is over ${MAX_BODY_BYTES} bytes`);
    let matched;
    try {
      matched = router.match(req.method, req.path);
    } catch (err) {
      if (err instanceof DomainError && err.status === 405) {
        return {
          ...errorResponse(err, undefined),
          headers: { 'content-type': 'application/json', allow: router.allowed(req.path).join(', ') },
        };
      }
      throw err;
    }
    state.route = matched.route;
    state.params = matched.params;
    const route = matched.route;
    state.principal = await authenticateCaller(app, route.auth, bearerToken(req), matched.params.tenant);
    table.checkPathParams(matched.params);
    const isJson = route.surface !== 'apple';
    const rawBody = isJson ? parseJsonBody(req) : undefined;
    const body = route.body ? route.body.parse(rawBody ?? {}) : rawBody;
    const query = route.query ? route.query.parse(req.query) : req.query;
    const op = operations[route.op];
    if (!op) throw new DomainError('not-found', `no route for ${req.method} ${req.path}`);
    return op(
      { req, route, params: matched.params, body: body as never, query: query as never, principal: state.principal },
      app,
    );
  };

  // middy runs `after` and `onError` in reverse order of `use`: the request log is used first so that
  // it runs last, after the error mapper has chosen the status actually sent.
  const handler = middy<PipelineState, HttpResponse>(core)
    .use({
      after: async (request) => {
        logger.info(logLine(request.event, request.response?.status ?? 0));
      },
      onError: async (request) => {
        // A refusal's reason is what the caller was told (never a secret): logged so the line says why.
        const reason = request.error instanceof DomainError ? { reason: request.error.message } : {};
        logger.info({ ...logLine(request.event, request.response?.status ?? 500), ...reason });
      },
    })
    .use({
      onError: async (request) => {
        const state = request.event;
        if (!(request.error instanceof DomainError) && !(request.error instanceof z.$ZodError)) {
          logger.error({ ...logLine(state, 500), error: String((request.error as Error)?.stack ?? request.error) });
        }
        request.response = errorResponse(request.error, state.route);
      },
    });

  return async (req: HttpRequest): Promise<HttpResponse> => {
    const state: PipelineState = { req, params: {}, started: Date.now(), principal: { kind: 'none' } };
    return handler(state, {} as never);
  };
}
