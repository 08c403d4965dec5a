// (infra) delivery of alerts beyond the topic: per configured destination (PagerDuty, signed webhook)
// one delivery function subscribed to the NOC topic with a filter policy (alert notices only, at least
// its level, optionally only some tags), a dead-letter queue for what SNS could not hand to the
// function, the function's own dead-letter queue for what it could not deliver, and read access to
// exactly the one secret (and its key) the destination names.
import { Arn, ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config';
import type { Destination, SecretRef } from '../../shared/config/alert-delivery';
import { filterPolicyOf } from '../../shared/domain/alert-delivery';
import type { MonitorConfig } from '../../shared/monitor-config';
import { AlarmedDeadLetterQueue } from './dead-letter-queue';
import { MonitorFunction } from './monitor-function';

/** Properties of {@link AlertDelivery}. */
export interface AlertDeliveryProps {
  /** The validated config; `alerts.destinations` lists what to build. */
  readonly config: MonitorConfig;
  /** The NOC topic the functions subscribe to. */
  readonly topic: sns.ITopic;
}

/** One destination's resources. */
export interface DeliveryResources {
  readonly destination: Destination;
  readonly function: MonitorFunction;
  /** Notifications SNS could not hand to the function (after its own retries). */
  readonly subscriptionDeadLetter: AlarmedDeadLetterQueue;
}

/** Delivery functions, one per destination. */
export class AlertDelivery extends Construct {
  /** Per destination, in config order. */
  public readonly destinations: readonly DeliveryResources[];
  /** Every dead-letter alarm here (attach the topic: `AlertTopic.notifyOn`). */
  public readonly alarms: readonly cloudwatch.Alarm[];

  public constructor(scope: Construct, id: string, props: AlertDeliveryProps) {
    super(scope, id);
    const { config, topic } = props;
    this.destinations = config.alerts.destinations.map((destination) => {
      const fn = new MonitorFunction(this, pascal(destination.name), {
        serviceName: `deliver-${destination.name}`,
        entry: 'functions/deliver.ts',
        config,
        // 4 attempts of at most 10 s each plus backoff (≤ 0.5 + 1 + 2 s caps) fit well inside.
        timeout: Duration.minutes(1),
        memorySize: 256,
      });
      fn.lambdaFunction.addEnvironment(ENV.destinationName, destination.name);
      // Refused (4xx) notices are parked in the function's own dead-letter queue at once.
      fn.lambdaFunction.addEnvironment(ENV.deliveryDeadLetterUrl, fn.deadLetterQueue.queue.queueUrl);
      grantSecretRead(
        fn,
        destination.kind === 'pagerduty' ? destination.routingKey : destination.signingSecret,
      );

      const subscriptionDeadLetter = new AlarmedDeadLetterQueue(
        this,
        `${pascal(destination.name)}SubscriptionDlq`,
        {
          purpose: `SNS delivery to deliver-${destination.name}`,
        },
      );
      Validations.of(subscriptionDeadLetter.queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself the dead letter of an SNS subscription (RedrivePolicy): notifications SNS ' +
          'could not hand to the delivery function land here; an alarm fires on the first and it keeps them 14 days.',
      });
      const policy = filterPolicyOf({
        minSeverity: destination.minSeverity ?? config.alerts.minLevelToPage,
        ...(destination.tags ? { tags: destination.tags } : {}),
      });
      topic.addSubscription(
        new subscriptions.LambdaSubscription(fn.lambdaFunction, {
          filterPolicy: Object.fromEntries(
            Object.entries(policy).map(([k, allowlist]) => [
              k,
              sns.SubscriptionFilter.stringFilter({ allowlist }),
            ]),
          ),
          deadLetterQueue: subscriptionDeadLetter.queue,
        }),
      );
      return { destination, function: fn, subscriptionDeadLetter };
    });
    this.alarms = this.destinations.flatMap((d) => [
      d.function.deadLetterQueue.alarm,
      d.subscriptionDeadLetter.alarm,
    ]);
  }
}

/**
 * Read access to exactly one secret: `secretsmanager:GetSecretValue` on its ARN, or `ssm:GetParameter`
 * on the parameter's ARN; `kms:Decrypt` on a named customer-managed key only through that service (and,
 * for SSM, only for that parameter). The AWS-managed default keys need no grant: their key policies
 * allow use through the service by the account's principals.
 */
function grantSecretRead(fn: MonitorFunction, ref: SecretRef): void {
  const stack = Stack.of(fn);
  if ('secretsManagerArn' in ref) {
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [ref.secretsManagerArn],
      }),
    );
    if (ref.kmsKeyArn) {
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [ref.kmsKeyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}` },
          },
        }),
      );
    }
    return;
  }
  const parameterArn = Arn.format(
    {
      service: 'ssm',
      resource: 'parameter',
      resourceName: ref.ssmParameter.slice(1),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    },
    stack,
  );
  fn.role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [parameterArn] }),
  );
  if (ref.kmsKeyArn) {
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [ref.kmsKeyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': `ssm.${stack.region}.${stack.urlSuffix}`,
            'kms:EncryptionContext:PARAMETER_ARN': parameterArn,
          },
        },
      }),
    );
  }
}

/** `ops-hook` → `OpsHook` (construct ids). */
function pascal(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
