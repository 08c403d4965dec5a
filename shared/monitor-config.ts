// (shared) the monitoring config: what to collect, how to detect, how to alert. Validated with zod
// before anything is deployed (`cdk synth`) or started (`npm start`); errors name the bad field.
import { z } from 'zod';
import { ChatSchema, DestinationsSchema } from './config/alert-delivery';
import { apiSchema } from './config/api';
import {
  checkRateLimit,
  dashboardUrlSchema,
  dimensionsSchema,
  groupBySchema,
  printable,
  scaleSchema,
  seriesLimitIssues,
} from './config/limits';
import { NoDataDefaultsSchema, NoDataSettingSchema } from './config/no-data';
import { type Direction, type SemanticsOverrides, semanticsFor } from './domain/detectors/semantics';
import { DEFAULT_DETECTOR_SETTINGS, type SeverityLadder } from './domain/detectors/settings';
import { WEEKDAYS } from './domain/feedback';
import type { SeriesSpec } from './domain/types';
import { ConfigError } from './errors';

const friendlyName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be snake_case: a lowercase letter, then letters, digits or _');

const dimensions = dimensionsSchema;

/** CloudWatch statistic: a standard one or a percentile such as `p95`. */
const statistic = z
  .string()
  .regex(
    /^(Average|Sum|Minimum|Maximum|SampleCount|p\d{1,2}(\.\d+)?|tm\d{1,2}|IQM)$/,
    'must be a CloudWatch statistic (Average, Sum, Minimum, Maximum, SampleCount, pNN)',
  );

/**
 * Operator semantics (shared/domain/detectors/semantics.ts), per series or per metric; anything left
 * out comes from the metric's unit and name (`%` → bounds [0, 100], a 5-point minimum move; CPU,
 * latency, errors, queue depth → only a rise is an anomaly).
 */
const semanticsFields = {
  /** Which side of the expected range is an anomaly. */
  direction: z.enum(['above', 'below', 'both']).optional(),
  /** A move smaller than this (in the metric's unit) is never an anomaly, whatever its z. */
  minDeviation: z.number().finite().min(0).optional(),
  /** Values the metric can take: expected ranges are clipped to them, values outside are skipped. */
  bounds: z
    .strictObject({
      min: z.number().finite().nullable().optional(),
      max: z.number().finite().nullable().optional(),
    })
    .refine((b) => b.min == null || b.max == null || b.min < b.max, 'min must be below max')
    .optional(),
};

const seriesEntry = z.strictObject({
  ...semanticsFields,
  /** Friendly metric name, e.g. `cpu_percent`. Several entries may share one (one per instance). */
  metric: friendlyName,
  /** Optional label suffix that tells entries of one metric apart, e.g. `web-1`. */
  label: printable(128).optional(),
  namespace: z.string().min(1).max(255),
  metricName: z.string().min(1).max(255),
  dimensions: dimensions.default({}),
  stat: statistic.default('Average'),
  /** Seconds: 1, 5, 10 or 30 (high resolution) or a multiple of 60, as CloudWatch accepts. */
  period: z
    .number()
    .int()
    .min(1)
    .max(86_400)
    .refine((p) => [1, 5, 10, 30].includes(p) || p % 60 === 0, 'must be 1, 5, 10, 30 or a multiple of 60')
    .default(60),
  /** Multiplier applied to each value, e.g. 1/1048576 for bytes → MB, 1000 for seconds → ms. */
  scale: scaleSchema.default(1),
  unit: z.string().max(32).optional(),
  tags: z.record(printable(128), printable(256)).default({}),
  // Issue 15 (alert delivery, no-data alerts): see shared/config/no-data.ts.
  /** Reports only when something happens: no no-data alert unless `noData` is set here. */
  sparse: z.boolean().default(false),
  /** No-data rule of this series (`false` = none), over the metric's and the default one. */
  noData: NoDataSettingSchema.optional(),
});

const rdsMetric = z.strictObject({
  ...semanticsFields,
  metric: friendlyName,
  metricName: z.string().min(1),
  stat: statistic.default('Average'),
  scale: scaleSchema.default(1),
  unit: z.string().max(32).optional(),
});

