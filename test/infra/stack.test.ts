// CDK assertions and cdk-nag for the monitor stack. Bundling is skipped (`aws:cdk:bundling-stacks: []`);
// test/infra/synth.test.ts does the one full synth with esbuild.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { addMonitorStack } from '../../infra/app';
import { cronMinuteField } from '../../infra/constructs/job-schedule';
import { MonitorFunction } from '../../infra/constructs/monitor-function';
import {
  DEFAULT_CONFIG_FILE,
  EXAMPLE_CONFIG_FILE,
  loadMonitorConfig,
  PROJECT_ROOT,
  resolveConfigPath,
} from '../../infra/load-config';
import type { MonitorStack } from '../../infra/stack';
import { TABLES, TTL_ATTRIBUTE } from '../../shared/adapters/table-schemas';
import { API_ROUTES } from '../../shared/api/contract';
import { ENV } from '../../shared/config';
import { ConfigError, ValidationError } from '../../shared/errors';
import { type MonitorConfig, parseMonitorConfig } from '../../shared/monitor-config';
import { logicalIdOf, renderValue } from '../helpers/cdk-values';

/** CDK's BucketDeployment provider singleton (256 MiB), a stack-level construct. */
const BUCKET_DEPLOYMENT_PROVIDER = 'Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C256MiB';

const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8'),
).context;
const EXAMPLE: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, EXAMPLE_CONFIG_FILE), 'utf8'),
);

function configWith(schedules: Partial<MonitorConfig['schedules']> = {}): MonitorConfig {
  return parseMonitorConfig({ ...EXAMPLE, schedules }, 'test');
}

/** The app `cdk synth` builds (cdk.json context, cdk-nag registered), minus bundling. */
function build(
  config = configWith(),
  outdir?: string,
): { app: App; stack: MonitorStack; template: Template } {
  const app = new App({
    context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] },
    ...(outdir === undefined ? {} : { outdir }),
  });
  const stack = addMonitorStack(app, config);
  return { app, stack, template: Template.fromStack(stack) };
}

const logicalId = logicalIdOf;

