// Builds API Gateway HTTP API (payload 2.0) events, so tests drive the pipeline exactly as
// API Gateway does when deployed.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { fromApiGateway, toApiGateway } from '../../lambdas/http/apigw';
import type { HttpRequest, HttpResponse } from '../../lambdas/http/types';

export function apiEvent(
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer; query?: string } = {},
): APIGatewayProxyEventV2 {
  const binary = Buffer.isBuffer(opts.body);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: opts.query ?? '',
    headers: { host: 'mdm.example.com', ...opts.headers },
    requestContext: {
      accountId: '123',
      apiId: 'api',
      domainName: 'mdm.example.com',
      domainPrefix: 'mdm',
      requestId: `req-${Math.random()}`,
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0,
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
    },
    body:
      opts.body === undefined ? undefined : binary ? (opts.body as Buffer).toString('base64') : (opts.body as string),
    isBase64Encoded: binary,
  };
}

export interface ApiResult {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  json: () => unknown;
}

/** Sends an API Gateway event through a pipeline and decodes the API Gateway result. */
export async function callApi(
  handle: (req: HttpRequest) => Promise<HttpResponse>,
  event: APIGatewayProxyEventV2,
): Promise<ApiResult> {
  const result = toApiGateway(await handle(fromApiGateway(event)));
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  return {
    status: result.statusCode ?? 0,
    headers: (result.headers ?? {}) as Record<string, string>,
    body,
    json: () => JSON.parse(body.toString('utf8')),
  };
}
