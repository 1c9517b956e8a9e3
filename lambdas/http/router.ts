// Matches a request against the route table: 404 for an unknown path, 405 for a known path with
// another method.
import { DomainError } from '../domain/errors';
import type { RouteDef, Surface } from './types';

interface CompiledRoute {
  route: RouteDef;
  pattern: RegExp;
  names: string[];
}

export interface RouteMatch {
  route: RouteDef;
  params: Record<string, string>;
}

export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(routes: readonly RouteDef[]) {
    this.compiled = routes.map((route) => {
      const names: string[] = [];
      const source = route.path
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/\\?\{(\w+)\\?\}|\{(\w+)\}/g, (_m, a: string, b: string) => {
          names.push(a ?? b);
          return '([^/]+)';
        });
      return { route, pattern: new RegExp(`^${source}/?$`), names };
    });
  }

  static forSurfaces(routes: readonly RouteDef[], surfaces: readonly Surface[]): Router {
    return new Router(routes.filter((r) => surfaces.includes(r.surface)));
  }

  match(method: string, path: string): RouteMatch {
    let pathKnown = false;
    for (const c of this.compiled) {
      const m = c.pattern.exec(path);
      if (!m) continue;
      pathKnown = true;
      if (c.route.method !== method.toUpperCase()) continue;
      const params: Record<string, string> = {};
      c.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(m[i + 1]);
        } catch {
          throw new DomainError('bad-request', `path parameter ${name} is not valid`);
        }
      });
      return { route: c.route, params };
    }
    if (pathKnown) throw new DomainError('method-not-allowed', `${method} is not allowed on ${path}`);
    throw new DomainError('not-found', `no route for ${method} ${path}`);
  }

  /** Methods served on a path (for the Allow header of a 405). */
  allowed(path: string): string[] {
    return this.compiled.filter((c) => c.pattern.test(path)).map((c) => c.route.method);
  }
}
