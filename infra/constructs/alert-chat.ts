// (infra) Slack and Microsoft Teams channels through AWS Chatbot (Amazon Q Developer in chat
// applications): a chat topic (encrypted with the NOC key) carrying Chatbot custom notifications, the
// relay function that writes them from the NOC topic's alert notices (filtered like any destination),
// and one channel configuration per configured channel, subscribed to the chat topic. Channel members
// can read notifications and nothing else: the channel role has no permissions and the guardrail denies all.
import { Stack, Validations } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config';
import type { ChatConfig } from '../../shared/config/alert-delivery';
import { filterPolicyOf } from '../../shared/domain/alert-delivery';
import type { MonitorConfig } from '../../shared/monitor-config';
import { AlarmedDeadLetterQueue } from './dead-letter-queue';
import { MonitorFunction } from './monitor-function';

/** Properties of {@link AlertChat}. */
export interface AlertChatProps {
  readonly config: MonitorConfig;
  readonly chat: ChatConfig;
  /** The NOC topic and its key (the chat topic is encrypted with the same key). */
  readonly topic: sns.ITopic;
  readonly key: kms.IKey;
}

/** The chat relay and channels. */
export class AlertChat extends Construct {
  /** Carries Chatbot custom notifications only. */
  public readonly chatTopic: sns.Topic;
  public readonly relay: MonitorFunction;
  public readonly subscriptionDeadLetter: AlarmedDeadLetterQueue;
  public readonly slack: readonly chatbot.SlackChannelConfiguration[];
  public readonly teams: readonly chatbot.CfnMicrosoftTeamsChannelConfiguration[];
  /** Guardrail of every channel: deny all, so chat can never be used to act in the account. */
  public readonly guardrail: iam.ManagedPolicy;
  public readonly alarms: readonly cloudwatch.Alarm[];

  public constructor(scope: Construct, id: string, props: AlertChatProps) {
    super(scope, id);
    const { config, chat, topic, key } = props;
    const stackName = Stack.of(this).stackName;
    this.chatTopic = new sns.Topic(this, 'ChatTopic', {
      displayName: 'Drift Sentinel chat notifications',
      masterKey: key,
      enforceSSL: true,
    });
    this.relay = new MonitorFunction(this, 'Relay', {
      serviceName: 'relay-chat',
      entry: 'functions/relay-chat.ts',
      config,
    }).bindTopic(this.chatTopic, key, ENV.chatTopicArn);

    this.subscriptionDeadLetter = new AlarmedDeadLetterQueue(this, 'SubscriptionDlq', {
      purpose: 'SNS delivery to relay-chat',
    });
    Validations.of(this.subscriptionDeadLetter.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead letter of the chat relay subscription (RedrivePolicy); an alarm fires on ' +
        'its first message and it keeps them 14 days.',
    });
    const policy = filterPolicyOf({
      minSeverity: chat.minSeverity ?? config.alerts.minLevelToPage,
      ...(chat.tags ? { tags: chat.tags } : {}),
    });
    topic.addSubscription(
      new subscriptions.LambdaSubscription(this.relay.lambdaFunction, {
        filterPolicy: Object.fromEntries(
          Object.entries(policy).map(([k, allowlist]) => [
            k,
            sns.SubscriptionFilter.stringFilter({ allowlist }),
          ]),
        ),
        deadLetterQueue: this.subscriptionDeadLetter.queue,
      }),
    );

    this.guardrail = new iam.ManagedPolicy(this, 'Guardrail', {
      description: 'Drift Sentinel chat channels: notifications only, no actions from chat',
      statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['*'], resources: ['*'] })],
    });
    this.slack = chat.slack.map(
      (s) =>
        new chatbot.SlackChannelConfiguration(this, `Slack-${s.name}`, {
          slackChannelConfigurationName: `${stackName}-${s.name}`.slice(0, 128),
          slackWorkspaceId: s.workspaceId,
          slackChannelId: s.channelId,
          notificationTopics: [this.chatTopic],
          guardrailPolicies: [this.guardrail],
          loggingLevel: chatbot.LoggingLevel.ERROR,
        }),
    );
    const teamsRole =
      chat.teams.length > 0
        ? new iam.Role(this, 'TeamsChannelRole', {
            assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
            description: 'Drift Sentinel Teams channels: no permissions (notifications only)',
          })
        : undefined;
    this.teams = chat.teams.map(
      (t) =>
        new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, `Teams-${t.name}`, {
          configurationName: `${stackName}-${t.name}`.slice(0, 128),
          iamRoleArn: teamsRole!.roleArn,
          teamId: t.teamId,
          teamsTenantId: t.tenantId,
          teamsChannelId: t.channelId,
          ...(t.channelName ? { teamsChannelName: t.channelName } : {}),
          snsTopicArns: [this.chatTopic.topicArn],
          guardrailPolicies: [this.guardrail.managedPolicyArn],
          loggingLevel: 'ERROR',
        }),
    );
    this.alarms = [this.relay.deadLetterQueue.alarm, this.subscriptionDeadLetter.alarm];
  }
}
