// Webhooks (docs/api.md §Webhooks): a tenant's HTTPS receivers of its events, each with a signing
// secret shown once, and the delivery of one event to one webhook: signed POST, retried with
// backoff for a day, recorded attempt by attempt, then failed (warning alarm) and, after a day of
// failures, the webhook paused.
import { createHmac } from 'node:crypto';
import { conflict, notFound, unprocessable } from '../domain/errors';
import { DELIVERY_RETRY_WINDOW_MS, type MdmEvent, PAUSE_AFTER_FAILING_MS, retryDelaySeconds } from '../domain/events';
import type { Page } from '../domain/types';
import { randomId, secretToken } from '../ids';
import type { DeliveryAttempt, Webhook, WebhookDelivery } from '../ports';
import { clearAlarm, logEvent, raiseAlarm } from './audit';
import type { App } from './container';
import { eventId } from './events';
import { WEBHOOK_SECRET } from './secret-names';

/** A tenant's webhooks are read for every event it reports: a short list keeps that one small Query. */
export const MAX_WEBHOOKS_PER_TENANT = 20;

export interface WebhookInput {
  url: string;
  events?: string[];
  description?: string;
  /** PUT only: true pauses the webhook; false or absent resumes it. */
  paused?: boolean;
}

const alarmKey = (webhookId: string) => `webhook-failed#${webhookId}`;

/** A webhook as admins see it: never its secret. */
export function webhookView(h: Webhook) {
  return {
    id: h.id,
    url: h.url,
    events: h.events,
    description: h.description,
    status: h.pausedAt ? ('paused' as const) : ('active' as const),
    pausedAt: h.pausedAt,
    pausedReason: h.pausedReason,
    failingSince: h.failingSince,
    createdAt: h.createdAt,
    updatedAt: h.updatedAt,
  };
}

/** The URL is checked here (422) where DNS can answer; the event types by the request schema (400). */
async function checkInput(app: App, input: WebhookInput): Promise<void> {
  const refused = await app.webhookTransport.check(input.url);
  if (refused) throw unprocessable(`webhook URL refused: ${refused}`, { field: 'url' });
}

export async function createWebhook(
  app: App,
  tenantId: string,
  input: WebhookInput,
): Promise<ReturnType<typeof webhookView> & { secret: string }> {
  await checkInput(app, input);
  if ((await app.stores.webhooks.list(tenantId)).length >= MAX_WEBHOOKS_PER_TENANT)
    throw conflict(`a tenant has at most ${MAX_WEBHOOKS_PER_TENANT} webhooks; delete one first`);
  const at = app.clock.now().toISOString();
  const webhook: Webhook = {
    tenantId,
    id: randomId('whk'),
    url: input.url,
    events: [...new Set(input.events ?? [])],
    ...(input.description ? { description: input.description } : {}),
    createdAt: at,
    updatedAt: at,
  };
  const secret = secretToken('whsec');
  // The secret first: a webhook never exists without its secret.
  await app.stores.secrets.put(tenantId, WEBHOOK_SECRET(webhook.id), secret);
  await app.stores.webhooks.create(webhook);
  await logEvent(app, tenantId, 'webhook-created', `webhook ${webhook.id} created for ${originOf(webhook.url)}`, {
    data: { webhookId: webhook.id },
  });
  return { ...webhookView(webhook), secret };
}

/** Scheme, host and port: paths and queries may carry a receiver's own token, so logs name only the origin. */
const originOf = (url: string) => new URL(url).origin;

export async function getWebhook(app: App, tenantId: string, id: string): Promise<Webhook> {
  const webhook = await app.stores.webhooks.get(tenantId, id);
  if (!webhook) throw notFound('webhook');
  return webhook;
}

export async function listWebhooks(app: App, tenantId: string): Promise<Webhook[]> {
  return app.stores.webhooks.list(tenantId);
}

/** Replaces url, events and description; resumes a paused webhook unless `paused` is true. */
export async function replaceWebhook(app: App, tenantId: string, id: string, input: WebhookInput): Promise<Webhook> {
  await getWebhook(app, tenantId, id);
  await checkInput(app, input);
  const at = app.clock.now().toISOString();
  const updated = await app.stores.webhooks.update(
    tenantId,
    id,
    {
      url: input.url,
      events: [...new Set(input.events ?? [])],
      updatedAt: at,
      ...(input.description ? { description: input.description } : {}),
      ...(input.paused ? { pausedAt: at, pausedReason: 'paused by an admin' } : {}),
    },
    [
      ...(input.description ? [] : (['description'] as const)),
      ...(input.paused ? [] : (['pausedAt', 'pausedReason', 'failingSince'] as const)),
    ],
  );
  if (!updated) throw notFound('webhook');
  if (!input.paused) await clearAlarm(app, tenantId, alarmKey(id), `webhook ${id} was changed and is active`);
  return updated;
}

export async function deleteWebhook(app: App, tenantId: string, id: string): Promise<void> {
  if (!(await app.stores.webhooks.delete(tenantId, id))) throw notFound('webhook');
  await app.stores.secrets.delete(tenantId, WEBHOOK_SECRET(id));
  await clearAlarm(app, tenantId, alarmKey(id), `webhook ${id} was deleted`);
  await logEvent(app, tenantId, 'webhook-deleted', `webhook ${id} deleted`, { data: { webhookId: id } });
}

