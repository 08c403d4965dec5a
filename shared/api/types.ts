// (contract) the HTTP API's response shapes: one definition for the router (functions/api-routes.ts, which
// checks every handler's answer against them), the OpenAPI document (docs/api/openapi.json) and the SPA,
// which imports them with `import type` so nothing of this file reaches its bundle. Types only: no values.
// Times are epoch milliseconds. Every string here comes from data: render it as text, never as markup.
import type {
  AnomalyFeedback,
  ChangeRule,
  FeedbackLabel,
  ThresholdState as StoredThresholdState,
  ThresholdChange,
} from '../domain/feedback';
import type { AlertLevel, Severity } from '../domain/types';

export type { AlertLevel, AnomalyFeedback, ChangeRule, FeedbackLabel, Severity, ThresholdChange };

/** The body of every 4xx/5xx answer: what went wrong and the field at fault (null when none). */
export interface ErrorBody {
  readonly error: string;
  readonly field: string | null;
  readonly issues?: readonly string[];
}

/** A series' state on the health view: `learning` while the detector warms up, `muted` in a maintenance window. */
export type SeriesState = 'ok' | 'anomalous' | 'learning' | 'no-data' | 'muted';

/** A chart point. When downsampled: the bucket's mean, with its min and max. */
export interface Point {
  readonly ts: number;
  readonly value: number;
  readonly min?: number;
  readonly max?: number;
}

/** The latest anomaly of a series, as a health tile shows it. */
export interface LastAnomaly {
  readonly ts: number;
  readonly severity: Severity;
  readonly level: AlertLevel;
  readonly explanation: string;
}

/** One tile of the health view. */
export interface HealthSeries {
  readonly id: string;
  readonly label: string;
  readonly metric: string;
  readonly unit?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly latest: { readonly ts: number; readonly value: number } | null;
  readonly state: SeriesState;
  /** When the detector's warm-up ends (first point + warm-up); null once it has (or with no points). */
  readonly learningUntil: number | null;
  /** The maintenance window muting the series now, if any. */
  readonly mutedBy?: string;
  readonly lastAnomaly: LastAnomaly | null;
  readonly sparkline: readonly Point[];
  /** The detector's expected range over the sparkline, as detect judged each point; empty while learning. */
  readonly sparklineBand: readonly BandPoint[];
}

/** GET /api/health */
export interface HealthResponse {
  readonly generatedAt: number;
  readonly series: readonly HealthSeries[];
}

/** The detector's expected range at one time (a bucket's widest range when downsampled). */
export interface BandPoint {
  readonly ts: number;
  readonly low: number;
  readonly high: number;
}

/** GET /api/series/{id}/points */
export interface PointsResponse {
  readonly id: string;
  readonly label: string;
  readonly unit?: string;
  readonly from: number;
  readonly to: number;
  readonly downsampled: boolean;
  readonly points: readonly Point[];
  /**
   * With `band=true`: the expected range, recomputed by replaying the stored points through the
   * production detector (its z-score method's bounds); empty while it warms up.
   */
  readonly band?: readonly BandPoint[];
}

/** One row of the anomaly timeline (non-finite numbers as null). */
export interface AnomalyItem {
  readonly series: string;
  readonly label: string;
  readonly metric: string;
  readonly unit?: string;
  readonly ts: number;
  readonly value: number;
  /** Null when the strongest method has no such bound. */
  readonly expectedLow: number | null;
  readonly expectedHigh: number | null;
  readonly baseline: number | null;
  readonly deviation: number | null;
  readonly score: number;
  readonly severity: Severity;
  readonly level: AlertLevel;
  readonly methods: readonly string[];
  readonly explanation: string;
  readonly model?: string;
  /** What alerting did with it: pending, sent, grouped, deduplicated, rate-limited, suppressed, ... */
  readonly alertState: string;
  readonly alertId?: string;
  readonly feedback?: AnomalyFeedback;
}

/** GET /api/anomalies */
export interface AnomaliesResponse {
  readonly items: readonly AnomalyItem[];
  readonly nextCursor?: string;
}

/** How detected anomalies fared in alerting over a range. */
export interface AlertSummary {
  readonly anomalies: number;
  readonly sent: number;
  readonly grouped: number;
  readonly deduplicated: number;
  readonly rateLimited: number;
  readonly suppressed: number;
  readonly belowSeverity: number;
  readonly pending: number;
  readonly failed: number;
  readonly conversionRate: number;
}

