// Tenants and their API keys.

import { notFound } from '../domain/errors';
import type { ApiKey, AppleIdentityMethod, Role, Tenant } from '../domain/types';
import { randomId, secretToken, sha256Hex } from '../ids';
import type * as Ca from '../protocol/apple/ca';
import { logEvent } from './audit';
import type { App } from './container';
import { CA_KEY_SECRET } from './secret-names';

export async function createTenant(
  app: App,
  input: { id: string; name: string; appleIdentity?: AppleIdentityMethod; deviceCertificateDays?: number },
): Promise<{ tenant: Tenant; adminKey: string }> {
  const now = app.clock.now();
  // node-forge: loaded only to create a tenant
  const { createTenantCa } = require('../protocol/apple/ca') as typeof Ca;
  const ca = await createTenantCa(input.id, now);
  const tenant: Tenant = {
    id: input.id,
    name: input.name,
    createdAt: now.toISOString(),
    caCertificatePem: ca.certPem,
    requireSignature: app.config.requireSignature,
    appleIdentity: input.appleIdentity ?? 'scep',
    ...(input.deviceCertificateDays ? { deviceCertificateDays: input.deviceCertificateDays } : {}),
  };
  await app.stores.tenants.create(tenant); // 409 when the id is taken: nothing else written yet
  await app.stores.secrets.put(input.id, CA_KEY_SECRET, ca.keyPem);
  await app.stores.counters.reset(input.id, {});
  const { key } = await createApiKey(app, input.id, { name: 'first admin key', role: 'admin' });
  await logEvent(app, input.id, 'tenant-created', `tenant ${input.id} created`);
  return { tenant, adminKey: key };
}

export async function requireTenant(app: App, tenantId: string): Promise<Tenant> {
  const tenant = await app.stores.tenants.get(tenantId);
  if (!tenant) throw notFound('tenant');
  return tenant;
}

export async function createApiKey(
  app: App,
  tenantId: string | undefined,
  input: { name: string; role: Role },
): Promise<{ apiKey: ApiKey; key: string }> {
  const key = secretToken(input.role === 'operator' ? 'mdmop' : 'mdm');
  const apiKey: ApiKey = {
    id: randomId('key'),
    tenantId,
    name: input.name,
    role: input.role,
    hash: sha256Hex(key),
    createdAt: app.clock.now().toISOString(),
  };
  await app.stores.apiKeys.put(apiKey);
  if (tenantId)
    await logEvent(app, tenantId, 'api-key-created', `API key ${apiKey.id} (${input.role}) created`, {
      data: { keyId: apiKey.id },
    });
  return { apiKey, key };
}

export const publicApiKey = ({ hash: _hash, tenantId: _t, ...rest }: ApiKey) => rest;

export async function deleteApiKey(app: App, tenantId: string, id: string): Promise<void> {
  if (!(await app.stores.apiKeys.delete(tenantId, id))) throw notFound('API key');
  await logEvent(app, tenantId, 'api-key-deleted', `API key ${id} revoked`, { data: { keyId: id } });
}

/** What an admin (its own tenant) or the operator (any tenant) reads of a tenant: no keys, no CA. */
export interface TenantView {
  id: string;
  name: string;
  createdAt: string;
  /** The cap in force: the tenant's own, else the deployment's PUSH_CAP_PER_MINUTE. */
  pushCapPerMinute: number;
  /** True when the operator gave this tenant its own cap. */
  pushCapIsCustom: boolean;
  requireSignature: boolean;
  notRespondingAfterDays: number;
  /** Enrolled devices that are not withdrawn (the dashboard counters: no fleet scan). */
  devices: number;
}

async function tenantView(app: App, tenant: Tenant): Promise<TenantView> {
  const counters = await app.stores.counters.read(tenant.id);
  const devices = Object.entries(counters)
    .filter(([k]) => k.startsWith('reg:') && k !== 'reg:Withdrawn')
    .reduce((sum, [, n]) => sum + Math.max(0, n), 0);
  return {
    id: tenant.id,
    name: tenant.name,
    createdAt: tenant.createdAt,
    pushCapPerMinute: tenant.pushCapPerMinute ?? app.config.pushCapPerMinute,
    pushCapIsCustom: tenant.pushCapPerMinute !== undefined,
    requireSignature: tenant.requireSignature ?? app.config.requireSignature,
    notRespondingAfterDays: app.config.notRespondingAfterDays,
    devices,
  };
}

export async function readTenant(app: App, tenantId: string): Promise<TenantView> {
  return tenantView(app, await requireTenant(app, tenantId));
}

export async function listTenants(
  app: App,
  cursor?: string,
  limit?: number,
): Promise<{ items: TenantView[]; cursor?: string }> {
  const page = await app.stores.tenants.list(cursor, limit ?? 100);
  return { items: await Promise.all(page.items.map((t) => tenantView(app, t))), cursor: page.cursor };
}

/**
 * Changes a tenant's settings. `pushCapPerMinute: null` returns the tenant to the deployment's
 * cap; the push worker reads the cap per batch, so a change applies from the next batch on.
 */
export async function updateTenant(
  app: App,
  tenantId: string,
  input: { name?: string; pushCapPerMinute?: number | null },
): Promise<TenantView> {
  const patch: Partial<Omit<Tenant, 'id' | 'createdAt'>> = {};
  if (input.name !== undefined) patch.name = input.name;
  if (input.pushCapPerMinute !== undefined) patch.pushCapPerMinute = input.pushCapPerMinute ?? undefined;
  const tenant = await app.stores.tenants.update(tenantId, patch);
  const changed = Object.keys(input).join(', ');
  if (changed) await logEvent(app, tenantId, 'tenant-updated', `tenant settings changed: ${changed}`, { data: input });
  return tenantView(app, tenant);
}
