// The URL devices and admins reach this server at. Shared by the admin surface (enrollment links)
// and the Apple surface (the profile's ServerURL), so neither imports the other.
import type { App } from '../service/container';
import type { HttpRequest } from './types';

/** Where devices and admins reach this server: the configured domain, else the request's host. */
export function baseUrl(app: App, req: HttpRequest): string {
  if (app.config.publicBaseUrl) return app.config.publicBaseUrl.replace(/\/$/, '');
  const host = req.headers['x-forwarded-host'] ?? req.headers.host ?? 'localhost';
  const proto = req.headers['x-forwarded-proto'] ?? (/^(localhost|127\.|\[::1\])/.test(host) ? 'http' : 'https');
  return `${proto}://${host}`;
}
