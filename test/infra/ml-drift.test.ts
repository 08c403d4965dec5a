// CDK assertions and cdk-nag for the ML drift part of the stack (bundling skipped, as in stack.test.ts).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { addMonitorStack } from '../../infra/app';
import { dailyCron } from '../../infra/constructs/ml-drift';
import { EXAMPLE_CONFIG_FILE, PROJECT_ROOT } from '../../infra/load-config';
import type { MonitorStack } from '../../infra/stack';
import { ENV } from '../../shared/config';
import { ValidationError } from '../../shared/errors';
import { parseMonitorConfig } from '../../shared/monitor-config';
import { renderValue } from '../helpers/cdk-values';

const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8'),
).context;
const EXAMPLE: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, EXAMPLE_CONFIG_FILE), 'utf8'),
);
const MAIL = {
  fromEmail: 'drift@ml.example.com',
  toEmails: ['ml-team@example.com'],
  sesIdentity: 'ml.example.com',
  checkAtUtc: '23:45',
};

function build(drift: Record<string, unknown> = {}): { app: App; stack: MonitorStack; template: Template } {
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = addMonitorStack(app, parseMonitorConfig({ ...EXAMPLE, drift }, 'test'));
  return { app, stack, template: Template.fromStack(stack) };
}

const id = (stack: Stack, c: IConstruct) => stack.getLogicalId(c.node.defaultChild as never);

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string[]>>;
}