/** The AWS/RDS metrics collected for each configured instance unless the instance lists its own. */
export const DEFAULT_RDS_METRICS: readonly z.input<typeof rdsMetric>[] = [
  { metric: 'db_connections_active', metricName: 'DatabaseConnections', unit: 'count' },
  { metric: 'db_query_time_ms', metricName: 'ReadLatency', scale: 1000, unit: 'ms' },
  { metric: 'db_write_time_ms', metricName: 'WriteLatency', scale: 1000, unit: 'ms' },
  { metric: 'db_cpu_percent', metricName: 'CPUUtilization', unit: '%' },
];

const rdsInstance = z.strictObject({
  /** DBInstanceIdentifier. */
  id: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, 'must be an RDS DBInstanceIdentifier'),
  metrics: z.array(rdsMetric).min(1).optional(),
  tags: z.record(printable(128), printable(256)).default({}),
});

const severity = z.enum(['low', 'medium', 'high', 'critical']);
const alertLevel = z.enum(['INFO', 'WARNING', 'CRITICAL']);

const ladderShape = (floor: number, mediumAt: number, highAt: number, criticalAt: number) => ({
  /** Minimum deviation for any anomaly: tiny wiggles never count, however quiet the series was. */
  floor: z.number().positive().default(floor),
  /** Severity medium (WARNING) from here, high (CRITICAL) and critical above. */
  mediumAt: z.number().positive().default(mediumAt),
  highAt: z.number().positive().default(highAt),
  criticalAt: z.number().positive().default(criticalAt),
});
const ordered = (l: { floor: number; mediumAt: number; highAt: number; criticalAt: number }) =>
  l.floor <= l.mediumAt && l.mediumAt <= l.highAt && l.highAt <= l.criticalAt;
const ORDER_MESSAGE = 'must satisfy floor <= mediumAt <= highAt <= criticalAt';

/**
 * Detection: one global configuration for every series (see shared/domain/detectors/series-detector.ts).
 * Windows are in points, not minutes, so one setting fits 1-minute and 1-hour series alike. The defaults
 * are what `npm run bench:nab` measures.
 */
const D = DEFAULT_DETECTOR_SETTINGS;
const ladderOf = (l: SeverityLadder) => ladderShape(l.floor, l.mediumAt, l.highAt, l.criticalAt);
const detection = z.strictObject({
  /** Level baseline (median) window. */
  windowPoints: z.number().int().min(20).max(5000).default(D.windowPoints),
  /** Memory of normal deviations (weight e^(−age/historyPoints)); an anomaly must clear what it reached. */
  historyPoints: z.number().int().min(50).max(20_000).default(D.historyPoints),
  /** The bar is the deviation this much remembered weight reaches (a fresh deviation weighs 1). */
  tailWeight: z.number().gt(0).max(100).default(D.tailWeight),
  /** Past incidents raise the bar only once this much (decayed) weight of them reached a size. */
  recurrenceWeight: z.number().gt(0).max(100).default(D.recurrenceWeight),
  /** No full verdict before this many points (the new-range rule judges from newRange.minPoints). */
  minPoints: z.number().int().min(10).max(5000).default(D.minPoints),
  /** After an anomaly, this many points cannot fire again unless the incident escalates. */
  refractoryPoints: z.number().int().min(0).max(5000).default(D.refractoryPoints),
  /** An incident still open after this many points becomes the new normal (its way back stays quiet). */
  acceptPoints: z.number().int().min(1).max(20_000).default(D.acceptPoints),
  /** Sigma floor as a fraction of the baseline level (tiny wiggles on a quiet series never count). */
  minRelativeDeviation: z.number().min(0).max(1).default(D.minRelativeDeviation),
  seasonality: z
    .strictObject({
      enabled: z.boolean().default(D.seasonality.enabled),
      /** Daily profile, learned over about this many days (used once 2 days are seen). */
      days: z.number().int().min(2).max(28).default(D.seasonality.days),
      /** Weekly profile, learned over about this many weeks (used once 2 weeks are seen; 0 = off). */
      weeks: z.number().int().min(0).max(8).default(D.seasonality.weeks),
    })
    .prefault({}),
  /** A value beyond everything seen by factor × the range seen fires, even in warm-up and refractory. */
  newRange: z
    .strictObject({
      factor: z.number().gt(0).max(100).default(D.newRange.factor),
      minPoints: z.number().int().min(2).max(5000).default(D.newRange.minPoints),
    })
    .prefault({}),
  /** Robust z of the point against the baseline. */
  zscore: z.strictObject(ladderOf(D.zscore)).refine(ordered, ORDER_MESSAGE).prefault({}),
  /** Step away from the expected value, in typical steps. */
  spike: z.strictObject(ladderOf(D.spike)).refine(ordered, ORDER_MESSAGE).prefault({}),
  /** Median of the last `points` residuals, in sigmas. */
  levelShift: z
    .strictObject({
      ...ladderOf(D.levelShift),
      points: z.number().int().min(3).max(1000).default(D.levelShift.points),
    })
    .refine(ordered, ORDER_MESSAGE)
    .prefault({}),
  /** Detect re-evaluates points this old to catch late arrivals; re-runs are idempotent. */
  lateOverlapMinutes: z.number().int().min(0).max(180).default(10),
  /** After an outage, detect catches up on at most this much history per run. */
  maxCatchUpMinutes: z
    .number()
    .int()
    .min(5)
    .max(7 * 24 * 60)
    .default(24 * 60),
  /**
   * Backfill on first sight: at most this many new series a detect run ask CloudWatch for the history
   * their seasonal baselines need (the others wait for a later run, judged meanwhile). 0 = off.
   */
  backfillSeriesPerRun: z.number().int().min(0).max(1000).default(25),
  /** Anomalies weaker than this are not recorded at all. */
  recordMinSeverity: severity.default('low'),
  /**
   * Persist each series' detector checkpoint (S3) about this often, each series at its own phase; a cold
   * start resumes from it and reads only the points after it. Warm shards never read them, so this
   * trades S3 PUTs (the largest cost after GetMetricData and point writes) against a cold start's
   * catch-up: at 180, at most 3 h of points per series (≈ 1 ms of CPU for a 1-minute series).
   * 0 = after every run.
   */
  checkpointEveryMinutes: z
    .number()
    .int()
    .min(0)
    .max(24 * 60)
    .default(180),
});

