// Hash routing: #/devices?syncState=Synchronized. The hash never carries the API key.
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  path: string;
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?', 2);
  return { path: path || '/', params: new URLSearchParams(query) };
}

export function href(path: string, params: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export function navigate(path: string, params: Record<string, string | undefined> = {}): void {
  location.hash = href(path, params);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', on);
    // The hash may have changed between the first render and this effect (e.g. right after
    // sign-in): a hashchange in that gap reached no listener, so read it again now.
    on();
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
