// SQS → push worker. Each message is one batch of push requests.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { PushRequest } from '../domain/types';
import type { App } from '../service/container';
import { handlePushBatch } from '../service/push-worker';
import { awsApp } from '../wiring/aws';
import { pushSenders } from '../wiring/aws-push';
import { eachRecord } from './sqs-batch';

export async function handleSqsEvent(app: App, event: SQSEvent): Promise<SQSBatchResponse> {
  return eachRecord(event, 'push batch', async (body) => {
    const { requests } = body as { requests: PushRequest[] };
    if (!Array.isArray(requests)) throw new Error('message has no requests array');
    return { ...(await handlePushBatch(app, requests)) };
  });
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  return handleSqsEvent(await awsApp(pushSenders), event);
}