const email = z.email();

const alerts = z.strictObject({
  /** Levels below this are recorded but not paged. */
  minLevelToPage: alertLevel.default('WARNING'),
  rateLimit: z
    .strictObject({
      capacity: z.number().int().min(1).max(1000).default(10),
      refillTokens: z.number().int().min(1).max(1000).default(10),
      refillMinutes: z
        .number()
        .int()
        .min(1)
        .max(24 * 60)
        .default(15),
    })
    .superRefine(checkRateLimit)
    .prefault({}),
  dedupWindowMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  resolveAfterMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
  /**
   * When the bucket is empty, a CRITICAL group whose series has no open alert is still sent.
   * Off by default: the bucket is the promise to the NOC that a storm cannot flood them.
   */
  criticalBypass: z.boolean().default(false),
  /** An alert whose publish keeps failing this long goes to the dead-letter queue (state `failed`). */
  maxPendingMinutes: z
    .number()
    .int()
    .min(5)
    .max(24 * 60)
    .default(60),
  /** Tag (or dimension) whose value groups anomalies into one message. */
  groupBy: groupBySchema.default('resource'),
  /** Optional e-mail subscription for the NOC topic. */
  email: email.optional(),
  dashboardUrl: dashboardUrlSchema.optional(),
  // Issue 15: delivery destinations and no-data alerts (shared/config/alert-delivery.ts, no-data.ts).
  /** PagerDuty and signed-webhook destinations, each with its own delivery function. */
  destinations: DestinationsSchema.default([]),
  /** Slack and Microsoft Teams channels through AWS Chatbot. @default none */
  chat: ChatSchema.optional(),
  /** "Series went silent" alerts (per series in `series[].noData`). */
  noData: NoDataDefaultsSchema.prefault({}),
});

/** Model names as they appear in prediction events (shared/domain/predictions.ts MODEL_NAME). */
const modelName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be 1-64 lowercase letters, digits, . _ or -');
const isoInstant = z.iso.datetime({ offset: true });

