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

const TEAM = '00000000-0000-4000-8000-000000000001';
const TENANT = '00000000-0000-4000-8000-000000000002';
/** A config that enables every delivery kind and both chat applications. */
const ALL_DESTINATIONS = {
  chat: {
    slack: [{ name: 'noc', workspaceId: 'T0123ABCD', channelId: 'C0123ABCD' }],
    teams: [{ name: 'ops', teamId: TEAM, tenantId: TENANT, channelId: '19:abc@thread.tacv2' }],
    minSeverity: 'WARNING',
  },
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

  it('builds one delivery function per destination, told which one it serves (plus the chat relay)', () => {
    expect(stack.delivery.destinations.map((d) => d.destination.name)).toEqual([
      'pagerduty',
      'payments-hook',
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DESTINATION_NAME: 'pagerduty',
          POWERTOOLS_SERVICE_NAME: 'deliver-pagerduty',
          DELIVERY_DLQ_URL: { Ref: id(stack, pd!.function.deadLetterQueue.queue) },
        }),
      },
      Runtime: 'nodejs24.x',
      DeadLetterConfig: {
        TargetArn: { 'Fn::GetAtt': [id(stack, pd!.function.deadLetterQueue.queue), 'Arn'] },
      },
    });
    template.resourceCountIs(
      'AWS::Lambda::Function',
      Object.keys(build({}).template.findResources('AWS::Lambda::Function')).length + 3,
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

  it('cdk-nag AwsSolutions: no unacknowledged findings with every destination and chat enabled', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map(
        (v) => `${v.severity} ${v.ruleName} ${v.violatingResources.map((r) => r.resourceLogicalId)}`,
      ),
    ).toEqual([]);
  });

  it('builds nothing extra without destinations or chat', () => {
    const { template: plain, stack: plainStack } = build({});
    expect(Object.keys(plain.findResources('AWS::SNS::Subscription'))).toHaveLength(0);
    expect(Object.keys(plain.findResources('AWS::Chatbot::SlackChannelConfiguration'))).toHaveLength(0);
    expect(plainStack.chat).toBeUndefined();
  });
});

describe('chat (AWS Chatbot)', () => {
  const { stack, template } = build(ALL_DESTINATIONS);
  const chat = stack.chat!;
  const chatTopic = { Ref: id(stack, chat.chatTopic) };
  const guardrail = { Ref: id(stack, chat.guardrail) };

  it('a chat topic encrypted with the NOC key, fed by the relay subscribed with a filter and a DLQ', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'Drift Sentinel chat notifications',
      KmsMasterKeyId: { 'Fn::GetAtt': [id(stack, stack.alerts.key), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: { 'Fn::GetAtt': [id(stack, chat.relay.lambdaFunction), 'Arn'] },
      TopicArn: { Ref: id(stack, stack.alerts.topic) },
      FilterPolicy: { alert_type: ['INFRASTRUCTURE_ANOMALY'], level: ['WARNING', 'CRITICAL'] },
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [id(stack, chat.subscriptionDeadLetter.queue), 'Arn'] },
      },
    });
    // The relay may publish to the chat topic only (not the NOC topic).
    expect(statementsOf(template, id(stack, chat.relay.role))).toEqual([
      {
        Action: 'sqs:SendMessage',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [id(stack, chat.relay.deadLetterQueue.queue), 'Arn'] },
      },
      { Action: 'sns:Publish', Effect: 'Allow', Resource: chatTopic },
      {
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [id(stack, stack.alerts.key), 'Arn'] },
      },
    ]);
  });

  it('Slack and Teams channel configurations on the chat topic, with a deny-all guardrail and a role without permissions', () => {
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'DriftSentinel-noc',
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0123ABCD',
      SnsTopicArns: [chatTopic],
      GuardrailPolicies: [guardrail],
      LoggingLevel: 'ERROR',
    });
    template.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
      ConfigurationName: 'DriftSentinel-ops',
      TeamId: TEAM,
      TeamsTenantId: TENANT,
      TeamsChannelId: '19%3aabc%40thread.tacv2',
      SnsTopicArns: [chatTopic],
      GuardrailPolicies: [guardrail],
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [{ Action: '*', Effect: 'Deny', Resource: '*' }] },
    });
    const chatbotRoles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([, r]) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('chatbot.amazonaws.com'),
    );
    expect(chatbotRoles).toHaveLength(2);
    for (const [roleId, role] of chatbotRoles) {
      expect(role.Properties.Policies).toBeUndefined();
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(statementsOf(template, roleId)).toEqual([]);
    }
  });
});
