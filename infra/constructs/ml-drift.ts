// (infra) ML drift: the predictions bus and its ingest path, the models bucket, the train-drift and
// check-drift jobs, the daily schedule, and the alarms. IAM is per action and per resource: object
// actions on the bucket's `models/` prefix only, ses:SendEmail on the configured identity only.
import { Annotations, Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DRIFT_PARTITIONS } from '../../shared/adapters/dynamodb-drift-store';
import { ENV } from '../../shared/config';
import { resolveFeatures } from '../../shared/domain/drift';
import { PREDICTION_DETAIL_TYPE } from '../../shared/domain/predictions';
import { ValidationError } from '../../shared/errors';
import { expandSeries, type MonitorConfig } from '../../shared/monitor-config';
import { AlarmedDeadLetterQueue } from './dead-letter-queue';
import { MonitorFunction } from './monitor-function';

/** Key prefix of the model store (shared/adapters/s3-model-store.ts). */
export const MODELS_PREFIX = 'models/';

/** How long the ingest event source gathers a batch. */
const BATCHING_WINDOW = Duration.seconds(20);

/** The default `aws lambda invoke` payload of train-drift. */
export const TRAIN_PAYLOAD = '{"days": 30}';

/** Properties of {@link MlDrift}. */
export interface MlDriftProps {
  /** The validated monitoring config (`drift` section, `name`, `retentionDays`). */
  readonly config: MonitorConfig;
  /** Metric points (features are read from it). */
  readonly points: dynamodb.ITable;
  /** Control table (drift state and run results under `drift#…` partitions). */
  readonly control: dynamodb.ITable;
  /** Predictions table. */
  readonly predictions: dynamodb.ITable;
  /**
   * What happens to the models bucket (and its access-log bucket) when it leaves the stack.
   * @default RemovalPolicy.RETAIN - trained models outlive a stack deletion
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** `HH:MM` → cron hour and minute. @throws ValidationError naming drift.checkAtUtc */
export function dailyCron(checkAtUtc: string): { hour: string; minute: string } {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(checkAtUtc);
  if (!match)
    throw new ValidationError('Invalid schedule for check-drift', [
      `drift.checkAtUtc: '${checkAtUtc}' must be HH:MM`,
    ]);
  return { hour: String(Number(match[1])), minute: String(Number(match[2])) };
}

/** The SES identity ARN drift mail is sent as, or undefined when mail is not configured. */
export function sesIdentityOf(drift: MonitorConfig['drift']): string | undefined {
  if (!drift.fromEmail || drift.toEmails.length === 0) return undefined;
  return drift.sesIdentity ?? drift.fromEmail;
}

/**
 * Prediction ingestion (custom bus → rule on `detail-type: ModelPrediction` → SQS buffer → ingest
 * Lambda in batches of up to 1,000), the models bucket, train-drift (by hand) and check-drift (daily at
 * `drift.checkAtUtc` and by hand). Every dead-letter queue and the failed-check metric have an alarm;
 * attach actions with {@link MlDrift.alarms}.
 */
export class MlDrift extends Construct {
  /** Versioned, encrypted, TLS-only, private bucket for models (`models/<name>/v/…`, `latest.json`). */
  public readonly modelsBucket: s3.Bucket;
  /** Server access logs of the models bucket. */
  public readonly accessLogs: s3.Bucket;
  /** Where ML services put ModelPrediction events. */
  public readonly bus: events.EventBus;
  /** Routes ModelPrediction events to the ingest buffer. */
  public readonly rule: events.Rule;
  /** Buffers events so ingest writes chunks of up to 1,000 predictions. */
  public readonly buffer: sqs.Queue;
  /** Events the rule could not deliver, and buffered events that failed ingest 5 times. */
  public readonly bufferDeadLetter: AlarmedDeadLetterQueue;
  /** Invalid prediction events, each with the reason it was rejected. */
  public readonly rejected: AlarmedDeadLetterQueue;
  public readonly ingest: MonitorFunction;
  public readonly train: MonitorFunction;
  public readonly check: MonitorFunction;
  /** Runs check-drift daily. */
  public readonly schedule: events.Rule;
  /** A drift check could not run (missing or corrupt model, unreadable predictions). */
  public readonly checksFailed: cloudwatch.Alarm;
  /** The exact `aws lambda invoke` command that trains the infra model (payload `{"days": 30}`). */
  public readonly trainCommand: string;
  /** The exact `aws lambda invoke` command that runs a drift check now. */
  public readonly checkCommand: string;

