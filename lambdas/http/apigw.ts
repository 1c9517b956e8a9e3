// API Gateway HTTP API (payload 2.0) <-> HttpRequest/HttpResponse.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { HttpRequest, HttpResponse } from './types';

export function fromApiGateway(event: APIGatewayProxyEventV2): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(event.rawQueryString ?? '')) query[k] ??= v;
  const body =
    event.body === undefined || event.body === null
      ? Buffer.alloc(0)
      : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    headers,
    query,
    body,
    sourceIp: event.requestContext.http.sourceIp,
    requestId: event.requestContext.requestId,
  };
}

const TEXT_TYPES = /^(application\/(json|xml)|text\/)/;

export function toApiGateway(res: HttpResponse): APIGatewayProxyStructuredResultV2 {
  const headers = res.headers ?? {};
  if (res.body === undefined) return { statusCode: res.status, headers, body: '' };
  if (typeof res.body === 'string' && TEXT_TYPES.test(headers['content-type'] ?? '')) {
    return { statusCode: res.status, headers, body: res.body };
  }
  // Plists, profiles and other exact bytes travel base64-encoded through API Gateway.
  return { statusCode: res.status, headers, body: Buffer.from(res.body).toString('base64'), isBase64Encoded: true };
}
