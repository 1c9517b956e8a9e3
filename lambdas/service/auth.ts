// Who is calling: an admin's or viewer's API key (looked up by hash), the operator key, or an
// Android agent's device token. The pipeline asks once per request, with the route's rule; an
// Apple device proves who it is by its Mdm-Signature inside its operation, never here.
import { timingSafeEqual } from 'node:crypto';
import { DomainError } from '../domain/errors';
import { isTenantId } from '../domain/identifiers';
import { sha256Hex } from '../ids';
import { logger } from '../logger';
import type { App } from './container';

/**
 * Who may call: `apple-device` (Mdm-Signature, checked by the operation; never 401),
 * `android-device` (bearer device token), `viewer` (any tenant key; GET), `admin` (admin key),
 * `operator` (operator key), `public` (no key: enrollment profile download, OpenAPI document).
 */
export type Auth = 'apple-device' | 'android-device' | 'viewer' | 'admin' | 'operator' | 'public';

export type Principal =
  | { kind: 'key'; tenantId: string; role: 'admin' | 'viewer'; keyId: string }
  | { kind: 'operator' }
  | { kind: 'android-device'; tenantId: string; deviceId: string }
  | { kind: 'none' };

/** The caller a route's rule admits, from its bearer token; 401/403 (DomainError) otherwise. */
export async function authenticateCaller(
  app: App,
  auth: Auth,
  token: string | undefined,
  tenantParam: string | undefined,
): Promise<Principal> {
  if (auth === 'public' || auth === 'apple-device') return { kind: 'none' };
  if (auth === 'android-device') {
    // Checked before the body: an agent with a bad token learns that first, and re-enrolls.
    const hash = sha256Hex(token ?? '');
    const device =
      token && isTenantId(tenantParam) ? await app.stores.devices.findByLink(tenantParam, 'token', hash) : undefined;
    if (!device || device.registrationState === 'Withdrawn' || device.deviceTokenHash !== hash) {
      throw new DomainError('unauthorized', token ? 'device token not valid; enroll again' : 'missing device token');
    }
    return { kind: 'android-device', tenantId: device.tenantId, deviceId: device.id };
  }
  if (!token) throw new DomainError('unauthorized', 'missing API key: send Authorization: Bearer <key>');
  const hash = sha256Hex(token);
  const key = await app.stores.apiKeys.getByHash(hash);
  const operatorHash = app.config.operatorKeyHash;
  const isOperator =
    key?.role === 'operator' ||
    (!key && !!operatorHash && timingSafeEqual(Buffer.from(hash), Buffer.from(operatorHash)));
  if (!key && !isOperator) throw new DomainError('unauthorized', 'API key not valid');
  if (auth === 'operator') {
    if (!isOperator) throw new DomainError('forbidden', 'only an operator key may do this');
    return { kind: 'operator' };
  }
  if (isOperator || !key?.tenantId) throw new DomainError('forbidden', 'an operator key may only create tenants');
  if (auth === 'admin' && key.role !== 'admin') throw new DomainError('forbidden', 'this key is read-only (viewer)');
  // Last use is informative; refresh it at most once a minute to keep reads cheap.
  const now = app.clock.now();
  if (!key.lastUsedAt || now.getTime() - Date.parse(key.lastUsedAt) > 60_000) {
    void app.stores.apiKeys
      .touch(hash, now.toISOString())
      .catch((err: unknown) =>
        logger.warn({ msg: 'API key last-use update failed', keyId: key.id, error: String(err) }),
      );
  }
  return { kind: 'key', tenantId: key.tenantId, role: key.role as 'admin' | 'viewer', keyId: key.id };
}

/** Who a tenant key is (GET /admin/v1/me): never the key itself. */
export function callerView(principal: Principal): { tenantId: string; role: 'admin' | 'viewer'; keyId: string } {
  if (principal.kind !== 'key') throw new DomainError('bad-request', 'this route needs a tenant API key');
  return { tenantId: principal.tenantId, role: principal.role, keyId: principal.keyId };
}
