// The SQS partial-batch contract of the queue workers: each record is handled alone, and a failing
// one is reported by itself (reportBatchItemFailures), so SQS retries only it and, after five
// receives, moves it to the dead-letter queue.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logger } from '../logger';

/**
 * Runs `handle` on each record's parsed JSON body. `what` names a record in the logs ("push
 * batch"); `handle` returns the fields to log on success and throws to fail that record alone.
 */
export async function eachRecord(
  event: SQSEvent,
  what: string,
  handle: (body: unknown) => Promise<Record<string, unknown>>,
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const fields = await handle(JSON.parse(record.body));
      logger.info({ msg: what, messageId: record.messageId, ...fields });
    } catch (err) {
      logger.error({ msg: `${what} failed`, messageId: record.messageId, error: String(err) });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