/** Prediction drift (K-S of recent vs baseline scores) and model performance. */
const predictionDrift = z
  .strictObject({
    /** Stored predictions expire (DynamoDB TTL) this many days after their UTC day. */
    retentionDays: z.number().int().min(2).max(400).default(40),
    /** The recent window: the last N days before the check. */
    recentDays: z.number().int().min(1).max(90).default(7),
    /** The baseline window: the N days right before the recent window (unless pinned). */
    baselineDays: z.number().int().min(1).max(365).default(30),
    /** Fixed baseline windows per model (ISO instants), e.g. the week after a release was validated. */
    pinnedBaselines: z.record(modelName, z.strictObject({ from: isoInstant, to: isoInstant })).default({}),
    /** Significance level, after correction for the number of models tested. */
    alpha: z.number().gt(0).lt(1).default(0.01),
    /** Effect-size floor: the K-S statistic D must exceed it, so huge samples do not page on trivial shifts. */
    minEffect: z.number().min(0).lt(1).default(0.1),
    /** Both windows need at least this many predictions, else the check is "insufficient data". */
    minSamples: z.number().int().min(2).max(1_000_000).default(100),
    /** Multiple-testing correction across the models of one run. */
    correction: z.enum(['benjamini-hochberg', 'bonferroni']).default('benjamini-hochberg'),
    /** Binary outcomes: a score at or above this counts as a positive prediction. */
    decisionThreshold: z.number().finite().default(0.5),
    /** Models checked even before their first prediction arrives (others are found from the data). */
    models: z.array(modelName).default([]),
  })
  .superRefine((p, ctx) => {
    if (p.recentDays + p.baselineDays > p.retentionDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['retentionDays'],
        message: `must cover recentDays + baselineDays (${p.recentDays + p.baselineDays})`,
      });
    }
    for (const [model, w] of Object.entries(p.pinnedBaselines)) {
      if (!(Date.parse(w.from) < Date.parse(w.to))) {
        ctx.addIssue({ code: 'custom', path: ['pinnedBaselines', model], message: 'from must be before to' });
      }
    }
  });

/** The seed's infrastructure features: cpu, memory, disk I/O, DB query time. */
export const DEFAULT_INFRA_FEATURES = [
  'cpu_percent',
  'memory_percent',
  'disk_io_read_mb',
  'disk_io_write_mb',
  'db_query_time_ms',
] as const;

/** Infrastructure drift: an isolation forest over aligned metric series. */
const infraDrift = z.strictObject({
  /** Model name in the models bucket (`models/<name>/…`). */
  modelName: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lowercase letters, digits, _ or -')
    .default('infra'),
  /**
   * Feature series, each a series id, a series label (`cpu_percent web-1`) or a metric name that
   * names exactly one configured series.
   */
  features: z
    .array(z.string().min(1).max(512))
    .min(1)
    .max(64)
    .default([...DEFAULT_INFRA_FEATURES]),
  /** Rows are aligned on this step: each series' points are averaged per step; steps missing a series are dropped. */
  stepSeconds: z.number().int().min(1).max(3600).default(60),
  /** Expected share of anomalous rows in training: sets the score threshold. */
  contamination: z.number().min(0.001).max(0.5).default(0.01),
  /** Training refuses with fewer complete rows than this. */
  minRows: z.number().int().min(10).max(10_000_000).default(1000),
  /** Days of history a training run uses unless the invocation says otherwise. */
  trainDays: z.number().int().min(1).max(365).default(30),
  /** PRNG seed of training unless the invocation says otherwise. */
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(42),
  /** The check scores the last N hours of metrics. */
  recentHours: z.number().int().min(1).max(168).default(24),
  /** Fewer complete recent rows than this: "insufficient data", no verdict. */
  minRecentRows: z.number().int().min(1).max(1_000_000).default(60),
  /** Drift when the recent anomaly rate exceeds this multiple of the expected rate. */
  rateFactor: z.number().gt(1).max(100).default(2),
});

