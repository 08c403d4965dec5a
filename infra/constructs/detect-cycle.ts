// (infra) the detect cycle: every N minutes an EventBridge rule starts one Step Functions Standard
// execution whose inline Map runs every detect shard at once, each as collect (its shard's series) then
// that shard's own detect function, both with the execution's start time as "now". A shard that still
// fails after its retries never stops the others; the execution then fails after the Map, and an alarm
// on failed or timed-out executions pages the NOC (ADR 0024).
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  CYCLE_EXECUTION_SHARE,
  cycleTimeoutSeconds,
  DETECT_TIMEOUT_MAX_SECONDS,
} from '../../shared/domain/series-cost';
import { type Shard, shardName } from '../../shared/domain/shards';
import { DependencyError, ShardIncompleteError, ValidationError } from '../../shared/errors';
import { AlarmedDeadLetterQueue } from './dead-letter-queue';
import { cronMinuteField } from './job-schedule';
import type { MonitorFunction } from './monitor-function';

/** Share of the cycle period an execution may run: it ends (or times out) before the next one starts. */
export const EXECUTION_SHARE = CYCLE_EXECUTION_SHARE;
/** Detect's Lambda timeout when the cycle leaves room for it (the 2 minutes detect always had). */
export const DETECT_TIMEOUT_MAX = Duration.seconds(DETECT_TIMEOUT_MAX_SECONDS);

/**
 * Lambda and Step Functions errors worth a prompt retry with backoff: Lambda's transient 5xx, and
 * throttling (reserved concurrency 1: a previous cycle's or a manual run of the same shard still runs).
 */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
];
/** A function that timed out (or ran out of memory: Lambda.Unknown), or a task that never answered. */
export const LAMBDA_TIMEOUT_ERRORS = ['Sandbox.Timedout', 'Lambda.Unknown', 'States.Timeout'];

/** What one cycle may take, and the detect timeout that leaves collect and retries their share. */
export interface CycleTimeouts {
  /** The execution's timeout: {@link EXECUTION_SHARE} of the period. */
  readonly execution: Duration;
  /** Detect's Lambda timeout: half the execution, at most {@link DETECT_TIMEOUT_MAX}. */
  readonly detect: Duration;
}

/**
 * The timeouts of a cycle that starts every `everyMinutes`. Every period from 5 minutes up keeps detect
 * at 2 minutes; a 1-minute cycle gives detect 24 s, so the shard plan (sized by the detect timeout)
 * puts fewer series in each shard instead of planning work the cycle has no time for.
 */
export function cycleTimeouts(everyMinutes: number): CycleTimeouts {
  // One rule for the stack and the API's cost estimate (which plans the fleet with the same timeout).
  const seconds = cycleTimeoutSeconds(everyMinutes);
  return { execution: Duration.seconds(seconds.execution), detect: Duration.seconds(seconds.detect) };
}

/** One entry of the Map: a shard and the function that detects it. */
export interface CycleShard {
  readonly shard: Shard;
  readonly detect: MonitorFunction;
}

/** Properties of {@link DetectCycle}. */
export interface DetectCycleProps {
  /** Collects one shard's series per invocation (one function for every shard: it keeps no state). */
  readonly collect: MonitorFunction;
  /** Every shard of the plan, by index, with its own detect function. */
  readonly shards: readonly CycleShard[];
  /** Start a cycle every N minutes (N divides 60), at minute 0 of the hour and every N after. */
  readonly everyMinutes: number;
  /**
   * Retention of the state machine's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** What each Map iteration returns: the shard index and how collect and detect ended. */
const ITERATION_OUTPUT = {
  shard: '{% $states.input.shard.index %}',
  collect: '{% $collect %}',
  detect: '{% $detect %}',
};
/** A Lambda result's `status` ('ok', 'partial', 'rejected'), or 'no status' rather than undefined. */
const RESULT_STATUS =
  "{% $exists($states.result.Payload.status) ? $states.result.Payload.status : 'no status' %}";
/** The iterations that failed: collect neither ok nor partial (some points retried next run), or detect not ok. */
const FAILED_SHARDS = "$states.input[$not(collect in ['ok', 'partial']) or detect != 'ok']";

/**
 * The DetectCycle state machine (Standard, JSONata), its schedule, its logs and X-Ray tracing, the queue
 * for schedule events EventBridge could not deliver, and the alarm on failed or timed-out executions.
 */
export class DetectCycle extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  /** Starts an execution every `everyMinutes`. */
  public readonly rule: events.Rule;
  public readonly logGroup: logs.LogGroup;
  /** Schedule events that could not start an execution (after 2 retries) land here. */
  public readonly startDeadLetter: AlarmedDeadLetterQueue;
  /** Executions that failed (some shard failed after its retries) or timed out, in a cycle period. */
  public readonly failedAlarm: cloudwatch.Alarm;

