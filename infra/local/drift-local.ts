// (local stack) ML drift on the laptop: s3rver for models, aws-ses-v2-local for mail (sent mail visible
// in its web page), a loopback stand-in for the predictions bus that speaks EventBridge's PutEvents (so
// PredictionReporter and `npm run send-predictions -- --local` work unchanged), the ingest and check
// use cases on a schedule, and an optional simulated model whose score distribution shifts.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTable } from '../../shared/adapters/dynamodb-admin';
import { DynamoDriftStore } from '../../shared/adapters/dynamodb-drift-store';
import { DynamoPredictionStore } from '../../shared/adapters/dynamodb-prediction-store';
import { localS3Config, S3ModelStore } from '../../shared/adapters/s3-model-store';
import { localSesConfig, SesMailer } from '../../shared/adapters/ses-mailer';
import { PREDICTIONS_TABLE } from '../../shared/adapters/table-schemas';
import { PREDICTION_DETAIL_TYPE, type PredictionDetail } from '../../shared/domain/predictions';
import { createRng } from '../../shared/domain/random';
import type { SeriesSpec } from '../../shared/domain/types';
import type { MonitorConfig } from '../../shared/monitor-config';
import type { Clock, Log, MetricStore, RejectedEvent } from '../../shared/ports';
import { PredictionReporter } from '../../shared/prediction-client';
import { checkDrift, type DriftWindows, windowsOf } from '../../shared/use-cases/check-drift';
import { type Delivery, ingestPredictions } from '../../shared/use-cases/ingest-predictions';
import { every, type Schedule } from './schedule';

/** Local resource names (in AWS the stack names them). */
export const LOCAL_DRIFT = {
  predictionsTable: 'local-predictions',
  modelsBucket: 'local-models',
  /** Detect's persisted detector checkpoints (the same s3rver as the models). */
  detectorStateBucket: 'local-detector-state',
  busName: 'local-predictions',
  /** Where a running stack writes its endpoints, for `npm run train-drift` and `send-predictions --local`. */
  endpointsFile: 'stack.json',
  fromEmail: 'drift-sentinel@example.com',
  toEmail: 'ml-team@example.com',
} as const;

/** What a running local stack tells the CLIs (written to `<data-dir>/stack.json`). */
export interface LocalEndpoints {
  readonly pid: number;
  readonly dynamodb: string;
  readonly s3: string;
  readonly mail: string;
  readonly events: string;
  readonly series: readonly SeriesSpec[];
}

/** The endpoints of the stack running on `dataDir`, or undefined when none is running. */
export function runningStack(dataDir: string): LocalEndpoints | undefined {
  let endpoints: LocalEndpoints;
  try {
    endpoints = JSON.parse(readFileSync(join(dataDir, LOCAL_DRIFT.endpointsFile), 'utf8')) as LocalEndpoints;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(endpoints.pid) || endpoints.pid <= 0) return undefined;
  try {
    process.kill(endpoints.pid, 0);
    return endpoints;
  } catch {
    return undefined; // stale file: that stack has stopped
  }
}

/** The series the last stack on `dataDir` collected (kept after it stops), if any. */
export function lastSeries(dataDir: string): readonly SeriesSpec[] | undefined {
  try {
    return (JSON.parse(readFileSync(join(dataDir, LOCAL_DRIFT.endpointsFile), 'utf8')) as LocalEndpoints)
      .series;
  } catch {
    return undefined;
  }
}

// s3rver ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (
  options: Record<string, unknown>,
) => { run(): Promise<{ address: string; port: number }>; close(): Promise<void> };

/** Start s3rver on loopback with the models and detector-state buckets, data under `directory`. */
export async function startLocalS3(
  directory: string,
  port = 0,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({
    port,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: LOCAL_DRIFT.modelsBucket }, { name: LOCAL_DRIFT.detectorStateBucket }],
  });
  const info = await server.run();
  return { endpoint: `http://127.0.0.1:${info.port}`, close: () => server.close() };
}

