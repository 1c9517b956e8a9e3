import * as path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Repository root: entries, package-lock.json and tsconfig.json are resolved from here. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/**
 * What a function is told about its deployment. The names of the environment variables live
 * only in `toEnvironment` so that lambdas/wiring/env.ts has one list to read.
 */
export interface FunctionConfig {
  readonly mainTable: string;
  readonly logsTable: string;
  readonly pushQueueUrl: string;
  /** Only the functions that start or run bulk fan-out (admin, bulk worker) get it. */
  readonly bulkQueueUrl?: string;
  readonly secretsKeyId: string;
  readonly pushCapPerMinute: number;
  readonly notRespondingAfterDays: number;
  readonly apnsOrigin: string;
  /** Base URL devices are given (ServerURL, enrollment links), without a trailing slash. */
  readonly publicBaseUrl: string;
  /** Only the admin function gets it (and read access to the secret). */
  readonly operatorKeySecretArn?: string;
  /** The webhook delivery queue (every function reports events; AppStack adds it to all of them). */
  readonly webhookQueueUrl?: string;
  /** The deployment's event bus (same). */
  readonly eventBusName?: string;
}

/** Where events go: the bus and the webhook delivery queue. */
export function eventsEnvironment(c: { eventBusName: string; webhookQueueUrl: string }): Record<string, string> {
  return { EVENT_BUS_NAME: c.eventBusName, WEBHOOK_QUEUE_URL: c.webhookQueueUrl };
}

export function toEnvironment(c: FunctionConfig): Record<string, string> {
  const env: Record<string, string> = {
    MAIN_TABLE: c.mainTable,
    LOGS_TABLE: c.logsTable,
    PUSH_QUEUE_URL: c.pushQueueUrl,
    SECRETS_KEY_ID: c.secretsKeyId,
    PUSH_CAP_PER_MINUTE: String(c.pushCapPerMinute),
    NOT_RESPONDING_AFTER_DAYS: String(c.notRespondingAfterDays),
    APNS_ORIGIN: c.apnsOrigin,
    PUBLIC_BASE_URL: c.publicBaseUrl,
    // Stack traces in CloudWatch point at the TypeScript sources, not the minified bundle.
    NODE_OPTIONS: '--enable-source-maps',
  };
  if (c.operatorKeySecretArn !== undefined) env.OPERATOR_KEY_SECRET_ARN = c.operatorKeySecretArn;
  if (c.bulkQueueUrl !== undefined) env.BULK_QUEUE_URL = c.bulkQueueUrl;
  if (c.eventBusName !== undefined && c.webhookQueueUrl !== undefined)
    Object.assign(env, eventsEnvironment({ eventBusName: c.eventBusName, webhookQueueUrl: c.webhookQueueUrl }));
  return env;
}

export interface MdmFunctionProps {
  /** Entry file relative to the repository root, e.g. `lambdas/handlers/admin.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly config: FunctionConfig;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 30 seconds (API Gateway gives up after 29 s anyway) */
  readonly timeout?: Duration;
  readonly logRetention: RetentionDays;
  /** @default false */
  readonly tracing?: boolean;
}

/**
 * A Lambda function with the project's defaults: Node 22 on arm64, one esbuild bundle per surface
 * (minified, source maps, CJS, AWS SDK v3 left to the runtime), its own log group with retention,
 * and a role that may write only to that log group (no AWSLambdaBasicExecutionRole).
 * Bundling uses the local esbuild devDependency, never Docker.
 */
export class MdmFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: MdmFunctionProps) {
    super(scope, id);

    // Logs are operational data of a stateless stack: they go with it.
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });

    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
    });
    this.logGroup.grantWrite(role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      role,
      logGroup: this.logGroup,
      tracing: props.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      environment: toEnvironment(props.config),
      bundling: {
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // The Lambda Node 22 runtime ships SDK v3: smaller bundles, faster cold starts.
        externalModules: ['@aws-sdk/*'],
        format: OutputFormat.CJS,
        target: 'node22',
        tsconfig: path.join(PROJECT_ROOT, 'tsconfig.json'),
        // A lazy `import()` of an SDK client becomes require(): ESM resolution ignores NODE_PATH,
        // which is how the runtime's own SDK (/var/runtime/node_modules) is found.
        esbuildArgs: { '--supported:dynamic-import': 'false' },
      },
    });
    if (props.tracing) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Added by Lambda active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
      });
    }
  }
}