  public constructor(scope: Construct, id: string, props: DetectCycleProps) {
    super(scope, id);
    const minute = cronMinuteField(props.everyMinutes, 0, {
      job: 'the detect cycle',
      every: 'schedules.collectEveryMinutes',
    });
    checkShards(props.shards);
    const timeouts = cycleTimeouts(props.everyMinutes);
    const count = props.shards.length;

    // One iteration per shard: Collect → DetectOfShard (which function) → Detect <shard> → ShardDone.
    // Every task passes the iteration's input on and records how it ended in a variable of the iteration.
    const shardDone = sfn.Pass.jsonata(this, 'ShardDone', { outputs: ITERATION_OUTPUT });
    const collect = this.invoke('Collect', props.collect, 'collect');
    const detectOfShard = sfn.Choice.jsonata(this, 'DetectOfShard');
    for (const { shard, detect } of props.shards) {
      const task = this.invoke(`Detect ${shardName(shard)}`, detect, 'detect', [
        // Out of time: what finished is kept, and the same "now" resumes the rest, at once.
        {
          errors: [ShardIncompleteError.name],
          interval: Duration.seconds(1),
          maxAttempts: 3,
          backoffRate: 1,
        },
      ]);
      // A shard whose detect still fails after its retries ends its own iteration, never the Map.
      task.addCatch(shardDone, {
        errors: [sfn.Errors.ALL],
        outputs: '{% $states.input %}',
        assign: { detect: '{% $states.errorOutput.Error %}' },
      });
      task.next(shardDone);
      detectOfShard.when(sfn.Condition.jsonata(`{% $states.input.shard.index = ${shard.index} %}`), task);
    }
    // Unreachable while the items and the choices come from the same list; a shard, not the cycle, fails.
    detectOfShard.otherwise(
      sfn.Pass.jsonata(this, 'NoDetectFunction', { assign: { detect: 'NoDetectFunction' } }).next(shardDone),
    );
    // Collect failing after its retries must not skip detect: detect judges what is stored, and a series
    // whose points stopped arriving is what raises NO_DATA.
    collect.addCatch(detectOfShard, {
      errors: [sfn.Errors.ALL],
      outputs: '{% $states.input %}',
      assign: { collect: '{% $states.errorOutput.Error %}' },
    });
    collect.next(detectOfShard);

    const map = sfn.Map.jsonata(this, 'Shards', {
      comment: `${count} detect shard(s), all at once`,
      items: sfn.ProvideItems.jsonArray(
        props.shards.map(({ shard }) => ({ index: shard.index, count: shard.count })),
      ),
      maxConcurrency: count,
      // The execution's start time is the cycle's "now": a retry (or a redrive) re-processes the same window.
      itemSelector: {
        time: '{% $states.context.Execution.StartTime %}',
        shard: '{% $states.context.Map.Item.Value %}',
      },
    });
    map.itemProcessor(collect);
    const anyFailed = sfn.Choice.jsonata(this, 'AnyShardFailed')
      .when(
        sfn.Condition.jsonata(`{% $count(${FAILED_SHARDS}) > 0 %}`),
        sfn.Fail.jsonata(this, 'ShardsFailed', {
          error: 'ShardsFailed',
          cause: `{% 'Shards that failed after their retries: ' & $string(${FAILED_SHARDS}) %}`,
        }),
      )
      .otherwise(sfn.Succeed.jsonata(this, 'CycleDone'));

    // A generated name, like every log group of the stack: a retained group of a deleted stack never
    // blocks a new one.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: `Every ${props.everyMinutes} min: collect then detect, for each of ${count} shard(s)`,
      definitionBody: sfn.DefinitionBody.fromChainable(map.next(anyFailed)),
      queryLanguage: sfn.QueryLanguage.JSONATA,
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: timeouts.execution,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.acknowledgeRoleWildcards(props);

    this.startDeadLetter = new AlarmedDeadLetterQueue(this, 'StartDeadLetterQueue', {
      purpose: 'detect cycle start',
    });
    Validations.of(this.startDeadLetter.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself a dead letter: the schedule rule's target sends the events that could not " +
        'start an execution here; an alarm fires on its first message and it keeps them 14 days.',
    });
    this.rule = new events.Rule(this, 'Schedule', {
      description: `Starts the detect cycle (cron minute ${minute})`,
      schedule: events.Schedule.cron({ minute }),
    });
    this.rule.addTarget(
      new targets.SfnStateMachine(this.stateMachine, {
        retryAttempts: 2,
        // A start later than one period would overlap the next cycle, which covers the same window.
        maxEventAge: Duration.minutes(props.everyMinutes),
        deadLetterQueue: this.startDeadLetter.queue,
      }),
    );