const drift = z
  .strictObject({
    /** SES identity (verified sender) for ML drift mail. */
    fromEmail: email.optional(),
    /** ML team recipients. */
    toEmails: z.array(email).default([]),
    /**
     * The verified SES identity the sender belongs to (the address itself, or its domain); IAM's
     * ses:SendEmail is limited to this identity. @default the fromEmail address
     */
    sesIdentity: z
      .string()
      .regex(/^([^@\s]+@)?[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be an e-mail address or a domain')
      .optional(),
    /** Daily check time (UTC, HH:MM). */
    checkAtUtc: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (UTC)')
      .default('06:00'),
    predictions: predictionDrift.prefault({}),
    infra: infraDrift.prefault({}),
  })
  .superRefine((d, ctx) => {
    if (d.toEmails.length > 0 && d.fromEmail === undefined) {
      ctx.addIssue({ code: 'custom', path: ['fromEmail'], message: 'required when toEmails is set' });
    }
    if (d.sesIdentity !== undefined && d.fromEmail === undefined) {
      ctx.addIssue({ code: 'custom', path: ['sesIdentity'], message: 'needs fromEmail' });
    }
    const identity = d.sesIdentity?.toLowerCase();
    const from = d.fromEmail?.toLowerCase();
    if (identity !== undefined && from !== undefined && identity !== from && !from.endsWith(`@${identity}`)) {
      ctx.addIssue({
        code: 'custom',
        path: ['sesIdentity'],
        message: `must be ${d.fromEmail} or its domain (SES sends as the verified identity)`,
      });
    }
  });

/** Minutes between runs: must divide 60 so a cron step (`0/N`) repeats evenly every hour. */
const everyMinutes = z
  .number()
  .int()
  .min(1)
  .max(60)
  .refine((n) => 60 % n === 0, 'must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)');

const schedules = z
  .strictObject({
    /** The detect cycle (collect, then detect, per shard) every N minutes (5 is the cheaper default). */
    collectEveryMinutes: everyMinutes.default(5),
    /** Detect runs right after each collect, in the same cycle: when given, it must equal collectEveryMinutes. */
    detectEveryMinutes: everyMinutes.default(5),
    /** Accepted for older configs and ignored: detect is chained after collect, with no fixed offset. */
    detectOffsetMinutes: z.number().int().min(0).max(59).default(1),
  })
  .refine((s) => s.detectEveryMinutes === s.collectEveryMinutes, {
    path: ['detectEveryMinutes'],
    message:
      'must equal collectEveryMinutes: detect runs right after each collect in the detect cycle (a detect without new points would find nothing new)',
  });

/**
 * False-positive feedback and threshold auto-tuning. An adjustment `a` multiplies every detector
 * threshold of a metric by `1 + a` (+0.1 = 10% less sensitive), within [minAdjustment, maxAdjustment].
 */
const feedback = z
  .strictObject({
    /** Immediate rule: this many false-positive marks on a metric raise its threshold by `step`. */
    fpCountToAdjust: z.number().int().min(1).max(1000).default(10),
    /** Size of one adjustment (0.1 = 10%). */
    step: z.number().gt(0).max(0.5).default(0.1),
    /** Most sensitive a metric may become (-0.5 = thresholds at half their configured value). */
    minAdjustment: z.number().min(-0.9).max(0).default(-0.5),
    /** Least sensitive a metric may become (+0.5 = thresholds at 1.5x). */
    maxAdjustment: z.number().min(0).max(5).default(0.5),
    weekly: z
      .strictObject({
        /** FP rate (false positives / labelled, among the week's paged anomalies) above this: less sensitive. */
        highFpRate: z.number().min(0).max(1).default(0.2),
        /** FP rate below this: more sensitive. */
        lowFpRate: z.number().min(0).max(1).default(0.05),
        /** Fewer labelled paged anomalies than this in the week: no change. */
        minLabelled: z.number().int().min(1).max(10_000).default(10),
        /** When the weekly run fires (UTC); it evaluates the 7 days before 00:00 of this day. */
        day: z.enum(WEEKDAYS).default('SUN'),
        hour: z.number().int().min(0).max(23).default(3),
        minute: z.number().int().min(0).max(59).default(0),
      })
      .prefault({}),
    /** The what-if preview replays this many days of stored points (capped by retentionDays). */
    previewDays: z.number().int().min(1).max(365).default(30),
  })
  .superRefine((f, ctx) => {
    if (f.weekly.lowFpRate >= f.weekly.highFpRate) {
      ctx.addIssue({ code: 'custom', path: ['weekly', 'lowFpRate'], message: 'must be below highFpRate' });
    }
  });

/** The staff dashboard: its Cognito user pool and CloudFront site (issue #7). */
const dashboard = z.strictObject({
  /**
   * MFA for staff sign-in: `required` (TOTP, set up at first sign-in) or `optional` (each user chooses;
   * acknowledged in cdk-nag with this reason).
   */
  mfa: z.enum(['required', 'optional']).default('required'),
  /**
   * Cognito feature plan: `plus` adds threat protection (compromised-credential and adaptive
   * authentication, enforced) at a per-user monthly price; `essentials` has none.
   */
  featurePlan: z.enum(['plus', 'essentials']).default('plus'),
  /**
   * Hosted-UI domain prefix (`<prefix>.auth.<region>.amazoncognito.com`), unique per region.
   * @default `<stack name, lowercased>-<account id>`
   */
  domainPrefix: z
    .string()
    .regex(
      /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
      'must be 1-63 lowercase letters, digits or inner hyphens',
    )
    .refine((p) => !/aws|amazon|cognito/.test(p), 'must not contain aws, amazon or cognito')
    .optional(),
  /** The dashboard's auto-refresh, seconds (written to its config.json). */
  refreshSeconds: z.number().int().min(10).max(3600).default(60),
  /** CloudFront price class: edge locations in North America and Europe (`100`), most (`200`), or all. */
  priceClass: z.enum(['100', '200', 'all']).default('100'),
});

/** Schema of the whole monitoring config file. */
export const MonitorConfigSchema = z
  .strictObject({
    /** CloudFormation stack name and resource name prefix. */
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,39}$/)
      .default('DriftSentinel'),
    /** Points and anomalies expire (DynamoDB TTL) after this many days. */
    retentionDays: z.number().int().min(1).max(365).default(30),
    series: z.array(seriesEntry).default([]),
    /** Per-metric defaults of the operator semantics (a series' own fields win). */
    metrics: z.record(friendlyName, z.strictObject(semanticsFields)).default({}),
    rds: z.strictObject({ instances: z.array(rdsInstance).default([]) }).prefault({}),
    schedules: schedules.prefault({}),
    collection: z
      .strictObject({
        /**
         * Collect stops this many minutes before now: CloudWatch's newest minute is still filling
         * (a partial Sum/SampleCount looks like a drop). Later runs pick it up once settled.
         */
        settleMinutes: z.number().int().min(0).max(30).default(2),
        /** Each collect re-reads this many minutes before its last end, to pick up late points. */
        overlapMinutes: z.number().int().min(0).max(180).default(10),
        /** First run (or after an outage): look back at most this far. */
        maxLookbackMinutes: z
          .number()
          .int()
          .min(5)
          .max(24 * 60)
          .default(180),
      })
      .prefault({}),
    detection: detection.prefault({}),
    alerts: alerts.prefault({}),
    drift: drift.prefault({}),
    feedback: feedback.prefault({}),
    dashboard: dashboard.prefault({}),
    /** Per-client protection of the HTTP API (shared/config/api.ts). */
    api: apiSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.series.length === 0 && c.rds.instances.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['series'],
        message: 'configure at least one series or RDS instance',
      });
    }
  });

