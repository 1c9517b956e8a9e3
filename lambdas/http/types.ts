// The HTTP shapes every surface works with, whether the request came from API Gateway or the
// local node:http server, and what a route of the route table (lambdas/api/routes.ts) declares.

import type { Auth, Principal } from '../service/auth';
import type * as z from '../zod';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
/** One Lambda function (and one bundle) per surface. */
export type Surface = 'apple' | 'android' | 'admin';

/** What the api layer hands the pipeline: its routes and the check of their path parameters. */
export interface RouteTable {
  routes: readonly RouteDef[];
  /** Throws a 400 DomainError naming the first path parameter that is not valid. */
  checkPathParams(params: Record<string, string>): void;
}

export interface RouteDef {
  op: string;
  method: Method;
  path: string;
  surface: Surface;
  auth: Auth;
  summary: string;
  body?: z.ZodMiniType;
  query?: z.ZodMiniType;
  /** Success status and schema (undefined schema: no JSON body, e.g. a plist or CSV). */
  success: { status: number; schema?: z.ZodMiniType; contentType?: string; description?: string };
  /** Error statuses this route documents besides the common ones. */
  errors?: number[];
}

export interface HttpRequest {
  method: string;
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  query: Record<string, string>;
  /** The exact raw body bytes (Mdm-Signature is verified over them). */
  body: Buffer;
  sourceIp?: string;
  requestId: string;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  /** Buffer for binary or exact bytes (plists, the zero-length command response), string for text. */
  body?: Buffer | string;
}

/** What an operation receives: validated input and who is calling. */
export interface OperationInput<Body = unknown, Query = Record<string, string>> {
  req: HttpRequest;
  route: RouteDef;
  params: Record<string, string>;
  body: Body;
  query: Query;
  principal: Principal;
}

export const json = (status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(value),
});

export const noContent = (): HttpResponse => ({ status: 204 });
