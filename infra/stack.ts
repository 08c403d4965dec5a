// (infra) the monitor's stack: wires the constructs together and nothing else.
import { Aws, CfnOutput, Duration, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DRIFT_PARTITIONS } from '../shared/adapters/dynamodb-drift-store';
import { SERIES_INDEX } from '../shared/adapters/dynamodb-feedback-store';
import { TUNING_HISTORY_PK, TUNING_STATE_PREFIX } from '../shared/adapters/dynamodb-threshold-store';
import { recentBandKeyOf } from '../shared/adapters/s3-recent-band-store';
import { API_ROUTES } from '../shared/api/contract';
import { ENV } from '../shared/config';
import type { DetectPlan } from '../shared/domain/series-cost';
import { shardJobName, shardsOf } from '../shared/domain/shards';
import type { MonitorConfig } from '../shared/monitor-config';
import { COLLECT_JOB } from '../shared/use-cases/collect-metrics';
import { AlertChat } from './constructs/alert-chat';
import { AlertDelivery } from './constructs/alert-delivery';
import { AlertTopic } from './constructs/alert-topic';
import { DashboardHosting } from './constructs/dashboard-hosting';
import { AlarmedDeadLetterQueue } from './constructs/dead-letter-queue';
import { cycleTimeouts, DetectCycle } from './constructs/detect-cycle';
import { DetectFunction, detectFunctionId, planDetectShards } from './constructs/detect-function';
import { DetectorState } from './constructs/detector-state';
import { cronMinuteField } from './constructs/job-schedule';
import { dailyCron, MlDrift } from './constructs/ml-drift';
import { MonitorApi } from './constructs/monitor-api';
import { MonitorFunction } from './constructs/monitor-function';
import { StaffAuth } from './constructs/staff-auth';
import { MonitorTables } from './constructs/tables';
import { WeeklySchedule } from './constructs/weekly-schedule';
import { currentDashboardDir } from './dashboard-site';

/** Properties of {@link MonitorStack}. */
export interface MonitorStackProps extends StackProps {
  /** The validated monitoring config (infra/load-config.ts). */
  readonly config: MonitorConfig;
  /**
   * The dashboard site to deploy (infra/app.ts builds it first).
   * @default `dashboard/dist` when built, else the placeholder page in `dashboard/`
   */
  readonly siteDir?: string;
}

/**
 * Tables, the collect and detect jobs with least-privilege grants, the detect cycle that runs them.
 * Environment-agnostic: no lookups, so it synthesizes without AWS credentials.
 */
export class MonitorStack extends Stack {
  /** The DynamoDB tables. */
  public readonly tables: MonitorTables;
  /** Pulls CloudWatch metrics into the points table, one shard's series per invocation. */
  public readonly collect: MonitorFunction;
  /** How many detect shards the fleet needs, planned at synth from the measured per-series cost. */
  public readonly shardPlan: DetectPlan;
  /** One detect function per shard, by shard index: scores points, records anomalies, alerts. */
  public readonly detectShards: readonly DetectFunction[];
  /** The state machine that runs collect then detect for every shard, every collectEveryMinutes. */
  public readonly detectCycle: DetectCycle;
  /** The NOC topic. */
  public readonly alerts: AlertTopic;
  /** Weekly auto-tune of thresholds from false-positive feedback (issue #6). */
  public readonly tune: MonitorFunction;
  /** Serves the HTTP API (feedback, thresholds, preview, maintenance windows). */
  public readonly api: MonitorFunction;
  /** The REST API in front of it (Cognito authorizer on every method; the function requires `staff`). */
  public readonly httpApi: MonitorApi;
  /** The dashboard's user pool, `staff` group, hosted UI and app client. */
  public readonly staffAuth: StaffAuth;
  /** The dashboard site: private bucket, CloudFront, its config.json. */
  public readonly dashboard: DashboardHosting;
  /** ML drift: prediction ingestion, models bucket, train-drift and check-drift. */
  public readonly drift: MlDrift;
  /** Detect's persisted detector checkpoints. */
  public readonly detectorState: DetectorState;
  /** PagerDuty and webhook delivery functions, one per `alerts.destinations` entry (issue 15). */
  public readonly delivery: AlertDelivery;
  /** Slack/Teams channels through AWS Chatbot, when `alerts.chat` is configured (issue 15). */
  public readonly chat?: AlertChat;

