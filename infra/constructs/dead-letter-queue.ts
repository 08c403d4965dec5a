// (infra) where failed job invocations land: an encrypted SQS queue with an alarm on its first message,
// so a failure that exhausted its retries is kept for 14 days and seen, never silently dropped.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Properties of {@link AlarmedDeadLetterQueue}. */
export interface AlarmedDeadLetterQueueProps {
  /** What fails into this queue, for the alarm description (e.g. `collect`). */
  readonly purpose: string;
  /**
   * How long failed events are kept for inspection and redrive.
   * @default Duration.days(14) - the SQS maximum
   */
  readonly retentionPeriod?: Duration;
}

/**
 * An SQS dead-letter queue (SSE-SQS, TLS-only) and a CloudWatch alarm that fires when it holds any
 * message. The alarm has no action yet: attach one (an SNS topic) with `alarm.addAlarmAction`.
 */
export class AlarmedDeadLetterQueue extends Construct {
  /** The queue; Lambda async invocations and EventBridge targets send their failures here. */
  public readonly queue: sqs.Queue;
  /** ApproximateNumberOfMessagesVisible > 0. */
  public readonly alarm: cloudwatch.Alarm;

  public constructor(scope: Construct, id: string, props: AlarmedDeadLetterQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
    });
    this.alarm = new cloudwatch.Alarm(this, 'NotEmpty', {
      alarmDescription: `Failed ${props.purpose} invocations are waiting in the dead-letter queue`,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