/** One alert (page). */
export interface AlertItem {
  readonly alertId: string;
  /** Its first anomaly's time. */
  readonly ts: number;
  readonly level: AlertLevel;
  readonly series: readonly string[];
  /** The series' labels, same order as `series`. */
  readonly labels: readonly string[];
  readonly anomalies: number;
  /** `open` until its RESOLVED notice, then `resolved`. */
  readonly state: 'open' | 'resolved';
  /** When its RESOLVED notice went out (null: open, or resolved before the records kept). */
  readonly resolvedAt: number | null;
  /** Of its anomalies in the range, how many carry a false-positive or confirmed label. */
  readonly marked: number;
}

/** Alert quality of one metric (or of all, `metric` null) over a range. */
export interface AlertQuality {
  readonly metric: string | null;
  /** Pages (alert messages) that carried this metric's anomalies. */
  readonly pages: number;
  /** Pages scaled to 7 days of the range. */
  readonly pagesPerWeek: number;
  readonly anomalies: number;
  /** Anomalies in a page or folded into an open one (sent + grouped + deduplicated). */
  readonly inPages: number;
  /** inPages ÷ pages: what grouping and dedup save the NOC; null without pages. */
  readonly anomaliesPerPage: number | null;
  /** Labels on those anomalies. */
  readonly falsePositives: number;
  readonly confirmed: number;
  /** confirmed ÷ (confirmed + false positives); null without labels. */
  readonly precision: number | null;
  /** Held back by the rate limit (counted in the digest instead). */
  readonly rateLimited: number;
  /** Suppressed by a maintenance window. */
  readonly suppressed: number;
  /** Of its pages, how many have had their RESOLVED notice, and the median minutes until it; null without one. */
  readonly resolved: number;
  readonly medianMinutesToResolved: number | null;
  /**
   * What this metric's configured series cost a month (USD): their count × the estimate's
   * `perSeriesUsd`; the overall row is the fleet's. Null when there is no estimate (`cost` null).
   */
  readonly estimatedMonthlyUsd: number | null;
}

/**
 * The monitor's estimated monthly cost: bench:scale's measured per-series rates of a cycle priced at
 * us-east-1 list prices (shared/domain/cost-model.ts estimateMonthlyCost), for the configured fleet at
 * the plan `cdk deploy` gives it (planDetect).
 */
export interface AlertsCost {
  readonly perSeriesUsd: number;
  readonly fleetUsd: number;
  readonly series: number;
  /** The detect plan: shards, and the memory of each shard's functions (MB). */
  readonly shards: number;
  readonly memoryMb: number;
  readonly collectEveryMinutes: number;
  /** When the list prices were checked (ISO date). */
  readonly pricesChecked: string;
  /** One sentence: what the figures rest on. */
  readonly basis: string;
}

/** GET /api/alerts */
export interface AlertsResponse {
  readonly from: number;
  readonly to: number;
  readonly summary: AlertSummary;
  /** Overall first, then per metric. */
  readonly quality: readonly AlertQuality[];
  /** Null when no series is configured, or the fleet does not fit the shard limit (deploy refuses it). */
  readonly cost: AlertsCost | null;
  readonly alerts: readonly AlertItem[];
}

/** Outcome of a drift check. */
export type CheckStatus = 'ok' | 'drift' | 'insufficient' | 'failed';

/** A model's latest K-S result. */
export interface ModelDrift {
  readonly status: CheckStatus;
  /** Why, in a sentence. */
  readonly reason: string;
  /** Null when the K-S test could not run (`insufficient`, `failed`). */
  readonly statistic: number | null;
  readonly pValue: number | null;
  readonly adjustedPValue: number | null;
  readonly nBaseline: number;
  readonly nRecent: number;
  readonly baselineWindow: readonly [number, number];
  readonly recentWindow: readonly [number, number];
  readonly checkedAt: number;
}

/** One model on the ML view. */
export interface ModelInfo {
  readonly model: string;
  readonly predictions24h: number;
  readonly predictions7d: number;
  readonly accuracy24h: number | null;
  readonly accuracy7d: number | null;
  readonly drift: ModelDrift | null;
  /** Baseline vs recent score quantiles of the latest check that had them (a CDF overlay). */
  readonly quantiles: readonly { readonly q: number; readonly before: number; readonly after: number }[];
  /** Every drift run of the last 31 days that checked the model, oldest first. */
  readonly history: readonly {
    readonly at: number;
    readonly status: CheckStatus;
    readonly statistic: number | null;
    readonly accuracy24h: number | null;
  }[];
}

/** The infrastructure drift check's latest result. */
export interface InfraDrift {
  readonly status: CheckStatus;
  readonly reason: string;
  /** Null when the infra check did not score (e.g. no trained model). */
  readonly anomalyRate: number | null;
  readonly expectedRate: number | null;
  readonly ratio: number | null;
  readonly checkedAt: number;
}

/** GET /api/models */
export interface ModelsResponse {
  readonly models: readonly ModelInfo[];
  readonly infra: InfraDrift | null;
  /** The infra check's anomaly rate per drift run, oldest first. */
  readonly infraHistory: readonly {
    readonly at: number;
    readonly rate: number | null;
    readonly expectedRate: number | null;
  }[];
  readonly lastRun: number | null;
}