/** Sends a `ping` to this webhook now (paused or not) and says how the first attempt went. */
export async function pingWebhook(app: App, tenantId: string, id: string): Promise<DeliveryAttempt> {
  const webhook = await getWebhook(app, tenantId, id);
  const event: MdmEvent = {
    id: eventId(tenantId, `ping|${randomId('ping')}`),
    type: 'ping',
    tenantId,
    at: app.clock.now().toISOString(),
    data: { webhookId: webhook.id, message: 'test event sent by POST /admin/v1/webhooks/{id}/test' },
  };
  const attempt = await deliverWebhook(app, { tenantId, webhookId: id, event, attempt: 1 });
  if (!attempt) throw notFound('webhook');
  return attempt;
}

export async function webhookDeliveries(
  app: App,
  tenantId: string,
  id: string,
  cursor?: string,
  limit?: number,
): Promise<Page<DeliveryAttempt>> {
  await getWebhook(app, tenantId, id);
  return app.stores.webhooks.attempts(tenantId, id, cursor, limit ?? 100);
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (docs/api.md shows a receiver's check). */
export function signatureHeader(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * One attempt of one pending delivery (the delivery worker; a ping's first attempt). Returns the
 * attempt as recorded, or undefined when the webhook is gone. A failed attempt is queued again
 * after the backoff until a day after the event; throwing leaves the message to its queue's retry.
 */
export async function deliverWebhook(app: App, delivery: WebhookDelivery): Promise<DeliveryAttempt | undefined> {
  const { tenantId, webhookId, event } = delivery;
  const webhook = await app.stores.webhooks.get(tenantId, webhookId);
  const secret = webhook && (await app.stores.secrets.get(tenantId, WEBHOOK_SECRET(webhookId)));
  if (!webhook || !secret) return undefined;
  const base = { webhookId, eventId: event.id, eventType: event.type, attempt: delivery.attempt };
  if (webhook.pausedAt && event.type !== 'ping') {
    const skipped: DeliveryAttempt = {
      ...base,
      at: app.clock.now().toISOString(),
      outcome: 'failed',
      error: 'not sent: the webhook is paused',
    };
    await app.stores.webhooks.recordAttempt(tenantId, skipped);
    return skipped;
  }

  const body = JSON.stringify(event);
  const unixSeconds = Math.floor(app.clock.now().getTime() / 1000);
  const result = await app.webhookTransport.post(
    webhook.url,
    {
      'user-agent': 'serverless-mdm-webhooks/1',
      'x-mdm-event': event.type,
      'x-mdm-delivery': event.id,
      'x-mdm-signature': signatureHeader(secret, unixSeconds, body),
    },
    body,
  );
  const now = app.clock.now();
  const at = now.toISOString();
  const status = 'status' in result ? result.status : undefined;

  if (status !== undefined && status >= 200 && status < 300) {
    const delivered: DeliveryAttempt = { ...base, at, outcome: 'delivered', status };
    await app.stores.webhooks.recordAttempt(tenantId, delivered);
    if (webhook.failingSince) {
      await app.stores.webhooks.update(tenantId, webhookId, {}, ['failingSince']);
      await clearAlarm(app, tenantId, alarmKey(webhookId), `webhook ${webhookId} delivers again`);
    }
    return delivered;
  }

  const error = 'error' in result ? result.error : `HTTP ${status}`;
  const failing = await app.stores.webhooks.noteFailure(tenantId, webhookId, at);
  if (now.getTime() - Date.parse(event.at) < DELIVERY_RETRY_WINDOW_MS) {
    const delay = app.config.webhookRetryDelaySeconds ?? retryDelaySeconds(delivery.attempt, Math.random());
    const retrying: DeliveryAttempt = {
      ...base,
      at,
      outcome: 'retrying',
      status,
      error,
      nextAttemptAt: new Date(now.getTime() + delay * 1000).toISOString(),
    };
    await app.stores.webhooks.recordAttempt(tenantId, retrying);
    await app.webhookQueue.send([{ ...delivery, attempt: delivery.attempt + 1 }], delay);
    return retrying;
  }

  const failed: DeliveryAttempt = { ...base, at, outcome: 'failed', status, error };
  await app.stores.webhooks.recordAttempt(tenantId, failed);
  // Paused before the alarm is raised: the alarm's own event is not queued for a webhook that is down.
  const since = failing?.failingSince ?? at;
  if (!webhook.pausedAt && now.getTime() - Date.parse(since) >= PAUSE_AFTER_FAILING_MS) {
    await app.stores.webhooks.update(tenantId, webhookId, {
      pausedAt: at,
      pausedReason: `every delivery failed since ${since}; fix the receiver, then PUT the webhook to resume it`,
    });
    await logEvent(app, tenantId, 'webhook-paused', `webhook ${webhookId} paused: deliveries failed for a day`, {
      severity: 'warning',
      data: { webhookId },
    });
  }
  await raiseAlarm(
    app,
    tenantId,
    alarmKey(webhookId),
    'warning',
    `webhook ${webhookId} (${originOf(webhook.url)}): ${event.type} ${event.id} not delivered after ${delivery.attempt} attempts over a day (last: ${error})`,
  );
  return failed;
}
