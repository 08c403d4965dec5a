// (infra) the NOC topic: SNS encrypted with a customer-managed KMS key (rotation on), TLS-only, open to
// this account's CloudWatch alarms, an optional e-mail subscription from config, and the alarmed queue
// where alerts that could not be published for too long are parked.
import { Aws, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { AlarmedDeadLetterQueue } from './dead-letter-queue';

/** Properties of {@link AlertTopic}. */
export interface AlertTopicProps {
  /**
   * E-mail address subscribed to the topic (confirmed by the recipient).
   * @default no subscription: subscribe PagerDuty/Opsgenie/chat endpoints yourself
   */
  readonly email?: string;
}

/** The NOC topic and its dead-letter queue. */
export class AlertTopic extends Construct {
  public readonly key: kms.Key;
  public readonly topic: sns.Topic;
  /** Alerts whose publish kept failing (state `failed`), with an alarm on its first message. */
  public readonly deadLetter: AlarmedDeadLetterQueue;

  public constructor(scope: Construct, id: string, props: AlertTopicProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the Drift Sentinel NOC alert topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Only alarms of this account and region (confused-deputy guard), for the key and the topic alike.
    const alarmsOfThisAccount = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
    };
    const cloudwatchService = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    // CloudWatch alarms publish to the encrypted topic; they need the data key.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToEncrypt',
        principals: [cloudwatchService],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: alarmsOfThisAccount,
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Drift Sentinel alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    // The topic policy (created for enforceSSL) replaces SNS's default one, which is what let alarms
    // publish: without this statement every alarm fires into an AuthorizationError and nobody is paged.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [cloudwatchService],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: alarmsOfThisAccount,
      }),
    );
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    this.deadLetter = new AlarmedDeadLetterQueue(this, 'AlertDeadLetter', { purpose: 'alert publish' });
    Validations.of(this.deadLetter.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead letter of alert publishing: the detect job sends alerts here after ' +
        'maxPendingMinutes of failed SNS publishes; an alarm fires on its first message and it keeps them 14 days.',
    });
  }

  /** Notify the topic when `alarm` fires (and when it recovers). */
  public notifyOn(alarm: cloudwatch.Alarm): void {
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.topic));
    alarm.addOkAction(new cloudwatchActions.SnsAction(this.topic));
  }
}