/** The validated config, with every default filled in. */
export type MonitorConfig = z.output<typeof MonitorConfigSchema>;
/** What a user writes (defaults optional). */
export type MonitorConfigInput = z.input<typeof MonitorConfigSchema>;
/** The detection section, as the detect use case consumes it. */
export type DetectionConfig = MonitorConfig['detection'];
/** The drift section, as train-drift and check-drift consume it. */
export type DriftConfig = MonitorConfig['drift'];
/** The dashboard section, as the hosting and auth constructs consume it. */
export type DashboardConfig = MonitorConfig['dashboard'];

/** Turn zod issues into `field.path: message` strings. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
}

/**
 * Validate a parsed config object.
 * @param raw - the parsed JSON
 * @param source - where it came from, for the message (file name or env var)
 * @throws ConfigError naming every bad field
 */
export function parseMonitorConfig(raw: unknown, source = 'config'): MonitorConfig {
  const result = MonitorConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(`Invalid monitoring config (${source})`, formatIssues(result.error));
  }
  const config = result.data;
  const ids = new Set<string>();
  const duplicates: string[] = [];
  for (const spec of expandSeries(config)) {
    if (ids.has(spec.id)) duplicates.push(`series: duplicate series ${spec.id}`);
    ids.add(spec.id);
  }
  duplicates.push(...seriesLimitIssues([...ids]));
  if (duplicates.length > 0) throw new ConfigError(`Invalid monitoring config (${source})`, duplicates);
  return config;
}

