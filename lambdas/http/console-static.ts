// The admin console's static files under /console/ (docs/console.md). Local mode serves them from
// the node:http server; deployed, CloudFront serves them from S3 with the same headers
// (lib/constructs/console-hosting.ts). Files are looked up by exact name in the built set, so no
// path can reach anything else (no directory traversal).
import type { HttpRequest, HttpResponse } from './types';

export const CONSOLE_PREFIX = '/console';

/** Strict: only the console's own files, no inline script or style, no third-party origin. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export const CONSOLE_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // A new build must reach the browser at once: files are small and revalidation is cheap.
  'cache-control': 'no-cache',
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

const text = (status: number, body: string, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { 'content-type': 'text/plain; charset=utf-8', ...CONSOLE_SECURITY_HEADERS, ...headers },
  body,
});

/** Whether a request path belongs to the console (and not to the API). */
export const isConsolePath = (path: string): boolean =>
  path === CONSOLE_PREFIX || path.startsWith(`${CONSOLE_PREFIX}/`);

/** Answers a console request from `files` (name → file); `/console/` is index.html. */
export function serveConsole(req: HttpRequest, files: ReadonlyMap<string, StaticFile>): HttpResponse {
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'method not allowed', { allow: 'GET, HEAD' });
  if (req.path === CONSOLE_PREFIX) return text(301, 'moved', { location: `${CONSOLE_PREFIX}/` });
  const name = req.path.slice(CONSOLE_PREFIX.length + 1) || 'index.html';
  const file = files.get(name);
  if (!file) return text(404, 'not found');
  return {
    status: 200,
    headers: { 'content-type': file.contentType, ...CONSOLE_SECURITY_HEADERS },
    body: file.body, // node:http sends no body for HEAD, but keeps the length
  };
}
