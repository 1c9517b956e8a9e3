// The ports of the events a server reports (docs/api.md §Events): the event bus, the webhooks and
// their delivery log, the delivery queue and the HTTP client that delivers.
import type { MdmEvent } from '../domain/events';
import type { Page } from '../domain/types';

/** Puts events on the deployment's bus: EventBridge when deployed, an in-memory list locally. */
export interface EventPublisher {
  publish(events: MdmEvent[]): Promise<void>;
}

export interface Webhook {
  tenantId: string;
  id: string;
  url: string;
  /** Event types it receives; empty: all of them. */
  events: string[];
  description?: string;
  createdAt: string;
  updatedAt: string;
  /** The first failed attempt since the last delivered one (cleared by a delivery). */
  failingSince?: string;
  /** Set when deliveries failed for a day: nothing is sent until a PUT resumes it. */
  pausedAt?: string;
  pausedReason?: string;
}

/** One attempt to deliver one event to one webhook. */
export interface DeliveryAttempt {
  webhookId: string;
  eventId: string;
  eventType: string;
  attempt: number;
  at: string;
  outcome: 'delivered' | 'retrying' | 'failed';
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  /** Why there was no 2xx: a timeout, a refused connection, a refused address, an HTTP status. */
  error?: string;
  nextAttemptAt?: string;
}

export interface WebhookStore {
  create(webhook: Webhook): Promise<void>;
  get(tenantId: string, id: string): Promise<Webhook | undefined>;
  /** Every webhook of the tenant (a tenant has few: MAX_WEBHOOKS_PER_TENANT). */
  list(tenantId: string): Promise<Webhook[]>;
  /** Sets and removes fields of an existing webhook; undefined when it does not exist. */
  update(
    tenantId: string,
    id: string,
    set: Partial<Omit<Webhook, 'tenantId' | 'id'>>,
    remove?: Array<'failingSince' | 'pausedAt' | 'pausedReason' | 'description'>,
  ): Promise<Webhook | undefined>;
  /** Records a failed attempt: sets `failingSince` unless already set; returns the webhook. */
  noteFailure(tenantId: string, id: string, at: string): Promise<Webhook | undefined>;
  delete(tenantId: string, id: string): Promise<boolean>;
  recordAttempt(tenantId: string, attempt: DeliveryAttempt): Promise<void>;
  /** Newest first; never returns expired attempts. */
  attempts(tenantId: string, webhookId: string, cursor?: string, limit?: number): Promise<Page<DeliveryAttempt>>;
}

/** A pending delivery: durable from the change that produced the event until it is delivered or failed. */
export interface WebhookDelivery {
  tenantId: string;
  webhookId: string;
  event: MdmEvent;
  /** The attempt this message is for (1 = first). */
  attempt: number;
}

/** Carries pending deliveries to the delivery worker: SQS when deployed, in-process locally. */
export interface WebhookQueue {
  send(deliveries: WebhookDelivery[], delaySeconds?: number): Promise<void>;
}

export type PostResult = { status: number } | { error: string };

/** Sends one webhook request; checks the address it connects to (no private address, no redirect). */
export interface WebhookTransport {
  /** Undefined when the URL may be used; else why not (e.g. "resolves to a private address"). */
  check(url: string): Promise<string | undefined>;
  post(url: string, headers: Record<string, string>, body: string): Promise<PostResult>;
}
