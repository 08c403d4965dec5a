// (composition root, local) the same collect and detect use cases as the Lambdas, wired to local
// adapters: dynalite on loopback for the tables, this host's metrics or a CSV replay as the source; the
// staff dashboard and its API on one loopback port, with sign-in through cognito-local.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { createApiRouter } from '../../functions/api-routes';
import { cognitoClaims } from '../../functions/auth';
import { ConsoleAlertPublisher } from '../../shared/adapters/console-alert-publisher';
import { CsvReplaySource } from '../../shared/adapters/csv-replay-source';
import { ensureTable } from '../../shared/adapters/dynamodb-admin';
import { DynamoAlertStore } from '../../shared/adapters/dynamodb-alert-store';
import { DynamoAnomalyStore } from '../../shared/adapters/dynamodb-anomaly-store';
import { createDocumentClient, localClientConfig } from '../../shared/adapters/dynamodb-client';
import { DynamoControlStore } from '../../shared/adapters/dynamodb-control-store';
import { DynamoDriftStore } from '../../shared/adapters/dynamodb-drift-store';
import { DynamoFeedbackStore } from '../../shared/adapters/dynamodb-feedback-store';
import { DynamoMetricStore } from '../../shared/adapters/dynamodb-metric-store';
import { DynamoPredictionStore } from '../../shared/adapters/dynamodb-prediction-store';
import { DynamoRateLimiter } from '../../shared/adapters/dynamodb-rate-limiter';
import { DynamoThresholdStore } from '../../shared/adapters/dynamodb-threshold-store';
import { createIdTokenVerifier } from '../../shared/adapters/jwt-verifier';
import { HostMetricSource } from '../../shared/adapters/local-host-source';
import { S3CheckpointStore } from '../../shared/adapters/s3-checkpoint-store';
import { localS3Config } from '../../shared/adapters/s3-model-store';
import { ANOMALIES_TABLE, CONTROL_TABLE, POINTS_TABLE } from '../../shared/adapters/table-schemas';
import { DetectorCache } from '../../shared/domain/detectors/detector-cache';
import { bucketConfigOf } from '../../shared/domain/token-bucket';
import type { SeriesSpec } from '../../shared/domain/types';
import { ValidationError } from '../../shared/errors';
import { type MonitorConfig, parseMonitorConfigJson } from '../../shared/monitor-config';
import type { Clock, Log, MetricSource } from '../../shared/ports';
import { collectMetrics } from '../../shared/use-cases/collect-metrics';
import { detectAnomalies } from '../../shared/use-cases/detect-anomalies';
import { sensitivityReader } from '../../shared/use-cases/feedback';
import { publishAlerts } from '../../shared/use-cases/publish-alerts';
import { raiseNoDataAlerts } from '../../shared/use-cases/raise-no-data';
import { prepareDashboard } from '../dashboard-site';
import type { LocalOptions } from './args';
import { type LocalCognito, startCognitoLocal } from './cognito-local';
import { demoSeries, feedDemo, seedDemo } from './demo-data';
import { driftOptionsOf, LOCAL_DRIFT, startLocalDrift, startLocalS3 } from './drift-local';
import { startDynalite } from './dynalite-server';
import { type LocalAuth, startHttpServer } from './http-server';
import {
  type LocalReceiver,
  localDeliveryPublisher,
  localNoDataRules,
  pausableSource,
  startLocalReceiver,
} from './local-delivery';
import { every, type Schedule } from './schedule';

/** Table names used locally (in AWS the stack names them). */
export const LOCAL_TABLES = {
  points: 'local-metric-points',
  anomalies: 'local-anomalies',
  control: 'local-control',
} as const;

/** A running local stack. */
export interface LocalStack {
  readonly endpoint: string;
  readonly series: readonly SeriesSpec[];
  /** Dashboard URL on loopback. */
  readonly url: string;
  /** cognito-local's users (absent with --no-auth). */
  readonly cognito?: Pick<LocalCognito, 'url' | 'issuer' | 'userPoolId' | 'clientId' | 'users'>;
  stop(): Promise<void>;
}

/**
 * The monitoring config for local runs: `--config`, else ./monitor.config.json, else the example.
 * Its detection and collection settings apply; the series come from the local source.
 * @throws ConfigError naming the bad field
 */
