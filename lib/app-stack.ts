import type { CfnElement, StackProps } from 'aws-cdk-lib';
import { CfnOutput, CrossStackReferences, Duration, ReferenceStrength, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ROUTES } from '../lambdas/api/routes';
import type { Surface } from '../lambdas/http/types';
import { Alarms } from './constructs/alarms';
import { HttpApiRoutes } from './constructs/http-api-routes';
import type { FunctionConfig } from './constructs/mdm-function';
import { eventsEnvironment, MdmFunction } from './constructs/mdm-function';
import { QueueWorker } from './constructs/queue-worker';
import { DEFAULT_SCHEDULES, Schedules } from './constructs/schedules';

/** The tunables, all optional: `bin/cdk.ts` reads them from CDK context (`-c name=value`). */
export interface AppTunables {
  /** Pushes per tenant per minute, across all workers. @default 10000 */
  readonly pushCapPerMinute?: number;
  /** Daily resync, an EventBridge schedule expression (UTC). @default 'cron(0 3 * * ? *)' */
  readonly resyncSchedule?: string;
  /** Not-Responding sweep. @default 'rate(1 hour)' */
  readonly sweepSchedule?: string;
  /** Counter recount. @default 'cron(30 4 * * ? *)' */
  readonly reconcileSchedule?: string;
  /** Push certificate expiry check. @default 'cron(0 6 * * ? *)' */
  readonly certificateCheckSchedule?: string;
  /** A device awaiting an answer this long becomes Not-Responding. @default 7 */
  readonly notRespondingAfterDays?: number;
  /** Lambda and API access log retention; one of CloudWatch's allowed values. @default 90 */
  readonly logRetentionDays?: number;
  /** APNs origin; tests point it at a local fake. @default 'https://api.push.apple.com' */
  readonly apnsOrigin?: string;
  /**
   * Custom domain for the API, with `certificateArn` (ACM, same region). Strongly advised: Apple
   * devices keep their ServerURL for as long as they are enrolled, so it must be a name you control,
   * not the execute-api URL that is lost with the API. When set, the execute-api endpoint is disabled.
   */
  readonly domainName?: string;
  readonly certificateArn?: string;
  /** Email subscribed to the alarm topic. */
  readonly alarmEmail?: string;
  /** X-Ray active tracing on all functions. @default false */
  readonly tracing?: boolean;
  /** Upper bound of concurrent push workers. @default 10 */
  readonly pushMaxConcurrency?: number;
}

export interface AppStackProps extends StackProps, AppTunables {
  readonly mainTable: ITable;
  readonly logsTable: ITable;
  readonly secretsKey: IKey;
}

export const DEFAULTS = {
  pushCapPerMinute: 10000,
  notRespondingAfterDays: 7,
  logRetentionDays: 90,
  apnsOrigin: 'https://api.push.apple.com',
  pushMaxConcurrency: 10,
  /**
   * The bulk worker (bulk commands, template changes, the daily resync): one chunk of 100 devices
   * per invocation (about 8 s of DynamoDB calls, far from the timeout), 15 at once: a million
   * devices in about 90 minutes, within the push cap's 100.
   */
  bulkWorker: { batchSize: 1, maxConcurrency: 15, timeoutSeconds: 120 },
  /**
   * The webhook worker: each delivery waits at most 10 s for its receiver, so 5 per invocation fit
   * well within the timeout. A failed delivery is re-queued by the worker with its backoff delay.
   */
  webhookWorker: { batchSize: 5, maxConcurrency: 10, timeoutSeconds: 60 },
} as const;

/** Envelope encryption with the secrets key: data keys out, sealed data keys back in. No wildcards. */
const KMS_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'] as const;

export type FunctionName = Surface | 'pushWorker' | 'bulkWorker' | 'webhookWorker' | 'jobs';

/**
 * Everything stateless: the HTTP API generated from the route table, one function per surface,
 * the push fan-out, the schedules and the alarms. Safe to destroy and redeploy; state lives in DataStack.
 */