/** Parse JSON text and validate it; JSON syntax errors become ConfigErrors too. */
export function parseMonitorConfigJson(text: string, source = 'config'): MonitorConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`Invalid monitoring config (${source}): not valid JSON`, [], { cause });
  }
  return parseMonitorConfig(raw, source);
}

/**
 * Stable series id from what identifies a CloudWatch series: namespace, metric name, sorted
 * dimensions, statistic and period. The same metric collected twice maps to the same id.
 */
export function seriesIdOf(
  namespace: string,
  metricName: string,
  dims: Readonly<Record<string, string>>,
  stat: string,
  period: number,
): string {
  const dimPart = Object.keys(dims)
    .sort()
    .map((k) => `${k}=${dims[k]}`)
    .join(',');
  return `${namespace}/${metricName}/${dimPart}/${stat}/${period}`;
}

/** Every series the config asks for: the `series` list plus the metrics of each RDS instance. */
export function expandSeries(config: MonitorConfig): SeriesSpec[] {
  const out: SeriesSpec[] = [];
  /** The series' semantics when the config says anything about them (else the unit's defaults apply). */
  const semantics = (metric: string, unit: string | undefined, own: SemanticsInput) => {
    const overrides = overridesOf(config.metrics[metric], own);
    return Object.keys(overrides).length === 0 ? {} : { semantics: semanticsFor(metric, unit, overrides) };
  };
  for (const s of config.series) {
    const dimLabel = s.label ?? Object.values(s.dimensions).join(' ');
    out.push({
      id: seriesIdOf(s.namespace, s.metricName, s.dimensions, s.stat, s.period),
      metric: s.metric,
      label: dimLabel ? `${s.metric} ${dimLabel}` : s.metric,
      namespace: s.namespace,
      metricName: s.metricName,
      dimensions: s.dimensions,
      stat: s.stat,
      period: s.period,
      scale: s.scale,
      ...(s.unit !== undefined ? { unit: s.unit } : {}),
      tags: { resource: dimLabel || s.metric, ...s.tags },
      ...semantics(s.metric, s.unit, s),
    });
  }
  for (const instance of config.rds.instances) {
    const metrics = instance.metrics ?? DEFAULT_RDS_METRICS.map((m) => rdsMetric.parse(m));
    for (const m of metrics) {
      const dims = { DBInstanceIdentifier: instance.id };
      out.push({
        id: seriesIdOf('AWS/RDS', m.metricName, dims, m.stat, 60),
        metric: m.metric,
        label: `${m.metric} ${instance.id}`,
        namespace: 'AWS/RDS',
        metricName: m.metricName,
        dimensions: dims,
        stat: m.stat,
        period: 60,
        scale: m.scale,
        ...(m.unit !== undefined ? { unit: m.unit } : {}),
        tags: { resource: instance.id, service: 'rds', ...instance.tags },
        ...semantics(m.metric, m.unit, m),
      });
    }
  }
  return out;
}

type SemanticsInput = {
  readonly direction?: Direction | undefined;
  readonly minDeviation?: number | undefined;
  readonly bounds?:
    | { readonly min?: number | null | undefined; readonly max?: number | null | undefined }
    | undefined;
};

/** The metric's defaults overlaid with the series' own fields (only what is set). */
function overridesOf(metric: SemanticsInput | undefined, own: SemanticsInput): SemanticsOverrides {
  const out: { -readonly [K in keyof SemanticsOverrides]: SemanticsOverrides[K] } = {};
  for (const layer of [metric, own]) {
    if (!layer) continue;
    if (layer.direction !== undefined) out.direction = layer.direction;
    if (layer.minDeviation !== undefined) out.minDeviation = layer.minDeviation;
    if (layer.bounds?.min !== undefined) out.min = layer.bounds.min;
    if (layer.bounds?.max !== undefined) out.max = layer.bounds.max;
  }
  return out;
}
