// The OpenAPI 3.1 document, generated from the route table and the same zod schemas that validate
// requests: what is documented is what is enforced.

import type { RouteDef } from '../http/types';
import * as z from '../zod';
import { pathParamSchema } from './path-params';
import { ROUTES } from './routes';

/** The error shape every route answers with (http/pipeline.ts builds it). */
export const errorSchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.optional(z.record(z.string(), z.unknown())) }),
  })
  .register(z.globalRegistry, { id: 'Error' });

const ERROR_TEXT: Record<number, string> = {
  400: 'Bad input (the message names the field or path parameter)',
  401: 'Missing or invalid API key',
  403: 'The key may not do this',
  404: 'Not found (or belongs to another tenant)',
  405: 'Method not allowed',
  409: 'Conflict',
  410: 'Gone (expired)',
  413: 'Body over 1 MB',
  422: 'Refused: the message says why',
};

function toSchema(schema: z.ZodMiniType, io: 'input' | 'output'): Record<string, unknown> {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return { $ref: `#/components/schemas/${id}` };
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  delete json.$defs; // every registered schema is in components
  return relink(json);
}

/** zod names registered schemas under $defs; in OpenAPI they live in components. */
function relink<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replace(/"#\/\$defs\//g, '"#/components/schemas/')) as T;
}

function parameters(route: RouteDef) {
  const params: Array<Record<string, unknown>> = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: toSchema(pathParamSchema(name), 'input'),
  }));
  if (route.query) {
    const shape = (route.query as z.ZodMiniObject).shape as Record<string, z.ZodMiniType>;
    for (const [name, schema] of Object.entries(shape)) {
      params.push({ name, in: 'query', required: false, schema: toSchema(schema, 'input') });
    }
  }
  return params;
}

function operation(route: RouteDef) {
  const responses: Record<string, unknown> = {};
  const ok = route.success;
  responses[String(ok.status)] = {
    description: ok.description ?? 'Success',
    ...(ok.schema
      ? { content: { 'application/json': { schema: toSchema(ok.schema, 'output') } } }
      : ok.contentType
        ? { content: { [ok.contentType]: { schema: { type: 'string', format: 'binary' } } } }
        : {}),
  };
  const appleBody = route.surface === 'apple' && route.method === 'PUT';
  const errors = new Set<number>([400, ...(route.errors ?? [])]);
  if (route.auth === 'viewer' || route.auth === 'admin' || route.auth === 'operator') {
    errors.add(401);
    errors.add(403);
  }
  if (route.path.includes('{id}')) errors.add(404);
  if (route.body || appleBody) errors.add(413);
  for (const status of [...errors].sort()) {
    responses[String(status)] = {
      description: ERROR_TEXT[status] ?? 'Error',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  const security =
    route.auth === 'viewer' || route.auth === 'admin' || route.auth === 'operator'
      ? [{ apiKey: [] }]
      : route.auth === 'android-device'
        ? [{ deviceToken: [] }]
        : [];
  return {
    operationId: route.op,
    summary: route.summary,
    tags: [route.surface],
    description: `Auth: ${route.auth}.`,
    security,
    ...(parameters(route).length ? { parameters: parameters(route) } : {}),
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(route.body, 'input') } } } }
      : {}),
    ...(appleBody
      ? {
          requestBody: {
            required: true,
            content: {
              'application/x-apple-aspen-mdm-checkin': { schema: { type: 'string' } },
              'application/x-apple-aspen-mdm': { schema: { type: 'string' } },
            },
          },
        }
      : {}),
    responses,
  };
}

let cached: Record<string, unknown> | undefined;

export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  const components = z.toJSONSchema(z.globalRegistry, {
    target: 'draft-2020-12',
    uri: (id: string) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
  }) as { schemas: Record<string, Record<string, unknown>> };
  for (const s of Object.values(components.schemas)) {
    delete s.$schema;
    delete s.$defs;
  }
  components.schemas = relink(components.schemas);
  components.schemas.Error ??= toSchema(errorSchema, 'output');
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Serverless MDM API',
      version: '1.0.0',
      description: 'Apple MDM, Android agent and admin REST API. See docs/api.md.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: components.schemas,
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key (admin or viewer role; operator for tenant creation)',
        },
        deviceToken: { type: 'http', scheme: 'bearer', description: 'The Android device token issued at enrollment' },
      },
    },
  };
  return cached;
}
