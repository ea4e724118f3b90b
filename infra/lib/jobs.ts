// The schedules of the jobs function (EventBridge rules). Each run takes
// the job lock itself, so an overlapping run does nothing.

import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface JobsProps {
  readonly prefix: string;
  readonly jobsFunction: lambda.IFunction;
}

interface Schedule {
  readonly id: string;
  readonly description: string;
  readonly schedule: events.Schedule;
  readonly input: Record<string, unknown>;
}

/** The events the jobs function receives (its input contract). */
export const JOB_SCHEDULES: readonly Schedule[] = [
  {
    id: 'Insights',
    description: 'Session insights for idle sessions, every 5 minutes',
    schedule: events.Schedule.rate(Duration.minutes(5)),
    input: { job: 'insights', batchSize: 25, lookBackMinutes: 60 },
  },
  {
    id: 'Cleanup',
    description: 'Delete expired sessions with their messages, files and documents, hourly',
    schedule: events.Schedule.rate(Duration.hours(1)),
    input: { job: 'cleanup' },
  },
  {
    id: 'UsageReport',
    description: 'Daily usage report (00:15 UTC, the day before)',
    schedule: events.Schedule.cron({ minute: '15', hour: '0' }),
    input: { job: 'usage-report' },
  },
];

export class Jobs extends Construct {
  readonly rules: events.Rule[];
  /** Job events that could not be delivered after their retries (kept 14 days, alarmed). */
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: JobsProps) {
    super(scope, id);
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      queueName: `${props.prefix}-jobs-dead-letters`,
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.rules = JOB_SCHEDULES.map(
      (s) =>
        new events.Rule(this, `${s.id}Rule`, {
          ruleName: `${props.prefix}-${s.input.job as string}`,
          description: s.description,
          schedule: s.schedule,
          targets: [
            new targets.LambdaFunction(props.jobsFunction, {
              event: events.RuleTargetInput.fromObject(s.input),
              retryAttempts: 2,
              maxEventAge: Duration.hours(1),
              deadLetterQueue: this.deadLetters,
            }),
          ],
        }),
    );
  }
}