    // One period per datapoint: a cycle failing every time keeps the alarm on instead of flapping.
    const period = Duration.minutes(props.everyMinutes);
    this.failedAlarm = new cloudwatch.Alarm(this, 'ExecutionsFailed', {
      alarmDescription:
        'A detect cycle failed (a shard still failed after its retries; the execution history names it) or timed out',
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
        usingMetrics: {
          failed: this.stateMachine.metricFailed({ period, statistic: cloudwatch.Stats.SUM }),
          timedOut: this.stateMachine.metricTimedOut({ period, statistic: cloudwatch.Stats.SUM }),
        },
        period,
        label: 'failed or timed-out executions',
      }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** The alarms to wire to the NOC topic. */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.failedAlarm, this.startDeadLetter.alarm];
  }

  /**
   * A synchronous invoke of `job` with `{ time, shard }`; records the result's status (or the error's
   * name) in the iteration variable `outcome`, and passes the iteration's input on.
   */
  private invoke(
    stateName: string,
    job: MonitorFunction,
    outcome: 'collect' | 'detect',
    firstRetries: sfn.RetryProps[] = [],
  ): tasks.LambdaInvoke {
    const lambdaTimeout = job.lambdaFunction.timeout ?? Duration.seconds(3);
    const task = tasks.LambdaInvoke.jsonata(this, stateName, {
      stateName,
      lambdaFunction: job.lambdaFunction,
      payload: sfn.TaskInput.fromObject({
        time: '{% $states.input.time %}',
        shard: '{% $states.input.shard %}',
      }),
      // Lambda answers a timed-out run itself; this only ends an invoke whose answer never came.
      taskTimeout: sfn.Timeout.duration(lambdaTimeout.plus(Duration.seconds(30))),
      // Its own retries below instead of CDK's default (6 attempts over two minutes).
      retryOnServiceExceptions: false,
      outputs: '{% $states.input %}',
      assign: { [outcome]: RESULT_STATUS },
    });
    for (const retry of firstRetries) task.addRetry(retry);
    task
      .addRetry({
        errors: LAMBDA_TRANSIENT_ERRORS,
        interval: Duration.seconds(2),
        maxAttempts: 4,
        backoffRate: 2,
        maxDelay: Duration.seconds(20),
        jitterStrategy: sfn.JitterType.FULL,
      })
      // CloudWatch, DynamoDB or S3 failed after the SDK's own retries (every series, for detect).
      .addRetry({
        errors: [DependencyError.name],
        interval: Duration.seconds(5),
        maxAttempts: 2,
        backoffRate: 2,
      })
      .addRetry({ errors: LAMBDA_TIMEOUT_ERRORS, interval: Duration.seconds(1), maxAttempts: 1 });
    return task;
  }

  /**
   * The role's wildcards, each with its reason: the invoke grant covers the qualified ARNs (`:*`, its
   * versions and aliases) of exactly these functions; logs and X-Ray have no resource-level permissions.
   */
  private acknowledgeRoleWildcards(props: DetectCycleProps): void {
    const policy = this.stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (policy === undefined) throw new Error(`${this.node.path}: the state machine role has no policy`);
    const stack = Stack.of(this);
    for (const job of [props.collect, ...props.shards.map((s) => s.detect)]) {
      const fnId = stack.getLogicalId(job.lambdaFunction.node.defaultChild as never);
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${fnId}.Arn>:*]`,
        reason:
          "CDK's LambdaInvoke grants lambda:InvokeFunction on the function ARN and its qualified ARNs " +
          '(versions and aliases of this one function, none published); no other function.',
      });
    }
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:CreateLogDelivery and the other delivery actions) and X-Ray ' +
        '(xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules/Targets) support no resource-level ' +
        "permissions; '*' is AWS's documented resource for them. The invoke statements name their functions.",
    });
  }
}

/** The Map's items must be the shards 0 … count − 1 of one plan, each once. */
function checkShards(shards: readonly CycleShard[]): void {
  const issues: string[] = [];
  if (shards.length === 0) issues.push('shards: a cycle needs at least one shard');
  shards.forEach(({ shard }, i) => {
    if (shard.index !== i || shard.count !== shards.length) {
      issues.push(`shards[${i}]: is ${shardName(shard)}, expected shard ${i} of ${shards.length}`);
    }
  });
  if (issues.length > 0) throw new ValidationError('Invalid detect cycle', issues);
}
