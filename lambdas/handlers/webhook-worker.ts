// SQS → webhook delivery worker: each message is one pending delivery of one event to one
// webhook. A failed attempt is queued again by the worker itself (with its backoff delay), so a
// record fails here only on an unexpected error (then SQS retries it, and after five receives it
// goes to the dead-letter queue).
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { WebhookDelivery } from '../ports';
import type { App } from '../service/container';
import { deliverWebhook } from '../service/webhooks';
import { awsApp } from '../wiring/aws';
import { eachRecord } from './sqs-batch';

export async function handleWebhookEvent(app: App, event: SQSEvent): Promise<SQSBatchResponse> {
  return eachRecord(event, 'webhook delivery', async (body) => {
    const delivery = body as WebhookDelivery;
    if (!delivery.webhookId || !delivery.event?.id) throw new Error('message is not a webhook delivery');
    const attempt = await deliverWebhook(app, delivery);
    return {
      webhookId: delivery.webhookId,
      eventId: delivery.event.id,
      attempt: delivery.attempt,
      outcome: attempt?.outcome ?? 'webhook gone',
    };
  });
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  return handleWebhookEvent(await awsApp(), event);
}