export class AppStack extends Stack {
  readonly functions: Record<FunctionName, IFunction>;
  readonly api: HttpApiRoutes;
  readonly push: QueueWorker;
  readonly bulk: QueueWorker;
  /** Webhook deliveries (docs/api.md §Webhooks). */
  readonly webhooks: QueueWorker;
  /** Every event goes on this bus (docs/operations.md §Events). */
  readonly eventBus: EventBus;
  readonly schedules: Schedules;
  readonly alarms: Alarms;
  readonly operatorKey: Secret;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props);
    // Strong (Fn::ImportValue): CloudFormation refuses to delete or break the data stack while
    // this stack uses it. Said explicitly, so a future CDK default cannot change it silently.
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);
    const t = validate(props);
    const logRetention = t.logRetentionDays as RetentionDays;

    this.api = new HttpApiRoutes(this, 'Http', {
      logRetention,
      customDomain:
        props.domainName && props.certificateArn
          ? { domainName: props.domainName, certificateArn: props.certificateArn }
          : undefined,
    });

    this.operatorKey = new Secret(this, 'OperatorKey', {
      // A fixed name so operators can find it; see docs/deploy.md about redeploying after a destroy.
      secretName: `${this.stackName}/operator-key`,
      description: 'Serverless MDM operator key: the only credential that may create tenants',
      generateSecretString: { excludePunctuation: true, passwordLength: 48 },
    });
    Validations.of(this.operatorKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The operator key is a static bearer credential entered by a human, used only to create tenants; there is no ' +
        'system to rotate it into. Operators rotate it with put-secret-value (docs/deploy.md).',
    });

    const config: Omit<FunctionConfig, 'pushQueueUrl'> = {
      mainTable: props.mainTable.tableName,
      logsTable: props.logsTable.tableName,
      secretsKeyId: props.secretsKey.keyArn,
      pushCapPerMinute: t.pushCapPerMinute,
      notRespondingAfterDays: t.notRespondingAfterDays,
      apnsOrigin: t.apnsOrigin,
      publicBaseUrl: this.api.url,
    };
    const common = { logRetention, tracing: props.tracing ?? false };

    this.push = new QueueWorker(this, 'Push', {
      queueUrlKey: 'pushQueueUrl',
      maxConcurrency: t.pushMaxConcurrency,
      worker: {
        ...common,
        entry: 'lambdas/handlers/push-worker.ts',
        description: 'Serverless MDM push worker: APNs and FCM within the per-tenant-minute budget',
        timeout: Duration.seconds(60),
        config,
      },
    });
    const withQueue: FunctionConfig = { ...config, pushQueueUrl: this.push.queue.queueUrl };
    // Bulk commands fan out in steps (a listed page, a chunk of 100 devices); each step queues
    // commands and push requests, so the bulk worker needs the push queue too.
    this.bulk = new QueueWorker(this, 'Bulk', {
      queueUrlKey: 'bulkQueueUrl',
      batchSize: DEFAULTS.bulkWorker.batchSize,
      maxConcurrency: DEFAULTS.bulkWorker.maxConcurrency,
      worker: {
        ...common,
        entry: 'lambdas/handlers/bulk-worker.ts',
        description: 'Serverless MDM bulk worker: fans bulk commands out to devices, page by page',
        memorySize: 1024,
        timeout: Duration.seconds(DEFAULTS.bulkWorker.timeoutSeconds),
        config: withQueue,
      },
    });
    const api = (
      name: string,
      entry: string,
      description: string,
      memorySize: number,
      extra: Partial<FunctionConfig> = {},
    ) =>
      new MdmFunction(this, name, {
        ...common,
        entry,
        description,
        memorySize,
        // Just under the HTTP API's 30 s integration limit.
        timeout: Duration.seconds(29),
        config: { ...withQueue, ...extra },
      }).function;

    // Apple and admin generate RSA keys (device identities, tenant CAs) in JS: more memory, more CPU.
    const apple = api('Apple', 'lambdas/handlers/apple.ts', 'Serverless MDM Apple device endpoints', 1024);
    const android = api('Android', 'lambdas/handlers/android.ts', 'Serverless MDM Android agent endpoints', 512);
    const admin = api('Admin', 'lambdas/handlers/admin.ts', 'Serverless MDM admin API', 1024, {
      operatorKeySecretArn: this.operatorKey.secretArn,
      bulkQueueUrl: this.bulk.queue.queueUrl,
    });
    const jobs = new MdmFunction(this, 'Jobs', {
      ...common,
      entry: 'lambdas/handlers/jobs.ts',
      description: 'Serverless MDM scheduled jobs: resync, Not-Responding sweep, counter reconcile, certificate check',
      memorySize: 1024,
      // Resync pages through every device of every tenant; jobs are idempotent if cut short.
      timeout: Duration.minutes(15),
      config: withQueue,
    }).function;
    this.eventBus = new EventBus(this, 'EventBus', { eventBusName: `${this.stackName}-events` });
    this.webhooks = new QueueWorker(this, 'Webhook', {
      queueUrlKey: 'webhookQueueUrl',
      batchSize: DEFAULTS.webhookWorker.batchSize,
      maxConcurrency: DEFAULTS.webhookWorker.maxConcurrency,
      worker: {
        ...common,
        entry: 'lambdas/handlers/webhook-worker.ts',
        description: 'Serverless MDM webhook worker: signed deliveries, retried with backoff for a day',
        timeout: Duration.seconds(DEFAULTS.webhookWorker.timeoutSeconds),
        config: withQueue,
      },
    });
    const pushWorker = this.push.worker.function;
    const bulkWorker = this.bulk.worker.function;
    const webhookWorker = this.webhooks.worker.function;
    this.functions = { apple, android, admin, pushWorker, bulkWorker, webhookWorker, jobs };

    // Every function reports events where it commits a change: onto the bus, and into the delivery queue.
    const eventsEnv = eventsEnvironment({
      eventBusName: this.eventBus.eventBusName,
      webhookQueueUrl: this.webhooks.queue.queueUrl,
    });
    for (const fn of Object.values(this.functions)) {
      for (const [name, value] of Object.entries(eventsEnv))
        (fn as MdmFunction['function']).addEnvironment(name, value);
      this.eventBus.grantPutEventsTo(fn);
      this.webhooks.queue.grantSendMessages(fn);
    }

    for (const fn of Object.values(this.functions)) {
      props.mainTable.grantReadWriteData(fn);
      props.logsTable.grantReadWriteData(fn);
      props.secretsKey.grant(fn, ...KMS_ACTIONS);
      this.acknowledgeIndexWildcards(fn, [props.mainTable, props.logsTable]);
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          'Pinned to Node.js 22 on purpose: the bundles target node22 and the project is developed and tested on Node 20/22.',
      });
    }
    // Admin (sync requests, commands), jobs (resync) and the bulk worker put push batches; the
    // push worker re-queues (QueueWorker). Admin starts bulk operations; the bulk worker goes on.
    this.push.queue.grantSendMessages(admin);
    this.push.queue.grantSendMessages(jobs);
    this.push.queue.grantSendMessages(bulkWorker);
    this.bulk.queue.grantSendMessages(admin);
    this.operatorKey.grantRead(admin);

    this.api.addRoutes(ROUTES, { apple, android, admin });

    this.schedules = new Schedules(this, 'Schedules', {
      jobs,
      schedules: {
        resync: props.resyncSchedule ?? DEFAULT_SCHEDULES.resync,
        'not-responding-sweep': props.sweepSchedule ?? DEFAULT_SCHEDULES['not-responding-sweep'],
        'reconcile-counters': props.reconcileSchedule ?? DEFAULT_SCHEDULES['reconcile-counters'],
        'certificate-check': props.certificateCheckSchedule ?? DEFAULT_SCHEDULES['certificate-check'],
      },
    });

    this.alarms = new Alarms(this, 'Alarms', {
      functions: this.functions,
      deadLetterQueues: {
        Push: this.push.deadLetterQueue,
        Bulk: this.bulk.deadLetterQueue,
        Webhook: this.webhooks.deadLetterQueue,
      },
      alarmEmail: props.alarmEmail,
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.url,
      description: 'Base URL of the device and admin APIs (ServerURL prefix)',
    });
    new CfnOutput(this, 'OperatorKeySecretName', {
      value: `${this.stackName}/operator-key`,
      description: 'aws secretsmanager get-secret-value --secret-id <this> --query SecretString --output text',
    });
    new CfnOutput(this, 'PushQueueUrl', { value: this.push.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.push.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'BulkQueueUrl', { value: this.bulk.queue.queueUrl });
    new CfnOutput(this, 'BulkDeadLetterQueueUrl', { value: this.bulk.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'WebhookQueueUrl', { value: this.webhooks.queue.queueUrl });
    new CfnOutput(this, 'WebhookDeadLetterQueueUrl', { value: this.webhooks.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'EventBusName', {
      value: this.eventBus.eventBusName,
      description: 'Every event (docs/api.md §Events) is put here; route them with EventBridge rules',
    });
    new CfnOutput(this, 'MainTableName', { value: props.mainTable.tableName });
    new CfnOutput(this, 'LogsTableName', { value: props.logsTable.tableName });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarms.topic.topicArn,
      description: 'Subscribe to receive operator alarms',
    });
    if (this.api.domain) {
      new CfnOutput(this, 'CustomDomainTarget', {
        value: this.api.domain.regionalDomainName,
        description: `Point a CNAME (or Route 53 alias) for ${props.domainName} at this name`,
      });
      new CfnOutput(this, 'CustomDomainHostedZoneId', {
        value: this.api.domain.regionalHostedZoneId,
        description: 'Hosted zone id for a Route 53 alias record to CustomDomainTarget',
      });
    }
  }

  /**
   * grantReadWriteData adds `<table arn>/index/*` so queries on the GSIs work (cdk-nag IAM5).
   * cdk-nag names the finding after the rendered ARN, which for a table in another stack is its
   * export name: exportValue() returns the very export the automatic reference uses.
   */
  private acknowledgeIndexWildcards(fn: IFunction, tables: ITable[]) {
    if (!fn.role) return;
    for (const table of tables) {
      const producer = Stack.of(table);
      const rendered =
        producer === this
          ? `<${this.getLogicalId(table.node.defaultChild as CfnElement)}.Arn>`
          : (this.resolve(producer.exportValue(table.tableArn)) as { 'Fn::ImportValue': string })['Fn::ImportValue'];
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${rendered}/index/*]`,
        reason:
          "Generated by grantReadWriteData: Query on the table's own GSIs (device lists, sweep index, log indexes). No other table.",
      });
    }
  }
}

const RETENTION_VALUES = new Set(Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'));

/** Fails synth early with a readable message instead of a failed deployment. */
function validate(p: AppTunables) {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer, got ${v}`);
    return v;
  };
  const t = {
    pushCapPerMinute: positiveInt('pushCapPerMinute', p.pushCapPerMinute ?? DEFAULTS.pushCapPerMinute),
    notRespondingAfterDays: positiveInt(
      'notRespondingAfterDays',
      p.notRespondingAfterDays ?? DEFAULTS.notRespondingAfterDays,
    ),
    logRetentionDays: positiveInt('logRetentionDays', p.logRetentionDays ?? DEFAULTS.logRetentionDays),
    apnsOrigin: p.apnsOrigin ?? DEFAULTS.apnsOrigin,
    pushMaxConcurrency: positiveInt('pushMaxConcurrency', p.pushMaxConcurrency ?? DEFAULTS.pushMaxConcurrency),
  };
  if (!RETENTION_VALUES.has(t.logRetentionDays)) {
    throw new Error(
      `logRetentionDays must be one of ${[...RETENTION_VALUES].sort((a, b) => a - b).join(', ')}; got ${t.logRetentionDays}`,
    );
  }
  // The SQS event source accepts 2..1000.
  if (t.pushMaxConcurrency < 2 || t.pushMaxConcurrency > 1000)
    throw new Error(`pushMaxConcurrency must be 2..1000, got ${t.pushMaxConcurrency}`);
  if (!/^https?:\/\//.test(t.apnsOrigin)) throw new Error(`apnsOrigin must be an http(s) origin, got ${t.apnsOrigin}`);
  if ((p.domainName === undefined) !== (p.certificateArn === undefined)) {
    throw new Error('domainName and certificateArn go together: give both or neither');
  }
  return t;
}
