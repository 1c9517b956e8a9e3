// The SQS queues: push batches for the push worker and bulk fan-out steps for the bulk worker.
// The SDK client is loaded at the first send (sqsClient): a function that never queues does not pay for it.
import type { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { PushRequest } from '../../domain/types';
import type { BulkQueue, BulkWork, PushMessage, PushQueue, WebhookDelivery, WebhookQueue } from '../../ports';

/** SQS's limits: 10 entries per SendMessageBatch, delays up to 15 minutes. */
const SEND_BATCH_MAX = 10;
const MAX_DELAY_SECONDS = 900;

/** The SQS client and the commands the queues send, loaded once on first use. */
export interface LazySqs {
  (): Promise<{
    client: SQSClient;
    SendMessageCommand: typeof SendMessageCommand;
    SendMessageBatchCommand: typeof SendMessageBatchCommand;
  }>;
}

/** One SQS client for all the queues of a container, built at the first send. */
export function sqsClient(): LazySqs {
  let loaded: ReturnType<LazySqs> | undefined;
  return () => {
    loaded ??= import('@aws-sdk/client-sqs').then((m) => ({
      client: new m.SQSClient({}),
      SendMessageCommand: m.SendMessageCommand,
      SendMessageBatchCommand: m.SendMessageBatchCommand,
    }));
    return loaded;
  };
}

/** One message per batch of up to 100 push requests (well under SQS's message size limit), or per drain. */
export class SqsPushQueue implements PushQueue {
  constructor(
    private readonly sqs: LazySqs,
    private readonly queueUrl: string,
  ) {}

  async send(batch: PushRequest[], delaySeconds = 0): Promise<void> {
    if (batch.length) await this.sendMessage({ requests: batch }, delaySeconds);
  }

  async sendDrain(tenantId: string, minute: number, delaySeconds: number): Promise<void> {
    await this.sendMessage({ drain: { tenantId, minute } }, delaySeconds);
  }

  private async sendMessage(message: PushMessage, delaySeconds: number): Promise<void> {
    const { client, SendMessageCommand } = await this.sqs();
    await client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        // Rounded up: a drain must not arrive before the minute it is for.
        DelaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds))),
      }),
    );
  }
}

/** One message per fan-out step (a listed page or a chunk of at most 100 device ids). */
export class SqsBulkQueue implements BulkQueue {
  constructor(
    private readonly sqs: LazySqs,
    private readonly queueUrl: string,
  ) {}

  async send(work: BulkWork[]): Promise<void> {
    const { client, SendMessageBatchCommand } = await this.sqs();
    for (let i = 0; i < work.length; i += SEND_BATCH_MAX) {
      const entries = work
        .slice(i, i + SEND_BATCH_MAX)
        .map((step, n) => ({ Id: String(n), MessageBody: JSON.stringify(step) }));
      const out = await client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
      // A partly refused batch is an error: the caller (a request or a worker step) fails and is retried.
      if (out.Failed?.length)
        throw new Error(`SQS refused ${out.Failed.length} bulk messages: ${out.Failed[0].Code ?? 'unknown'}`);
    }
  }
}

/** One message per pending webhook delivery (the event travels in it: it is durable until delivered or failed). */
export class SqsWebhookQueue implements WebhookQueue {
  constructor(
    private readonly sqs: LazySqs,
    private readonly queueUrl: string,
  ) {}

  async send(deliveries: WebhookDelivery[], delaySeconds = 0): Promise<void> {
    const delay = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(delaySeconds)));
    const { client, SendMessageBatchCommand } = await this.sqs();
    for (let i = 0; i < deliveries.length; i += SEND_BATCH_MAX) {
      const entries = deliveries
        .slice(i, i + SEND_BATCH_MAX)
        .map((d, n) => ({ Id: String(n), MessageBody: JSON.stringify(d), DelaySeconds: delay }));
      const out = await client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
      if (out.Failed?.length)
        throw new Error(`SQS refused ${out.Failed.length} webhook deliveries: ${out.Failed[0].Code ?? 'unknown'}`);
    }
  }
}
