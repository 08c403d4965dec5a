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
import { checkpointPrefixOf, S3CheckpointStore } from '../../shared/adapters/s3-checkpoint-store';
import { localS3Config } from '../../shared/adapters/s3-model-store';
import { S3RecentBandStore } from '../../shared/adapters/s3-recent-band-store';
import { ANOMALIES_TABLE, CONTROL_TABLE, POINTS_TABLE } from '../../shared/adapters/table-schemas';
import { WarmRecentBandStore } from '../../shared/adapters/warm-recent-band-store';
import { DetectorCache } from '../../shared/domain/detectors/detector-cache';
import { planDetect } from '../../shared/domain/series-cost';
import { seriesOfShard, shardJobName, shardName, shardsOf } from '../../shared/domain/shards';
import { bucketConfigOf } from '../../shared/domain/token-bucket';
import type { SeriesSpec } from '../../shared/domain/types';
import { ValidationError } from '../../shared/errors';
import { type MonitorConfig, parseMonitorConfigJson } from '../../shared/monitor-config';
import type { Clock, Log, MetricSource } from '../../shared/ports';
import { COLLECT_JOB, collectMetrics } from '../../shared/use-cases/collect-metrics';
import { type KeptBandReader, shardBandReader } from '../../shared/use-cases/dashboard';
import { sensitivityReader } from '../../shared/use-cases/feedback';
import { runDetectCycle } from '../../shared/use-cases/run-detect-cycle';
import { prepareDashboard } from '../dashboard-site';
import type { LocalOptions } from './args';
import { type LocalCognito, startCognitoLocal } from './cognito-local';
import { DemoBandKeeper } from './demo-band';
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

/**
 * Shards a local cycle runs at least, so `npm start` always takes the sharded path (concurrent
 * workers, per-shard watermarks, checkpoints and digests) even with one host's few series.
 */
