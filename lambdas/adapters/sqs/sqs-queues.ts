// PushQueue on SQS: one message per batch of up to 100 push requests (well under 256 KB).
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { PushQueue, PushRequest } from '../../ports';

export class SqsPushQueue implements PushQueue {
  constructor(private readonly sqs: SQSClient, private readonly queueUrl: string) {}

  async send(batch: PushRequest[], delaySeconds = 0): Promise<void> {
    if (!batch.length) return;
    await this.sqs.send(new SendMessageCommand({
      QueueUrl: this.queueUrl,
      MessageBody: JSON.stringify({ requests: batch }),
      DelaySeconds: Math.min(900, Math.max(0, Math.round(delaySeconds))),
    }));
  }
}
