// Deployed wiring: DynamoDB, KMS, SQS, APNs and FCM clients, built once per Lambda container.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ApnsSender } from '../adapters/apns/apns-sender';
import { makeDynamoStores } from '../adapters/dynamodb/stores';
import { FcmSender } from '../adapters/fcm/fcm-sender';
import { KmsSecretBox } from '../adapters/kms/kms-secret-box';
import { SqsPushQueue } from '../adapters/sqs/sqs-push-queue';
import { appConfig, readEnv } from '../config';
import { sha256Hex } from '../http/pipeline';
import type { Clock } from '../ports';
import type { App } from '../service/app';
import { apnsCredentials, fcmCredentials } from '../service/push-credentials';

let cached: Promise<App> | undefined;

/** The app of this container; the first call builds it, later calls reuse it. */
export function awsApp(): Promise<App> {
  cached ??= build();
  return cached;
}

async function build(): Promise<App> {
  const env = readEnv();
  const clock: Clock = { now: () => new Date() };
  if (!env.SECRETS_KEY_ID) throw new Error('SECRETS_KEY_ID is not set');
  const box = new KmsSecretBox(new KMSClient({}), env.SECRETS_KEY_ID);
  const stores = makeDynamoStores(new DynamoDBClient({}), { main: env.MAIN_TABLE, logs: env.LOGS_TABLE }, clock, box);
  let operatorKeyHash: string | undefined;
  if (env.OPERATOR_KEY_SECRET_ARN) {
    const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: env.OPERATOR_KEY_SECRET_ARN }));
    if (secret.SecretString) operatorKeyHash = sha256Hex(secret.SecretString);
  }
  const queueUrl = env.PUSH_QUEUE_URL ?? '';
  return {
    stores, box, clock,
    config: appConfig(env, { operatorKeyHash }),
    pushQueue: new SqsPushQueue(new SQSClient({}), queueUrl),
    push: {
      apns: new ApnsSender({ origin: env.APNS_ORIGIN, credentials: apnsCredentials({ stores }), now: () => clock.now() }),
      fcm: new FcmSender({ credentials: fcmCredentials({ stores }) }),
    },
  };
}
