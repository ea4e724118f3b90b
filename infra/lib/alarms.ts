// CloudWatch alarms, all notifying one SNS topic: function errors and
// throttles, api latency, API Gateway 5XX and latency, DynamoDB throttling
// and system errors, and the service's own EMF metrics (namespace `Pika`).

import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** The namespace of the service's embedded metric format output. */
export const EMF_NAMESPACE = 'Pika';

/** The DynamoDB operations the adapters use (a metric math alarm may hold at most 10 metrics). */
const DDB_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.BATCH_GET_ITEM,
  dynamodb.Operation.QUERY,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.DELETE_ITEM,
  dynamodb.Operation.BATCH_WRITE_ITEM,
  dynamodb.Operation.TRANSACT_WRITE_ITEMS,
];

export interface AlarmsProps {
  readonly prefix: string;
  readonly functions: Record<'api' | 'stream' | 'jobs', lambda.IFunction>;
  readonly restApi: apigw.RestApi;
  readonly tables: Record<string, dynamodb.Table>;
  readonly alarmEmail?: string;
  /** Chat apps with their own EMF alarms (the EMF metrics carry `chatAppId`). */
  readonly chatAppIds: string[];
  /** ResponseLatency p95 threshold, milliseconds. */
  readonly responseLatencyP95Ms?: number;
  /** SelfCorrectionRate (0..1) average threshold. */
  readonly selfCorrectionRate?: number;
  /** The jobs' dead-letter queue: any message in it is a job that never ran. */
  readonly jobDeadLetters?: sqs.IQueue;
}

export class Alarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.prefix = props.prefix;
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: `${props.prefix}-alarms`,
      displayName: 'Pika alarms',
      enforceSSL: true,
    });
    if (props.alarmEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }

    const five = Duration.minutes(5);

    for (const [name, fn] of Object.entries(props.functions)) {
      this.alarm(`${name}-errors`, `${props.prefix}-${name}: invocations that failed (crash, timeout, init error)`, {
        metric: fn.metricErrors({ period: five, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
      });
      this.alarm(`${name}-throttles`, `${props.prefix}-${name}: throttled invocations`, {
        metric: fn.metricThrottles({ period: five, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
      });
    }
    if (props.jobDeadLetters) {
      this.alarm('jobs-dead-letters', `${props.prefix}-jobs: scheduled job events that could not be delivered`, {
        metric: props.jobDeadLetters.metricApproximateNumberOfMessagesVisible({
          period: five,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 1,
      });
    }
    this.alarm('api-duration-p99', `${props.prefix}-api: p99 duration close to the 29 s API Gateway limit`, {
      metric: props.functions.api.metricDuration({ period: five, statistic: cloudwatch.Stats.p(99) }),
      threshold: 20_000,
      evaluationPeriods: 3,
    });

    this.alarm('apigw-5xx', 'REST API: 5XX responses', {
      metric: props.restApi.metricServerError({ period: five, statistic: cloudwatch.Stats.SUM }),
      threshold: 5,
    });
    this.alarm('apigw-latency-p99', 'REST API: p99 latency', {
      metric: props.restApi.metricLatency({ period: five, statistic: cloudwatch.Stats.p(99) }),
      threshold: 10_000,
      evaluationPeriods: 3,
    });

    for (const [name, table] of Object.entries(props.tables)) {
      this.alarm(`ddb-${name}-throttled`, `DynamoDB ${props.prefix}-${name}: throttled requests`, {
        metric: table.metricThrottledRequestsForOperations({ operations: DDB_OPERATIONS, period: five }),
        threshold: 1,
      });
      this.alarm(`ddb-${name}-system-errors`, `DynamoDB ${props.prefix}-${name}: system errors`, {
        metric: table.metricSystemErrorsForOperations({ operations: DDB_OPERATIONS, period: five }),
        threshold: 1,
      });
    }

    // EMF metrics. The service emits them with one dimension set,
    // [chatAppId]. Across all chat apps: SelfCorrectionRate through a Metrics
    // Insights query over every chatAppId series; ResponseLatency p95 on the
    // metric without dimensions (percentiles cannot be aggregated across
    // series afterwards), which exists once the EMF records also carry the
    // empty dimension set []. Per chat app (context alarmChatAppIds): both,
    // on the chatAppId dimension.
    const latencyMs = props.responseLatencyP95Ms ?? 60_000;
    const correction = props.selfCorrectionRate ?? 0.3;
    const latency = (dimensionsMap?: Record<string, string>) =>
      new cloudwatch.Metric({
        namespace: EMF_NAMESPACE,
        metricName: 'ResponseLatency',
        dimensionsMap,
        statistic: cloudwatch.Stats.p(95),
        period: Duration.minutes(15),
      });
    this.alarm('response-latency-p95', 'Pika ResponseLatency p95 (all chat apps: the EMF records carry the empty dimension set)', {
      metric: latency(),
      threshold: latencyMs,
      evaluationPeriods: 2,
    });
    this.alarm('self-correction-rate', 'Pika SelfCorrectionRate average (all chat apps)', {
      metric: new cloudwatch.MathExpression({
        expression: `SELECT AVG(SelfCorrectionRate) FROM SCHEMA("${EMF_NAMESPACE}", chatAppId)`,
        label: 'SelfCorrectionRate (all chat apps)',
        period: Duration.hours(1),
      }),
      threshold: correction,
    });
    for (const chatAppId of props.chatAppIds) {
      this.alarm(`response-latency-p95-${chatAppId}`, `Pika ResponseLatency p95 (chat app ${chatAppId})`, {
        metric: latency({ chatAppId }),
        threshold: latencyMs,
        evaluationPeriods: 2,
      });
      this.alarm(`self-correction-rate-${chatAppId}`, `Pika SelfCorrectionRate average (chat app ${chatAppId})`, {
        metric: new cloudwatch.Metric({
          namespace: EMF_NAMESPACE,
          metricName: 'SelfCorrectionRate',
          dimensionsMap: { chatAppId },
          statistic: cloudwatch.Stats.AVERAGE,
          period: Duration.hours(1),
        }),
        threshold: correction,
      });
    }
  }

  private alarm(
    name: string,
    description: string,
    opts: { metric: cloudwatch.IMetric; threshold: number; evaluationPeriods?: number },
  ): cloudwatch.Alarm {
    const id = name.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${this.prefix}-${name}`,
      alarmDescription: description,
      metric: opts.metric,
      threshold: opts.threshold,
      evaluationPeriods: opts.evaluationPeriods ?? 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }
}