/** `action -> resource [leading keys]` for every statement on a role (inline and attached). */
function grants(template: Template, roleId: string): string[] {
  const role = template.findResources('AWS::IAM::Role')[roleId];
  const inline = (role?.Properties.Policies ?? []).flatMap(
    (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
  );
  const attached = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  const out = new Set<string>();
  for (const s of [...inline, ...attached]) {
    const keys = s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
    for (const a of [s.Action].flat()) {
      for (const r of [s.Resource].flat())
        out.add(`${a} -> ${renderValue(r)}${keys ? ` [${keys.join(',')}]` : ''}`);
    }
  }
  return [...out].sort();
}

describe('ML drift stack', () => {
  const { stack, template } = build(MAIL);
  const d = stack.drift;
  const arn = (c: IConstruct) => `${id(stack, c)}.Arn`;
  const base = (job: typeof d.train) => [
    `logs:CreateLogStream -> ${arn(job.logGroup)}`,
    `logs:PutLogEvents -> ${arn(job.logGroup)}`,
    `sqs:SendMessage -> ${arn(job.deadLetterQueue.queue)}`,
    'xray:PutTelemetryRecords -> *',
    'xray:PutTraceSegments -> *',
  ];

  it('models bucket: private, SSE, TLS-only, versioned, old versions expire, access-logged, retained', () => {
    const bucket = template.findResources('AWS::S3::Bucket')[id(stack, d.modelsBucket)];
    expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(bucket?.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: id(stack, d.accessLogs) },
        LogFilePrefix: 'models-bucket/',
      },
      LifecycleConfiguration: {
        Rules: [
          {
            Status: 'Enabled',
            NoncurrentVersionExpiration: { NoncurrentDays: 90, NewerNoncurrentVersions: 5 },
          },
          { Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
        ],
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id(stack, d.modelsBucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('bus → rule on detail-type ModelPrediction → encrypted buffer queue (DLQ after 5 receives)', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'DriftSentinel-predictions' });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: id(stack, d.bus) },
      EventPattern: { 'detail-type': ['ModelPrediction'] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [id(stack, d.buffer), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [id(stack, d.bufferDeadLetter.queue), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        }),
      ],
    });
    const buffer = template.findResources('AWS::SQS::Queue')[id(stack, d.buffer)];
    expect(buffer?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 380,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [id(stack, d.bufferDeadLetter.queue), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    // EventBridge may send to the buffer (and only this rule).
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [id(stack, d.rule), 'Arn'] } } },
          }),
        ]),
      },
    });
  });

  it('ingest reads the buffer in batches of up to 1,000 and reports partial failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id(stack, d.ingest.lambdaFunction) },
      EventSourceArn: { 'Fn::GetAtt': [id(stack, d.buffer), 'Arn'] },
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 20,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('check-drift runs daily at drift.checkAtUtc, one at a time, with retries and its DLQ', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(45 23 * * ? *)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [id(stack, d.check.lambdaFunction), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [id(stack, d.check.deadLetterQueue.queue), 'Arn'] } },
        }),
      ],
    });
    const fns = template.findResources('AWS::Lambda::Function');
    expect(fns[id(stack, d.check.lambdaFunction)]?.Properties).toMatchObject({
      ReservedConcurrentExecutions: 1,
      Timeout: 600,
      MemorySize: 1536,
    });
    expect(fns[id(stack, d.train.lambdaFunction)]?.Properties).toMatchObject({
      Timeout: 900,
      MemorySize: 1024,
    });
    // Default: 06:00 UTC.
    const daily = build();
    const rule =
      daily.template.findResources('AWS::Events::Rule')[id(daily.stack, daily.stack.drift.schedule)];
    expect(rule?.Properties.ScheduleExpression).toBe('cron(0 6 * * ? *)');
    expect(dailyCron('06:00')).toEqual({ hour: '6', minute: '0' });
    expect(() => dailyCron('6am')).toThrow(ValidationError);
  });

  it('ingest: writes predictions, sends rejects; nothing else', () => {
    const table = arn(stack.tables.predictions);
    expect(grants(template, id(stack, d.ingest.role))).toEqual(
      [
        ...base(d.ingest),
        `dynamodb:BatchWriteItem -> ${table}`,
        `dynamodb:UpdateItem -> ${table}`,
        `sqs:SendMessage -> ${arn(d.rejected.queue)}`,
        // The SQS event source's consume grant, on the buffer only.
        `sqs:ChangeMessageVisibility -> ${arn(d.buffer)}`,
        `sqs:DeleteMessage -> ${arn(d.buffer)}`,
        `sqs:GetQueueAttributes -> ${arn(d.buffer)}`,
        `sqs:GetQueueUrl -> ${arn(d.buffer)}`,
        `sqs:ReceiveMessage -> ${arn(d.buffer)}`,
      ].sort(),
    );
  });

  it('train: reads points, writes objects under models/ only', () => {
    expect(grants(template, id(stack, d.train.role))).toEqual(
      [
        ...base(d.train),
        `dynamodb:Query -> ${arn(stack.tables.points)}`,
        `s3:PutObject -> ${arn(d.modelsBucket)}/models/*`,
      ].sort(),
    );
  });

  it('check: reads points, predictions and models/; its own control partitions; SES on the identity only', () => {
    const control = arn(stack.tables.control);
    expect(grants(template, id(stack, d.check.role))).toEqual(
      [
        ...base(d.check),
        `dynamodb:Query -> ${arn(stack.tables.points)}`,
        `dynamodb:Query -> ${arn(stack.tables.predictions)}`,
        `dynamodb:Query -> ${control} [drift#state,drift#run]`,
        `dynamodb:UpdateItem -> ${control} [drift#state,drift#run]`,
        `dynamodb:BatchWriteItem -> ${control} [drift#state,drift#run]`,
        `s3:GetObject -> ${arn(d.modelsBucket)}/models/*`,
        `s3:ListBucket -> ${arn(d.modelsBucket)}`,
        'ses:SendEmail -> arn:Ref:AWS::Partition:ses:Ref:AWS::Region:Ref:AWS::AccountId:identity/ml.example.com',
      ].sort(),
    );
    const env =
      template.findResources('AWS::Lambda::Function')[id(stack, d.check.lambdaFunction)]?.Properties
        .Environment.Variables;
    expect(env).toMatchObject({
      [ENV.modelsBucket]: { Ref: id(stack, d.modelsBucket) },
      [ENV.predictionsTable]: { Ref: id(stack, stack.tables.predictions) },
      [ENV.controlTable]: { Ref: id(stack, stack.tables.control) },
    });
  });

  it('grants no SES at all without recipients; the identity defaults to the sender address', () => {
    const none = build({});
    expect(
      grants(none.template, id(none.stack, none.stack.drift.check.role)).filter((g) => g.startsWith('ses:')),
    ).toEqual([]);
    const own = build({ fromEmail: 'a@example.com', toEmails: ['b@example.com'] });
    expect(
      grants(own.template, id(own.stack, own.stack.drift.check.role)).filter((g) => g.startsWith('ses:')),
    ).toEqual([
      'ses:SendEmail -> arn:Ref:AWS::Partition:ses:Ref:AWS::Region:Ref:AWS::AccountId:identity/a@example.com',
    ]);
  });

  it('alarms on failed drift checks and on every drift queue, all notifying the NOC topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'DriftSentinel',
      MetricName: 'DriftChecksFailed',
      Dimensions: [{ Name: 'service', Value: 'check-drift' }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: id(stack, stack.alerts.topic) }],
    });
    const alarmIds = d.alarms.map((a) => id(stack, a));
    const all = template.findResources('AWS::CloudWatch::Alarm');
    for (const alarmId of alarmIds) {
      expect(all[alarmId]?.Properties.AlarmActions).toEqual([{ Ref: id(stack, stack.alerts.topic) }]);
    }
  });

  it('outputs the exact aws lambda invoke command with {"days": 30}, the bus and the bucket', () => {
    const outputs = template.findOutputs('*');
    const command = JSON.stringify(outputs.TrainDriftCommand?.Value);
    expect(command).toContain(
      `"aws lambda invoke --function-name ",{"Ref":"${id(stack, d.train.lambdaFunction)}"}`,
    );
    expect(command).toContain(`--payload '{\\"days\\": 30}' train-drift.json && cat train-drift.json`);
    expect(outputs.CheckDriftCommand?.Value).toBeDefined();
    expect(outputs.PredictionBusName?.Value).toEqual({ Ref: id(stack, d.bus) });
    expect(outputs.ModelsBucketName?.Value).toEqual({ Ref: id(stack, d.modelsBucket) });
  });

  it('warns at synth when the infra features match no configured series', () => {
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    const bad = build({ infra: { features: ['cpu_percent', 'gpu_percent'] } });
    expect(
      Annotations.fromStack(bad.stack)
        .findWarning('*', Match.anyValue())
        .map((w) => w.entry.data),
    ).toEqual([
      expect.stringMatching(
        /^drift\.infra\.features do not match the configured series, so train-drift will refuse: features\.1: "gpu_percent" matches no collected series/,
      ),
    ]);
  });

  it('cdk-nag AwsSolutions: no unacknowledged findings with e-mail configured', () => {
    const { app } = build(MAIL);
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map(
        (v) => `${v.severity} ${v.ruleName} ${v.violatingResources.map((r) => r.resourceLogicalId)}`,
      ),
    ).toEqual([]);
  });
});
