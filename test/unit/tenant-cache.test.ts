// The per-container tenant cache of device requests (service/container.ts): one read per TTL, a
// write through this container drops the tenant at once, and a read racing a write is not kept.
import type { Tenant } from '../../lambdas/domain/types';
import type { Stores } from '../../lambdas/ports';
import { TENANT_CACHE_MS, TENANT_CACHE_SIZE, TenantCache, withTenantCache } from '../../lambdas/service/container';

function fakeTenants() {
  const rows = new Map<string, Tenant>();
  const reads: string[] = [];
  const store = {
    get: async (id: string) => {
      reads.push(id);
      const row = rows.get(id);
      return row && { ...row };
    },
    create: async (t: Tenant) => {
      rows.set(t.id, t);
    },
    update: async (id: string, patch: Partial<Tenant>) => {
      const next = { ...(rows.get(id) as Tenant), ...patch };
      rows.set(id, next);
      return next;
    },
    list: async () => ({ items: [...rows.values()] }),
  };
  return { rows, reads, store };
}

const tenant = (id: string, name = id): Tenant => ({ id, name, createdAt: '2026-01-01T00:00:00Z' }) as Tenant;

describe('TenantCache', () => {
  it('reads a tenant once per TTL', async () => {
    const { rows, reads, store } = fakeTenants();
    rows.set('acme', tenant('acme'));
    let now = 0;
    const cache = new TenantCache(store, () => now);
    await cache.get('acme');
    now = TENANT_CACHE_MS - 1;
    expect((await cache.get('acme'))?.name).toBe('acme');
    expect(reads).toEqual(['acme']);
    now = TENANT_CACHE_MS + 1;
    await cache.get('acme');
    expect(reads).toEqual(['acme', 'acme']);
  });

  it('does not keep an unknown tenant (it may be created next)', async () => {
    const { rows, store } = fakeTenants();
    const cache = new TenantCache(store);
    expect(await cache.get('later')).toBeUndefined();
    rows.set('later', tenant('later'));
    expect((await cache.get('later'))?.id).toBe('later');
  });

  it('a tenant written through the wrapped stores is read again at once', async () => {
    const { rows, reads, store } = fakeTenants();
    rows.set('acme', tenant('acme'));
    const { stores, tenantCache } = withTenantCache({ tenants: store } as unknown as Stores);
    await tenantCache.get('acme');
    await stores.tenants.update('acme', { name: 'Acme Corp' });
    expect((await tenantCache.get('acme'))?.name).toBe('Acme Corp');
    expect(reads).toEqual(['acme', 'acme']);
  });

  it('does not keep a read that a write overtook', async () => {
    const { rows, store } = fakeTenants();
    rows.set('acme', tenant('acme', 'old'));
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = { get: async (id: string) => store.get(id).then(async (t) => (await gate, t)) };
    const cache = new TenantCache(slow);
    const inFlight = cache.get('acme');
    rows.set('acme', tenant('acme', 'new'));
    cache.forget('acme');
    release();
    expect((await inFlight)?.name).toBe('old');
    expect((await cache.get('acme'))?.name).toBe('new');
  });

  it('keeps at most TENANT_CACHE_SIZE tenants, dropping the least recently read', async () => {
    const { rows, reads, store } = fakeTenants();
    for (let i = 0; i <= TENANT_CACHE_SIZE; i++) rows.set(`t${i}`, tenant(`t${i}`));
    const cache = new TenantCache(store, () => 0);
    for (let i = 0; i < TENANT_CACHE_SIZE; i++) await cache.get(`t${i}`);
    await cache.get('t0'); // read again: now the most recent
    await cache.get(`t${TENANT_CACHE_SIZE}`); // one too many: t1 goes
    reads.length = 0;
    await cache.get('t0');
    await cache.get('t1');
    expect(reads).toEqual(['t1']);
  });
});
