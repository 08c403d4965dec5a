// (ports) the interfaces use cases depend on. Adapters in shared/adapters implement them for AWS and
// for the local stack; the composition root (a handler module, infra/local, a benchmark) picks which.
import type { SecretRef } from './config/alert-delivery';
import type { AlertState, Digest, MaintenanceWindow, OpenAlert } from './domain/alerting';
import type { Anomaly } from './domain/anomaly';
import type { DetectorSnapshot } from './domain/detectors/series-detector';
import type { DriftStatus, SubjectState } from './domain/drift';
import type { DriftRun } from './domain/drift-report';
import type { AnomalyFeedback, ThresholdChange, ThresholdState, WeeklyEvaluation } from './domain/feedback';
import type { IngestedPrediction, PredictionColumns } from './domain/prediction-set';
import type { RecentBands } from './domain/recent-band';
import type { Shard } from './domain/shards';
import type { MetricPoint, SeriesSpec } from './domain/types';

/** Source of time. Use cases never call Date.now(); tests and the replay stack control the clock. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** Structured logger; Powertools' Logger satisfies it, so does the local console logger. */
export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** Result of fetching metrics from a source. */
export interface FetchResult {
  readonly points: MetricPoint[];
  /** Points the source returned that were NaN, infinite or missing: skipped, counted. */
  readonly skipped: number;
  /** Number of API calls made (GetMetricData pages), for cost visibility. */
  readonly calls: number;
  /** Per-series problems the source reported but survived (e.g. a metric it may not read). */
  readonly warnings: readonly string[];
}

/** Where metrics come from: CloudWatch in AWS; this host or a CSV replay locally. */
export interface MetricSource {
  /** Points of every series with start <= ts < end, in any order. */
  fetch(series: readonly SeriesSpec[], start: number, end: number): Promise<FetchResult>;
}

/** Outcome of a batch write: what could not be written after retries is returned, never dropped. */
export interface WriteResult {
  readonly written: number;
  /** Not written for a transient reason (throttling): retried by the next run. */
  readonly failed: readonly MetricPoint[];
  /** Refused by the store as invalid (never storable): counted and logged, never retried. */
  readonly rejected: readonly RejectedPoint[];
}

/** A point that cannot be stored, and why. */
export interface RejectedPoint {
  readonly point: MetricPoint;
  readonly reason: string;
}

/** Time-series storage of collected points (DynamoDB table with TTL). */
export interface MetricStore {
  /** Idempotent upsert keyed by (series, ts). */
  putPoints(points: readonly MetricPoint[]): Promise<WriteResult>;
  /** Points of one series with start <= ts <= end, oldest first, unexpired at `now`. */
  queryRange(series: string, start: number, end: number, now: number): Promise<MetricPoint[]>;
}

/** Outcome of recording anomalies. */
export interface RecordResult {
  /** Newly recorded. */
  readonly created: readonly Anomaly[];
  /** Already recorded by an earlier run (idempotent re-run): left untouched. */
  readonly existing: number;
  /** Could not be written; the run reports them as failures. */
  readonly failed: readonly { anomaly: Anomaly; error: string }[];
}

/** Storage of detected anomalies. */
export interface AnomalyStore {
  /** Insert each anomaly unless one with the same (series, ts) exists. */
  record(anomalies: readonly Anomaly[], now: number): Promise<RecordResult>;
  /** Anomalies with start <= ts <= end across all series, oldest first. */
  listRange(start: number, end: number, now: number): Promise<Anomaly[]>;
  /** Anomalies in [start, end] still waiting for alerting (state `pending`), oldest first. */
  listPending(start: number, end: number, now: number): Promise<Anomaly[]>;
  /** Record where each anomaly ended up in alerting; returns the updates that failed. */
  setAlertStates(updates: readonly AlertStateUpdate[], now: number): Promise<AlertStateUpdate[]>;
}

/** An anomaly as the dashboard shows it: the detection, where alerting put it, and how staff labelled it. */
export interface AnomalyDetail extends Anomaly {
  /** Alert state (`pending`, `sent`, `grouped`, …). */
  readonly alertState: AlertState;
  /** The alert that paged it (states `sent` and `grouped`). */
  readonly alertId?: string;
  /** Why it is in its state: the open alert it was folded into, the maintenance window, the error. */
  readonly alertReason?: string;
  readonly feedback?: AnomalyFeedback;
}

/** A read of the anomaly timeline, newest first. */
export interface TimelineQuery {
  /** Anomalies with from <= ts <= to. */
  readonly from: number;
  readonly to: number;
  /** Unexpired at this time. */
  readonly now: number;
  /** Only anomalies after this one in newest-first order (ts descending, then series descending). */
  readonly after?: AnomalyRef;
  /** Stop after this many accepted anomalies. @default all */
  readonly limit?: number;
  /** Only anomalies this accepts (filters applied while reading, so a page fills up). */
  readonly accept?: (anomaly: AnomalyDetail) => boolean;
}