export function loadLocalConfig(
  path: string | undefined,
  root = process.cwd(),
): { config: MonitorConfig; source: string } {
  const candidates = path
    ? [resolve(root, path)]
    : [join(root, 'monitor.config.json'), join(root, 'config/monitor.example.json')];
  const file = candidates.find((c) => existsSync(c));
  if (!file) throw new Error(`Config file not found: ${candidates.join(' or ')}`);
  return { config: parseMonitorConfigJson(readFileSync(file, 'utf8'), file), source: file };
}

/** This machine's user name (recorded as the actor of local API changes); `unknown` when unavailable. */
function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Console log for the local stack: one readable line per event. */
export function consoleLog(print: (line: string) => void, clock: Clock, tag: string): Log {
  const line =
    (level: string) =>
    (message: string, extra?: Record<string, unknown>): void => {
      const at = new Date(clock.now()).toISOString().slice(0, 19).replace('T', ' ');
      const detail = extra && level !== 'info' ? ` ${JSON.stringify(extra)}` : '';
      print(`${at} [${tag}] ${level === 'info' ? '' : `${level.toUpperCase()} `}${message}${detail}`);
    };
  return { debug: () => undefined, info: line('info'), warn: line('warn'), error: line('error') };
}

/** Start dynalite, create the tables, and run collect and detect on their schedules. */
export async function startLocalStack(
  options: LocalOptions,
  print: (line: string) => void,
): Promise<LocalStack> {
  const { config, source: configFile } = loadLocalConfig(options.config);
  const dataDir = resolve(options['data-dir']);
  mkdirSync(dataDir, { recursive: true });

  let source: MetricSource;
  let series: SeriesSpec[];
  let clock: Clock;
  let stopSource = (): void => undefined;
  let replay: CsvReplaySource | undefined;
  // Local samples are final when taken: no CloudWatch settle delay.
  let collection = { ...config.collection, settleMinutes: 0 };
  let detection = config.detection;
  if (options.replay) {
    replay = CsvReplaySource.fromFile(options.replay, { realNow: Date.now(), speed: options.speed });
    // One real tick is `speed` × interval of data: look back and catch up as far as the config allows.
    collection = { ...collection, maxLookbackMinutes: 24 * 60 };
    detection = { ...detection, maxCatchUpMinutes: 7 * 24 * 60 };
    const tickMinutes = (options['collect-every'] * options.speed) / 60_000;
    if (tickMinutes > 24 * 60) {
      throw new ValidationError('Replay too fast', [
        `--speed × --collect-every covers ${Math.round(tickMinutes / 60)} h of data per tick; keep it under 24 h`,
      ]);
    }
    source = replay;
    series = [replay.series];
    clock = replay.clock;
    if (replay.badRows > 0) print(`Skipped ${replay.badRows} bad rows in ${options.replay}`);
    print(
      `Replaying ${options.replay}: ${replay.pointCount} points at ${options.speed}× ` +
        `(${new Date(replay.firstTs).toISOString()} → ${new Date(replay.lastTs).toISOString()})`,
    );
  } else {
    const sampleSeconds = Math.max(1, Math.round(options['sample-every'] / 1000));
    const host = new HostMetricSource({ sampleSeconds, hostname: hostname() });
    series = [...host.series];
    host.start(options['sample-every']);
    source = host;
    clock = { now: () => Date.now() };
    stopSource = () => host.stop();
  }

  // Issue 15: a series named in <data-dir>/paused-series sends nothing (to watch NO_DATA raise and resolve).
  const pausedFile = join(dataDir, 'paused-series');
  source = pausableSource(source, pausedFile);

  const db = await startDynalite({ path: join(dataDir, 'dynamodb'), port: options['db-port'] });
  const raw = new DynamoDBClient(localClientConfig(db.endpoint));
  await ensureTable(raw, POINTS_TABLE, LOCAL_TABLES.points);
  await ensureTable(raw, ANOMALIES_TABLE, LOCAL_TABLES.anomalies);
  await ensureTable(raw, CONTROL_TABLE, LOCAL_TABLES.control);
  const doc = createDocumentClient(localClientConfig(db.endpoint));
  const store = new DynamoMetricStore({
    client: doc,
    tableName: LOCAL_TABLES.points,
    retentionDays: config.retentionDays,
  });
  const control = new DynamoControlStore({ client: doc, tableName: LOCAL_TABLES.control });
  // s3rver: ML models, and detector checkpoints (a restart resumes each stream where it stopped).
  const s3 = await startLocalS3(join(dataDir, 's3'));
  const s3Client = new S3Client(localS3Config(s3.endpoint));
  const checkpoints = new S3CheckpointStore({ client: s3Client, bucket: LOCAL_DRIFT.detectorStateBucket });

  print(`DynamoDB (dynalite) on ${db.endpoint}, data in ${dataDir}; config ${configFile}`);
  print(`Series: ${series.map((s) => s.label).join(', ')}`);
  print(
    (replay
      ? `Collect then detect every ${options['collect-every'] / 1000}s (${Math.round((options['collect-every'] * options.speed) / 60_000)} min of data per tick)`
      : `Collect every ${options['collect-every'] / 1000}s, detect every ${options['detect-every'] / 1000}s`) +
      ` (detectors warm up on the first ${detection.minPoints} points of each series). Ctrl-C stops.`,
  );

  // A replay runs on its own timeline: its watermarks must not be another run's.
  const jobName = (job: string) => (replay ? { job: `${job}#${replay.series.id}` } : {});
  const collectLog = consoleLog(print, clock, 'collect');
  const detectLog = consoleLog(print, clock, 'detect');
  const anomalies = new DynamoAnomalyStore({
    client: doc,
    tableName: LOCAL_TABLES.anomalies,
    retentionDays: config.retentionDays,
  });
  // `at`: the clock a run reads (a replay tick freezes it so collect and detect see the same "now").
  const runCollect = async (at: Clock = clock): Promise<void> => {
    const r = await collectMetrics({
      ...jobName('collect'),
      source,
      store,
      control,
      clock: at,
      log: collectLog,
      series,
      collection,
    });
    collectLog.info(
      `${r.written} points written (${r.skipped} skipped, ${r.failed} failed, ${r.rejected} rejected) for ${r.series} series`,
    );
    if (replay?.done(at.now())) collectLog.info('Replay finished: all points collected');
  };
  const publisher = new ConsoleAlertPublisher(print, () => clock.now());
  const alerts = new DynamoAlertStore({ client: doc, tableName: LOCAL_TABLES.control });
  const alertLog = consoleLog(print, clock, 'alert');
  // Issue 15: with --webhook-receiver every alert also goes, as in AWS, to a local PagerDuty and webhook.
  let receiver: LocalReceiver | undefined;
  if (options['webhook-receiver']) {
    receiver = await startLocalReceiver({ port: options['receiver-port'], print, clock });
    print(
      `Webhook receiver: ${receiver.url} (PagerDuty: ${receiver.pagerDutyUrl}, webhook: ${receiver.webhookUrl})`,
    );
    print(`  webhook signing secret: ${receiver.signingSecret} (every arrival is verified and printed)`);
  }
  const noDataRules = localNoDataRules(series, config.alerts.noData, options['no-data-after']);
  if (noDataRules.size > 0) {
    print(`No-data alerts for ${noDataRules.size} series; pause one by adding its label to ${pausedFile}`);
  }
  const alertDeps = {
    anomalies,
    alerts,
    limiter: new DynamoRateLimiter({
      client: doc,
      tableName: LOCAL_TABLES.control,
      config: bucketConfigOf(config.alerts.rateLimit),
    }),
    publisher: receiver
      ? localDeliveryPublisher(publisher, receiver, { clock, log: alertLog, print })
      : publisher,
    deadLetter: publisher,
    clock,
    log: alertLog,
    series,
    policy: config.alerts,
    // A replay's clock starts in the past: its own bucket and digest, never the host run's.
    ...(replay ? { bucket: `noc#${replay.series.id}` } : {}),
  };
  const thresholds = new DynamoThresholdStore({ client: doc, tableName: LOCAL_TABLES.control });
  const detectorCache = new DetectorCache();
  const runDetect = async (at: Clock = clock): Promise<void> => {
    const r = await detectAnomalies({
      ...jobName('detect'),
      store,
      anomalies,
      control,
      clock: at,
      log: detectLog,
      series,
      detection,
      // Feedback adjustments, read once per metric per run (as the detect Lambda does).
      sensitivityOf: sensitivityReader(thresholds),
      detectorCache,
      checkpoints,
      maintenance: alerts,
    });
    // "Learning until HH:MM" instead of an OK that means nothing yet.
    const learning = r.seriesLearning.length
      ? `, ${r.seriesLearning.length} learning until ${new Date(Math.max(...r.seriesLearning.map((l) => l.until))).toISOString().slice(11, 16)} UTC`
      : '';
    detectLog.info(
      `${r.seriesEvaluated} series evaluated, ${r.recorded.length} new anomalies${learning}` +
        (r.alreadyRecorded ? `, ${r.alreadyRecorded} already recorded` : '') +
        (r.checkpointsRestored ? `, ${r.checkpointsRestored} detectors resumed from their checkpoints` : ''),
    );
    // Issue 15: series silent past their no-data rule raise NO_DATA through the same alerting.
    const silent = await raiseNoDataAlerts(
      { points: store, anomalies, series, rules: noDataRules, log: alertLog },
      { now: at.now() },
    );
    const a = await publishAlerts(
      { ...alertDeps, clock: at },
      { fresh: [...r.recorded, ...silent.raised], coverage: r.coverage },
    );
    if (a.considered > 0 || a.resolvedSent > 0) {
      alertLog.info(
        `${a.messagesSent} messages, ${a.resolvedSent} resolved; states ${JSON.stringify(a.states)}` +
          (a.heldBack ? `; ${a.heldBack} held back for the next message` : ''),
      );
    }
  };
  const jobs = replay
    ? // A replay's clock runs `speed` times faster than the schedules: one real second can be hours of
      // data, far beyond detect's late-point overlap. So collect and detect run in lockstep, as in AWS
      // (detect right after collect) but without the real-time gap.
      [
        every(
          options['collect-every'],
          async () => {
            // One "now" per tick: at 30,000× a few milliseconds between the two runs are minutes of
            // data, enough for detect to pass points that collect has not written yet.
            const tick = clock.now();
            const at = { now: () => tick };
            await runCollect(at);
            await runDetect(at);
          },
          (e) => collectLog.error(`Run failed: ${(e as Error).message}`),
        ),
      ]
    : [
        every(options['collect-every'], runCollect, (e) =>
          collectLog.error(`Collect failed: ${(e as Error).message}`),
        ),
        // Like the +1 min offset in AWS: detect starts shortly after collect.
        every(
          options['detect-every'],
          runDetect,
          (e) => detectLog.error(`Detect failed: ${(e as Error).message}`),
          Math.min(1000, options['detect-every'] / 2),
        ),
      ];

  // The staff dashboard: its site (built when the SPA's build script exists), sign-in, and the deployed
  // stack's HTTP API on the same stores, behind the same staff-group check.
  const site = await prepareDashboard({ when: 'if-missing' });
  let cognito: LocalCognito | undefined;
  let auth: LocalAuth;
  if (options['no-auth']) {
    auth = { mode: 'none', user: `local:${safeUserName()}` };
  } else {
    cognito = await startCognitoLocal({ dir: join(dataDir, 'cognito'), port: options['cognito-port'] });
    auth = {
      mode: 'password',
      // Pinned to this very instance: its issuer and its JWKS (a key made for this start, see GUARD).
      verify: createIdTokenVerifier({
        issuer: cognito.issuer,
        audience: cognito.clientId,
        jwksUrl: `${cognito.issuer}/.well-known/jwks.json`,
      }),
      cognito: { url: cognito.url, clientId: cognito.clientId, userPoolId: cognito.userPoolId },
    };
  }
  const stopOnFailure = async (error: unknown): Promise<never> => {
    await cognito?.stop();
    throw error;
  };
  const demo = options['seed-demo'] ? demoSeries() : [];
  const apiSeries = [...series, ...demo];
  const feedback = new DynamoFeedbackStore({ client: doc, tableName: LOCAL_TABLES.anomalies });
  const predictions = new DynamoPredictionStore({
    client: doc,
    tableName: LOCAL_DRIFT.predictionsTable,
    retentionDays: config.drift.predictions.retentionDays,
  });
  const driftState = new DynamoDriftStore({
    client: doc,
    tableName: LOCAL_TABLES.control,
    retentionDays: config.retentionDays,
  });
  const apiLog = consoleLog(print, clock, 'api');
  const api = createApiRouter({
    config: { ...config, detection, collection },
    series: apiSeries,
    store,
    feedback,
    thresholds,
    alerts,
    timeline: anomalies,
    predictions,
    drift: driftState,
    clock,
    log: apiLog,
    authenticate: cognitoClaims(cognito ? { clientId: cognito.clientId, issuer: cognito.issuer } : {}),
  });
  const http = await startHttpServer(options.port, {
    series,
    store,
    anomalies,
    clock,
    alerts,
    publisher,
    api,
    auth,
    siteDir: site.dir,
    log: apiLog,
  }).catch(stopOnFailure);
  // ML drift runs on the real clock (a replay's clock is in the past; predictions arrive now).
  const realClock = { now: () => Date.now() };
  const drift = await startLocalDrift({
    ...driftOptionsOf(options),
    dataDir,
    config,
    raw,
    doc,
    dynamodbEndpoint: db.endpoint,
    metrics: store,
    series,
    s3Endpoint: s3.endpoint,
    clock: realClock,
    dashboardUrl: http.url,
    log: (tag) => consoleLog(print, realClock, tag),
  }).catch(stopOnFailure);
  print(`Mail (aws-ses-v2-local): ${drift.mailUrl} (drift e-mail appears here)`);
  print(`Predictions bus (EventBridge PutEvents): ${drift.busEndpoint}`);

  let demoFeed: Schedule | undefined;
  if (demo.length > 0) {
    const demoLog = consoleLog(print, realClock, 'demo');
    const started = Date.now();
    const seeded = await seedDemo({
      config,
      series: demo,
      store,
      anomalies,
      feedback,
      thresholds,
      alerts,
      predictions,
      drift: driftState,
      clock: realClock,
      log: { ...demoLog, info: () => undefined },
    }).catch(stopOnFailure);
    demoLog.info(
      `Seeded ${demo.length} demo series (${seeded.points} points), ${seeded.anomalies} anomalies, ` +
        `${seeded.predictions} predictions, ${seeded.driftChecks} drift checks in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    let since = realClock.now();
    demoFeed = every(
      60_000,
      async () => {
        const now = realClock.now();
        await feedDemo(store, demo, { since, now, hotSince: seeded.hotSince });
        since = now;
      },
      (e) => demoLog.error(`Demo feed failed: ${(e as Error).message}`),
      60_000,
    );
  }

  print(`Site: ${site.placeholder ? 'placeholder page (dashboard/build.ts not present yet)' : site.dir}`);
  if (cognito) {
    print(
      `Sign-in: cognito-local on ${cognito.url} (pool ${cognito.userPoolId}, app client ${cognito.clientId})`,
    );
    print(`  staff user:     ${cognito.users.staff.username} / ${cognito.users.staff.password}`);
    print(`  non-staff user: ${cognito.users.nonStaff.username} / ${cognito.users.nonStaff.password}`);
    if (options['users-file']) {
      writeFileSync(
        resolve(options['users-file']),
        `${JSON.stringify({ staff: cognito.users.staff, nonStaff: cognito.users.nonStaff }, null, 2)}\n`,
        { mode: 0o600 },
      );
      print(`  (credentials written to ${options['users-file']})`);
    }
  } else {
    const bar = '!'.repeat(78);
    print(bar);
    print(
      `!! NO AUTH (--no-auth): every API request is ${auth.mode === 'none' ? auth.user : ''}, in the staff group`,
    );
    print('!! Anyone who can reach 127.0.0.1 on this machine can read and change everything.');
    print('!! The server listens on loopback only and refuses foreign Host headers; do not proxy it.');
    print(bar);
  }
  print(`Dashboard: ${http.url}`);

  return {
    endpoint: db.endpoint,
    series,
    url: http.url,
    ...(cognito
      ? {
          cognito: {
            url: cognito.url,
            issuer: cognito.issuer,
            userPoolId: cognito.userPoolId,
            clientId: cognito.clientId,
            users: cognito.users,
          },
        }
      : {}),
    stop: async () => {
      await http.close();
      await receiver?.close();
      await demoFeed?.stop();
      await cognito?.stop();
      await drift.stop();
      await Promise.all(jobs.map((j) => j.stop()));
      s3Client.destroy();
      await s3.close();
      stopSource();
      raw.destroy();
      doc.destroy();
      await db.close();
    },
  };
}
