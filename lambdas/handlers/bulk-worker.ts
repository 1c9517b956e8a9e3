// SQS → bulk worker: each message is one step of a bulk command's fan-out (a listed page or a
// chunk of devices). Steps are idempotent, so an SQS retry of a failed step repeats nothing.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { BulkWork } from '../ports';
import { runBulkWork } from '../service/bulk-commands';
import type { App } from '../service/container';
import { awsApp } from '../wiring/aws';
import { eachRecord } from './sqs-batch';

export async function handleBulkEvent(app: App, event: SQSEvent): Promise<SQSBatchResponse> {
  return eachRecord(event, 'bulk step', async (body) => {
    const work = body as BulkWork;
    if (work.kind !== 'list' && work.kind !== 'devices') throw new Error('message is not a bulk step');
    await runBulkWork(app, work);
    return { kind: work.kind, operationId: work.operationId };
  });
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  return handleBulkEvent(await awsApp(), event);
}
