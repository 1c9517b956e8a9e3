import { Duration } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { JobName } from '../../lambdas/domain/jobs';

/** EventBridge schedule expressions (`cron(...)` / `rate(...)`, UTC), one per job. */
export type JobSchedules = Record<JobName, string>;

export const DEFAULT_SCHEDULES: JobSchedules = {
  resync: 'cron(0 3 * * ? *)',
  'not-responding-sweep': 'rate(1 hour)',
  // After the resync has settled, so the recount sees the night's state changes.
  'reconcile-counters': 'cron(30 4 * * ? *)',
  'certificate-check': 'cron(0 6 * * ? *)',
};

export interface SchedulesProps {
  readonly jobs: IFunction;
  readonly schedules: JobSchedules;
}

/** One EventBridge rule per job, each invoking the jobs function with `{ job }`. */
export class Schedules extends Construct {
  readonly rules: Record<JobName, Rule>;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    const rules: Partial<Record<JobName, Rule>> = {};
    for (const [job, expression] of Object.entries(props.schedules) as [JobName, string][]) {
      rules[job] = new Rule(this, job, {
        description: `Serverless MDM job ${job}`,
        schedule: Schedule.expression(expression),
        targets: [
          new LambdaFunction(props.jobs, {
            event: RuleTargetInput.fromObject({ job }),
            // Jobs are idempotent; a late run is still useful, a day-old one is not.
            retryAttempts: 2,
            maxEventAge: Duration.hours(1),
          }),
        ],
      });
    }
    this.rules = rules as Record<JobName, Rule>;
  }
}
