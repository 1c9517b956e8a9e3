// Everything a service needs (the dependency container), built once per process by lambdas/wiring/{aws,local}.ts.
import type {
  BulkQueue,
  Clock,
  EventPublisher,
  PushQueue,
  PushSender,
  SecretBox,
  Stores,
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
