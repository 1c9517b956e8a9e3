import type { CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import type { Construct } from 'constructs';
import { ROUTES } from '../../lambdas/api/routes';
import { JOB_NAMES } from '../../lambdas/domain/jobs';
import type { AppStack, FunctionName } from '../../lib/app-stack';
import { DEFAULT_SCHEDULES } from '../../lib/constructs/schedules';
import { build, logicalIdOf, templates } from './stacks';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('AppStack (defaults)', () => {
  let t: Template;
  let stack: AppStack;
  let fnId: Record<FunctionName, string>;
  beforeAll(() => {
    const b = build();
    stack = b.appStack;
    t = templates(b).app;
    fnId = Object.fromEntries(Object.entries(stack.functions).map(([k, fn]) => [k, logicalIdOf(stack, fn)])) as Record<
      FunctionName,
      string
    >;
  });

  /** The functions whose policies allow `action` on `resource` (a logical id). */
  const allowedOn = (action: string, resource: string) =>
    (Object.keys(fnId) as FunctionName[])
      .filter((name) => {
        const role = (
          t.findResources('AWS::Lambda::Function')[fnId[name]].Properties.Role as { 'Fn::GetAtt': string[] }
        )['Fn::GetAtt'][0];
        return Object.values(t.findResources('AWS::IAM::Policy') as Resources)
          .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
          .flatMap((p) => p.Properties.PolicyDocument.Statement)
          .some(
            (st: { Action: string | string[]; Resource: unknown }) =>
              ([] as string[]).concat(st.Action).includes(action) &&
              JSON.stringify(st.Resource).includes(`"${resource}"`),
          );
      })
      .sort();

  /** The logical id of any construct of the stack (queues, the bus). */
  const idOf = (c: Construct) => stack.getLogicalId(c.node.defaultChild as CfnElement);

  describe('functions', () => {
    it('are seven, all arm64 on nodejs22.x', () => {
      const fns = t.findResources('AWS::Lambda::Function');
      expect(Object.keys(fns).sort()).toEqual(Object.values(fnId).sort());
      for (const f of Object.values(fns)) {
        expect(f.Properties.Architectures).toEqual(['arm64']);
        expect(f.Properties.Runtime).toBe('nodejs22.x');
      }
    });

    it('get the deployment config as environment variables; only admin gets the operator key ARN', () => {
      const fns = t.findResources('AWS::Lambda::Function');
      const [apiId] = Object.keys(t.findResources('AWS::ApiGatewayV2::Api'));
      const common = [
        'MAIN_TABLE',
        'LOGS_TABLE',
        'PUSH_QUEUE_URL',
        'SECRETS_KEY_ID',
        'PUSH_CAP_PER_MINUTE',
        'NOT_RESPONDING_AFTER_DAYS',
        'APNS_ORIGIN',
        'PUBLIC_BASE_URL',
        'NODE_OPTIONS',
        'EVENT_BUS_NAME',
        'WEBHOOK_QUEUE_URL',
      ];
      for (const [name, id] of Object.entries(fnId)) {
        const env = fns[id].Properties.Environment.Variables;
        const expected =
          name === 'admin'
            ? [...common, 'OPERATOR_KEY_SECRET_ARN', 'BULK_QUEUE_URL']
            : name === 'bulkWorker'
              ? [...common, 'BULK_QUEUE_URL']
              : common;
        expect(Object.keys(env).sort()).toEqual(expected.sort());
        expect(env.PUSH_CAP_PER_MINUTE).toBe('10000');
        expect(env.NOT_RESPONDING_AFTER_DAYS).toBe('7');
        expect(env.APNS_ORIGIN).toBe('https://api.push.apple.com');
        // No custom domain: the execute-api endpoint of this stack's API (no cycle: the API
        // resource does not depend on the functions).
        expect(env.PUBLIC_BASE_URL).toEqual({ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] });
      }
    });

    it('log to their own log group with 90 days retention', () => {
      const groups = t.findResources('AWS::Logs::LogGroup');
      // seven functions + API access logs
      expect(Object.keys(groups)).toHaveLength(8);
      for (const g of Object.values(groups)) expect(g.Properties.RetentionInDays).toBe(90);
    });
  });

  describe('least privilege', () => {
    const statements = () => {
      const out: { policy: string; Action: string | string[]; Resource: unknown }[] = [];
      for (const [id, r] of Object.entries(t.findResources('AWS::IAM::Policy') as Resources)) {
        for (const s of r.Properties.PolicyDocument.Statement) out.push({ policy: id, ...s });
      }
      for (const [id, r] of Object.entries(t.findResources('AWS::IAM::Role') as Resources)) {
        for (const p of r.Properties.Policies ?? [])
          for (const s of p.PolicyDocument.Statement) out.push({ policy: id, ...s });
        expect(r.Properties.ManagedPolicyArns).toBeUndefined();
      }
      return out;
    };
    const actionsOf = (s: { Action: string | string[] }) => ([] as string[]).concat(s.Action);

    it('has no wildcard action and no "*" resource', () => {
      const all = statements();
      expect(all.length).toBeGreaterThan(10);
      for (const s of all) {
        for (const a of actionsOf(s)) expect(a).not.toMatch(/\*$/);
        expect(s.Resource).not.toBe('*');
      }
    });

    const actionsOfFunction = (name: FunctionName) => {
      const role = (t.findResources('AWS::Lambda::Function')[fnId[name]].Properties.Role as { 'Fn::GetAtt': string[] })[
        'Fn::GetAtt'
      ][0];
      const policies = Object.values(t.findResources('AWS::IAM::Policy') as Resources).filter((p) =>
        (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role),
      );
      return new Set(policies.flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap(actionsOf)));
    };

    it('every function reads and writes both tables and may use the secrets key', () => {
      for (const name of Object.keys(fnId) as FunctionName[]) {
        const a = actionsOfFunction(name);
        for (const x of [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:Query',
          'kms:Decrypt',
          'kms:GenerateDataKey',
        ]) {
          expect([name, a.has(x)]).toEqual([name, true]);
        }
      }
    });

    it('only admin, jobs and the workers may send to the push and bulk queues; only admin reads the operator key', () => {
      expect(allowedOn('sqs:SendMessage', idOf(stack.push.queue))).toEqual([
        'admin',
        'bulkWorker',
        'jobs',
        'pushWorker',
      ]);
      expect(allowedOn('sqs:SendMessage', idOf(stack.bulk.queue))).toEqual(['admin', 'bulkWorker']);
      const readers = (Object.keys(fnId) as FunctionName[]).filter((n) =>
        actionsOfFunction(n).has('secretsmanager:GetSecretValue'),
      );
      expect(readers).toEqual(['admin']);
    });
  });

  describe('events', () => {
    it('every function may put events on the bus (only that bus) and queue webhook deliveries', () => {
      const busId = idOf(stack.eventBus);
      const all = (Object.keys(fnId) as FunctionName[]).sort();
      expect(allowedOn('events:PutEvents', busId)).toEqual(all);
      expect(allowedOn('sqs:SendMessage', idOf(stack.webhooks.queue))).toEqual(all);
      const fns = t.findResources('AWS::Lambda::Function');
      for (const id of Object.values(fnId)) {
        const env = fns[id].Properties.Environment.Variables;
        expect(env.EVENT_BUS_NAME).toEqual({ Ref: busId });
        expect(env.WEBHOOK_QUEUE_URL).toEqual({ Ref: idOf(stack.webhooks.queue) });
      }
    });

    it('has its own custom bus, named after the stack, and outputs its name', () => {
      t.resourceCountIs('AWS::Events::EventBus', 1);
      t.hasResourceProperties('AWS::Events::EventBus', { Name: 'MdmApp-events' });
      t.hasOutput('EventBusName', { Value: { Ref: idOf(stack.eventBus) } });
    });

    it('delivers webhooks from a queue with a DLQ (alarmed), five deliveries per worker invocation', () => {
      const timeout = t.findResources('AWS::Lambda::Function')[fnId.webhookWorker].Properties.Timeout as number;
      // Five receivers that each take the full 10 s still finish within the worker's timeout.
      expect(timeout).toBeGreaterThan(5 * 10);
      t.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: timeout * 6,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [idOf(stack.webhooks.deadLetterQueue), 'Arn'] },
          maxReceiveCount: 5,
        },
      });
      t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: fnId.webhookWorker },
        BatchSize: 5,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf(stack.webhooks.deadLetterQueue), 'QueueName'] } },
        ],
      });
      for (const o of ['WebhookQueueUrl', 'WebhookDeadLetterQueueUrl']) t.hasOutput(o, {});
    });
  });

  describe('HTTP API', () => {
    it('has one route per ROUTES entry, each to its surface function', () => {
      const routes = Object.values(t.findResources('AWS::ApiGatewayV2::Route') as Resources);
      expect(routes).toHaveLength(ROUTES.length);
      const integrations = t.findResources('AWS::ApiGatewayV2::Integration') as Resources;
      expect(Object.keys(integrations)).toHaveLength(3);
      for (const r of ROUTES) {
        const matches = routes.filter((x) => x.Properties.RouteKey === `${r.method} ${r.path}`);
        expect(matches).toHaveLength(1);
        const target = JSON.stringify(matches[0].Properties.Target);
        const integrationId = Object.keys(integrations).find((id) => target.includes(`"${id}"`));
        expect(integrationId).toBeDefined();
        const uri = integrations[integrationId!].Properties.IntegrationUri;
        expect([r.op, uri]).toEqual([r.op, { 'Fn::GetAtt': [fnId[r.surface], 'Arn'] }]);
      }
    });

    it('uses payload format 2.0 and an auto-deployed $default stage with JSON access logs', () => {
      t.allResourcesProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
      });
      t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        AccessLogSettings: {
          DestinationArn: Match.anyValue(),
          Format: Match.stringLikeRegexp('"routeKey":"\\$context.routeKey"'),
        },
      });
      t.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: false, ProtocolType: 'HTTP' });
    });

    it('grants API Gateway one invoke permission per surface function', () => {
      const perms = Object.values(t.findResources('AWS::Lambda::Permission') as Resources).filter(
        (p) => p.Properties.Principal === 'apigateway.amazonaws.com',
      );
      expect(perms.map((p) => p.Properties.FunctionName['Fn::GetAtt'][0]).sort()).toEqual(
        [fnId.admin, fnId.android, fnId.apple].sort(),
      );
    });
  });

  describe('queues: push fan-out and bulk fan-out', () => {
    it('each worker has an encrypted, TLS-only queue with a DLQ after 5 receives and a visibility timeout of 6x its timeout', () => {
      t.resourceCountIs('AWS::SQS::Queue', 6);
      for (const worker of ['pushWorker', 'bulkWorker', 'webhookWorker'] as const) {
        const timeout = t.findResources('AWS::Lambda::Function')[fnId[worker]].Properties.Timeout as number;
        t.hasResourceProperties('AWS::SQS::Queue', {
          SqsManagedSseEnabled: true,
          VisibilityTimeout: timeout * 6,
          RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
        });
      }
      t.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
      for (const p of Object.values(t.findResources('AWS::SQS::QueuePolicy') as Resources)) {
        expect(JSON.stringify(p.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
      }
      t.resourceCountIs('AWS::SQS::QueuePolicy', 6);
    });

    it('feeds each worker with partial batch failures: push batches 10 at a time, bulk steps one at a time', () => {
      t.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
      for (const [worker, batch, concurrency] of [
        ['pushWorker', 10, 10],
        ['bulkWorker', 1, 15],
        ['webhookWorker', 5, 10],
      ] as const) {
        t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          FunctionName: { Ref: fnId[worker] },
          BatchSize: batch,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: concurrency },
        });
      }
    });

    it('tells only admin and the bulk worker where the bulk queue is', () => {
      const withBulkQueue = (Object.keys(fnId) as FunctionName[])
        .filter(
          (n) => t.findResources('AWS::Lambda::Function')[fnId[n]].Properties.Environment.Variables.BULK_QUEUE_URL,
        )
        .sort();
      expect(withBulkQueue).toEqual(['admin', 'bulkWorker']);
    });
  });

  describe('schedules', () => {
    it('run every job on its default schedule with { job } as input', () => {
      expect(Object.keys(DEFAULT_SCHEDULES).sort()).toEqual([...JOB_NAMES].sort());
      t.resourceCountIs('AWS::Events::Rule', 4);
      for (const [job, expr] of Object.entries(DEFAULT_SCHEDULES)) {
        t.hasResourceProperties('AWS::Events::Rule', {
          ScheduleExpression: expr,
          State: 'ENABLED',
          Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId.jobs, 'Arn'] }, Input: JSON.stringify({ job }) })],
        });
      }
      expect(DEFAULT_SCHEDULES.resync).toBe('cron(0 3 * * ? *)');
      expect(DEFAULT_SCHEDULES['not-responding-sweep']).toBe('rate(1 hour)');
      expect(DEFAULT_SCHEDULES['reconcile-counters']).toMatch(/^cron\(\d+ \d+ \* \* \? \*\)$/);
      expect(DEFAULT_SCHEDULES['certificate-check']).toMatch(/^cron\(\d+ \d+ \* \* \? \*\)$/);
    });
  });

  describe('alarms', () => {
    it("alarm on each DLQ's depth and on every function's Errors and Throttles, to the SNS topic", () => {
      t.resourceCountIs('AWS::CloudWatch::Alarm', 3 + 2 * 7);
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      for (const id of Object.values(fnId)) {
        for (const metric of ['Errors', 'Throttles']) {
          t.hasResourceProperties('AWS::CloudWatch::Alarm', {
            MetricName: metric,
            Namespace: 'AWS/Lambda',
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: id } }],
            AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmsTopic') }],
          });
        }
      }
      t.resourceCountIs('AWS::SNS::Subscription', 0);
    });
  });

  it('has the outputs operators need', () => {
    for (const o of [
      'ApiUrl',
      'OperatorKeySecretName',
      'PushQueueUrl',
      'DeadLetterQueueUrl',
      'BulkQueueUrl',
      'BulkDeadLetterQueueUrl',
      'MainTableName',
      'LogsTableName',
      'AlarmTopicArn',
    ]) {
      t.hasOutput(o, {});
    }
    t.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'MdmApp/operator-key',
      GenerateSecretString: { ExcludePunctuation: true, PasswordLength: 48 },
    });
  });
});

