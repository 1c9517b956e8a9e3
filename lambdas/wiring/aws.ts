// Deployed wiring: DynamoDB, KMS, SQS, APNs and FCM clients, built once per Lambda container.
// Only DynamoDB, which every request uses, is imported with the bundle; the other SDK clients
// (KMS, SQS, EventBridge, Secrets Manager) load at their first use, which keeps cold starts short.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { makeDynamoStores } from '../adapters/dynamodb/stores';
import { EventBridgePublisher } from '../adapters/eventbridge/event-bus';
import { HttpWebhookTransport } from '../adapters/http/webhook-transport';
import { KmsSecretBox } from '../adapters/kms/kms-secret-box';
import { SqsBulkQueue, SqsPushQueue, SqsWebhookQueue, sqsClient } from '../adapters/sqs/sqs-queues';
import { sha256Hex } from '../ids';
import type { Clock, PushSender } from '../ports';
import { type App, withTenantCache } from '../service/container';
import { appConfig, type Env, readEnv } from './env';

export type PushSenderFactory = (app: Pick<App, 'stores' | 'tenantCache'>, env: Env, clock: Clock) => App['push'];

/**
 * Only the push worker sends pushes; the other functions enqueue them. Keeping the senders (and
 * firebase-admin) out of their bundles keeps those small and their cold starts short.
 */
const enqueueOnly: PushSenderFactory = () => {
  const refuse: PushSender = {
    send: async () => {
      throw new Error('pushes are sent by the push worker only');
    },
  };
  return { apns: refuse, fcm: refuse };
};

let cached: Promise<App> | undefined;

/** The app of this container; the first call builds it, later calls reuse it. */
export function awsApp(senders: PushSenderFactory = enqueueOnly): Promise<App> {
  cached ??= build(senders);
  return cached;
}

async function build(senders: PushSenderFactory): Promise<App> {
  const env = readEnv();
  const clock: Clock = { now: () => new Date() };
  if (!env.SECRETS_KEY_ID) throw new Error('SECRETS_KEY_ID is not set');
  const box = new KmsSecretBox(env.SECRETS_KEY_ID);
  const { stores, tenantCache } = withTenantCache(
    makeDynamoStores(new DynamoDBClient({}), { main: env.MAIN_TABLE, logs: env.LOGS_TABLE }, clock, box),
  );
  let operatorKeyHash: string | undefined;
  if (env.OPERATOR_KEY_SECRET_ARN) {
    const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    const secret = await new SecretsManagerClient({}).send(
      new GetSecretValueCommand({ SecretId: env.OPERATOR_KEY_SECRET_ARN }),
    );
    if (secret.SecretString) operatorKeyHash = sha256Hex(secret.SecretString);
  }
  const sqs = sqsClient();
  const config = appConfig(env, { operatorKeyHash });
  return {
    stores,
    tenantCache,
    box,
    clock,
    config,
    pushQueue: new SqsPushQueue(sqs, env.PUSH_QUEUE_URL ?? ''),
    bulkQueue: new SqsBulkQueue(sqs, env.BULK_QUEUE_URL ?? ''),
    push: senders({ stores, tenantCache }, env, clock),
    events: new EventBridgePublisher(env.EVENT_BUS_NAME ?? ''),
    webhookQueue: new SqsWebhookQueue(sqs, env.WEBHOOK_QUEUE_URL ?? ''),
    webhookTransport: new HttpWebhookTransport({ allowLoopbackHttp: config.allowLoopbackHttp }),
  };
}