function errorOf<T extends Error>(type: new (...args: never[]) => T, fn: () => unknown): T {
  try {
    fn();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}`);
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
  NotAction?: unknown;
  NotResource?: unknown;
}

/** Every statement that applies to a role: its inline policies and the AWS::IAM::Policy resources on it. */
function statementsOf(template: Template, roleId: string): Statement[] {
  const roles = template.findResources('AWS::IAM::Role');
  const role = roles[roleId];
  if (!role) throw new Error(`no role ${roleId}`);
  const inline = (role.Properties.Policies ?? []).flatMap(
    (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
  );
  const attached = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached];
}

/** Statements as sorted `action -> resource` pairs, so the check is exact however CDK merges statements. */
function grantsOf(statements: Statement[]): string[] {
  const pairs = new Set<string>();
  for (const s of statements) {
    const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
    const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    for (const a of actions) for (const r of resources) pairs.add(`${a} -> ${renderValue(r)}`);
  }
  return [...pairs].sort();
}

describe('MonitorStack', () => {
  describe('tables', () => {
    const { stack, template } = build();

    it('creates the schema tables: on-demand, PITR, TTL expiresAt, AWS-managed SSE, retained', () => {
      template.resourceCountIs('AWS::DynamoDB::Table', TABLES.length);
      const byId = {
        MetricPoints: stack.tables.points,
        Anomalies: stack.tables.anomalies,
        Control: stack.tables.control,
        Predictions: stack.tables.predictions,
      };
      for (const schema of TABLES) {
        const table = byId[schema.logicalName as keyof typeof byId];
        const resource = template.findResources('AWS::DynamoDB::Table')[logicalId(stack, table)];
        expect(resource).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
        expect(resource?.Properties).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
          SSESpecification: { SSEEnabled: true },
          KeySchema: [
            { AttributeName: schema.partitionKey.name, KeyType: 'HASH' },
            ...(schema.sortKey ? [{ AttributeName: schema.sortKey.name, KeyType: 'RANGE' }] : []),
          ],
        });
        const gsis = (resource?.Properties.GlobalSecondaryIndexes ?? []) as unknown[];
        expect(gsis).toHaveLength(Object.keys(schema.indexes).length);
        for (const [indexName, index] of Object.entries(schema.indexes)) {
          expect(gsis).toContainEqual({
            IndexName: indexName,
            KeySchema: [
              { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
              ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' }] : []),
            ],
            Projection: { ProjectionType: 'ALL' },
          });
        }
      }
    });

    it('has the anomalies bySeries GSI on (series, ts)', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: 'bySeries',
            KeySchema: [
              { AttributeName: 'series', KeyType: 'HASH' },
              { AttributeName: 'ts', KeyType: 'RANGE' },
            ],
          }),
        ],
      });
    });

    it('outputs the table names', () => {
      for (const [output, table] of [
        ['PointsTableName', stack.tables.points],
        ['AnomaliesTableName', stack.tables.anomalies],
        ['ControlTableName', stack.tables.control],
      ] as const) {
        template.hasOutput(output, { Value: { Ref: logicalId(stack, table) } });
      }
    });
  });

  describe('functions', () => {
    const { stack, template } = build();
    const detect = stack.detectShards[0]!;
    const jobs = { collect: stack.collect, detect, tune: stack.tune, api: stack.api };
    const memory = { collect: 256, detect: 256, tune: 256, api: 1769 };

    it.each(Object.keys(jobs))(
      '%s: nodejs22+ on arm64, X-Ray active, sized memory, own log group, env',
      (name) => {
        const job = jobs[name as keyof typeof jobs];
        const fn = template.findResources('AWS::Lambda::Function')[logicalId(stack, job.lambdaFunction)];
        const props = fn?.Properties;
        expect(props.Runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
        expect(props).toMatchObject({
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          MemorySize: memory[name as keyof typeof memory],
          Handler: 'index.handler',
          LoggingConfig: { LogGroup: { Ref: logicalId(stack, job.logGroup) } },
          Role: { 'Fn::GetAtt': [logicalId(stack, job.role), 'Arn'] },
          DeadLetterConfig: {
            TargetArn: { 'Fn::GetAtt': [logicalId(stack, job.deadLetterQueue.queue), 'Arn'] },
          },
          Environment: {
            Variables: expect.objectContaining({
              POWERTOOLS_SERVICE_NAME: name,
              POWERTOOLS_METRICS_NAMESPACE: 'DriftSentinel',
              LOG_LEVEL: 'INFO',
              NODE_OPTIONS: '--enable-source-maps',
            }),
          },
        });
        // The config is baked into the bundle, never passed as an env var (4 KB limit).
        expect(props.Environment.Variables[ENV.monitorConfig]).toBeUndefined();
        const logGroup = template.findResources('AWS::Logs::LogGroup')[logicalId(stack, job.logGroup)];
        expect(logGroup?.Properties.RetentionInDays).toBe(30);
      },
    );

    it('sets the table env vars each handler reads', () => {
      const env = (job: MonitorFunction): Record<string, unknown> =>
        template.findResources('AWS::Lambda::Function')[logicalId(stack, job.lambdaFunction)]?.Properties
          .Environment.Variables;
      const ref = (t: IConstruct) => ({ Ref: logicalId(stack, t) });
      const { points, anomalies, control } = stack.tables;
      expect(env(stack.collect)).toMatchObject({
        [ENV.pointsTable]: ref(points),
        [ENV.controlTable]: ref(control),
      });
      expect(env(stack.collect)[ENV.anomaliesTable]).toBeUndefined();
      expect(env(detect)).toMatchObject({
        [ENV.pointsTable]: ref(points),
        [ENV.anomaliesTable]: ref(anomalies),
        [ENV.controlTable]: ref(control),
      });
      expect(env(stack.tune)).toMatchObject({
        [ENV.anomaliesTable]: ref(anomalies),
        [ENV.controlTable]: ref(control),
      });
      expect(env(stack.tune)[ENV.pointsTable]).toBeUndefined();
      expect(env(stack.api)).toMatchObject({
        [ENV.pointsTable]: ref(points),
        [ENV.anomaliesTable]: ref(anomalies),
        [ENV.controlTable]: ref(control),
      });
    });

    it('retries failed async invocations twice, then keeps them in an alarmed, encrypted DLQ', () => {
      // collect, detect, tune, api (invoked synchronously: its settings never apply), ingest-predictions,
      // train-drift, check-drift
      template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 7);
      for (const job of [
        stack.collect,
        detect,
        stack.tune,
        stack.api,
        stack.drift.ingest,
        stack.drift.check,
      ]) {
        template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
          FunctionName: { Ref: logicalId(stack, job.lambdaFunction) },
          MaximumRetryAttempts: 2,
          MaximumEventAgeInSeconds: 3600,
        });
      }
      // Training is invoked by hand: a failed run is answered to the caller, never re-run three times.
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(stack, stack.drift.train.lambdaFunction) },
        MaximumRetryAttempts: 0,
      });
      // 7 job DLQs (the API's stays empty), alert-publish DLQ, prediction buffer + its DLQ, rejected
      // predictions, the detect cycle's start DLQ
      template.resourceCountIs('AWS::SQS::Queue', 12);
      template.allResourcesProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      template.allResourcesProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      for (const job of Object.values(jobs)) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [
            {
              Name: 'QueueName',
              Value: { 'Fn::GetAtt': [logicalId(stack, job.deadLetterQueue.queue), 'QueueName'] },
            },
          ],
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
          EvaluationPeriods: 1,
          TreatMissingData: 'notBreaching',
        });
      }
    });
  });

  describe('schedules', () => {
    function cycleRule(config: MonitorConfig) {
      const { stack, template } = build(config);
      const rule = template.findResources('AWS::Events::Rule')[logicalId(stack, stack.detectCycle.rule)];
      return { stack, props: rule?.Properties };
    }

    it('starts the detect cycle every 5 minutes at minute 0, and every minute when configured down to the seed 60 s', () => {
      const every5 = configWith({ collectEveryMinutes: 5, detectEveryMinutes: 5, detectOffsetMinutes: 1 });
      expect(cycleRule(every5).props?.ScheduleExpression).toBe('cron(0/5 * * * ? *)');
      const every1 = configWith({ collectEveryMinutes: 1, detectEveryMinutes: 1 });
      expect(cycleRule(every1).props?.ScheduleExpression).toBe('cron(* * * * ? *)');
    });

    it('has no schedule of its own for collect or detect: the cycle runs both', () => {
      const { stack, template } = build();
      const targets = Object.values(template.findResources('AWS::Events::Rule')).flatMap(
        (r) => r.Properties.Targets as { Arn: unknown }[],
      );
      for (const job of [stack.collect, ...stack.detectShards]) {
        expect(targets.map((t) => t.Arn)).not.toContainEqual({
          'Fn::GetAtt': [logicalId(stack, job.lambdaFunction), 'Arn'],
        });
      }
    });

    it('targets the state machine with 2 retries, one period of max age and its own alarmed DLQ', () => {
      const { stack, props } = cycleRule(configWith({ collectEveryMinutes: 10, detectEveryMinutes: 10 }));
      const cycle = stack.detectCycle;
      expect(props?.Targets).toEqual([
        expect.objectContaining({
          Arn: { Ref: logicalId(stack, cycle.stateMachine) },
          RoleArn: expect.anything(),
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack, cycle.startDeadLetter.queue), 'Arn'] } },
        }),
      ]);
    });

    it('rejects a detect schedule apart from collect, naming the field (detect runs right after collect)', () => {
      const error = errorOf(ValidationError, () =>
        build(configWith({ collectEveryMinutes: 5, detectEveryMinutes: 10 })),
      );
      expect(error.issues).toEqual([
        expect.stringMatching(
          /^schedules\.detectEveryMinutes: must equal collectEveryMinutes: detect runs right after/,
        ),
      ]);
    });

    it('tunes weekly on Sunday 03:00 UTC by default, and at the configured time', () => {
      const tuneRule = (config: MonitorConfig) => {
        const { stack, template } = build(config);
        const id = logicalId(stack, stack.node.findChild('TuneSchedule').node.findChild('Rule'));
        return { stack, props: template.findResources('AWS::Events::Rule')[id]?.Properties };
      };
      const { stack, props } = tuneRule(configWith());
      expect(props?.ScheduleExpression).toBe('cron(0 3 ? * SUN *)');
      expect(props?.Targets).toEqual([
        expect.objectContaining({
          Arn: { 'Fn::GetAtt': [logicalId(stack, stack.tune.lambdaFunction), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 6 * 3600 },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [logicalId(stack, stack.tune.deadLetterQueue.queue), 'Arn'] },
          },
        }),
      ]);
      const monday = parseMonitorConfig(
        { ...EXAMPLE, feedback: { weekly: { day: 'MON', hour: 6, minute: 30 } } },
        'test',
      );
      expect(tuneRule(monday).props?.ScheduleExpression).toBe('cron(30 6 ? * MON *)');
    });

    it.each([
      [5, 0, '0/5'],
      [5, 1, '1/5'],
      [15, 1, '1/15'],
      [5, 7, '2/5'],
      [60, 3, '3/60'],
      [1, 0, '*'],
    ])('cron minute for every %i offset %i is %s', (every, offset, expected) => {
      expect(cronMinuteField(every, offset)).toBe(expected);
    });

    it('rejects a step that does not divide 60, naming the field (config schema, before any construct)', () => {
      const error = errorOf(ConfigError, () => configWith({ collectEveryMinutes: 7 }));
      expect(error.issues[0]).toMatch(/^schedules\.collectEveryMinutes: must divide 60/);
    });

    it('the construct re-checks a step that does not divide 60, naming the job', () => {
      const error = errorOf(ValidationError, () =>
        cronMinuteField(7, 0, { job: 'collect', every: 'schedules.collectEveryMinutes' }),
      );
      expect(error.issues[0]).toMatch(/^schedules\.collectEveryMinutes: 7 must divide 60/);
    });
  });

  describe('alert topic', () => {
    const withEmail = build(parseMonitorConfig({ ...EXAMPLE, alerts: { email: 'noc@example.com' } }, 'test'));

    it('is KMS-encrypted with a rotating key, TLS-only, and subscribes the configured e-mail', () => {
      const { stack, template } = withEmail;
      template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack, stack.alerts.key), 'Arn'] },
      });
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'noc@example.com',
      });
    });

    /** `aws:SourceAccount` this account and `aws:SourceArn` any alarm of this account and region. */
    const ALARMS_OF_THIS_ACCOUNT = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: {
        'aws:SourceArn': {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':cloudwatch:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':alarm:*',
            ],
          ],
        },
      },
    };

    it("runs one detect at a time, and lets only this account's alarms use the key", () => {
      const { stack, template } = build();
      template.hasResourceProperties('AWS::Lambda::Function', {
        Role: { 'Fn::GetAtt': [logicalId(stack, stack.detectShards[0]!.role), 'Arn'] },
        ReservedConcurrentExecutions: 1,
      });
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            {
              Sid: 'AllowCloudWatchAlarmsToEncrypt',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Resource: '*',
              Condition: ALARMS_OF_THIS_ACCOUNT,
            },
          ]),
        },
      });
    });

    it("lets this account's alarms publish: the topic policy replaces SNS's default one", () => {
      const { stack, template } = build();
      const topicRef = { Ref: logicalId(stack, stack.alerts.topic) };
      const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
      expect(policies).toHaveLength(1);
      expect(policies[0]?.Properties.Topics).toEqual([topicRef]);
      expect(policies[0]?.Properties.PolicyDocument.Statement).toEqual([
        {
          Sid: 'AllowPublishThroughSSLOnly',
          Effect: 'Deny',
          Principal: '*',
          Action: 'sns:Publish',
          Resource: topicRef,
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        {
          Sid: 'AllowCloudWatchAlarmsToPublish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: topicRef,
          Condition: ALARMS_OF_THIS_ACCOUNT,
        },
      ]);
    });

    it('lets EventBridge deliver to every rule target and dead letter, for that rule only', () => {
      const { template } = build();
      // Just the fields this test reads, of rules, permissions and queue policies.
      type Arn = { 'Fn::GetAtt': [string, string] };
      type Statement = {
        Effect: string;
        Principal?: { Service?: string };
        Action: string | string[];
        Condition?: unknown;
      };
      type Props = {
        Targets: { Arn: Arn | { Ref: string }; RoleArn?: Arn; DeadLetterConfig?: { Arn: Arn } }[];
        Principal?: string;
        Action?: string;
        FunctionName?: unknown;
        SourceArn?: unknown;
        Queues?: unknown;
        PolicyDocument: { Statement: Statement[] };
      };
      const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Props }>;
      const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);
      const rules = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Events::Rule');
      const checked: string[] = [];
      for (const [ruleId, rule] of rules) {
        const ruleArn = { 'Fn::GetAtt': [ruleId, 'Arn'] };
        for (const target of rule.Properties.Targets) {
          if ('Ref' in target.Arn) {
            // A state machine (its Ref is its ARN): the target's role may start exactly it, nothing else.
            const machine = target.Arn.Ref;
            expect(resources[machine]?.Type).toBe('AWS::StepFunctions::StateMachine');
            const roleId = target.RoleArn?.['Fn::GetAtt'][0] ?? 'no role';
            expect(grantsOf(statementsOf(template, roleId))).toEqual([
              `states:StartExecution -> Ref:${machine}`,
            ]);
            checked.push(`${ruleId} → ${machine}`);
          }
          const arns = [target.Arn, target.DeadLetterConfig?.Arn].filter(
            (a): a is Arn => a !== undefined && 'Fn::GetAtt' in a,
          );
          for (const arn of arns) {
            const [id] = arn['Fn::GetAtt'];
            const type = resources[id]?.Type;
            if (type === 'AWS::Lambda::Function') {
              const allowed = ofType('AWS::Lambda::Permission').some(
                (p) =>
                  p.Properties.Principal === 'events.amazonaws.com' &&
                  p.Properties.Action === 'lambda:InvokeFunction' &&
                  JSON.stringify(p.Properties.FunctionName) === JSON.stringify(arn) &&
                  JSON.stringify(p.Properties.SourceArn) === JSON.stringify(ruleArn),
              );
              expect({ ruleId, id, allowed }).toEqual({ ruleId, id, allowed: true });
            } else {
              expect(type).toBe('AWS::SQS::Queue');
              const allowed = ofType('AWS::SQS::QueuePolicy').some(
                (p) =>
                  JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: id }]) &&
                  p.Properties.PolicyDocument.Statement.some(
                    (s) =>
                      s.Effect === 'Allow' &&
                      s.Principal?.Service === 'events.amazonaws.com' &&
                      [s.Action].flat().includes('sqs:SendMessage') &&
                      JSON.stringify(s.Condition) ===
                        JSON.stringify({ ArnEquals: { 'aws:SourceArn': ruleArn } }),
                  ),
              );
              expect({ ruleId, id, allowed }).toEqual({ ruleId, id, allowed: true });
            }
            checked.push(`${ruleId} → ${id}`);
          }
        }
      }
      // The detect cycle (state machine + DLQ), tune and check-drift (function + DLQ each); predictions
      // (buffer + DLQ).
      expect(checked).toHaveLength(8);
    });

    it('lets S3 deliver access logs only for the buckets that log there, from this account', () => {
      const { template } = build();
      const resources = template.toJSON().Resources as Record<
        string,
        { Type: string; Properties: Record<string, unknown> }
      >;
      const logged = Object.entries(resources).filter(
        ([, r]) => r.Type === 'AWS::S3::Bucket' && r.Properties.LoggingConfiguration !== undefined,
      );
      // The site, models and detector-state buckets.
      expect(logged).toHaveLength(3);
      for (const [id, bucket] of logged) {
        const target = (bucket.Properties.LoggingConfiguration as { DestinationBucketName: { Ref: string } })
          .DestinationBucketName.Ref;
        const policy = Object.values(resources).find(
          (r) =>
            r.Type === 'AWS::S3::BucketPolicy' &&
            JSON.stringify(r.Properties.Bucket) === JSON.stringify({ Ref: target }),
        );
        if (!policy) throw new Error(`no bucket policy on ${target}, where ${id} logs`);
        const { Statement: statements } = policy.Properties.PolicyDocument as {
          Statement: Record<string, unknown>[];
        };
        expect(statements).toContainEqual(
          expect.objectContaining({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: {
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [id, 'Arn'] } },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        );
      }
    });

    it('has no subscription without an e-mail, and every DLQ alarm notifies the topic', () => {
      const { stack, template } = build();
      template.resourceCountIs('AWS::SNS::Subscription', 0);
      const topicRef = { Ref: logicalId(stack, stack.alerts.topic) };
      const alarms = template.findResources('AWS::CloudWatch::Alarm');
      // 3 before #5/#6; tune and api DLQs; ML drift's 5 queues and failed drift checks; the detect cycle's
      // failed executions and start DLQ.
      expect(Object.keys(alarms)).toHaveLength(13);
      for (const alarm of Object.values(alarms)) {
        expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
        expect(alarm.Properties.OKActions).toEqual([topicRef]);
      }
    });
  });

  describe('IAM', () => {
    const { stack, template } = build();
    const { points, anomalies, control } = stack.tables;
    const arn = (c: IConstruct) => `${logicalId(stack, c)}.Arn`;
    const base = (job: MonitorFunction) => [
      `logs:CreateLogStream -> ${arn(job.logGroup)}`,
      `logs:PutLogEvents -> ${arn(job.logGroup)}`,
      `sqs:SendMessage -> ${arn(job.deadLetterQueue.queue)}`,
      'xray:PutTelemetryRecords -> *',
      'xray:PutTraceSegments -> *',
    ];

    it('collect: exactly UpdateItem/Query on points (chunk items), GetItem/UpdateItem on control, GetMetricData', () => {
      expect(grantsOf(statementsOf(template, logicalId(stack, stack.collect.role)))).toEqual(
        [
          ...base(stack.collect),
          `dynamodb:UpdateItem -> ${arn(points)}`,
          `dynamodb:Query -> ${arn(points)}`,
          `dynamodb:GetItem -> ${arn(control)}`,
          `dynamodb:UpdateItem -> ${arn(control)}`,
          'cloudwatch:GetMetricData -> *',
        ].sort(),
      );
    });

    it('detect: Query on points; Put/Query/Update on anomalies; control items; publish to the topic and its DLQ; its checkpoint prefix; GetMetricData for backfill', () => {
      const state = arn(stack.detectorState.bucket);
      const detect = stack.detectShards[0]!;
      expect(grantsOf(statementsOf(template, logicalId(stack, detect.role)))).toEqual(
        [
          ...base(detect),
          'cloudwatch:GetMetricData -> *',
          `dynamodb:Query -> ${arn(points)}`,
          `dynamodb:PutItem -> ${arn(anomalies)}`,
          `dynamodb:Query -> ${arn(anomalies)}`,
          `dynamodb:UpdateItem -> ${arn(anomalies)}`,
          `dynamodb:GetItem -> ${arn(control)}`,
          `dynamodb:UpdateItem -> ${arn(control)}`,
          `dynamodb:PutItem -> ${arn(control)}`,
          `dynamodb:DeleteItem -> ${arn(control)}`,
          `dynamodb:Query -> ${arn(control)}`,
          `kms:Decrypt -> ${arn(stack.alerts.key)}`,
          `kms:GenerateDataKey -> ${arn(stack.alerts.key)}`,
          `sns:Publish -> Ref:${logicalId(stack, stack.alerts.topic)}`,
          `sqs:SendMessage -> ${arn(stack.alerts.deadLetter.queue)}`,
          `s3:GetObject -> ${state}/detector-state/*`,
          `s3:PutObject -> ${state}/detector-state/*`,
          `s3:ListBucket -> ${state}`,
        ].sort(),
      );
    });

    it('keeps detector checkpoints in a private, encrypted, TLS-only, logged bucket that expires stale ones', () => {
      const bucket = template.findResources('AWS::S3::Bucket')[logicalId(stack, stack.detectorState.bucket)]!;
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.Properties).toMatchObject({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: logicalId(stack, stack.drift.accessLogs) },
          LogFilePrefix: 'detector-state-bucket/',
        },
        LifecycleConfiguration: {
          Rules: [
            { Prefix: 'detector-state/', ExpirationInDays: 35, Status: 'Enabled' },
            { AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' },
          ],
        },
      });
      expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
      const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find(
        (p) =>
          JSON.stringify(p.Properties.Bucket) ===
          JSON.stringify({ Ref: logicalId(stack, stack.detectorState.bucket) }),
      );
      expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
      const vars =
        template.findResources('AWS::Lambda::Function')[
          logicalId(stack, stack.detectShards[0]!.lambdaFunction)
        ]!.Properties.Environment.Variables;
      expect(vars[ENV.detectorStateBucket]).toEqual({ Ref: logicalId(stack, stack.detectorState.bucket) });
    });

    it('tune: Query on anomalies; Get/Update of metric states and Put of history entries in control', () => {
      expect(grantsOf(statementsOf(template, logicalId(stack, stack.tune.role)))).toEqual(
        [
          ...base(stack.tune),
          `dynamodb:Query -> ${arn(anomalies)}`,
          `dynamodb:GetItem -> ${arn(control)}`,
          `dynamodb:UpdateItem -> ${arn(control)}`,
          `dynamodb:PutItem -> ${arn(control)}`,
        ].sort(),
      );
    });

    it('api: Query on points; Update/Query on anomalies and Query on its bySeries index; control items; each shard’s kept band', () => {
      const state = arn(stack.detectorState.bucket);
      expect(grantsOf(statementsOf(template, logicalId(stack, stack.api.role)))).toEqual(
        [
          ...base(stack.api),
          `dynamodb:Query -> ${arn(points)}`,
          `dynamodb:UpdateItem -> ${arn(anomalies)}`,
          `dynamodb:Query -> ${arn(anomalies)}`,
          `dynamodb:Query -> ${arn(anomalies)}/index/bySeries`,
          `dynamodb:GetItem -> ${arn(control)}`,
          `dynamodb:UpdateItem -> ${arn(control)}`,
          `dynamodb:PutItem -> ${arn(control)}`,
          `dynamodb:Query -> ${arn(control)}`,
          `dynamodb:DeleteItem -> ${arn(control)}`,
          // The dashboard's ML view.
          `dynamodb:Query -> ${arn(stack.tables.predictions)}`,
          // The health tiles' band: exactly the one shard's object, listed only under its own key.
          `s3:GetObject -> ${state}/detector-state/band/recent.json.gz`,
          `s3:ListBucket -> ${state}`,
        ].sort(),
      );
      const list = statementsOf(template, logicalId(stack, stack.api.role)).find(
        (s) => s.Action === 's3:ListBucket',
      );
      expect(list?.Condition).toEqual({
        StringEquals: { 's3:prefix': ['detector-state/band/recent.json.gz'] },
      });
      const vars =
        template.findResources('AWS::Lambda::Function')[logicalId(stack, stack.api.lambdaFunction)]!
          .Properties.Environment.Variables;
      expect(vars[ENV.detectorStateBucket]).toEqual({ Ref: logicalId(stack, stack.detectorState.bucket) });
      expect(vars[ENV.detectShards]).toBe(String(stack.detectShards.length));
    });

    it('scopes control-table access by partition key: a job touches only its own items', () => {
      const scopes = (role: IConstruct) =>
        statementsOf(template, logicalId(stack, role))
          .filter((s) => s.Condition !== undefined && s.Action !== 's3:ListBucket')
          .map((s) => ({
            actions: [s.Action].flat().sort(),
            resource: JSON.stringify(s.Resource),
            keys: (s.Condition as Record<string, Record<string, string[]>>)['ForAllValues:StringLike']?.[
              'dynamodb:LeadingKeys'
            ],
          }));
      const controlArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack, control), 'Arn'] });
      // The whole fleet is one shard here: the historical keys (sharded keys: detect-cycle.test.ts).
      expect(scopes(stack.collect.role)).toEqual([
        { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resource: controlArn, keys: ['job#collect'] },
      ]);
      expect(scopes(stack.detectShards[0]!.role)).toEqual([
        {
          actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resource: controlArn,
          // publish: the publish record of each message (written before anything else of a page).
          keys: ['job#detect', 'bucket#noc', 'digest#noc', 'alerts', 'publish'],
        },
        { actions: ['dynamodb:Query'], resource: controlArn, keys: ['alerts', 'maintenance'] },
        // Feedback adjustments, read only.
        { actions: ['dynamodb:GetItem'], resource: controlArn, keys: ['tuning#*'] },
      ]);
      expect(scopes(stack.tune.role)).toEqual([
        { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resource: controlArn, keys: ['tuning#*'] },
        { actions: ['dynamodb:PutItem'], resource: controlArn, keys: ['tuning-history'] },
      ]);
      expect(scopes(stack.api.role)).toEqual([
        { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resource: controlArn, keys: ['tuning#*'] },
        {
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
          resource: controlArn,
          keys: ['tuning-history'],
        },
        {
          actions: ['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Query'],
          resource: controlArn,
          keys: ['maintenance'],
        },
        // Dashboard reads: open alerts and drift results, nothing else of drift's or alerting's state.
        { actions: ['dynamodb:Query'], resource: controlArn, keys: ['alerts', 'publish', 'drift#run'] },
      ]);
    });

    it("scopes the deploy role's CloudFront invalidation to the dashboard's distribution", () => {
      const role = logicalId(stack, stack.dashboard.deployment.handlerRole);
      const cloudfront = statementsOf(template, role).filter((s) =>
        [s.Action].flat().some((a) => String(a).startsWith('cloudfront:')),
      );
      const distribution = logicalId(stack, stack.dashboard.distribution);
      expect(cloudfront).toEqual([
        {
          Effect: 'Allow',
          Action: ['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation'],
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':cloudfront::',
                { Ref: 'AWS::AccountId' },
                ':distribution/',
                { Ref: distribution },
              ],
            ],
          },
        },
      ]);
      for (const s of statementsOf(template, role)) expect([s.Action, s.Resource]).not.toContainEqual('*');
    });

    it('uses no managed policies, no wildcard actions, no Not* tricks', () => {
      // Except CDK's own BucketDeployment provider (deploy time only; acknowledged in cdk-nag, see below).
      const provider = logicalId(stack, stack.dashboard.deployment.handlerRole);
      for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
        if (id !== provider) expect([id, role.Properties.ManagedPolicyArns]).toEqual([id, undefined]);
      }
      for (const role of [stack.collect.role, stack.detectShards[0]!.role, stack.tune.role, stack.api.role]) {
        for (const s of statementsOf(template, logicalId(stack, role))) {
          expect(s.Effect).toBe('Allow');
          expect(s.NotAction ?? s.NotResource).toBeUndefined();
          // The only conditions are partition-key scopes on the control table, and the API's list of
          // the kept band's keys (checked in the api test).
          if (s.Condition !== undefined && s.Action !== 's3:ListBucket') {
            expect(Object.keys(s.Condition as object)).toEqual(['ForAllValues:StringLike']);
          }
          for (const action of [s.Action].flat()) {
            expect(action).not.toContain('*');
            expect(action).not.toBe('dynamodb:*');
          }
        }
      }
    });

    it('bindTable rejects wildcard and malformed actions in one message', () => {
      const { stack: s } = build();
      const error = errorOf(ValidationError, () =>
        s.detectShards[0]!.bindTable(s.tables.points, 'X', ['dynamodb:*', 'GetItem'], {
          queryIndexes: ['a'],
        }),
      );
      expect(error.issues).toEqual([
        "actions: 'dynamodb:*' is not one named DynamoDB action",
        "actions: 'GetItem' is not one named DynamoDB action",
        "queryIndexes: 'a' is not an index name",
      ]);
    });

    it('MonitorFunction rejects bad props in one message', () => {
      const error = errorOf(ValidationError, () => {
        const s = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
        new MonitorFunction(s, 'F', {
          serviceName: 'Bad Name',
          entry: 'functions/nope.ts',
          config: configWith(),
          memorySize: 64,
          retryAttempts: 3,
        });
      });
      expect(error.issues.map((i) => i.split(':')[0])).toEqual([
        'serviceName',
        'entry',
        'memorySize',
        'retryAttempts',
      ]);
    });
  });

  describe('HTTP API', () => {
    const { stack, template } = build();
    const routes = Object.values(API_ROUTES);

    const methods = () =>
      Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties);

    it('has exactly one method per router route, every one behind the Cognito authorizer and proxied to the API function', () => {
      const all = stack.httpApi.restApi.methods.filter((m) => m.httpMethod !== 'OPTIONS');
      expect(all.map((m) => `${m.httpMethod} ${m.resource.path}`).sort()).toEqual(
        routes.map((r) => `${r.method} ${r.path}`).sort(),
      );
      const real = methods().filter((m) => m.HttpMethod !== 'OPTIONS');
      expect(real).toHaveLength(routes.length);
      for (const m of real) {
        expect(m).toMatchObject({
          AuthorizationType: 'COGNITO_USER_POOLS',
          AuthorizerId: { Ref: logicalId(stack, stack.httpApi.authorizer) },
          Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
          RequestValidatorId: { Ref: logicalId(stack, stack.httpApi.validator) },
        });
        expect(JSON.stringify(m.Integration.Uri)).toContain(logicalId(stack, stack.api.lambdaFunction));
      }
    });

    it('gzips answers of 1 KiB and more for clients that accept it', () => {
      template.hasResourceProperties('AWS::ApiGateway::RestApi', { MinimumCompressionSize: 1024 });
    });

    it('trusts ID tokens of the staff user pool only, from the Authorization header', () => {
      template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
      template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
        Type: 'COGNITO_USER_POOLS',
        IdentitySource: 'method.request.header.Authorization',
        ProviderARNs: [{ 'Fn::GetAtt': [logicalId(stack, stack.staffAuth.userPool), 'Arn'] }],
      });
    });

    it('answers CORS preflights (no authorizer, no integration) for the dashboard origin only', () => {
      const origin = JSON.stringify({
        'Fn::Join': [
          '',
          [
            "'https://",
            { 'Fn::GetAtt': [logicalId(stack, stack.dashboard.distribution), 'DomainName'] },
            "'",
          ],
        ],
      });
      const preflights = methods().filter((m) => m.HttpMethod === 'OPTIONS');
      expect(preflights.length).toBeGreaterThanOrEqual(new Set(routes.map((r) => r.path)).size);
      for (const m of preflights) {
        expect(m.AuthorizationType).toBe('NONE');
        expect(m.Integration.Type).toBe('MOCK');
        const headers = m.Integration.IntegrationResponses[0].ResponseParameters;
        expect(JSON.stringify(headers['method.response.header.Access-Control-Allow-Origin'])).toBe(origin);
        expect(headers['method.response.header.Access-Control-Allow-Headers']).toBe(
          "'Authorization,Content-Type'",
        );
      }
      // The function answers with the same origin (functions/api.ts reads it from its environment).
      const env = (template.findResources('AWS::Lambda::Function')[logicalId(stack, stack.api.lambdaFunction)]
        ?.Properties.Environment.Variables ?? {}) as Record<string, unknown>;
      expect(JSON.stringify(env[ENV.dashboardOrigin])).toBe(
        JSON.stringify({
          'Fn::Join': [
            '',
            ['https://', { 'Fn::GetAtt': [logicalId(stack, stack.dashboard.distribution), 'DomainName'] }],
          ],
        }),
      );
      expect(env[ENV.dashboardClientId]).toEqual({ Ref: logicalId(stack, stack.staffAuth.client) });
      // Tokens must come from this stack's user pool (never a local cognito-local's).
      expect(JSON.stringify(env[ENV.dashboardIssuer])).toBe(
        JSON.stringify({
          'Fn::Join': [
            '',
            [
              'https://cognito-idp.',
              { Ref: 'AWS::Region' },
              '.',
              { Ref: 'AWS::URLSuffix' },
              '/',
              { Ref: logicalId(stack, stack.staffAuth.userPool) },
            ],
          ],
        }),
      );
      expect(env[ENV.predictionsTable]).toEqual({ Ref: logicalId(stack, stack.tables.predictions) });
    });

    it('validates bodies and parameters; routes with a body require a JSON object', () => {
      template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
        ValidateRequestBody: true,
        ValidateRequestParameters: true,
      });
      const withBody = Object.values(template.findResources('AWS::ApiGateway::Method')).filter(
        (m) => m.Properties.RequestModels !== undefined,
      );
      expect(withBody).toHaveLength(routes.filter((r) => 'body' in r).length);
      template.hasResourceProperties('AWS::ApiGateway::Model', {
        ContentType: 'application/json',
        Schema: { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' },
      });
    });

    it('logs every request as JSON with the signed-in user, traces, and throttles the stage', () => {
      const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0]?.Properties;
      expect(stage).toMatchObject({
        StageName: 'v1',
        TracingEnabled: true,
        AccessLogSetting: { DestinationArn: expect.anything() },
        MethodSettings: [
          expect.objectContaining({
            HttpMethod: '*',
            ResourcePath: '/*',
            ThrottlingRateLimit: 10,
            ThrottlingBurstLimit: 20,
          }),
        ],
      });
      // The log group's ARN without the trailing `:*` (logGroupDestinationArnWithoutWildcard).
      expect(JSON.stringify(stage?.AccessLogSetting.DestinationArn)).toContain(
        `{"Ref":"${logicalId(stack, stack.httpApi.accessLogs)}"}`,
      );
      const format = JSON.parse(stage?.AccessLogSetting.Format as string);
      expect(format).toMatchObject({
        user: '$context.authorizer.claims.email',
        sub: '$context.authorizer.claims.sub',
        status: '$context.status',
        resource: '$context.resourcePath',
        integrationError: '$context.integrationErrorMessage',
      });
      const logGroup =
        template.findResources('AWS::Logs::LogGroup')[logicalId(stack, stack.httpApi.accessLogs)];
      expect(logGroup?.Properties.RetentionInDays).toBe(365);
    });

    it("answers gateway errors in the API's { error, field } shape, readable by the dashboard (CORS)", () => {
      const origin = {
        'Fn::Join': [
          '',
          [
            "'https://",
            { 'Fn::GetAtt': [logicalId(stack, stack.dashboard.distribution), 'DomainName'] },
            "'",
          ],
        ],
      };
      for (const [type, field] of [
        ['DEFAULT_4XX', 'null'],
        ['DEFAULT_5XX', 'null'],
        ['BAD_REQUEST_BODY', '"body"'],
        ['UNAUTHORIZED', '"authorization"'],
        ['ACCESS_DENIED', '"authorization"'],
      ]) {
        template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
          ResponseType: type,
          ResponseTemplates: {
            'application/json': `{"error":$context.error.messageString,"field":${field}}`,
          },
          ResponseParameters: {
            'gatewayresponse.header.Access-Control-Allow-Origin': origin,
            'gatewayresponse.header.Vary': "'Origin'",
          },
        });
      }
    });

    it('limits each client with a web ACL on the stage: per IP, tighter without a token (preflights aside), 429 in the API shape', () => {
      const acls = Object.values(template.findResources('AWS::WAFv2::WebACL'));
      expect(acls).toHaveLength(1);
      const acl = acls[0]?.Properties;
      expect(acl).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
      // The dashboard's origin, so it can read the 429.
      const dashboardOrigin = {
        'Fn::Join': [
          '',
          ['https://', { 'Fn::GetAtt': [logicalId(stack, stack.dashboard.distribution), 'DomainName'] }],
        ],
      };
      const block = {
        Block: {
          CustomResponse: {
            ResponseCode: 429,
            CustomResponseBodyKey: 'tooMany',
            ResponseHeaders: [
              { Name: 'Access-Control-Allow-Origin', Value: dashboardOrigin },
              { Name: 'Vary', Value: 'Origin' },
              { Name: 'Retry-After', Value: '300' },
            ],
          },
        },
      };
      expect(acl.Rules).toEqual([
        expect.objectContaining({
          Name: 'UnauthenticatedPerIp',
          Action: block,
          Statement: {
            RateBasedStatement: {
              Limit: 100,
              EvaluationWindowSec: 300,
              AggregateKeyType: 'IP',
              ScopeDownStatement: {
                AndStatement: {
                  Statements: [
                    {
                      NotStatement: {
                        Statement: {
                          SizeConstraintStatement: {
                            FieldToMatch: { SingleHeader: { Name: 'authorization' } },
                            ComparisonOperator: 'GT',
                            Size: 0,
                            TextTransformations: [{ Priority: 0, Type: 'NONE' }],
                          },
                        },
                      },
                    },
                    {
                      NotStatement: {
                        Statement: {
                          ByteMatchStatement: {
                            FieldToMatch: { Method: {} },
                            PositionalConstraint: 'EXACTLY',
                            SearchString: 'OPTIONS',
                            TextTransformations: [{ Priority: 0, Type: 'NONE' }],
                          },
                        },
                      },
                    },
                  ],
                },
              },
            },
          },
        }),
        expect.objectContaining({
          Name: 'PerIp',
          Action: block,
          Statement: {
            RateBasedStatement: { Limit: 1000, EvaluationWindowSec: 300, AggregateKeyType: 'IP' },
          },
        }),
      ]);
      expect(JSON.parse(acl.CustomResponseBodies.tooMany.Content)).toEqual({
        error: expect.stringMatching(/^Too many requests/),
        field: null,
      });
      const stage = logicalId(stack, stack.httpApi.restApi.deploymentStage);
      const associations = template.findResources('AWS::WAFv2::WebACLAssociation');
      expect(Object.values(associations)).toEqual([
        {
          Type: 'AWS::WAFv2::WebACLAssociation',
          DependsOn: [stage],
          Properties: {
            ResourceArn: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':apigateway:',
                  { Ref: 'AWS::Region' },
                  '::/restapis/',
                  { Ref: logicalId(stack, stack.httpApi.restApi) },
                  '/stages/',
                  { Ref: stage },
                ],
              ],
            },
            WebACLArn: { 'Fn::GetAtt': [stack.getLogicalId(stack.httpApi.webAcl!), 'Arn'] },
          },
        },
      ]);
    });

    it('takes the limits from the config, and without the web ACL says so in its cdk-nag reason', () => {
      const custom = build(
        parseMonitorConfig(
          {
            ...EXAMPLE,
            api: { waf: { requestsPer5MinutesPerIp: 5000, unauthenticatedPer5MinutesPerIp: 200 } },
          },
          'test',
        ),
      );
      const rules = Object.values(custom.template.findResources('AWS::WAFv2::WebACL'))[0]?.Properties.Rules;
      expect(
        rules.map(
          (r: { Statement: { RateBasedStatement: { Limit: number } } }) =>
            r.Statement.RateBasedStatement.Limit,
        ),
      ).toEqual([200, 5000]);

      const off = build(parseMonitorConfig({ ...EXAMPLE, api: { waf: { enabled: false } } }, 'test'));
      off.template.resourceCountIs('AWS::WAFv2::WebACL', 0);
      off.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
      const report = new AwsSolutionsChecks(off.app).validateScope(off.app);
      expect(report.success).toBe(true);
      const acknowledged = off.stack.httpApi.restApi.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .map((m) => m.data as Record<string, string>)
        .find((d) => Object.keys(d).some((k) => k.includes('AwsSolutions-APIG3')));
      expect(Object.values(acknowledged ?? {}).join()).toMatch(
        /api\.waf\.enabled: false.*one client can use it up/,
      );
    });

    it('lets API Gateway invoke the function only for its own methods, and outputs the URL', () => {
      const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
        (p) => p.Properties.Principal === 'apigateway.amazonaws.com',
      );
      expect(permissions).toHaveLength(routes.length);
      for (const p of permissions) {
        expect(p.Properties.FunctionName).toEqual({
          'Fn::GetAtt': [logicalId(stack, stack.api.lambdaFunction), 'Arn'],
        });
        expect(JSON.stringify(p.Properties.SourceArn)).not.toContain('test-invoke-stage');
      }
      template.hasOutput('ApiUrl', {});
    });
  });

  describe('cdk-nag (AwsSolutions)', () => {
    /** Every acknowledgement in the tree: `path: id`. */
    function acknowledgements(root: IConstruct): string[] {
      const out: string[] = [];
      for (const c of root.node.findAll()) {
        for (const entry of c.node.metadata) {
          if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
          for (const id of Object.keys(entry.data as Record<string, string>)) {
            out.push(`${c.node.path}: ${id.replace(/^annotation::/i, '')}`);
          }
        }
      }
      return out.sort();
    }

    it('reports no unacknowledged errors or warnings', () => {
      const { app } = build();
      const report = new AwsSolutionsChecks(app).validateScope(app);
      expect(report.violations.map((v) => `${v.severity} ${v.ruleName}`)).toEqual([]);
      expect(report.success).toBe(true);
    });

    it("acknowledges only the wildcards AWS offers no narrower resource for, the alert and cycle-start DLQs, CDK's deploy-time site provider and the distribution's certificate, geo and WAF choices", () => {
      const { app } = build();
      expect(acknowledgements(app)).toEqual([
        'DriftSentinel/Alerts/AlertDeadLetter/Queue: AwsSolutions-SQS3',
        'DriftSentinel/Api/Role/DefaultPolicy: AwsSolutions-IAM5[Resource::*]',
        'DriftSentinel/Collect/Role/DefaultPolicy: AwsSolutions-IAM5[Resource::*]',
        'DriftSentinel/Collect/UnscopedPolicy1: AwsSolutions-IAM5[Resource::*]',
        `DriftSentinel/${BUCKET_DEPLOYMENT_PROVIDER}: AwsSolutions-L1`,
        ...[
          'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          'IAM5[Action::s3:Abort*]',
          'IAM5[Action::s3:DeleteObject*]',
          'IAM5[Action::s3:GetBucket*]',
          'IAM5[Action::s3:GetObject*]',
          'IAM5[Action::s3:List*]',
          'IAM5[Resource::<DashboardSiteAB106610.Arn>/*]',
          'IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        ].map((id) => `DriftSentinel/Dashboard/DeployRole: AwsSolutions-${id}`),
        'DriftSentinel/Dashboard/Distribution: AwsSolutions-CFR1',
        'DriftSentinel/Dashboard/Distribution: AwsSolutions-CFR2',
        'DriftSentinel/Dashboard/Distribution: AwsSolutions-CFR4',
        'DriftSentinel/Dashboard/Logs: AwsSolutions-S1',
        'DriftSentinel/Detect/Role/DefaultPolicy: AwsSolutions-IAM5[Resource::*]',
        'DriftSentinel/Detect/Role/DefaultPolicy: AwsSolutions-IAM5[Resource::<DetectorStateBucket95DEE478.Arn>/detector-state/*]',
        'DriftSentinel/Detect/UnscopedPolicy1: AwsSolutions-IAM5[Resource::*]',
        'DriftSentinel/DetectCycle/StartDeadLetterQueue/Queue: AwsSolutions-SQS3',
        'DriftSentinel/DetectCycle/StateMachine/Role/DefaultPolicy: AwsSolutions-IAM5[Resource::*]',
        'DriftSentinel/DetectCycle/StateMachine/Role/DefaultPolicy: AwsSolutions-IAM5[Resource::<CollectFunction02542C7F.Arn>:*]',
        'DriftSentinel/DetectCycle/StateMachine/Role/DefaultPolicy: AwsSolutions-IAM5[Resource::<DetectFunction5E3C9172.Arn>:*]',
        'DriftSentinel/HttpApi/RestApi: AwsSolutions-APIG6',
        'DriftSentinel/MlDrift/AccessLogs: AwsSolutions-S1',
        'DriftSentinel/MlDrift/Check/Role/DefaultPolicy: AwsSolutions-IAM5[Resource::*]',
        'DriftSentinel/MlDrift/Check/Role/DefaultPolicy: AwsSolutions-IAM5[Resource::<MlDriftModelsD6D87D4A.Arn>/models/*]',
        'DriftSentinel/MlDrift/Ingest/Role/DefaultPolicy: AwsSolutions-IAM5[Resource::*]',
        'DriftSentinel/MlDrift/Rejected/Queue: AwsSolutions-SQS3',
        'DriftSentinel/MlDrift/Train/Role/DefaultPolicy: AwsSolutions-IAM5[Resource::*]',
        'DriftSentinel/MlDrift/Train/Role/DefaultPolicy: AwsSolutions-IAM5[Resource::<MlDriftModelsD6D87D4A.Arn>/models/*]',
        'DriftSentinel/Tune/Role/DefaultPolicy: AwsSolutions-IAM5[Resource::*]',
      ]);
    });

    it('synthesizes with the plugin registered, with no CDK errors or warnings', () => {
      const outdir = mkdtempSync(path.join(tmpdir(), 'nag-'));
      try {
        const { app, stack } = build(configWith(), outdir);
        app.synth();
        const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
        const violations = (report.pluginReports as { violations?: unknown[] }[]).flatMap(
          (r) => r.violations ?? [],
        );
        expect(violations).toEqual([]);
        expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
        expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    });

    it('fails synth on a non-compliant resource (the plugin is live in the app wiring)', () => {
      const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
      const stack = addMonitorStack(app, configWith());
      new sqs.Queue(stack, 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
      expect(() => app.synth()).toThrow(/AwsSolutions-SQS[234]/);
    });
  });
});

