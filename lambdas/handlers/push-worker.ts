// SQS → push worker. Each message is one batch of push requests or one tenant's backlog drain.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { PushMessage } from '../ports';
import type { App } from '../service/container';
import { handlePushMessage } from '../service/push-worker';
import { awsApp } from '../wiring/aws';
import { pushSenders } from '../wiring/aws-push';
import { eachRecord } from './sqs-batch';

export async function handleSqsEvent(app: App, event: SQSEvent): Promise<SQSBatchResponse> {
  return eachRecord(event, 'push message', async (body) => {
    const message = body as PushMessage;
    const drain = 'drain' in message ? message.drain : undefined;
    if (drain) {
      if (typeof drain.tenantId !== 'string' || !Number.isInteger(drain.minute)) throw new Error('malformed drain');
    } else if (!Array.isArray((message as { requests?: unknown }).requests)) {
      throw new Error('message has no requests array');
    }
    return { ...(await handlePushMessage(app, message)) };
  });
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  return handleSqsEvent(await awsApp(pushSenders), event);
}
