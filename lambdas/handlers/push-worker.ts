// SQS → push worker. Each message is one batch; a failing batch is reported alone
// (reportBatchItemFailures), retried by SQS, and ends in the DLQ after five receives.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logger } from '../logger';
import type { PushRequest } from '../domain/types';
import type { App } from '../service/container';
import { handlePushBatch } from '../service/push-worker';
import { awsApp } from '../wiring/aws';
import { pushSenders } from '../wiring/aws-push';

export async function handleSqsEvent(app: App, event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const { requests } = JSON.parse(record.body) as { requests: PushRequest[] };
      if (!Array.isArray(requests)) throw new Error('message has no requests array');
      const result = await handlePushBatch(app, requests);
      logger.info({ msg: 'push batch', messageId: record.messageId, ...result });
    } catch (err) {
      logger.error({ msg: 'push batch failed', messageId: record.messageId, error: String(err) });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  return handleSqsEvent(await awsApp(pushSenders), event);
}
