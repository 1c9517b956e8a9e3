// The shared middleware stack (middy) every surface runs: request logging without secrets, body
// size limit, route matching, JSON parsing and schema validation, authentication, and typed-error
// mapping to API.md's error shape. Operations stay thin: validated input in, a response out.
import middy from '@middy/core';
import { timingSafeEqual } from 'node:crypto';
import * as z from '../zod';
import { DomainError } from '../domain/errors';
import { isTenantId } from '../domain/types';
import { sha256Hex } from '../ids';
import { ROUTES, type RouteDef, type Surface } from '../routes';
import type { App } from '../service/app';
import { Router } from './router';
import { json, type HttpRequest, type HttpResponse, type OperationInput, type Principal } from './types';
import { logger } from './logger';

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
    // An Apple device treats 401 as "unenroll me" (PROTOCOL.md §0.1): never send one there.
    const status = route?.surface === 'apple' && err.status === 401 ? 400 : err.status;
    return json(status, { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
  }
  if (err instanceof z.$ZodError) {
    const issues = err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = issues[0];
    const message = first ? `${first.path || 'body'}: ${first.message}` : 'invalid input';
    return json(400, { error: { code: 'bad-request', message, details: { issues } } });
  }
  return json(500, { error: { code: 'internal', message: 'internal error' } });
}

async function authenticate(route: RouteDef, req: HttpRequest, params: Record<string, string>, app: App): Promise<Principal> {
  if (route.auth === 'public' || route.auth === 'apple-device') return { kind: 'none' };
  const header = req.headers.authorization ?? '';
  const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (route.auth === 'android-device') {
    // Checked before the body: an agent with a bad token learns that first, and re-enrolls.
    const hash = sha256Hex(token ?? '');
    const device = token && isTenantId(params.tenant) ? await app.stores.devices.findByLink(params.tenant, 'token', hash) : undefined;
    if (!device || device.registrationState === 'Withdrawn' || device.deviceTokenHash !== hash) {
      throw new DomainError('unauthorized', token ? 'device token not valid; enroll again' : 'missing device token');
    }
    return { kind: 'android-device', tenantId: device.tenantId, deviceId: device.id };
  }
  if (!token) throw new DomainError('unauthorized', 'missing API key: send Authorization: Bearer <key>');
  const hash = sha256Hex(token);
  const key = await app.stores.apiKeys.getByHash(hash);
  const operatorHash = app.config.operatorKeyHash;
  const isOperator = key?.role === 'operator'
    || (!key && !!operatorHash && timingSafeEqual(Buffer.from(hash), Buffer.from(operatorHash)));
  if (!key && !isOperator) throw new DomainError('unauthorized', 'API key not valid');
  if (route.auth === 'operator') {
    if (!isOperator) throw new DomainError('forbidden', 'only an operator key may do this');
    return { kind: 'operator' };
  }
  if (isOperator || !key?.tenantId) throw new DomainError('forbidden', 'an operator key may only create tenants');
  if (route.auth === 'admin' && key.role !== 'admin') throw new DomainError('forbidden', 'this key is read-only (viewer)');
  // Last use is informative; refresh it at most once a minute to keep reads cheap.
  const now = app.clock.now();
  if (!key.lastUsedAt || now.getTime() - Date.parse(key.lastUsedAt) > 60_000) {
    void app.stores.apiKeys.touch(hash, now.toISOString()).catch(() => undefined);
  }
  return { kind: 'key', tenantId: key.tenantId, role: key.role as 'admin' | 'viewer', keyId: key.id };
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
    tenant: state.params.tenant ?? (state.principal.kind === 'key' ? state.principal.tenantId : undefined),
    status,
    ms: Date.now() - state.started,
  };
}

/** Builds the request handler of one or more surfaces (the local server serves all three). */
export function createPipeline(app: App, operations: Operations, surfaces: readonly Surface[]) {
  const router = Router.forSurfaces(ROUTES, surfaces);

  const core = async (state: PipelineState): Promise<HttpResponse> => {
    const { req } = state;
    if (req.body.length > MAX_BODY_BYTES) throw new DomainError('payload-too-large', `request body is over ${MAX_BODY_BYTES} bytes`);
    let matched;
    try {
      matched = router.match(req.method, req.path);
    } catch (err) {
      if (err instanceof DomainError && err.status === 405) {
        return { ...errorResponse(err, undefined), headers: { 'content-type': 'application/json', allow: router.allowed(req.path).join(', ') } };
      }
      throw err;
    }
    state.route = matched.route;
    state.params = matched.params;
    const route = matched.route;
    state.principal = await authenticate(route, req, matched.params, app);
    const isJson = route.surface !== 'apple';
    const rawBody = isJson ? parseJsonBody(req) : undefined;
    const body = route.body ? route.body.parse(rawBody ?? {}) : rawBody;
    const query = route.query ? route.query.parse(req.query) : req.query;
    const op = operations[route.op];
    if (!op) throw new DomainError('not-found', `no route for ${req.method} ${req.path}`);
    return op({ req, route, params: matched.params, body: body as never, query: query as never, principal: state.principal }, app);
  };

  const handler = middy<PipelineState, HttpResponse>(core)
    .use({
      onError: async (request) => {
        const state = request.event;
        if (!(request.error instanceof DomainError) && !(request.error instanceof z.$ZodError)) {
          logger.error({ ...logLine(state, 500), error: String((request.error as Error)?.stack ?? request.error) });
        }
        request.response = errorResponse(request.error, state.route);
      },
    })
    .use({
      after: async (request) => {
        logger.info(logLine(request.event, request.response?.status ?? 0));
      },
      onError: async (request) => {
        logger.info(logLine(request.event, request.response?.status ?? 500));
      },
    });

  return async (req: HttpRequest): Promise<HttpResponse> => {
    const state: PipelineState = { req, params: {}, started: Date.now(), principal: { kind: 'none' } };
    return handler(state, {} as never);
  };
}
