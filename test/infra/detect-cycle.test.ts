// CDK assertions for the detect cycle (issue #14): the DetectCycle state machine and its schedule, one
// detect function per shard, and each shard's least privilege, on a fleet big enough for 3 shards.
// Bundling is skipped (`aws:cdk:bundling-stacks: []`); test/infra/synth.test.ts bundles.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { addMonitorStack } from '../../infra/app';
import { cycleTimeouts } from '../../infra/constructs/detect-cycle';
import { planDetectShards } from '../../infra/constructs/detect-function';
import { EXAMPLE_CONFIG_FILE, PROJECT_ROOT } from '../../infra/load-config';
import type { MonitorStack } from '../../infra/stack';
import { transitionsPerCycle } from '../../shared/domain/cost-model';
import { seriesOfShard } from '../../shared/domain/shards';
import { ValidationError } from '../../shared/errors';
import { expandSeries, type MonitorConfig, parseMonitorConfig } from '../../shared/monitor-config';
import { logicalIdOf, renderValue } from '../helpers/cdk-values';

const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8'),
).context;
const EXAMPLE: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, EXAMPLE_CONFIG_FILE), 'utf8'),
);

/**
 * RDS metrics of the generated instances: four series per instance, none of them a drift feature of
 * the example (so train-drift's feature check stays quiet).
 */
const RDS_METRICS = ['FreeableMemory', 'ReadIOPS', 'WriteIOPS', 'SwapUsage'].map((metricName) => ({
  metric: `db_${metricName.toLowerCase()}`,
  metricName,
}));

/** The example fleet plus `instances` RDS instances (one alert group each: their `resource` tag). */
function fleetConfig(instances: number, everyMinutes: number): MonitorConfig {
  return parseMonitorConfig(
    {
      ...EXAMPLE,
      rds: {
        instances: Array.from({ length: instances }, (_, i) => ({ id: `db-${i}`, metrics: RDS_METRICS })),
      },
      schedules: { collectEveryMinutes: everyMinutes, detectEveryMinutes: everyMinutes },
    },
    'test',
  );
}

function build(config: MonitorConfig): { app: App; stack: MonitorStack; template: Template } {
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = addMonitorStack(app, config);
  return { app, stack, template: Template.fromStack(stack) };
}

const logicalId = logicalIdOf;

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
}
interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Resource?: string;
  Arguments?: { FunctionName: string; Payload: unknown };
  Retry?: Retrier[];
  Catch?: { ErrorEquals: string[]; Next: string; Assign?: Record<string, string> }[];
  Choices?: { Condition: string; Next: string }[];
  Items?: unknown[];
  ItemSelector?: unknown;
  MaxConcurrency?: number;
  ItemProcessor?: { ProcessorConfig: { Mode: string }; StartAt: string; States: Record<string, AslState> };
  Error?: string;
  Cause?: string;
}
interface Asl {
  StartAt: string;
  TimeoutSeconds: number;
  QueryLanguage: string;
  States: Record<string, AslState>;
}

