import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface AlarmsProps {
  /** Functions by a short name used in alarm names, e.g. `{ admin: fn }`. */
  readonly functions: Record<string, IFunction>;
  /** Dead-letter queues by a short name used in alarm names, e.g. `{ Push: dlq }`. */
  readonly deadLetterQueues: Record<string, IQueue>;
  /** Subscribed to the alarm topic when given. */
  readonly alarmEmail?: string;
}

/**
 * Operator alarms (infrastructure, not the per-tenant alarms the app keeps itself): a message
 * in a DLQ (push batches, bulk steps), and any error or throttle of any function. All of them notify one SNS topic.
 */
export class Alarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { displayName: 'Serverless MDM alarms', enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry only alarm names and states, no tenant data. CloudWatch cannot publish to a topic ' +
        'encrypted with the AWS managed aws/sns key, and a customer managed key for this topic is not worth its cost.',
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);

    const add = (alarm: Alarm) => {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
    };

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      add(
        new Alarm(this, `${name}DeadLetters`, {
          alarmDescription: `${name} queue messages failed 5 times and are in its DLQ: see the ${name.toLowerCase()} worker logs, then redrive.`,
          metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    for (const [name, fn] of Object.entries(props.functions)) {
      add(
        new Alarm(this, `${name}-Errors`, {
          alarmDescription: `The ${name} function failed (unhandled error or timeout).`,
          metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
      add(
        new Alarm(this, `${name}-Throttles`, {
          alarmDescription: `The ${name} function was throttled: check account concurrency and the push worker's maxConcurrency.`,
          metric: fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }
  }
}
