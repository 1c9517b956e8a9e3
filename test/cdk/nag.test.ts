// cdk-nag 3 runs as a validation plugin during synth. An in-memory App (as in tests) throws on
// synth when a finding is neither fixed nor acknowledged, with the report in the message.
import { Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { build, fastApp } from './stacks';

describe('cdk-nag AwsSolutions', () => {
  it('is active in this harness: an unacknowledged finding fails synth', () => {
    const app = fastApp();
    new Queue(new Stack(app, 'Bad'), 'Q');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3/);
  });

  it('has no unacknowledged findings with the defaults', () => {
    const { app } = build({}, { nag: true });
    expect(() => app.synth()).not.toThrow();
  });

  it('has no unacknowledged findings with every option on', () => {
    const { app } = build(
      {
        tracing: true,
        domainName: 'mdm.example.com',
        certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/abc',
        alarmEmail: 'ops@example.com',
      },
      { nag: true },
    );
    expect(() => app.synth()).not.toThrow();
  });
});