/** A metric's tuning state with the detectors' sensitivity multiplier (1 + adjustment). */
export type ThresholdState = Pick<
  StoredThresholdState,
  'metric' | 'adjustment' | 'version' | 'fpCount' | 'falsePositives' | 'confirmed' | 'lastTunedWeek'
> & { readonly sensitivity: number };

/** The tuning policy as the threshold routes show it. */
export interface PolicyView {
  readonly fpCountToAdjust: number;
  readonly step: number;
  readonly minAdjustment: number;
  readonly maxAdjustment: number;
  /** e.g. `mon 06:00 UTC`. */
  readonly weeklyRun: string;
  readonly [setting: string]: unknown;
}

/** GET /api/thresholds */
export interface ThresholdsResponse {
  readonly policy: PolicyView;
  readonly items: readonly ThresholdState[];
}

/** GET /api/thresholds/{metric} */
export interface ThresholdDetail extends ThresholdState {
  readonly recentChanges: readonly ThresholdChange[];
  readonly policy: PolicyView;
}

/** GET /api/threshold-changes */
export interface ChangesResponse {
  readonly items: readonly ThresholdChange[];
  readonly nextCursor?: string;
}

/** PUT/DELETE /api/anomalies/feedback */
export interface MarkResponse {
  readonly anomaly: { readonly feedback?: AnomalyFeedback };
  readonly previous?: AnomalyFeedback;
  readonly state: ThresholdState;
  readonly changes: readonly ThresholdChange[];
}

/** PUT/DELETE /api/alerts/{alertId}/feedback */
export interface AlertMarkResponse {
  readonly alertId: string;
  readonly anomalies: readonly unknown[];
  readonly states: readonly ThresholdState[];
  readonly changes: readonly ThresholdChange[];
}

/** One side of a what-if comparison. */
export interface PreviewSide {
  readonly adjustment: number;
  readonly sensitivity: number;
  /** Anomalies detection would have recorded. */
  readonly anomalies: number;
  /** Alert messages (pages) that would have gone out. */
  readonly pages: number;
  /** Anomalies those pages carried (`sent` + `grouped`). */
  readonly pagedAnomalies: number;
  /** RESOLVED notices that would have gone out. */
  readonly resolved: number;
}

/** A labelled anomaly under the current and the proposed adjustment. */
export interface LabelledFate {
  readonly series: string;
  readonly label: string;
  readonly ts: number;
  readonly feedback: AnomalyFeedback;
  readonly current: 'paged' | 'recorded, not paged' | 'not detected';
  readonly proposed: 'paged' | 'recorded, not paged' | 'not detected';
}

/** GET /api/thresholds/{metric}/preview */
export interface PreviewResponse {
  readonly metric: string;
  readonly from: number;
  readonly to: number;
  readonly days: number;
  readonly series: number;
  readonly points: number;
  readonly current: PreviewSide;
  readonly proposed: PreviewSide;
  readonly falsePositivesAvoided: readonly LabelledFate[];
  readonly confirmedLost: readonly LabelledFate[];
  readonly labelled: readonly LabelledFate[];
  /** Pages per UTC day (its 00:00, epoch ms) under both adjustments, oldest first. */
  readonly daily: readonly { readonly day: number; readonly current: number; readonly proposed: number }[];
  readonly elapsedMs: number;
}

/** POST /api/tuning-runs */
export interface TuneResponse {
  /** The ISO week evaluated (`label`) and its bounds. */
  readonly week: { readonly label: string; readonly start: number; readonly end: number };
  readonly metrics: readonly {
    readonly metric: string;
    /** too-few-labelled, high-fp-rate, low-fp-rate, in-band or already-evaluated. */
    readonly outcome: string;
    readonly rate: number | null;
    readonly adjustment: number;
    readonly change?: ThresholdChange;
  }[];
  /** How many metrics changed. */
  readonly changes: number;
}

/** When a maintenance window applies. */
export type WindowSchedule =
  | { readonly kind: 'once'; readonly start: number; readonly end: number }
  | {
      readonly kind: 'weekly';
      /** 0 = Sunday … 6 = Saturday (UTC). */
      readonly dayOfWeek: number;
      /** Minutes after UTC midnight. */
      readonly startMinute: number;
      readonly durationMinutes: number;
    };

/** A mute, per series and/or tags. */
export interface MaintenanceWindow {
  readonly id: string;
  readonly series?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly schedule: WindowSchedule;
  readonly reason?: string;
}

/** GET /api/maintenance-windows */
export interface WindowsResponse {
  readonly items: readonly MaintenanceWindow[];
}