/** Every statement of a role: its inline policies and the AWS::IAM::Policy resources attached to it. */
function statementsOf(
  template: Template,
  roleId: string,
): { Action: unknown; Resource: unknown; Condition?: unknown }[] {
  const role = template.findResources('AWS::IAM::Role')[roleId];
  if (!role) throw new Error(`no role ${roleId}`);
  const inline = (role.Properties.Policies ?? []).flatMap(
    (p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement,
  );
  const attached = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
  return [...inline, ...attached];
}

/** `action -> resource` pairs, sorted. */
function grantsOf(statements: { Action: unknown; Resource: unknown }[]): string[] {
  const pairs = new Set<string>();
  for (const s of statements) {
    for (const a of [s.Action].flat() as string[]) {
      for (const r of [s.Resource].flat()) pairs.add(`${a} -> ${renderValue(r)}`);
    }
  }
  return [...pairs].sort();
}

const LAMBDA_INVOKE = 'arn:Ref:AWS::Partition:states:::lambda:invoke';
const PAYLOAD = { time: '{% $states.input.time %}', shard: '{% $states.input.shard %}' };

describe('detect cycle with 3 shards (1,800 RDS instances, every 2 minutes)', () => {
  const config = fleetConfig(1800, 2);
  const { app, stack, template } = build(config);
  const shards = stack.detectShards;
  const machine = template.findResources('AWS::StepFunctions::StateMachine')[
    logicalId(stack, stack.detectCycle.stateMachine)
  ]!;
  const asl: Asl = JSON.parse(renderValue(machine.Properties.DefinitionString));
  const map = asl.States.Shards!;
  const iteration = map.ItemProcessor!.States;
  const fnArn = (job: { lambdaFunction: IConstruct }) => `${logicalId(stack, job.lambdaFunction)}.Arn`;

  it('plans 3 shards that hold every series, each within capacity, as the handlers split them', () => {
    const series = expandSeries(config);
    expect(stack.shardPlan.count).toBe(3);
    expect(stack.shardPlan.sizes.reduce((a, b) => a + b, 0)).toBe(series.length);
    expect(stack.shardPlan.largest).toBeLessThanOrEqual(stack.shardPlan.capacity);
    expect(shards.map((d) => d.shard)).toEqual([0, 1, 2].map((index) => ({ index, count: 3 })));
    for (const d of shards) {
      expect(seriesOfShard(series, d.shard, config.alerts.groupBy)).toHaveLength(
        stack.shardPlan.sizes[d.shard.index]!,
      );
    }
    // The plan is an output: what a deploy will run, before it runs.
    expect(template.findOutputs('DetectShards').DetectShards?.Value).toBe(
      `3 shard(s), series per shard ${stack.shardPlan.sizes.join('/')} (at most ${stack.shardPlan.capacity} each at 1769 MB)`,
    );
  });

  it('gives each shard its own detect function: the plan memory, reserved concurrency 1, a timeout the cycle leaves room for', () => {
    expect(shards.map((d) => d.node.id)).toEqual(['Detect0of3', 'Detect1of3', 'Detect2of3']);
    const detectSeconds = cycleTimeouts(2).detect.toSeconds();
    expect(detectSeconds).toBe(48);
    const functions = template.findResources('AWS::Lambda::Function');
    for (const d of shards) {
      expect(functions[logicalId(stack, d.lambdaFunction)]?.Properties).toMatchObject({
        MemorySize: stack.shardPlan.memoryMb,
        Timeout: detectSeconds,
        ReservedConcurrentExecutions: 1,
        Environment: { Variables: expect.objectContaining({ POWERTOOLS_SERVICE_NAME: 'detect' }) },
      });
    }
    // One collect for every shard (no reserved concurrency: the shards' collects run at once).
    const collects = Object.values(functions).filter(
      (f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'collect',
    );
    expect(collects).toHaveLength(1);
    expect(collects[0]?.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('shares one alarmed dead-letter queue between the shards', () => {
    const queues = new Set(shards.map((d) => d.deadLetterQueue));
    expect(queues.size).toBe(1);
    const functions = template.findResources('AWS::Lambda::Function');
    for (const d of shards) {
      expect(functions[logicalId(stack, d.lambdaFunction)]?.Properties.DeadLetterConfig).toEqual({
        TargetArn: { 'Fn::GetAtt': [logicalId(stack, shards[0]!.deadLetterQueue.queue), 'Arn'] },
      });
    }
    const alarm =
      template.findResources('AWS::CloudWatch::Alarm')[logicalId(stack, shards[0]!.deadLetterQueue.alarm)];
    expect(alarm?.Properties.AlarmActions).toEqual([{ Ref: logicalId(stack, stack.alerts.topic) }]);
  });

  it('is one Standard state machine in JSONata, timing out below the cycle period, logging ALL with X-Ray', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    expect(machine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: { 'Fn::GetAtt': [logicalId(stack, stack.detectCycle.logGroup), 'Arn'] },
            },
          },
        ],
      },
    });
    expect(asl.QueryLanguage).toBe('JSONata');
    expect(asl.TimeoutSeconds).toBe(96);
    expect(asl.TimeoutSeconds).toBeLessThan(Duration.minutes(2).toSeconds());
    expect(asl.StartAt).toBe('Shards');
  });

  it('maps the static list of shards, all at once, each item given the execution start time as "now"', () => {
    expect(map).toMatchObject({
      Type: 'Map',
      MaxConcurrency: 3,
      Items: [0, 1, 2].map((index) => ({ index, count: 3 })),
      ItemSelector: {
        time: '{% $states.context.Execution.StartTime %}',
        shard: '{% $states.context.Map.Item.Value %}',
      },
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Collect' },
      Next: 'AnyShardFailed',
    });
  });

  it('runs collect, then the detect function of that shard, with the same { time, shard } payload', () => {
    expect(iteration.Collect).toMatchObject({
      Type: 'Task',
      Resource: LAMBDA_INVOKE,
      Arguments: { FunctionName: fnArn(stack.collect), Payload: PAYLOAD },
      Next: 'DetectOfShard',
    });
    const choice = iteration.DetectOfShard!;
    expect(choice.Choices).toEqual(
      shards.map((d) => ({
        Condition: `{% $states.input.shard.index = ${d.shard.index} %}`,
        Next: `Detect ${d.shard.index}of3`,
      })),
    );
    for (const d of shards) {
      expect(iteration[`Detect ${d.shard.index}of3`]).toMatchObject({
        Type: 'Task',
        Resource: LAMBDA_INVOKE,
        Arguments: { FunctionName: fnArn(d), Payload: PAYLOAD },
        Next: 'ShardDone',
      });
    }
    expect(iteration.ShardDone).toMatchObject({ Type: 'Pass', End: true });
  });

  it('retries an incomplete shard promptly, and Lambda errors, throttles and timeouts with backoff', () => {
    const errorsOf = (state: AslState) => (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
    for (const d of shards) {
      const retry = iteration[`Detect ${d.shard.index}of3`]!.Retry!;
      expect(retry[0]).toEqual({
        ErrorEquals: ['ShardIncompleteError'],
        IntervalSeconds: 1,
        MaxAttempts: 3,
        BackoffRate: 1,
      });
    }
    for (const state of [
      iteration.Collect!,
      ...shards.map((d) => iteration[`Detect ${d.shard.index}of3`]!),
    ]) {
      expect(errorsOf(state)).toEqual(
        expect.arrayContaining([
          'Lambda.ServiceException',
          'Lambda.TooManyRequestsException',
          'Sandbox.Timedout',
          'States.Timeout',
          'DependencyError',
        ]),
      );
      const throttles = state.Retry!.find((r) => r.ErrorEquals.includes('Lambda.TooManyRequestsException'))!;
      expect(throttles.BackoffRate).toBeGreaterThan(1);
    }
    expect(errorsOf(iteration.Collect!)).not.toContain('ShardIncompleteError');
  });

  it('goes on to detect when collect fails; ends only its own iteration when detect fails; fails the execution after the Map', () => {
    expect(iteration.Collect!.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'DetectOfShard' }),
    ]);
    for (const d of shards) {
      expect(iteration[`Detect ${d.shard.index}of3`]!.Catch).toEqual([
        expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'ShardDone' }),
      ]);
    }
    // The Map itself catches nothing: every iteration ends in ShardDone, failed or not.
    expect(map.Catch).toBeUndefined();
    const anyFailed = asl.States.AnyShardFailed!;
    expect(anyFailed.Type).toBe('Choice');
    expect(anyFailed.Choices).toEqual([expect.objectContaining({ Next: 'ShardsFailed' })]);
    expect(anyFailed.Default).toBe('CycleDone');
    expect(asl.States.ShardsFailed).toMatchObject({ Type: 'Fail', Error: 'ShardsFailed' });
  });

  it('enters 3 + 4 per shard states a cycle, the count bench:scale prices', () => {
    // Top level: the Map, the final Choice and one end state per outcome (one of them is entered).
    expect(Object.keys(asl.States).sort()).toEqual(['AnyShardFailed', 'CycleDone', 'Shards', 'ShardsFailed']);
    // Each iteration: Collect, the Choice of its function, that shard's Detect, ShardDone (a shard with
    // no function of its own, NoDetectFunction, cannot happen with a static plan).
    expect(Object.keys(iteration)).toHaveLength(4 + shards.length);
    expect(iteration.NoDetectFunction).toBeDefined();
    expect(transitionsPerCycle(shards.length)).toBe(3 + 4 * shards.length);
  });

  it('alarms the NOC on failed or timed-out executions, one cycle period per datapoint', () => {
    const alarm =
      template.findResources('AWS::CloudWatch::Alarm')[logicalId(stack, stack.detectCycle.failedAlarm)];
    const machineArn = { Ref: logicalId(stack, stack.detectCycle.stateMachine) };
    expect(alarm?.Properties).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId(stack, stack.alerts.topic) }],
      OKActions: [{ Ref: logicalId(stack, stack.alerts.topic) }],
    });
    const metrics = alarm?.Properties.Metrics as {
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Dimensions: unknown }; Period: number; Stat: string };
    }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(failed, 0) + FILL(timedOut, 0)');
    const stats = metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat] : []));
    expect(stats.map((m) => m.Metric.MetricName).sort()).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const m of stats) {
      expect(m).toMatchObject({ Period: 120, Stat: 'Sum' });
      expect(m.Metric.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: machineArn }]);
    }
  });

  it('starts every 2 minutes from an EventBridge rule', () => {
    const rule = template.findResources('AWS::Events::Rule')[logicalId(stack, stack.detectCycle.rule)];
    expect(rule?.Properties.ScheduleExpression).toBe('cron(0/2 * * * ? *)');
    expect(rule?.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { Ref: logicalId(stack, stack.detectCycle.stateMachine) } }),
    ]);
  });

  it('lets the state machine invoke only collect and the shard functions (logs and X-Ray aside)', () => {
    const role = logicalId(stack, stack.detectCycle.stateMachine.role);
    const invokes = grantsOf(statementsOf(template, role)).filter((g) => g.startsWith('lambda:'));
    const jobs = [stack.collect, ...shards];
    expect(invokes).toEqual(
      jobs
        .flatMap((j) => [`lambda:InvokeFunction -> ${fnArn(j)}`, `lambda:InvokeFunction -> ${fnArn(j)}:*`])
        .sort(),
    );
    const others = grantsOf(statementsOf(template, role)).filter((g) => !g.startsWith('lambda:'));
    for (const grant of others) expect(grant).toMatch(/^(logs|xray):[A-Za-z]+ -> \*$/);
  });

  describe.each([0, 1, 2])('detect shard %i', (index) => {
    const d = shards[index]!;
    const name = `${index}of3`;
    const statements = statementsOf(template, logicalId(stack, d.role));
    const bucket = `${logicalId(stack, stack.detectorState.bucket)}.Arn`;

    it('reads and writes only its own checkpoint prefix', () => {
      const s3 = grantsOf(statements).filter((g) => g.startsWith('s3:'));
      expect(s3).toEqual(
        [
          `s3:GetObject -> ${bucket}/detector-state/${name}/*`,
          `s3:PutObject -> ${bucket}/detector-state/${name}/*`,
          `s3:ListBucket -> ${bucket}`,
        ].sort(),
      );
    });

    it('touches only its own watermark and digest of the control table, plus what the shards share', () => {
      const keys = statements
        .filter((s) => s.Condition !== undefined)
        .map((s) => ({
          actions: [s.Action].flat().sort(),
          keys: (s.Condition as Record<string, Record<string, string[]>>)['ForAllValues:StringLike']?.[
            'dynamodb:LeadingKeys'
          ],
        }));
      expect(keys).toEqual([
        {
          actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          keys: [`job#detect#${name}`, 'bucket#noc', `digest#noc#${name}`, 'alerts', 'publish'],
        },
        { actions: ['dynamodb:Query'], keys: ['alerts', 'maintenance'] },
        { actions: ['dynamodb:GetItem'], keys: ['tuning#*'] },
      ]);
    });

    it("names no other shard's prefix or keys anywhere in its policies", () => {
      const text = JSON.stringify(statements);
      for (const other of [0, 1, 2].filter((i) => i !== index)) expect(text).not.toContain(`${other}of3`);
      // Nor the whole fleet's (a single-shard stack's) watermark, digest or prefix.
      expect(text).not.toMatch(/"job#detect"|"digest#noc"|detector-state\/\*/);
    });
  });

  it("lets collect move every shard's collect watermark, and nothing else of the control table", () => {
    const scoped = statementsOf(template, logicalId(stack, stack.collect.role)).filter((s) => s.Condition);
    expect(scoped).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Condition: {
          'ForAllValues:StringLike': {
            'dynamodb:LeadingKeys': ['job#collect#0of3', 'job#collect#1of3', 'job#collect#2of3'],
          },
        },
      }),
    ]);
  });

  it("lets the API read each shard's kept band object, and no other object of the bucket", () => {
    const bucket = `${logicalId(stack, stack.detectorState.bucket)}.Arn`;
    const statements = statementsOf(template, logicalId(stack, stack.api.role));
    const keys = [0, 1, 2].map((i) => `detector-state/${i}of3/band/recent.json.gz`);
    expect(grantsOf(statements).filter((g) => g.startsWith('s3:'))).toEqual(
      [...keys.map((k) => `s3:GetObject -> ${bucket}/${k}`), `s3:ListBucket -> ${bucket}`].sort(),
    );
    expect(statements.find((s) => s.Action === 's3:ListBucket')?.Condition).toEqual({
      StringEquals: { 's3:prefix': keys },
    });
    const vars =
      template.findResources('AWS::Lambda::Function')[logicalId(stack, stack.api.lambdaFunction)]!.Properties
        .Environment.Variables;
    expect(vars.DETECT_SHARDS).toBe('3');
  });

  it('is cdk-nag AwsSolutions clean', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => `${v.severity} ${v.ruleName}`)).toEqual([]);
  });
});

