// node:http front for local mode: the same pipeline API Gateway feeds when deployed.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { MAX_BODY_BYTES } from './pipeline';
import type { HttpRequest, HttpResponse } from './types';

export type RequestHandler = (req: HttpRequest) => Promise<HttpResponse>;

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Stop buffering past the limit; the pipeline answers 413 without holding the rest in memory.
    if (size > MAX_BODY_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function serve(handler: RequestHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] ??= v;
  const body = await readBody(req);
  const tooLarge = body === 'too-large';
  const response = await handler({
    method: req.method ?? 'GET',
    path: url.pathname,
    headers,
    query,
    body: tooLarge ? Buffer.alloc(MAX_BODY_BYTES + 1) : body,
    sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, ''),
    requestId: randomUUID(),
  });
  const payload = response.body === undefined ? undefined : Buffer.from(response.body);
  res.writeHead(response.status, { ...response.headers, 'content-length': String(payload?.length ?? 0), ...(tooLarge ? { connection: 'close' } : {}) });
  res.end(payload);
}

export function createNodeServer(handler: RequestHandler): Server {
  return createServer((req, res) => {
    serve(handler, req, res).catch((err) => {
      // The pipeline maps every error; reaching this means the connection itself failed.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal', message: 'internal error' } }));
      void err;
    });
  });
}
