// SQS → bulk worker: each message is one step of a bulk command's fan-out (a listed page or a
// chunk of devices). A failing step is reported alone (reportBatchItemFailures), retried by SQS,
// and ends in the DLQ after five receives; steps are idempotent, so a retry repeats nothing.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logger } from '../logger';
import type { BulkWork } from '../ports';
import type { App } from '../service/container';
import { runBulkWork } from '../service/bulk-commands';
import { awsApp } from '../wiring/aws';

export async function handleBulkEvent(app: App, event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const work = JSON.parse(record.body) as BulkWork;
      if (work.kind !== 'list' && work.kind !== 'devices') throw new Error('message is not a bulk step');
      await runBulkWork(app, work);
      logger.info({ msg: 'bulk step', messageId: record.messageId, kind: work.kind, operationId: work.operationId });
    } catch (err) {
      logger.error({ msg: 'bulk step failed', messageId: record.messageId, error: String(err) });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  return handleBulkEvent(await awsApp(), event);
}