  public constructor(scope: Construct, id: string, props: MonitorStackProps) {
    const { config, siteDir, ...stackProps } = props;
    super(scope, id, {
      description: 'Drift Sentinel: CloudWatch/RDS anomaly monitor (collect, detect) and ML drift',
      ...stackProps,
    });
    const { schedules } = config;
    // Check the schedules and the shard plan first: a config the cycle cannot run must fail before
    // esbuild bundles anything.
    cronMinuteField(schedules.collectEveryMinutes, 0, {
      job: 'the detect cycle',
      every: 'schedules.collectEveryMinutes',
    });
    // detectEveryMinutes = collectEveryMinutes is the config schema's rule (detect runs right after collect).
    dailyCron(config.drift.checkAtUtc);
    const timeouts = cycleTimeouts(schedules.collectEveryMinutes);
    this.shardPlan = planDetectShards(config, timeouts.detect);
    const shards = shardsOf(this.shardPlan.count);

    this.tables = new MonitorTables(this, 'Tables');
    this.alerts = new AlertTopic(this, 'Alerts', config.alerts.email ? { email: config.alerts.email } : {});
    const { points, anomalies, control } = this.tables;

    this.collect = new MonitorFunction(this, 'Collect', {
      serviceName: 'collect',
      entry: 'functions/collect.ts',
      config,
      timeout: Duration.minutes(2),
      // It bakes and parses the same fleet config as detect: the same size holds it.
      memorySize: this.shardPlan.memoryMb,
    })
      // Per-series 30-minute chunk items: read, then updated in place.
      .bindTable(points, ENV.pointsTable, ['dynamodb:UpdateItem', 'dynamodb:Query'])
      // Only its own watermarks in the control table, one per shard of the plan.
      .bindTable(control, ENV.controlTable, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], {
        leadingKeys: shards.map((shard) => `job#${shardJobName(COLLECT_JOB, shard)}`),
      });
    this.collect.grantUnscoped(
      ['cloudwatch:GetMetricData'],
      'cloudwatch:GetMetricData supports no resource-level permissions (the Service Authorization ' +
        'Reference lists no resource type or condition key for it); it is read-only.',
    );

