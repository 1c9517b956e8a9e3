// The admin API client: the same routes as docs/api.md, same origin (no CORS). The key lives in
// sessionStorage only (gone with the tab; never localStorage, never a URL) and travels as a bearer.
const KEY_STORAGE = 'mdm.session';

export type Role = 'admin' | 'viewer';
export interface Session {
  key: string;
  role: Role;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function loadSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(KEY_STORAGE);
    return raw ? (JSON.parse(raw) as Session) : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(KEY_STORAGE, JSON.stringify(session));
  else sessionStorage.removeItem(KEY_STORAGE);
}

let onUnauthorized: () => void = () => undefined;
/** Called when the API answers 401 to a signed-in session (a revoked key): back to sign-in. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

type Query = Record<string, string | number | undefined>;

export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function call(method: string, path: string, body: unknown, key: string | undefined): Promise<Response> {
  const k = key ?? loadSession()?.key;
  const res = await fetch(`/admin/v1${path}`, {
    method,
    headers: {
      ...(k ? { authorization: `Bearer ${k}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) {
    let code = 'error';
    let message = `HTTP ${res.status}`;
    try {
      const e = (await res.json()) as { error?: { code?: string; message?: string } };
      code = e.error?.code ?? code;
      message = e.error?.message ?? message;
    } catch {
      /* not JSON: keep the status */
    }
    if (res.status === 401 && !key) onUnauthorized();
    throw new ApiError(res.status, code, message);
  }
  return res;
}

/** Calls the admin API; throws ApiError with the API's own message on a non-2xx answer. */
export async function api<T>(method: string, path: string, body?: unknown, key?: string): Promise<T> {
  const res = await call(method, path, body, key);
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T>(path: string, query?: Query) => api<T>('GET', `${path}${queryString(query)}`);

/** A CSV export part and the cursor of the next part (X-Next-Cursor). */
export async function getCsv(path: string, query: Query): Promise<{ csv: string; nextCursor?: string }> {
  const res = await call('GET', `${path}${queryString(query)}`, undefined, undefined);
  return { csv: await res.text(), nextCursor: res.headers.get('x-next-cursor') ?? undefined };
}

/** Signs in: GET /admin/v1/me says whose key it is (401 for a bad key, 403 for an operator key). */
export async function signIn(key: string): Promise<Session> {
  const me = await api<{ role: Role }>('GET', '/me', undefined, key);
  return { key, role: me.role };
}

// Shapes of docs/api.md (GET /admin/v1/openapi.json has the full contract).
export interface Page<T> {
  items: T[];
  cursor?: string;
}
export interface Dashboard {
  syncStates: Record<string, number>;
  registrationStates: Record<string, number>;
  alarms: Record<'critical' | 'major' | 'minor' | 'warning', number>;
  adminLocked: { ios: number; android: number };
  prohibitedApps: { ios: number; android: number; macos: number };
  pendingCommands: Record<'ClearPasscode' | 'Wipe' | 'SelectiveWipe' | 'Lock', number>;
  activeAlarms: Array<{ key: string; severity: string; message: string; deviceId?: string; raisedAt: string }>;
}
export interface Device {
  id: string;
  platform: 'ios' | 'macos' | 'android';
  name?: string;
  model?: string;
  osVersion?: string;
  serialNumber?: string;
  templateId?: string;
  syncState: string;
  registrationState: string;
  withdrawalReason?: string;
  lastPushAt?: string;
  lastSeenAt?: string;
  lastUnlockedSeenAt?: string;
  lastSyncedAt?: string;
  checkedInAt?: string;
  checkInAddress?: string;
  userAgent?: string;
  accessRights?: string;
  identityCertNotAfter?: string;
  adminLocked: boolean;
  prohibitedApps: string[];
  pendingCommands: Record<string, number>;
  pushTokenDead?: boolean;
}
/** GET /admin/v1/devices/{id}/inventory: a list absent is one the server has not read yet. */
export interface Inventory {
  deviceId: string;
  readAt?: string;
  apps?: Array<{ identifier: string; version?: string; managed?: boolean }>;
  profiles?: Array<{ identifier: string; uuid?: string; managed?: boolean }>;
  books?: Array<{ identifier: string; version?: string }>;
}
export type TemplateItem =
  | { kind: 'profile'; identifier: string; name?: string; payload?: string; policy?: Record<string, unknown> }
  | { kind: 'app'; identifier: string; version?: string; source?: string }
  | { kind: 'book'; identifier: string; url?: string };
export interface TemplateInput {
  name: string;
  items: TemplateItem[];
  prohibitedApps: string[];
}
export interface Template extends TemplateInput {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}
export interface LogItem {
  id: string;
  type: string;
  severity: string;
  at: string;
  deviceId?: string;
  event: string;
  message: string;
  data?: Record<string, unknown>;
}
export interface Command {
  id: string;
  type: string;
  adminType?: string;
  status: string;
  createdAt: string;
  updatedAt?: string;
  error?: Array<{ code: number | string; domain: string; message: string }>;
}
export interface DeviceCommands {
  queue: Command[];
  history: LogItem[];
  cursor?: string;
}
/** The diagnosis is the domain's own shape, served as is. */
export type { Diagnosis } from '../../lambdas/domain/diagnosis';
export interface Timeline {
  deviceId: string;
  entries: Array<{ at: string; kind: string; message: string }>;
}
export interface BulkOperation {
  id: string;
  type: string;
  status: 'running' | 'done';
  target: string;
  targeted: number;
  queued: number;
  refused: number;
  refusals: Array<{ deviceId: string; code: string; message: string }>;
  createdAt: string;
  finishedAt?: string;
}
export interface ApiKey {
  id: string;
  name: string;
  role: string;
  createdAt: string;
  lastUsedAt?: string;
}
export interface Enrollment {
  token: string;
  url: string;
  expiresAt: string;
  qrPayload?: string;
}
