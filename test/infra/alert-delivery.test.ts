// CDK assertions and cdk-nag for alert delivery with every destination kind configured (bundling skipped).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { addMonitorStack } from '../../infra/app';
import { EXAMPLE_CONFIG_FILE, PROJECT_ROOT } from '../../infra/load-config';
import type { MonitorStack } from '../../infra/stack';
import { parseMonitorConfig } from '../../shared/monitor-config';

const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8'),
).context;
const EXAMPLE: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, EXAMPLE_CONFIG_FILE), 'utf8'),
);
const PD_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:drift/pagerduty-AbCdEf';
const CMK = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';

/** A config that enables every delivery kind. */
const ALL_DESTINATIONS = {
  destinations: [
    {
      kind: 'pagerduty',
      name: 'pagerduty',
      minSeverity: 'CRITICAL',
      routingKey: { secretsManagerArn: PD_SECRET },
    },
    {
      kind: 'webhook',
      name: 'payments-hook',
      url: 'https://hooks.example.com/drift',
      tags: ['team=payments', 'service=web'],
      signingSecret: { ssmParameter: '/drift/webhook-secret', kmsKeyArn: CMK },
    },
  ],
};

function build(alerts: Record<string, unknown>): { app: App; stack: MonitorStack; template: Template } {
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = addMonitorStack(app, parseMonitorConfig({ ...EXAMPLE, alerts }, 'test'));
  return { app, stack, template: Template.fromStack(stack) };
}

const id = (stack: Stack, c: IConstruct) => stack.getLogicalId(c.node.defaultChild as never);

/** Every statement of the policies attached to a role, JSON-rendered, excluding logs and X-Ray. */
function statementsOf(template: Template, roleId: string): unknown[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: unknown }[])
    .filter((s) => ![s.Action].flat().some((a) => String(a).startsWith('xray:')));
}

describe('alert delivery resources', () => {
  const { app, stack, template } = build(ALL_DESTINATIONS);
  const [pd, hook] = stack.delivery.destinations;

  it('builds one delivery function per destination, told which one it serves', () => {
    expect(stack.delivery.destinations.map((d) => d.destination.name)).toEqual([
      'pagerduty',
      'payments-hook',
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DESTINATION_NAME: 'pagerduty',
          POWERTOOLS_SERVICE_NAME: 'deliver-pagerduty',
        }),
      },
      Runtime: 'nodejs24.x',
      DeadLetterConfig: {
        TargetArn: { 'Fn::GetAtt': [id(stack, pd!.function.deadLetterQueue.queue), 'Arn'] },
      },
    });
    template.resourceCountIs(
      'AWS::Lambda::Function',
      Object.keys(build({}).template.findResources('AWS::Lambda::Function')).length + 2,
    );
  });

  it('subscribes each to the topic with its filter policy and a subscription dead-letter queue', () => {
    const topic = { Ref: id(stack, stack.alerts.topic) };
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: topic,
      Endpoint: { 'Fn::GetAtt': [id(stack, pd!.function.lambdaFunction), 'Arn'] },
      FilterPolicy: { alert_type: ['INFRASTRUCTURE_ANOMALY'], level: ['CRITICAL'] },
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [id(stack, pd!.subscriptionDeadLetter.queue), 'Arn'] },
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: { 'Fn::GetAtt': [id(stack, hook!.function.lambdaFunction), 'Arn'] },
      // Default level: alerts.minLevelToPage (WARNING in the example).
      FilterPolicy: {
        alert_type: ['INFRASTRUCTURE_ANOMALY'],
        level: ['WARNING', 'CRITICAL'],
        tags: ['team=payments', 'service=web'],
      },
    });
    // SNS may write to the subscription DLQ, for this topic only.
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: id(stack, pd!.subscriptionDeadLetter.queue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Principal: { Service: 'sns.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': topic } },
          }),
        ]),
      },
    });
  });

  it('grants read of exactly the named secret, and kms:Decrypt only through SSM for that parameter', () => {
    const ownDlq = (d: typeof pd) => ({
      Action: 'sqs:SendMessage',
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [id(stack, d!.function.deadLetterQueue.queue), 'Arn'] },
    });
    expect(statementsOf(template, id(stack, pd!.function.role))).toEqual([
      ownDlq(pd),
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: PD_SECRET },
    ]);
    const parameterArn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':ssm:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':parameter/drift/webhook-secret',
        ],
      ],
    };
    expect(statementsOf(template, id(stack, hook!.function.role))).toEqual([
      ownDlq(hook),
      { Action: 'ssm:GetParameter', Effect: 'Allow', Resource: parameterArn },
      {
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: CMK,
        Condition: {
          StringEquals: {
            'kms:ViaService': {
              'Fn::Join': ['', ['ssm.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
            },
            'kms:EncryptionContext:PARAMETER_ARN': parameterArn,
          },
        },
      },
    ]);
  });

  it('alarms on both dead-letter queues of every destination and sends the alarms to the topic', () => {
    expect(stack.delivery.alarms).toHaveLength(4);
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    for (const alarm of stack.delivery.alarms) {
      expect(alarms[id(stack, alarm)]?.Properties.AlarmActions).toEqual([
        { Ref: id(stack, stack.alerts.topic) },
      ]);
    }
  });

  it('cdk-nag AwsSolutions: no unacknowledged findings; only the subscription DLQs are acknowledged (SQS3)', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map(
        (v) => `${v.severity} ${v.ruleName} ${v.violatingResources.map((r) => r.resourceLogicalId)}`,
      ),
    ).toEqual([]);
  });

  it('builds nothing extra without destinations', () => {
    const { template: plain } = build({});
    expect(Object.keys(plain.findResources('AWS::SNS::Subscription'))).toHaveLength(0);
  });
});