    // Feedback and tuning (issue #6): metric state items `tuning#<metric>`, history `tuning-history`.
    const tuningState = { leadingKeys: [`${TUNING_STATE_PREFIX}*`] };
    const tuningHistory = { leadingKeys: [TUNING_HISTORY_PK] };
    this.tune = new MonitorFunction(this, 'Tune', {
      serviceName: 'tune',
      entry: 'functions/tune.ts',
      config,
      timeout: Duration.minutes(5),
      // One run at a time; a second run of the same week changes nothing anyway.
      reservedConcurrentExecutions: 1,
    })
      .bindTable(anomalies, ENV.anomaliesTable, ['dynamodb:Query'])
      .bindTable(control, ENV.controlTable, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], tuningState)
      .bindTable(control, ENV.controlTable, ['dynamodb:PutItem'], tuningHistory);

    this.api = new MonitorFunction(this, 'Api', {
      serviceName: 'api',
      entry: 'functions/api.ts',
      config,
      // API Gateway's integration timeout; the what-if preview replays 30 days of points, single-threaded
      // and CPU-bound: 1769 MB is one full vCPU.
      timeout: Duration.seconds(29),
      memorySize: 1769,
    })
      .bindTable(points, ENV.pointsTable, ['dynamodb:Query'])
      .bindTable(anomalies, ENV.anomaliesTable, ['dynamodb:UpdateItem', 'dynamodb:Query'], {
        queryIndexes: [SERIES_INDEX],
      })
      .bindTable(control, ENV.controlTable, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], tuningState)
      .bindTable(
        control,
        ENV.controlTable,
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        tuningHistory,
      )
      .bindTable(control, ENV.controlTable, ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], {
        leadingKeys: ['maintenance'],
      })
      // Dashboard reads: open alerts, RESOLVED records (time to RESOLVED), drift results, predictions.
      .bindTable(control, ENV.controlTable, ['dynamodb:Query'], {
        leadingKeys: ['alerts', 'publish', DRIFT_PARTITIONS.run],
      })
      .bindTable(this.tables.predictions, ENV.predictionsTable, ['dynamodb:Query']);

    // The staff dashboard (issue #7). The site's origin is known only once its distribution exists, and
    // the distribution's CSP names the API: sign-in and CORS take the origin lazily.
    let siteOrigin: string | undefined;
    const origin = Lazy.string({
      produce: () => {
        if (siteOrigin === undefined) throw new Error('the dashboard origin is set once its hosting exists');
        return siteOrigin;
      },
    });
    this.staffAuth = new StaffAuth(this, 'StaffAuth', { siteUrl: `${origin}/`, settings: config.dashboard });
    this.httpApi = new MonitorApi(this, 'HttpApi', {
      handler: this.api,
      routes: Object.values(API_ROUTES).map((r) => ({
        method: r.method,
        path: r.path,
        summary: r.summary,
        hasBody: 'body' in r,
      })),
      userPool: this.staffAuth.userPool,
      allowedOrigin: origin,
      ...(config.api.waf.enabled ? { waf: config.api.waf } : {}),
    });
    this.api.lambdaFunction.addEnvironment(ENV.dashboardOrigin, origin);
    this.api.lambdaFunction.addEnvironment(ENV.dashboardClientId, this.staffAuth.client.userPoolClientId);
    this.api.lambdaFunction.addEnvironment(
      ENV.dashboardIssuer,
      `https://cognito-idp.${Aws.REGION}.${Aws.URL_SUFFIX}/${this.staffAuth.userPool.userPoolId}`,
    );
    const apiOrigin = `https://${this.httpApi.restApi.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`;
    this.dashboard = new DashboardHosting(this, 'Dashboard', {
      siteDir: siteDir ?? currentDashboardDir(),
      apiBaseUrl: `${apiOrigin}/${this.httpApi.restApi.deploymentStage.stageName}`,
      apiOrigin,
      auth: {
        authority: this.staffAuth.authority,
        clientId: this.staffAuth.client.userPoolClientId,
        hostedUiUrl: this.staffAuth.hostedUiUrl,
      },
      settings: config.dashboard,
    });
    siteOrigin = this.dashboard.origin;

    this.delivery = new AlertDelivery(this, 'Delivery', { config, topic: this.alerts.topic });
    if (config.alerts.chat) {
      this.chat = new AlertChat(this, 'Chat', {
        config,
        chat: config.alerts.chat,
        topic: this.alerts.topic,
        key: this.alerts.key,
      });
    }

    new WeeklySchedule(this, 'TuneSchedule', {
      job: this.tune,
      jobName: 'tune',
      day: config.feedback.weekly.day,
      hour: config.feedback.weekly.hour,
      minute: config.feedback.weekly.minute,
    });
    this.drift = new MlDrift(this, 'MlDrift', {
      config,
      points,
      control,
      predictions: this.tables.predictions,
    });
    this.detectorState = new DetectorState(this, 'DetectorState', { accessLogs: this.drift.accessLogs });
    // The health tiles' band: the API reads each shard's kept band object, and nothing else of the bucket.
    this.api.bindObjects(this.detectorState.bucket, ENV.detectorStateBucket, shards.map(recentBandKeyOf));
    this.api.lambdaFunction.addEnvironment(ENV.detectShards, String(shards.length));

    // One detect function per shard: its warm container keeps that shard's detectors between cycles
    // (one function for all would route shard i to a container warmed by shard j). The shards share
    // one dead-letter queue and its alarm; a single shard keeps the queue it always had.
    const sharedDeadLetter =
      shards.length > 1
        ? new AlarmedDeadLetterQueue(this, 'DetectDeadLetterQueue', { purpose: 'detect' })
        : undefined;
    this.detectShards = shards.map(
      (shard) =>
        new DetectFunction(this, detectFunctionId(shard), {
          config,
          shard,
          memoryMb: this.shardPlan.memoryMb,
          tables: { points, anomalies, control },
          alerts: this.alerts,
          detectorState: this.detectorState,
          timeout: timeouts.detect,
          ...(sharedDeadLetter ? { deadLetterQueue: sharedDeadLetter } : {}),
        }),
    );
    this.detectCycle = new DetectCycle(this, 'DetectCycle', {
      collect: this.collect,
      shards: this.detectShards.map((detect) => ({ shard: detect.shard, detect })),
      everyMinutes: schedules.collectEveryMinutes,
    });

    // Every dead letter and every failed cycle pages the NOC (the alert DLQ's alarm too: SNS may be back
    // by then). Delivery DLQ alarms reach e-mail and chat; the delivery functions' filter policies leave
    // alarms out.
    for (const alarm of new Set([
      ...this.delivery.alarms,
      ...(this.chat?.alarms ?? []),
      ...this.detectCycle.alarms,
      this.collect.deadLetterQueue.alarm,
      ...this.detectShards.map((detect) => detect.deadLetterQueue.alarm),
      this.tune.deadLetterQueue.alarm,
      this.api.deadLetterQueue.alarm,
      this.alerts.deadLetter.alarm,
      ...this.drift.alarms,
    ])) {
      this.alerts.notifyOn(alarm);
    }
    new CfnOutput(this, 'DetectorStateBucketName', { value: this.detectorState.bucket.bucketName });
    new CfnOutput(this, 'DetectShards', {
      description: 'The detect shard plan: shards, and series per shard against what one may hold',
      value:
        `${this.shardPlan.count} shard(s), series per shard ${this.shardPlan.sizes.join('/')} ` +
        `(at most ${this.shardPlan.capacity} each at ${this.shardPlan.memoryMb} MB)`,
    });
    new CfnOutput(this, 'PredictionBusName', { value: this.drift.bus.eventBusName });
    new CfnOutput(this, 'ModelsBucketName', { value: this.drift.modelsBucket.bucketName });
    new CfnOutput(this, 'PredictionsTableName', { value: this.tables.predictions.tableName });
    new CfnOutput(this, 'TrainDriftCommand', { value: this.drift.trainCommand });
    new CfnOutput(this, 'CheckDriftCommand', { value: this.drift.checkCommand });

    new CfnOutput(this, 'PointsTableName', { value: points.tableName });
    new CfnOutput(this, 'AnomaliesTableName', { value: anomalies.tableName });
    new CfnOutput(this, 'ControlTableName', { value: control.tableName });
    new CfnOutput(this, 'AlertTopicArn', { value: this.alerts.topic.topicArn });
    new CfnOutput(this, 'ApiUrl', {
      value: this.httpApi.url,
      description:
        'HTTP API: Authorization: Bearer <Cognito ID token of a staff user>, e.g. GET <url>api/health',
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: this.dashboard.url,
      description: 'The staff dashboard (sign in with a user of the staff group)',
    });
    new CfnOutput(this, 'UserPoolId', { value: this.staffAuth.userPool.userPoolId });
    new CfnOutput(this, 'HostedUiUrl', { value: this.staffAuth.hostedUiUrl });
    const firstUser = this.staffAuth.firstUserCommands();
    new CfnOutput(this, 'CreateStaffUserCommand', {
      value: firstUser.createUser,
      description:
        'Step 1 of 2 for the first staff user: create the account (a temporary password is e-mailed)',
    });
    new CfnOutput(this, 'AddStaffUserToGroupCommand', {
      value: firstUser.addToStaff,
      description: 'Step 2 of 2: put the account in the staff group (the API refuses anyone else with 403)',
    });
  }
}