/** The anomaly timeline (the anomalies table in AWS). */
export interface AnomalyTimelineStore {
  /** Accepted anomalies newest first, at most `limit`, and whether more accepted ones follow. */
  listNewestFirst(query: TimelineQuery): Promise<{ items: AnomalyDetail[]; more: boolean }>;
}

/** Small operational state: job watermarks (later: token buckets, feedback counters, windows). */
export interface ControlStore {
  /** The last committed watermark of a job, or undefined on first run. */
  getWatermark(job: string): Promise<number | undefined>;
  /** Move a job's watermark forward (never backward: a late, slower run cannot rewind it). */
  advanceWatermark(job: string, ts: number): Promise<void>;
}

/** A message for the NOC topic. */
export interface AlertMessage {
  /** Readable subject (SNS limits it to 100 characters, printable ASCII). */
  readonly subject: string;
  /** JSON body. */
  readonly body: Record<string, unknown>;
  /** String message attributes for subscription filter policies (severity, metric, alert_type, dedup_key). */
  readonly attributes: Readonly<Record<string, string>>;
  /** String.Array message attributes (the `tags` a destination's filter policy may select on). */
  readonly arrayAttributes?: Readonly<Record<string, readonly string[]>>;
}

/** Where alerts go: SNS in AWS, the console (and the dashboard) locally. */
export interface AlertPublisher {
  /** @returns the message id the service assigned */
  publish(message: AlertMessage): Promise<{ messageId: string }>;
}

/** Outcome of a token take. */
export interface TokenTake {
  readonly granted: boolean;
  readonly remaining: number;
  readonly retryAfterMs: number;
  /** Gave up after repeated write conflicts: no decision was made. */
  readonly contended?: boolean;
}

/** A token-bucket rate limiter shared by every invocation. */
export interface RateLimiter {
  take(bucket: string, now: number): Promise<TokenTake>;
}

/** Publish-record key prefix of a RESOLVED notice (`resolved#<alertId>`); an ALERT's is `alert#`. */
export const RESOLVED_KEY_PREFIX = 'resolved#';

/** An open alert as stored, with what a RESOLVED notice needs. */
export interface StoredOpenAlert extends OpenAlert {
  readonly label: string;
  readonly metric: string;
}

/** Alert bookkeeping: open alerts per dedup key, the rate-limit digest, maintenance windows. */
export interface AlertStateStore {
  listOpen(): Promise<StoredOpenAlert[]>;
  putOpen(alert: StoredOpenAlert): Promise<void>;
  /** Fold a later anomaly into an open alert (moves `lastSeenAt` forward only). */
  touchOpen(dedupKey: string, lastSeenAt: number): Promise<void>;
  deleteOpen(dedupKey: string): Promise<void>;
  getDigest(bucket: string): Promise<Digest | undefined>;
  /** Store the digest, or clear it with undefined. */
  setDigest(bucket: string, digest: Digest | undefined): Promise<void>;
  listWindows(): Promise<MaintenanceWindow[]>;
  putWindow(window: MaintenanceWindow): Promise<void>;
  deleteWindow(id: string): Promise<boolean>;
  /** The publish record of a message (see PublishRecord), if any. */
  getPublish(key: string): Promise<PublishRecord | undefined>;
  /**
   * Write a message's publish record if it is still at `expectedTries` (0 = no record yet).
   * @returns false when another writer got there first (nothing written)
   */
  putPublish(record: PublishRecord, expectedTries: number): Promise<boolean>;
  /** RESOLVED notices published with `from <= at <= to`: the alert each closed and when it went out. */
  listResolved(from: number, to: number): Promise<{ readonly alertId: string; readonly at: number }[]>;
}

/**
 * What is known about publishing one message (an ALERT or a RESOLVED notice), written before and
 * after every publish so a retry recognises a message that already went out.
 */
export interface PublishRecord {
  /** The message's stable key (`alert#<alertId>` or `resolved#<alertId>`). */
  readonly key: string;
  /** `attempting`: written before a publish whose outcome is not (yet) known. */
  readonly status: 'attempting' | 'published' | 'failed';
  /** Publish attempts so far, this one included. */
  readonly tries: number;
  /** Earlier attempts whose outcome stayed unknown (each may have been delivered). */
  readonly unknowns: number;
  readonly messageId?: string;
  /** The anomalies (`series|ts`) the message covered. */
  readonly members: readonly string[];
  readonly at: number;
}

/** A change of an anomaly's alert state. */
export interface AlertStateUpdate {
  readonly series: string;
  readonly ts: number;
  readonly state: AlertState;
  readonly alertId?: string;
  readonly messageId?: string;
  /** Why (maintenance window id, open alert id, error). */
  readonly reason?: string;
}

