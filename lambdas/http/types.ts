// The HTTP shapes every surface works with, whether the request came from API Gateway or the
// local node:http server.
import type { RouteDef } from '../api/routes';

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

export type Principal =
  | { kind: 'key'; tenantId: string; role: 'admin' | 'viewer'; keyId: string }
  | { kind: 'operator' }
  | { kind: 'android-device'; tenantId: string; deviceId: string }
  | { kind: 'none' };

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