describe('load-config', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'monitor-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const bad = { series: [{ metric: 'CPU', namespace: 'AWS/EC2', metricName: 'CPUUtilization' }] };

  it('picks MONITOR_CONFIG, then the config context, then monitor.config.json, then the example', () => {
    const opts = { cwd: dir, projectRoot: dir, env: {} };
    expect(resolveConfigPath(opts)).toBe(path.join(dir, EXAMPLE_CONFIG_FILE));
    writeFileSync(path.join(dir, DEFAULT_CONFIG_FILE), '{}');
    expect(resolveConfigPath(opts)).toBe(path.join(dir, DEFAULT_CONFIG_FILE));
    expect(resolveConfigPath({ ...opts, contextPath: 'ctx.json' })).toBe(path.join(dir, 'ctx.json'));
    expect(resolveConfigPath({ ...opts, contextPath: 'ctx.json', env: { MONITOR_CONFIG: 'env.json' } })).toBe(
      path.join(dir, 'env.json'),
    );
  });

  it('loads the shipped example when nothing else is configured', () => {
    mkdirSync(path.join(dir, 'config'));
    writeFileSync(path.join(dir, EXAMPLE_CONFIG_FILE), JSON.stringify({ ...EXAMPLE, name: 'FromExample' }));
    const { config, file } = loadMonitorConfig({ env: {}, projectRoot: dir, cwd: dir });
    expect(file).toBe(path.join(dir, EXAMPLE_CONFIG_FILE));
    expect(config.name).toBe('FromExample');
  });

  it('throws a ConfigError naming the bad field', () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(bad));
    const error = errorOf(ConfigError, () => loadMonitorConfig({ env: { MONITOR_CONFIG: file } }));
    expect(error.issues.some((i) => i.startsWith('series.0.metric:'))).toBe(true);
    expect(error.message).toContain('series.0.metric');
  });

  it('throws a ConfigError for a missing file and for a non-string context value', () => {
    expect(
      errorOf(ConfigError, () => loadMonitorConfig({ env: { MONITOR_CONFIG: path.join(dir, 'nope.json') } }))
        .message,
    ).toMatch(/Cannot read monitoring config/);
    expect(() => resolveConfigPath({ env: {}, contextPath: true })).toThrow(ConfigError);
  });

  it.each([
    ['a schema error', bad, 'series.0.metric'],
    [
      'an unschedulable step',
      { ...EXAMPLE, schedules: { collectEveryMinutes: 7 } },
      'schedules.collectEveryMinutes',
    ],
  ])(
    'makes the CDK app exit 1 on %s, naming the field, with nothing bundled or synthesized',
    (_, raw, field) => {
      // Prepare
      const file = path.join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify(raw));
      const outdir = path.join(dir, 'cdk.out');
      mkdirSync(outdir);
      // Act
      const run = spawnSync(
        process.execPath,
        [require.resolve('tsx/cli'), path.join(PROJECT_ROOT, 'infra/app.ts')],
        {
          cwd: PROJECT_ROOT,
          env: { ...process.env, MONITOR_CONFIG: file, CDK_OUTDIR: outdir },
          encoding: 'utf8',
        },
      );
      // Assess
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(field);
      expect(readdirSync(outdir)).toEqual([]);
    },
  );
});