describe('detect cycle of a single shard', () => {
  const { stack, template } = build(fleetConfig(0, 5));

  it('keeps the construct id Detect (and so its logical ids): a stack from before sharding updates in place', () => {
    expect(stack.shardPlan.count).toBe(1);
    expect(stack.detectShards.map((d) => d.node.path)).toEqual(['DriftSentinel/Detect']);
    expect(logicalId(stack, stack.detectShards[0]!.lambdaFunction)).toBe('DetectFunction5E3C9172');
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0]!;
    const asl: Asl = JSON.parse(renderValue(machine.Properties.DefinitionString));
    expect(asl.States.Shards?.Items).toEqual([{ index: 0, count: 1 }]);
    expect(asl.States.Shards?.MaxConcurrency).toBe(1);
    expect(Object.keys(asl.States.Shards!.ItemProcessor!.States)).toContain('Detect all');
    expect(asl.TimeoutSeconds).toBe(240);
  });
});

describe('cycle timeouts and the shard plan', () => {
  it.each([
    [1, 48, 24],
    [2, 96, 48],
    [5, 240, 120],
    [60, 2880, 120],
  ])('every %i min: the execution may run %i s, detect %i s', (every, execution, detect) => {
    const t = cycleTimeouts(every);
    expect([t.execution.toSeconds(), t.detect.toSeconds()]).toEqual([execution, detect]);
  });

  it('plans the fewest shards, at the smallest memory that gives them: 256 MB for the example, 2 × 1769 MB for 10,000 series', () => {
    expect(planDetectShards(fleetConfig(0, 5), Duration.minutes(2))).toMatchObject({
      memoryMb: 256,
      count: 1,
    });
    // 2,500 instances × 4 metrics + the example's 9: every shard parses the whole fleet's config (a
    // quarter of 256 MB alone), and each shard costs transitions every cycle: two big shards.
    const big = planDetectShards(fleetConfig(2500, 5), Duration.minutes(2));
    expect(big).toMatchObject({ memoryMb: 1769, count: 2 });
    expect(big.sizes.reduce((a, b) => a + b, 0)).toBe(10_009);
    expect(big.largest).toBeLessThanOrEqual(big.capacity);
  });

  it('names `series` when the fleet fits no size within the most shards', () => {
    const error = (() => {
      try {
        planDetectShards(fleetConfig(900, 5), Duration.seconds(1));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      expect.stringMatching(/^series: 3609 series do not fit 40 detect shards even at 1769 MB/),
    ]);
  });
});
