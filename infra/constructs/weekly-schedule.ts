// (infra) a weekly job: an EventBridge cron rule (UTC) targeting its function, with retries and the
// function's dead-letter queue for events EventBridge could not deliver.
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { WEEKDAYS, type Weekday } from '../../shared/domain/feedback';
import { ValidationError } from '../../shared/errors';
import type { MonitorFunction } from './monitor-function';

/** Properties of {@link WeeklySchedule}. */
export interface WeeklyScheduleProps {
  /** The job to run. */
  readonly job: MonitorFunction;
  /** Job name, for the rule description and error messages. */
  readonly jobName: string;
  /** Day of the week (UTC). */
  readonly day: Weekday;
  /** Hour, 0-23 (UTC). */
  readonly hour: number;
  /** Minute, 0-59. */
  readonly minute: number;
  /**
   * Retries of a failed delivery to the function (0-185).
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * Oldest event EventBridge still delivers.
   * @default Duration.hours(6) - a late weekly run still evaluates the same week
   */
  readonly maxEventAge?: Duration;
}

/** An EventBridge rule that invokes a {@link MonitorFunction} once a week. */
export class WeeklySchedule extends Construct {
  /** The rule. */
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: WeeklyScheduleProps) {
    super(scope, id);
    const issues: string[] = [];
    if (!WEEKDAYS.includes(props.day)) issues.push(`day: ${props.day} must be one of ${WEEKDAYS.join(', ')}`);
    if (!Number.isInteger(props.hour) || props.hour < 0 || props.hour > 23) issues.push('hour: must be 0-23');
    if (!Number.isInteger(props.minute) || props.minute < 0 || props.minute > 59) {
      issues.push('minute: must be 0-59');
    }
    if (issues.length > 0) throw new ValidationError(`Invalid weekly schedule for ${props.jobName}`, issues);

    this.rule = new events.Rule(this, 'Rule', {
      description: `Runs ${props.jobName} weekly (${props.day} ${props.hour}:${String(props.minute).padStart(2, '0')} UTC)`,
      schedule: events.Schedule.cron({
        minute: String(props.minute),
        hour: String(props.hour),
        weekDay: props.day,
      }),
    });
    this.rule.addTarget(
      new targets.LambdaFunction(props.job.lambdaFunction, {
        retryAttempts: props.retryAttempts ?? 2,
        maxEventAge: props.maxEventAge ?? Duration.hours(6),
        deadLetterQueue: props.job.deadLetterQueue.queue,
      }),
    );
  }
}
