// Everything a service needs (the dependency container), built once per process by lambdas/wiring/{aws,local}.ts.

import { LruMap } from '../domain/lru-map';
import type { Tenant } from '../domain/types';
import type {
  BulkQueue,
  Clock,
  EventPublisher,
  PushQueue,
  PushSender,
  SecretBox,
  Stores,
  TenantStore,
  WebhookQueue,
  WebhookTransport,
} from '../ports';

export interface AppConfig {
  /** Base URL devices and admins reach (custom domain when deployed); falls back to the request host. */
  publicBaseUrl?: string;
  /**
   * Local mode: the URL the server listens at, for work no request carries a host for (the renewal
   * profiles of the daily certificate check) when publicBaseUrl is unset.
   */
  listenUrl?: string;
  pushCapPerMinute: number;
  notRespondingAfterDays: number;
  /** Verify Mdm-Signature on Apple device requests (default true). */
  requireSignature: boolean;
  /** sha256 of the operator key when it lives outside the key store (Secrets Manager when deployed). */
  operatorKeyHash?: string;
  /** How many times a command handed out but never reported is re-sent before it becomes Error `no-result`. */
  maxCommandAttempts: number;
  /**
   * Tests only: re-deliver pushes deferred past the per-minute cap after this many seconds instead
   * of at the start of the next minute (a test with a fake clock must not wait real minutes).
   */
  pushDeferDelaySeconds?: number;
  /**
   * Webhooks may reach loopback addresses over http or https (local mode, so a receiver on the
   * same machine works); deployed, only https to public addresses.
   */
  allowLoopbackHttp: boolean;
  /** Tests only: retry a failed webhook delivery after this many seconds instead of the backoff. */
  webhookRetryDelaySeconds?: number;
}

export interface App {
  stores: Stores;
  /** Tenants as device requests read them: cached in this container (see TenantCache). */
  tenantCache: TenantCache;
  /** Seals short-lived secrets (command PINs) outside the secret store. */
  box: SecretBox;
  clock: Clock;
  config: AppConfig;
  pushQueue: PushQueue;
  /** Bulk command fan-out steps (lambdas/service/bulk-commands.ts). */
  bulkQueue: BulkQueue;
  push: { apns: PushSender; fcm: PushSender };
  /** The deployment's event bus (lambdas/service/events.ts). */
  events: EventPublisher;
  /** Pending webhook deliveries (lambdas/service/webhooks.ts). */
  webhookQueue: WebhookQueue;
  webhookTransport: WebhookTransport;
}

export const DEFAULT_CONFIG: AppConfig = {
  pushCapPerMinute: 10_000,
  notRespondingAfterDays: 7,
  requireSignature: true,
  maxCommandAttempts: 3,
  allowLoopbackHttp: false,
};

/** How long a tenant read by a device request is reused in this container. */
export const TENANT_CACHE_MS = 60_000;
/** How many tenants a container keeps (the least recently read are dropped first). */
export const TENANT_CACHE_SIZE = 1_000;

/**
 * Tenants cached per container for device requests (docs/architecture.md §The device session),
 * so a device's connect normally reads no tenant item. A tenant written through this container
 * (a push credential, signing certificate or setting changed: see withTenantCache) is dropped at
 * once; one written by another container is re-read after TENANT_CACHE_MS at most.
 */
export class TenantCache {
  private readonly entries = new LruMap<string, { tenant: Tenant; readAt: number }>(TENANT_CACHE_SIZE);
  /** Moves on every write, so a read that started before it is not kept. */
  private generation = 0;

  constructor(
    private readonly store: Pick<TenantStore, 'get'>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async get(id: string): Promise<Tenant | undefined> {
    const entry = this.entries.get(id);
    if (entry && this.now() - entry.readAt < TENANT_CACHE_MS) return entry.tenant;
    return this.reload(id);
  }

  /** Reads the tenant again (a request refused on the cached one checks it is still so). */
  async reload(id: string): Promise<Tenant | undefined> {
    const generation = this.generation;
    const readAt = this.now();
    const tenant = await this.store.get(id);
    this.entries.delete(id);
    if (tenant && generation === this.generation) this.entries.set(id, { tenant, readAt });
    return tenant;
  }

  forget(id: string): void {
    this.generation++;
    this.entries.delete(id);
  }
}

/** The stores with tenant writes that drop the written tenant from the returned cache. */
export function withTenantCache(stores: Stores): { stores: Stores; tenantCache: TenantCache } {
  const raw = stores.tenants;
  const tenantCache = new TenantCache(raw);
  const tenants: TenantStore = {
    get: (id) => raw.get(id),
    list: (cursor, limit) => raw.list(cursor, limit),
    create: async (tenant) => {
      tenantCache.forget(tenant.id);
      await raw.create(tenant);
    },
    update: async (id, patch) => {
      try {
        return await raw.update(id, patch);
      } finally {
        tenantCache.forget(id);
      }
    },
  };
  return { stores: { ...stores, tenants }, tenantCache };
}