const LOCAL_MIN_SHARDS = 2;

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

  print(`DynamoDB (dynalite) on ${db.endpoint}, data in ${dataDir}; config ${configFile}`);
  print(`Series: ${series.map((s) => s.label).join(', ')}`);
  print(
    (replay
      ? `Collect then detect every ${options['collect-every'] / 1000}s (${Math.round((options['collect-every'] * options.speed) / 60_000)} min of data per tick)`
      : `Collect then detect every ${options['collect-every'] / 1000}s`) +
      ` (detectors warm up on the first ${detection.minPoints} points of each series). Ctrl-C stops.`,
  );

  const collectLog = consoleLog(print, clock, 'collect');
  const detectLog = consoleLog(print, clock, 'detect');
  const anomalies = new DynamoAnomalyStore({
    client: doc,
    tableName: LOCAL_TABLES.anomalies,
    retentionDays: config.retentionDays,
  });
  const publisher = new ConsoleAlertPublisher(print, () => clock.now());
  const alerts = new DynamoAlertStore({
    client: doc,
    tableName: LOCAL_TABLES.control,
    retentionDays: config.retentionDays,
  });
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
  // The detect cycle's shards, as the state machine's Map runs them: each worker collects its shard's
  // series and then runs the shard's detect cycle, all shards at once.
  const plan = planDetect(series, config.alerts.groupBy, 120);
  const shardCount = options.shards ?? Math.max(plan.count, LOCAL_MIN_SHARDS);
  const shards = shardsOf(shardCount);
  print(
    `Detect cycle: ${shardCount} shards in parallel (${shards
      .map((sh) => `${shardName(sh)}: ${seriesOfShard(series, sh, config.alerts.groupBy).length} series`)
      .join(', ')}), each collect then detect`,
  );
  if (options['detect-every'] !== undefined && options['detect-every'] !== options['collect-every'])
    print('Note: --detect-every is ignored; detect runs right after each collect, as on AWS');
  const thresholds = new DynamoThresholdStore({ client: doc, tableName: LOCAL_TABLES.control });
  // Each shard keeps the last hour of its series' expected range beside its checkpoints (health tiles).
  const recentBands = new S3RecentBandStore({ client: s3Client, bucket: LOCAL_DRIFT.detectorStateBucket });
  // Each worker is its shard's only writer, as on AWS: it reads the stored object once.
  const keptBands = new WarmRecentBandStore(recentBands);
  const cycleDeps = {
    points: store,
    anomalies,
    control,
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
    log: detectLog,
    alertLog,
    config: { ...config, detection },
    series,
    noDataRules,
    // Feedback adjustments, read once per metric per run (as the detect Lambda does).
    sensitivityOf: sensitivityReader(thresholds),
    recentBands: keptBands,
    // A replay's clock starts in the past: its own watermarks, bucket and digest, never the host run's.
    ...(replay ? { namespace: replay.series.id } : {}),
  };
  // Per shard, as per detect function on AWS: its own detectors in memory and checkpoint prefix.
  const shardState = shards.map((shard) => ({
    shard,
    detectorCache: new DetectorCache(),
    checkpoints: new S3CheckpointStore({
      client: s3Client,
      bucket: LOCAL_DRIFT.detectorStateBucket,
      prefix: checkpointPrefixOf(shard),
    }),
  }));
  // `at`: the clock a cycle reads (one "now" per cycle, as the state machine passes its start time).
  const runShard = async (state: (typeof shardState)[number], at: Clock): Promise<void> => {
    const { shard } = state;
    const tag = shardCount > 1 ? ` [${shardName(shard)}]` : '';
    const shardSeries = seriesOfShard(series, shard, config.alerts.groupBy);
    const c = await collectMetrics({
      job: shardJobName(replay ? `${COLLECT_JOB}#${replay.series.id}` : COLLECT_JOB, shard),
      source,
      store,
      control,
      clock: at,
      log: collectLog,
      series: shardSeries,
      collection,
    }).catch((e: unknown) => {
      // As on AWS: a failed collect does not skip detect (it judges what is stored, raises no-data).
      collectLog.error(`Collect${tag} failed: ${(e as Error).message}`);
      return undefined;
    });
    if (c && shardSeries.length > 0)
      collectLog.info(
        `${c.written} points written (${c.skipped} skipped, ${c.failed} failed, ${c.rejected} rejected) for ${c.series} series${tag}`,
      );
    const r = await runDetectCycle(
      { ...cycleDeps, clock: at, detectorCache: state.detectorCache, checkpoints: state.checkpoints },
      { shard, now: at.now() },
    );
    if (r.series === 0) return;
    const d = r.detect;
    // "Learning until HH:MM" instead of an OK that means nothing yet.
    const learning = d.seriesLearning.length
      ? `, ${d.seriesLearning.length} learning until ${new Date(Math.max(...d.seriesLearning.map((l) => l.until))).toISOString().slice(11, 16)} UTC`
      : '';
    detectLog.info(
      `${d.seriesEvaluated} series evaluated, ${d.recorded.length} new anomalies${learning}` +
        (d.alreadyRecorded ? `, ${d.alreadyRecorded} already recorded` : '') +
        (d.checkpointsRestored ? `, ${d.checkpointsRestored} detectors resumed from their checkpoints` : '') +
        tag,
    );
    const a = r.alerts;
    if (a.considered > 0 || a.resolvedSent > 0) {
      alertLog.info(
        `${a.messagesSent} messages, ${a.resolvedSent} resolved; states ${JSON.stringify(a.states)}` +
          (a.heldBack ? `; ${a.heldBack} held back for the next message` : '') +
          tag,
      );
    }
  };
  const runCycle = async (): Promise<void> => {
    const tick = clock.now();
    const at = { now: () => tick };
    const failures = (await Promise.allSettled(shardState.map((state) => runShard(state, at)))).filter(
      (o): o is PromiseRejectedResult => o.status === 'rejected',
    );
    // One shard failing never holds the others back; each failure is reported.
    for (const f of failures) detectLog.error(`Detect failed: ${(f.reason as Error).message}`);
    if (replay?.done(tick)) collectLog.info('Replay finished: all points collected');
  };
  // One "now" per cycle: at 30,000× replay speed a few milliseconds between collect and detect are
  // minutes of data, enough for detect to pass points that collect has not written yet.
  const jobs = [
    every(options['collect-every'], runCycle, (e) =>
      detectLog.error(`Cycle failed: ${(e as Error).message}`),
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
  // The demo series are not detected (their anomalies are seeded); their tiles' band is kept apart.
  const demoBand =
    demo.length > 0
      ? new DemoBandKeeper({ series: demo, store, detection, sensitivityOf: sensitivityReader(thresholds) })
      : undefined;
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
    config: {
      ...config,
      detection,
      collection,
      // The cycle's real cadence on the data's clock (a replay's runs `speed` times faster), so the
      // health view calls a series "no data" only when it missed a cycle.
      schedules: {
        ...config.schedules,
        collectEveryMinutes: Math.max(
          1,
          Math.ceil((options['collect-every'] * (replay ? options.speed : 1)) / 60_000),
        ),
      },
    },
    series: apiSeries,
    store,
    feedback,
    thresholds,
    alerts,
    timeline: anomalies,
    predictions,
    drift: driftState,
    keptBands: withDemoBand(shardBandReader(recentBands, shards, apiLog), demoBand),
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
    await demoBand?.advance(since);
    demoFeed = every(
      60_000,
      async () => {
        const now = realClock.now();
        await feedDemo(store, demo, { since, now, hotSince: seeded.hotSince });
        await demoBand?.advance(now);
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

/** The health tiles' band: the detect shards' kept bands, and the demo series' when seeded. */
function withDemoBand(shards: KeptBandReader, demo: DemoBandKeeper | undefined): KeptBandReader {
  if (!demo) return shards;
  return async () => new Map([...(await shards()), ...(await demo.read())]);
}