describe('AppStack (tunables)', () => {
  let t: Template;
  let stack: AppStack;
  beforeAll(() => {
    const b = build({
      pushCapPerMinute: 5000,
      resyncSchedule: 'cron(15 1 * * ? *)',
      sweepSchedule: 'rate(30 minutes)',
      notRespondingAfterDays: 3,
      logRetentionDays: 30,
      apnsOrigin: 'https://apns.test:8443',
      domainName: 'mdm.example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/abc',
      alarmEmail: 'ops@example.com',
      pushMaxConcurrency: 4,
    });
    stack = b.appStack;
    t = templates(b).app;
  });

  it('changes the schedules', () => {
    const jobs = logicalIdOf(stack, stack.functions.jobs);
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(15 1 * * ? *)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [jobs, 'Arn'] }, Input: '{"job":"resync"}' })],
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(30 minutes)',
      Targets: [Match.objectLike({ Input: '{"job":"not-responding-sweep"}' })],
    });
    expect(JSON.stringify(t.findResources('AWS::Events::Rule'))).not.toContain('cron(0 3 * * ? *)');
  });

  it('passes the numbers and the custom domain URL to the functions', () => {
    for (const f of Object.values(t.findResources('AWS::Lambda::Function'))) {
      const env = f.Properties.Environment.Variables;
      expect(env.PUSH_CAP_PER_MINUTE).toBe('5000');
      expect(env.NOT_RESPONDING_AFTER_DAYS).toBe('3');
      expect(env.APNS_ORIGIN).toBe('https://apns.test:8443');
      expect(env.PUBLIC_BASE_URL).toBe('https://mdm.example.com');
    }
    for (const g of Object.values(t.findResources('AWS::Logs::LogGroup')))
      expect(g.Properties.RetentionInDays).toBe(30);
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 4 } });
  });

  it('maps the custom domain and turns the execute-api endpoint off', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'mdm.example.com',
      DomainNameConfigurations: [
        Match.objectLike({
          CertificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/abc',
          EndpointType: 'REGIONAL',
        }),
      ],
    });
    t.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
    t.hasOutput('ApiUrl', { Value: 'https://mdm.example.com' });
    t.hasOutput('CustomDomainTarget', {});
    t.hasOutput('CustomDomainHostedZoneId', {});
  });

  it('subscribes the alarm email', () => {
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it('rejects bad tunables at synth time', () => {
    expect(() => build({ pushCapPerMinute: 0 })).toThrow(/pushCapPerMinute/);
    expect(() => build({ logRetentionDays: 45 })).toThrow(/logRetentionDays/);
    expect(() => build({ domainName: 'mdm.example.com' })).toThrow(/certificateArn/);
    expect(() => build({ apnsOrigin: 'api.push.apple.com' })).toThrow(/apnsOrigin/);
  });
});