/** Where alerts go when publishing keeps failing (an alarmed SQS queue in AWS). */
export interface DeadLetterSink {
  send(message: AlertMessage, reason: string): Promise<void>;
}

/** What a stored model says about itself (kept in the `latest` pointer too). */
export interface ModelMetadata {
  /** Model format, e.g. `isolation-forest`. */
  readonly kind: string;
  /** Set by the store on save: sortable, unique per save. */
  readonly version?: string;
  readonly createdAt: number;
  readonly [extra: string]: unknown;
}

/** A model loaded from the store: its metadata and its (not yet validated) JSON body. */
export interface LoadedModel {
  readonly key: string;
  readonly metadata: ModelMetadata & { readonly version: string };
  readonly body: unknown;
}

/** Versioned model storage with a `latest` pointer (S3 in AWS, s3rver locally). */
export interface ModelStore {
  /** Write the model under a new versioned key, then move `latest` to it. */
  save(name: string, body: unknown, metadata: ModelMetadata): Promise<{ key: string; version: string }>;
  /** The model `latest` points to. @throws NotFoundError when none; ValidationError when corrupt */
  loadLatest(name: string): Promise<LoadedModel>;
}

/**
 * Detector checkpoints kept outside the process (S3 in AWS, s3rver locally): a cold start resumes
 * each series' stream where the last saved checkpoint left it instead of re-warming from the points.
 */
export interface CheckpointStore {
  /** The series' checkpoint, undefined when none was saved. @throws on a corrupt or unreadable one */
  load(series: string): Promise<DetectorSnapshot | undefined>;
  save(series: string, snapshot: DetectorSnapshot): Promise<void>;
}

/**
 * Per detect shard, the last hour of each series' expected range (the health sparklines' band): one
 * object a shard rewrites each cycle, which the dashboard's health view reads for every shard.
 */
export interface RecentBandStore {
  /** The shard's kept band, undefined when none was written. @throws on an unreadable or corrupt one */
  load(shard: Shard): Promise<RecentBands | undefined>;
  save(shard: Shard, bands: RecentBands): Promise<void>;
}

/** Identifies one anomaly: its series and time (epoch ms). */
export interface AnomalyRef {
  readonly series: string;
  readonly ts: number;
}

/** An anomaly as feedback and tuning see it: who it is, where alerting put it, how staff labelled it. */
export interface AnomalyRecord extends AnomalyRef {
  readonly metric: string;
  readonly label: string;
  readonly level: Anomaly['level'];
  readonly value: number;
  /** Alert state (`pending`, `sent`, `grouped`, …). */
  readonly alertState: AlertState;
  /** The alert that paged it (state `sent` or `grouped`). */
  readonly alertId?: string;
  readonly feedback?: AnomalyFeedback;
}

/** Feedback labels on stored anomalies (the anomalies table in AWS). */
export interface FeedbackStore {
  /**
   * Set the anomaly's feedback, or clear it with undefined, in one conditional write.
   * @param expected - only write when the stored feedback is this one (null: none); for undoing a write
   * @returns the anomaly as it was before the write (with its previous feedback)
   * @throws NotFoundError (field `ts`) when no unexpired anomaly has this (series, ts)
   * @throws ConflictError when `expected` does not match
   */
  setFeedback(
    ref: AnomalyRef,
    feedback: AnomalyFeedback | undefined,
    now: number,
    expected?: AnomalyFeedback | null,
  ): Promise<AnomalyRecord>;
  /** Anomalies of every series with start <= ts < end, unexpired at `now`, oldest first. */
  listRange(start: number, end: number, now: number): Promise<AnomalyRecord[]>;
  /** Anomalies of one series with start <= ts <= end, oldest first (`labelledOnly`: with feedback). */
  listSeries(
    series: string,
    start: number,
    end: number,
    now: number,
    options?: { readonly labelledOnly?: boolean },
  ): Promise<AnomalyRecord[]>;
  /** The anomalies an alert paged (`sent` + `grouped` with its id), searched around its first anomaly's time. */
  listAlert(alertId: string, firstTs: number, now: number): Promise<AnomalyRecord[]>;
}

/** What a conditional write of a metric's tuning state sets. */
export interface ThresholdPatch {
  readonly adjustment?: number;
  /** Take this many counts off `fpCount` (the immediate rule's reset); the write requires fpCount >= it. */
  readonly consumeFpCount?: number;
  /** Mark the week evaluated; the write requires the week not to be evaluated yet (any earlier week too). */
  readonly evaluation?: WeeklyEvaluation;
  /** The change this write makes (kept as `lastChange` until its history entry is written). */
  readonly change?: ThresholdChange;
}

