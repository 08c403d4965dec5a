// (infra) when a job runs: an EventBridge cron rule targeting its function, with retries and the
// function's dead-letter queue for events EventBridge could not deliver.
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { ValidationError } from '../../shared/errors';
import type { MonitorFunction } from './monitor-function';

/** Properties of {@link JobSchedule}. */
export interface JobScheduleProps {
  /** The job to run. */
  readonly job: MonitorFunction;
  /** Job name, for the rule description and error messages. */
  readonly jobName: string;
  /** Run every N minutes; N must divide 60 so the cron step never leaves a short gap at the hour. */
  readonly everyMinutes: number;
  /**
   * Minutes after each N-minute boundary (taken modulo N), e.g. detect runs 1 minute after collect.
   * @default 0
   */
  readonly offsetMinutes?: number;
  /**
   * Retries of a failed delivery to the function (0-185).
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * Oldest event EventBridge still delivers.
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;
}

/** Names used in {@link cronMinuteField}'s error messages, e.g. the config fields the values came from. */
export interface CronFieldNames {
  /** @default 'job' */
  readonly job?: string;
  /** @default 'everyMinutes' */
  readonly every?: string;
  /** @default 'offsetMinutes' */
  readonly offset?: string;
}

/**
 * The cron minute field for "every N minutes, O minutes past each N-minute boundary": `*` when N = 1,
 * else `O/N` with O taken modulo N.
 * @param everyMinutes - N, which must divide 60
 * @param offsetMinutes - O, 0-59
 * @param names - how to name the job and the two values in an error
 * @throws ValidationError naming the bad value when N does not divide 60 or O is outside 0-59
 */
export function cronMinuteField(everyMinutes: number, offsetMinutes = 0, names: CronFieldNames = {}): string {
  const issues: string[] = [];
  if (!Number.isInteger(everyMinutes) || everyMinutes < 1 || everyMinutes > 60 || 60 % everyMinutes !== 0) {
    issues.push(
      `${names.every ?? 'everyMinutes'}: ${everyMinutes} must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60); ` +
        'a cron minute step restarts every hour, so other values leave an uneven gap',
    );
  }
  if (!Number.isInteger(offsetMinutes) || offsetMinutes < 0 || offsetMinutes > 59) {
    issues.push(`${names.offset ?? 'offsetMinutes'}: ${offsetMinutes} must be an integer from 0 to 59`);
  }
  if (issues.length > 0) throw new ValidationError(`Invalid schedule for ${names.job ?? 'job'}`, issues);
  if (everyMinutes === 1) return '*';
  return `${offsetMinutes % everyMinutes}/${everyMinutes}`;
}

/** An EventBridge rule that invokes a {@link MonitorFunction} on a minute cron. */
export class JobSchedule extends Construct {
  /** The rule. */
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: JobScheduleProps) {
    super(scope, id);
    const minute = cronMinuteField(props.everyMinutes, props.offsetMinutes ?? 0, { job: props.jobName });

    this.rule = new events.Rule(this, 'Rule', {
      description: `Runs ${props.jobName} (cron minute ${minute})`,
      schedule: events.Schedule.cron({ minute }),
    });
    this.rule.addTarget(
      new targets.LambdaFunction(props.job.lambdaFunction, {
        retryAttempts: props.retryAttempts ?? 2,
        maxEventAge: props.maxEventAge ?? Duration.hours(1),
        deadLetterQueue: props.job.deadLetterQueue.queue,
      }),
    );
  }
}