  public constructor(scope: Construct, id: string, props: MlDriftProps) {
    super(scope, id);
    const { config } = props;
    const { drift } = config;
    const cron = dailyCron(drift.checkAtUtc);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    // Not an error: a stack may run prediction drift only. train-drift answers with the same issues.
    try {
      resolveFeatures(drift.infra.features, expandSeries(config));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      Annotations.of(this).addWarningV2(
        'drift-sentinel:infra-features',
        `drift.infra.features do not match the configured series, so train-drift will refuse: ${error.issues.join('; ')}`,
      );
    }

    // Models bucket, with server access logs in a bucket of their own.
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the server access log bucket of the models bucket; logging the log bucket would need a ' +
        'third bucket and so on. It is private, encrypted, TLS-only, and expires logs after a year.',
    });
    this.modelsBucket = new s3.Bucket(this, 'Models', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'models-bucket/',
      lifecycleRules: [
        // `latest.json` is overwritten on every training: keep its history 90 days (and the 5 newest).
        { noncurrentVersionExpiration: Duration.days(90), noncurrentVersionsToRetain: 5 },
        { abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      removalPolicy,
    });

    // Ingest: bus → rule → buffer queue → Lambda (batches); rejects to their own alarmed queue.
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: `${config.name}-predictions` });
    this.bufferDeadLetter = new AlarmedDeadLetterQueue(this, 'BufferDeadLetter', {
      purpose: 'prediction ingest',
    });
    this.rejected = new AlarmedDeadLetterQueue(this, 'Rejected', { purpose: 'rejected prediction' });
    Validations.of(this.rejected.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself where invalid prediction events are parked, each with its rejection reason; ' +
        'an alarm fires on its first message and it keeps them 14 days for the producing team.',
    });
    const ingestTimeout = Duration.minutes(1);
    this.buffer = new sqs.Queue(this, 'Buffer', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's guidance for SQS sources: at least 6× the function timeout plus the batching window.
      visibilityTimeout: Duration.seconds(6 * ingestTimeout.toSeconds() + BATCHING_WINDOW.toSeconds()),
      // The SQS maximum: buffered predictions survive a long ingest outage.
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: this.bufferDeadLetter.queue, maxReceiveCount: 5 },
    });
    this.rule = new events.Rule(this, 'PredictionRule', {
      eventBus: this.bus,
      description: `Routes ${PREDICTION_DETAIL_TYPE} events to the ingest buffer`,
      eventPattern: { detailType: [PREDICTION_DETAIL_TYPE] },
    });
    this.rule.addTarget(
      new targets.SqsQueue(this.buffer, {
        deadLetterQueue: this.bufferDeadLetter.queue,
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      }),
    );
    this.ingest = new MonitorFunction(this, 'Ingest', {
      serviceName: 'ingest-predictions',
      entry: 'functions/ingest-predictions.ts',
      config,
      timeout: ingestTimeout,
      memorySize: 512,
    })
      .bindTable(props.predictions, ENV.predictionsTable, ['dynamodb:BatchWriteItem', 'dynamodb:UpdateItem'])
      .bindQueue(this.rejected.queue, ENV.rejectedPredictionsUrl);
    this.ingest.lambdaFunction.addEventSource(
      new lambdaEvents.SqsEventSource(this.buffer, {
        batchSize: 1000,
        maxBatchingWindow: BATCHING_WINDOW,
        reportBatchItemFailures: true,
        maxConcurrency: 5,
      }),
    );

    // Train: by hand, one long run; no async retries (a refused or failed run is answered to the caller).
    this.train = new MonitorFunction(this, 'Train', {
      serviceName: 'train-drift',
      entry: 'functions/train-drift.ts',
      config,
      timeout: Duration.minutes(15),
      memorySize: 1024,
      retryAttempts: 0,
    })
      .bindTable(props.points, ENV.pointsTable, ['dynamodb:Query'])
      .bindBucket(this.modelsBucket, ENV.modelsBucket, ['s3:PutObject'], MODELS_PREFIX);

    // Check: daily; one at a time so two runs never race on the day's e-mail.
    this.check = new MonitorFunction(this, 'Check', {
      serviceName: 'check-drift',
      entry: 'functions/check-drift.ts',
      config,
      timeout: Duration.minutes(10),
      memorySize: 1536,
      reservedConcurrentExecutions: 1,
    })
      .bindTable(props.points, ENV.pointsTable, ['dynamodb:Query'])
      .bindTable(props.predictions, ENV.predictionsTable, ['dynamodb:Query'])
      .bindTable(
        props.control,
        ENV.controlTable,
        ['dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
        { leadingKeys: [DRIFT_PARTITIONS.state, DRIFT_PARTITIONS.run] },
      )
      // ListBucket makes a missing model a 404 ("No trained model"), not an opaque 403.
      .bindBucket(this.modelsBucket, ENV.modelsBucket, ['s3:GetObject'], MODELS_PREFIX, ['s3:ListBucket']);
    const identity = sesIdentityOf(drift);
    if (identity !== undefined) {
      iam.Grant.addToPrincipal({
        grantee: this.check.lambdaFunction,
        actions: ['ses:SendEmail'],
        resourceArns: [`arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:identity/${identity}`],
      });
    }

    this.schedule = new events.Rule(this, 'CheckSchedule', {
      description: `Runs check-drift daily at ${drift.checkAtUtc} UTC`,
      schedule: events.Schedule.cron(cron),
    });
    this.schedule.addTarget(
      new targets.LambdaFunction(this.check.lambdaFunction, {
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        deadLetterQueue: this.check.deadLetterQueue.queue,
      }),
    );

    this.checksFailed = new cloudwatch.Alarm(this, 'ChecksFailed', {
      alarmDescription:
        'A drift check could not run (missing or corrupt model, unreadable predictions or metrics)',
      metric: new cloudwatch.Metric({
        namespace: config.name,
        metricName: 'DriftChecksFailed',
        dimensionsMap: { service: 'check-drift' },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.hours(1),
      }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const fn = (job: MonitorFunction) => job.lambdaFunction.functionName;
    this.trainCommand =
      `aws lambda invoke --function-name ${fn(this.train)} --cli-binary-format raw-in-base64-out ` +
      `--cli-read-timeout 900 --payload '${TRAIN_PAYLOAD}' train-drift.json && cat train-drift.json`;
    this.checkCommand =
      `aws lambda invoke --function-name ${fn(this.check)} --cli-binary-format raw-in-base64-out ` +
      `--payload '{}' check-drift.json && cat check-drift.json`;
  }

  /** Every alarm of ML drift: the dead-letter queues (ingest, rejected, jobs) and failed checks. */
  public get alarms(): cloudwatch.Alarm[] {
    return [
      this.bufferDeadLetter.alarm,
      this.rejected.alarm,
      this.ingest.deadLetterQueue.alarm,
      this.train.deadLetterQueue.alarm,
      this.check.deadLetterQueue.alarm,
      this.checksFailed,
    ];
  }
}