/** One page of threshold history, newest first. */
export interface ChangePage {
  readonly items: readonly ThresholdChange[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  readonly nextCursor?: string;
}

/** Per-metric threshold adjustments, feedback counters and the change history (the control table in AWS). */
export interface ThresholdStore {
  /** A metric's state (the initial state when it was never marked or tuned). */
  get(metric: string, options?: { readonly consistent?: boolean }): Promise<ThresholdState>;
  /** Add to the feedback counters atomically (concurrent adds never lose a count); returns the new state. */
  addCounts(
    metric: string,
    delta: { readonly falsePositives: number; readonly confirmed: number },
    now: number,
  ): Promise<ThresholdState>;
  /**
   * Write `patch` if the state is still at `expectedVersion` (and the patch's own conditions hold); bumps
   * the version. @returns false when another writer got there first: re-read and decide again.
   */
  update(metric: string, expectedVersion: number, patch: ThresholdPatch, now: number): Promise<boolean>;
  /** Record a change in the history (idempotent: writing the same change twice keeps one entry). */
  putChange(change: ThresholdChange): Promise<void>;
  getChange(id: string): Promise<ThresholdChange | undefined>;
  /** History newest first, optionally of one metric; `cursor` is a previous page's `nextCursor`. */
  listChanges(query: {
    readonly metric?: string;
    readonly limit: number;
    readonly cursor?: string;
  }): Promise<ChangePage>;
}

/** Outcome of storing predictions: what could not be written after retries is returned, never dropped. */
export interface PredictionWriteResult {
  readonly written: number;
  readonly failed: readonly IngestedPrediction[];
}

/** Predictions per model and UTC day, expiring after the retention (DynamoDB with TTL). */
export interface PredictionStore {
  /** Store predictions; idempotent for a re-delivered batch. */
  append(predictions: readonly IngestedPrediction[], now: number): Promise<PredictionWriteResult>;
  /** Models that sent predictions within the retention, with their newest prediction time. */
  listModels(now: number): Promise<{ model: string; lastSeen: number }[]>;
  /** Every stored prediction of `model` with from <= ts < to (duplicates included), unexpired at `now`. */
  load(model: string, from: number, to: number, now: number): Promise<PredictionColumns>;
}

/** An e-mail with a text and an HTML body. */
export interface MailMessage {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Where drift e-mail goes: SES v2 in AWS, aws-ses-v2-local on the laptop. */
export interface Mailer {
  /** @returns the message id the service assigned */
  send(message: MailMessage): Promise<{ messageId: string }>;
}

/** Drift bookkeeping: the per-subject status and e-mail state, and the results of every run. */
export interface DriftStateStore {
  listStates(): Promise<SubjectState[]>;
  /** Record the latest verdict of a subject (status, and when it changed). */
  setStatus(subject: string, status: DriftStatus, now: number): Promise<void>;
  /**
   * Take today's e-mail of a subject, announcing `status`; false when it was already taken today
   * (a conditional write: two runs can never both send).
   */
  claimMail(subject: string, status: DriftStatus, now: number): Promise<boolean>;
  /** Give back a claim whose e-mail could not be sent, restoring the previous state. */
  releaseMail(subject: string, previous: SubjectState | undefined, claimedAt: number): Promise<void>;
  /** Store one run's results (one item per subject and a summary). */
  recordRun(run: DriftRun): Promise<void>;
  /** Runs at or after `since`, newest first. */
  listRuns(since: number, now: number): Promise<DriftRun[]>;
}

/** A prediction event rejected at the edge, with why. */
export interface RejectedEvent {
  /** The delivery's id (SQS message id, or the local bus's event id). */
  readonly id: string;
  /** The event as received (JSON text). */
  readonly body: string;
  readonly reason: string;
  readonly issues: readonly string[];
}

/** Where rejected prediction events go: an alarmed SQS queue in AWS, the console locally. */
export interface RejectSink {
  /** @returns the ids that could not be parked (the delivery is retried) */
  reject(events: readonly RejectedEvent[]): Promise<string[]>;
}

/** Reads a secret named in config (Secrets Manager or SSM SecureString) at run time. */
export interface SecretReader {
  /**
   * The secret's value.
   * @throws DependencyError when it cannot be read, ValidationError when it is empty or malformed
   */
  read(ref: SecretRef): Promise<string>;
}

/** An HTTP response as delivery needs it. */
export interface HttpResponse {
  readonly status: number;
  /** The response text (truncated by the adapter). */
  readonly body: string;
}

/** Sends one HTTP POST (PagerDuty, webhooks). */
export interface HttpPoster {
  /**
   * POST `body`; resolves with any HTTP status.
   * @throws DependencyError on a network fault or timeout (no status)
   */
  post(url: string, body: string, headers: Readonly<Record<string, string>>): Promise<HttpResponse>;
}
