import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MdmFunction } from './mdm-function';
import type { MdmFunctionProps } from './mdm-function';

export interface PushFanoutProps {
  /** The push worker function; `config.pushQueueUrl` is filled in here. */
  readonly worker: Omit<MdmFunctionProps, 'config'> & { config: Omit<MdmFunctionProps['config'], 'pushQueueUrl'> };
  /**
   * Upper bound of concurrent push workers. The per-tenant-minute budget is global, so more
   * workers only help while budgets have room.
   * @default 10
   */
  readonly maxConcurrency?: number;
  /** @default 5 */
  readonly maxReceiveCount?: number;
}

/**
 * The push pipeline: an SQS queue of push batches (with a DLQ) feeding the push worker.
 * The worker reports partial batch failures, so one bad batch is retried alone; after
 * `maxReceiveCount` tries it lands in the DLQ (alarmed by `Alarms`).
 */
export class PushFanout extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly worker: MdmFunction;

  constructor(scope: Construct, id: string, props: PushFanoutProps) {
    super(scope, id);
    const workerTimeout = props.worker.timeout ?? Duration.seconds(60);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS guidance for Lambda event sources: at least 6x the function timeout, so a message
      // is not redelivered while a (retried) invocation still holds it.
      visibilityTimeout: Duration.seconds(workerTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });

    this.worker = new MdmFunction(this, 'Worker', {
      ...props.worker,
      timeout: workerTimeout,
      config: { ...props.worker.config, pushQueueUrl: this.queue.queueUrl },
    });
    this.worker.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? 10,
      }),
    );
    // The worker re-queues what the minute's budget did not allow, delayed to the next minute.
    this.queue.grantSendMessages(this.worker.function);
  }
}
