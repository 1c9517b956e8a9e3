// node:http front for local mode: the same pipeline API Gateway feeds when deployed.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { logger } from '../logger';
import { MAX_BODY_BYTES } from './pipeline';
import type { HttpRequest, HttpResponse } from './types';

export type RequestHandler = (req: HttpRequest) => Promise<HttpResponse>;

/**
 * The body, cut to its first MAX_BODY_BYTES + 1 bytes when longer (the pipeline answers those 413).
 * The rest of a long body is read and dropped rather than left unread: a client still sending when
 * the socket closes gets a reset instead of the 413.
 */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of req) {
    const room = MAX_BODY_BYTES + 1 - kept;
    if (room <= 0) continue;
    const part = (chunk as Buffer).subarray(0, room);
    chunks.push(part);
    kept += part.length;
  }
  return Buffer.concat(chunks);
}

async function serve(handler: RequestHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] ??= v;
  const sourceIp = req.socket?.remoteAddress?.replace(/^::ffff:/, '');
  const body = await readBody(req);
  const tooLarge = body.length > MAX_BODY_BYTES;
  const response = await handler({
    method: req.method ?? 'GET',
    path: url.pathname,
    headers,
    query,
    body,
    sourceIp,
    requestId: randomUUID(),
  });
  const payload = response.body === undefined ? undefined : Buffer.from(response.body);
  res.writeHead(response.status, {
    ...response.headers,
    'content-length': String(payload?.length ?? 0),
    ...(tooLarge ? { connection: 'close' } : {}),
  });
  res.end(payload);
}

export function createNodeServer(handler: RequestHandler): Server {
  return createServer((req, res) => {
    serve(handler, req, res).catch((err: unknown) => {
      // The pipeline maps every error; reaching this means reading the request or writing the answer failed.
      logger.error({
        msg: 'local server: request failed',
        method: req.method,
        error: String((err as Error)?.stack ?? err),
      });
      if (res.destroyed) return;
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal', message: 'internal error' } }));
    });
  });
}
