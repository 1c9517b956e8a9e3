import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionConfig, MdmFunctionProps } from './mdm-function';
import { MdmFunction } from './mdm-function';

/** The config entry through which a worker learns its own queue's URL. */
export type QueueUrlKey = 'pushQueueUrl' | 'bulkQueueUrl' | 'webhookQueueUrl';

export interface QueueWorkerProps {
  /** The worker function; its own queue's URL is filled in under `queueUrlKey`. */
  readonly worker: Omit<MdmFunctionProps, 'config'> & {
    config: Omit<FunctionConfig, QueueUrlKey> & Partial<FunctionConfig>;
  };
  readonly queueUrlKey: QueueUrlKey;
  /** Upper bound of concurrent workers. @default 10 */
  readonly maxConcurrency?: number;
  /** Messages per invocation. @default 10 */
  readonly batchSize?: number;
  /** @default 5 */
  readonly maxReceiveCount?: number;
}

/**
 * A queue (with a DLQ) feeding a worker function: the push pipeline (push batches → push worker),
 * the bulk fan-out (bulk steps → bulk worker) and webhook deliveries (→ webhook worker). The worker reports partial batch failures, so
 * one bad message is retried alone; after `maxReceiveCount` tries it lands in the DLQ (alarmed by
 * `Alarms`). The worker may send to its own queue (re-queued pushes, next fan-out steps).
 */
export class QueueWorker extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly worker: MdmFunction;

  constructor(scope: Construct, id: string, props: QueueWorkerProps) {
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
      config: { ...props.worker.config, [props.queueUrlKey]: this.queue.queueUrl } as FunctionConfig,
    });
    this.worker.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? 10,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? 10,
      }),
    );
    this.queue.grantSendMessages(this.worker.function);
  }
}