/** Start aws-ses-v2-local on loopback (its page lists sent mail). */
export async function startLocalSes(port = 0): Promise<{ endpoint: string; close(): Promise<void> }> {
  // aws-ses-v2-local is CommonJS with a default export.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('aws-ses-v2-local') as {
    default: (c: { host: string; port: number }) => Promise<Server>;
  };
  const server = await mod.default({ host: '127.0.0.1', port });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Time?: number | string;
  EventBusName?: string;
}

/**
 * A loopback stand-in for the predictions bus: answers EventBridge `PutEvents` (JSON 1.1) like the real
 * bus and rule do — entries with `detail-type: ModelPrediction` are routed on (to `route`), others are
 * accepted and match nothing, entries whose Detail is not JSON get EventBridge's MalformedDetail error.
 */
export async function startLocalBus(
  port: number,
  route: (events: Delivery[]) => void,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
      reply(400, {
        __type: 'UnknownOperationException',
        message: 'Only AWSEvents.PutEvents is served locally',
      });
      return;
    }
    let text = '';
    req.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.length > 1024 * 1024) req.destroy();
    });
    req.on('end', () => {
      let entries: PutEventsEntry[];
      try {
        entries = (JSON.parse(text) as { Entries?: PutEventsEntry[] }).Entries ?? [];
      } catch {
        reply(400, { __type: 'ValidationException', message: 'Body is not JSON' });
        return;
      }
      if (entries.length < 1 || entries.length > 10) {
        reply(400, { __type: 'ValidationException', message: 'Entries must hold 1 to 10 events' });
        return;
      }
      const routed: Delivery[] = [];
      const results = entries.map((e) => {
        let detail: unknown;
        try {
          detail = JSON.parse(e.Detail ?? '');
        } catch {
          return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
        }
        const id = randomUUID();
        const time =
          e.Time === undefined ? new Date() : new Date(typeof e.Time === 'number' ? e.Time * 1000 : e.Time);
        if (e.DetailType === PREDICTION_DETAIL_TYPE) {
          const envelope = {
            version: '0',
            id,
            'detail-type': e.DetailType,
            source: e.Source,
            account: '000000000000',
            time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
            region: 'local',
            resources: [],
            detail,
          };
          routed.push({ id, body: JSON.stringify(envelope) });
        }
        return { EventId: id };
      });
      route(routed);
      reply(200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results });
    });
  });
  await new Promise<void>((ok, fail) => {
    server.on('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/**
 * A log that drops a line identical to one it printed less than `windowMs` ago (a local check every
 * 20 s would otherwise repeat "no trained model" three times a minute).
 */
export function quietRepeats(log: Log, windowMs: number, now: () => number): Log {
  const last = new Map<string, number>();
  const wrap =
    (level: keyof Log) =>
    (message: string, extra?: Record<string, unknown>): void => {
      const at = last.get(message);
      if (at !== undefined && now() - at < windowMs) return;
      last.set(message, now());
      log[level](message, extra);
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}

/** Options of the local drift part. */
export interface LocalDriftOptions {
  readonly dataDir: string;
  readonly config: MonitorConfig;
  readonly raw: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly dynamodbEndpoint: string;
  readonly metrics: MetricStore;
  readonly series: readonly SeriesSpec[];
  readonly clock: Clock;
  readonly dashboardUrl: string;
  /** The local S3 (s3rver, started by the stack with {@link startLocalS3}). */
  readonly s3Endpoint: string;
  /** How often check-drift runs. */
  readonly checkEveryMs: number;
  /** Override the config's windows (days) with these (the simulation uses minutes). */
  readonly windowsOverride?: Partial<DriftWindows>;
  readonly mailPort: number;
  readonly busPort: number;
  /** Feed a simulated model. */
  readonly simulate?: {
    readonly ratePerSecond: number;
    readonly shiftAfterMs: number;
    readonly model: string;
  };
  readonly log: (tag: string) => Log;
}

/** The running drift part. */
export interface LocalDrift {
  readonly mailUrl: string;
  readonly busEndpoint: string;
  stop(): Promise<void>;
}

/** Start the local ML drift pieces. */
export async function startLocalDrift(o: LocalDriftOptions): Promise<LocalDrift> {
  const ingestLog = o.log('ingest');
  const checkLog = quietRepeats(o.log('drift'), 15 * 60_000, () => o.clock.now());
  const { drift } = o.config;
  await ensureTable(o.raw, PREDICTIONS_TABLE, LOCAL_DRIFT.predictionsTable);
  const ses = await startLocalSes(o.mailPort);
  const s3Client = new S3Client(localS3Config(o.s3Endpoint));
  const sesClient = new SESv2Client(localSesConfig(ses.endpoint));
  const predictions = new DynamoPredictionStore({
    client: o.doc,
    tableName: LOCAL_DRIFT.predictionsTable,
    retentionDays: drift.predictions.retentionDays,
    log: ingestLog,
  });

  // Ingest: buffer what the bus routes and flush every second, as the SQS batching window does in AWS.
  let buffer: Delivery[] = [];
  const rejects = {
    reject: async (events: readonly RejectedEvent[]): Promise<string[]> => {
      for (const e of events) ingestLog.warn(`Rejected: ${e.reason}`);
      return [];
    },
  };
  const flush = async (): Promise<void> => {
    const batch = buffer;
    buffer = [];
    if (batch.length === 0) return;
    const r = await ingestPredictions(
      {
        store: predictions,
        rejects,
        clock: o.clock,
        log: ingestLog,
        retentionDays: drift.predictions.retentionDays,
      },
      batch,
    );
    // Failed deliveries go back into the buffer: the next flush retries them.
    const failed = new Set(r.failedIds);
    buffer.push(...batch.filter((d) => failed.has(d.id)));
    counts.stored += r.stored;
    counts.rejected += r.rejected;
    counts.retry += failed.size;
  };
  // One summary line every 30 s instead of one per flush.
  const counts = { stored: 0, rejected: 0, retry: 0 };
  const report = async (): Promise<void> => {
    if (counts.stored + counts.rejected + counts.retry === 0) return;
    ingestLog.info(
      `${counts.stored} predictions stored in the last 30 s` +
        (counts.rejected > 0 ? `, ${counts.rejected} rejected` : '') +
        (counts.retry > 0 ? `, ${counts.retry} to retry` : ''),
    );
    Object.assign(counts, { stored: 0, rejected: 0, retry: 0 });
  };
  const bus = await startLocalBus(o.busPort, (events) => buffer.push(...events));
  const jobs: Schedule[] = [
    every(1000, flush, (e) => ingestLog.error(`Ingest failed: ${(e as Error).message}`)),
    every(30_000, report, () => undefined, 30_000),
  ];

  const mailer = new SesMailer({
    client: sesClient,
    from: drift.fromEmail ?? LOCAL_DRIFT.fromEmail,
    to: drift.toEmails.length > 0 ? drift.toEmails : [LOCAL_DRIFT.toEmail],
  });
  const checkDeps = {
    predictions,
    metrics: o.metrics,
    models: new S3ModelStore({ client: s3Client, bucket: LOCAL_DRIFT.modelsBucket }),
    state: new DynamoDriftStore({
      client: o.doc,
      tableName: 'local-control',
      retentionDays: o.config.retentionDays,
    }),
    mailer,
    clock: o.clock,
    log: checkLog,
    drift,
    dashboardUrl: o.dashboardUrl,
    windows: { ...windowsOf(drift), ...o.windowsOverride },
  };
  const runCheck = async (): Promise<void> => {
    const r = await checkDrift(checkDeps);
    const sent = r.mails.filter((m) => m.messageId);
    checkLog.info(
      `${r.checks.length} checks: ${r.drifting.length} drifting, ${r.failed.length} failed; ` +
        `${r.modelsTested} models tested (${r.correction})` +
        (sent.length > 0
          ? `; e-mail sent: ${sent.map((m) => `${m.kind} ${m.subject}`).join(', ')} → ${ses.endpoint}/`
          : ''),
    );
  };
  jobs.push(
    every(
      o.checkEveryMs,
      runCheck,
      (e) => checkLog.error(`Drift check failed: ${(e as Error).message}`),
      o.checkEveryMs,
    ),
  );

  // The simulated model: predictions through the local bus, exactly as a producer would send them.
  let eventBridge: EventBridgeClient | undefined;
  if (o.simulate) {
    const sim = o.simulate;
    eventBridge = new EventBridgeClient({
      endpoint: bus.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const reporter = new PredictionReporter({
      client: eventBridge,
      eventBusName: LOCAL_DRIFT.busName,
      source: 'local.simulation',
    });
    const rng = createRng(Date.now() % 2 ** 31);
    const started = o.clock.now();
    let announced = false;
    const simLog = o.log('simulate');
    simLog.info(
      `Model ${sim.model}: ${sim.ratePerSecond} predictions/s around 0.30; the distribution shifts to ~0.55 after ` +
        `${Math.round(sim.shiftAfterMs / 1000)} s. Watch for the drift e-mail at ${ses.endpoint}/`,
    );
    jobs.push(
      every(
        1000,
        async () => {
          const shifted = o.clock.now() - started >= sim.shiftAfterMs;
          if (shifted && !announced) {
            announced = true;
            simLog.info(`Model ${sim.model}: scores shift now`);
          }
          const batch: PredictionDetail[] = Array.from({ length: sim.ratePerSecond }, () => {
            const score = Math.min(1, Math.max(0, shifted ? rng.normal(0.55, 0.12) : rng.normal(0.3, 0.1)));
            return {
              model: sim.model,
              score,
              predictionId: randomUUID(),
              ...(rng.next() < 0.5 ? { outcome: rng.next() < (shifted ? 0.35 : score) } : {}),
            };
          });
          const { failed } = await reporter.report(batch);
          if (failed.length > 0)
            simLog.warn(`${failed.length} simulated predictions not accepted by the bus`);
        },
        (e) => simLog.error(`Simulation failed: ${(e as Error).message}`),
      ),
    );
  }

  const endpoints: LocalEndpoints = {
    pid: process.pid,
    dynamodb: o.dynamodbEndpoint,
    s3: o.s3Endpoint,
    mail: ses.endpoint,
    events: bus.endpoint,
    series: o.series,
  };
  const endpointsFile = join(o.dataDir, LOCAL_DRIFT.endpointsFile);
  writeFileSync(endpointsFile, `${JSON.stringify(endpoints, null, 2)}\n`);

  return {
    mailUrl: `${ses.endpoint}/`,
    busEndpoint: bus.endpoint,
    stop: async () => {
      await Promise.all(jobs.map((j) => j.stop()));
      await flush().catch(() => undefined);
      eventBridge?.destroy();
      await bus.close();
      s3Client.destroy();
      sesClient.destroy();
      await ses.close();
      // Keep the series for `npm run train-drift` after the stack stopped; drop the live endpoints.
      writeFileSync(endpointsFile, `${JSON.stringify({ ...endpoints, pid: 0 }, null, 2)}\n`);
    },
  };
}

/** The drift settings of `npm start` options: schedule, windows and simulation. */
export function driftOptionsOf(options: {
  readonly 'simulate-predictions': boolean;
  readonly 'simulate-rate': number;
  readonly 'shift-after': number;
  readonly 'drift-every'?: number | undefined;
  readonly 'drift-recent'?: number | undefined;
  readonly 'drift-baseline'?: number | undefined;
  readonly 'mail-port': number;
  readonly 'bus-port': number;
}): Pick<LocalDriftOptions, 'checkEveryMs' | 'windowsOverride' | 'simulate' | 'mailPort' | 'busPort'> {
  const sim = options['simulate-predictions'];
  const recentMs = options['drift-recent'] ?? (sim ? 60_000 : undefined);
  const baselineMs = options['drift-baseline'] ?? (sim ? 180_000 : undefined);
  const windowsOverride = {
    ...(recentMs !== undefined ? { recentMs } : {}),
    ...(baselineMs !== undefined ? { baselineMs } : {}),
  };
  // A fresh model name per simulation: the one-e-mail-per-model-per-day rule persists in --data-dir.
  const stamp = new Date().toISOString().slice(11, 19).replace(/:/g, '');
  return {
    checkEveryMs: options['drift-every'] ?? (sim ? 20_000 : 3_600_000),
    windowsOverride,
    mailPort: options['mail-port'],
    busPort: options['bus-port'],
    ...(sim
      ? {
          simulate: {
            ratePerSecond: options['simulate-rate'],
            shiftAfterMs: options['shift-after'],
            model: `sim-churn-${stamp}`,
          },
        }
      : {}),
  };
}
