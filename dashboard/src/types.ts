// (SPA) the API's response shapes (docs: /work/contract/DASHBOARD-CONTRACT.md, functions/api-routes.ts).
// Times are epoch milliseconds. Every string here comes from data: render it as text, never as markup.

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type AlertLevel = 'INFO' | 'WARNING' | 'CRITICAL';
export type FeedbackLabel = 'false-positive' | 'confirmed';
export type SeriesState = 'ok' | 'anomalous' | 'no-data';

export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

export interface Point {
  readonly ts: number;
  readonly value: number;
  readonly min?: number;
  readonly max?: number;
}

export interface HealthSeries {
  readonly id: string;
  readonly label: string;
  readonly metric: string;
  readonly unit?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly latest: { readonly ts: number; readonly value: number } | null;
  readonly state: SeriesState;
  readonly lastAnomaly: {
    readonly ts: number;
    readonly severity: Severity;
    readonly level: AlertLevel;
    readonly explanation: string;
  } | null;
  readonly sparkline: readonly Point[];
}

export interface HealthResponse {
  readonly generatedAt: number;
  readonly series: readonly HealthSeries[];
}

export interface PointsResponse {
  readonly id: string;
  readonly label: string;
  readonly unit?: string;
  readonly from: number;
  readonly to: number;
  readonly downsampled: boolean;
  readonly points: readonly Point[];
}

export interface AnomalyFeedback {
  readonly label: FeedbackLabel;
  readonly reason?: string;
  readonly by: string;
  readonly at: number;
}

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
  readonly alertState: string;
  readonly alertId?: string;
  readonly feedback?: AnomalyFeedback;
}

export interface AnomaliesResponse {
  readonly items: readonly AnomalyItem[];
  readonly nextCursor?: string;
}

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

export interface AlertItem {
  readonly alertId: string;
  readonly ts: number;
  readonly level: AlertLevel;
  readonly series: readonly string[];
  /** The series' labels, same order as `series`. */
  readonly labels?: readonly string[];
  readonly anomalies: number;
  /** `open` until its RESOLVED notice, then `resolved`. */
  readonly state: string;
}

export interface AlertsResponse {
  readonly from: number;
  readonly to: number;
  readonly summary: AlertSummary;
  readonly alerts: readonly AlertItem[];
}

export interface ModelDrift {
  /** `ok` | `drift` | `insufficient` | `failed`. */
  readonly status: string;
  /** Why, in a sentence. */
  readonly reason?: string;
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

export interface ModelInfo {
  readonly model: string;
  readonly predictions24h: number;
  readonly predictions7d: number;
  readonly accuracy24h: number | null;
  readonly accuracy7d: number | null;
  readonly drift: ModelDrift | null;
}

export interface InfraDrift {
  readonly status: string;
  readonly reason?: string;
  /** Null when the infra check did not score (e.g. no trained model). */
  readonly anomalyRate: number | null;
  readonly expectedRate: number | null;
  readonly ratio: number | null;
  readonly checkedAt: number;
}

export interface ModelsResponse {
  readonly models: readonly ModelInfo[];
  readonly infra: InfraDrift | null;
  readonly lastRun: number | null;
}

export interface ThresholdChange {
  readonly id: string;
  readonly metric: string;
  readonly version: number;
  readonly from: number;
  readonly to: number;
  readonly rule: string;
  readonly counts: Readonly<Record<string, number>>;
  readonly at: number;
  readonly actor: { readonly kind: string; readonly name: string };
  readonly reason?: string;
  readonly revertOf?: string;
  readonly week?: string;
}

export interface ThresholdState {
  readonly metric: string;
  readonly adjustment: number;
  readonly sensitivity: number;
  readonly version: number;
  readonly fpCount: number;
  readonly falsePositives: number;
  readonly confirmed: number;
  readonly lastTunedWeek?: string;
}

export interface ThresholdsResponse {
  readonly policy: Readonly<Record<string, unknown>>;
  readonly items: readonly ThresholdState[];
}

export interface ThresholdDetail extends ThresholdState {
  readonly recentChanges: readonly ThresholdChange[];
}

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

export type WindowSchedule =
  | { readonly kind: 'once'; readonly start: number; readonly end: number }
  | {
      readonly kind: 'weekly';
      readonly dayOfWeek: number;
      readonly startMinute: number;
      readonly durationMinutes: number;
    };

export interface MaintenanceWindow {
  readonly id: string;
  readonly series?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly schedule: WindowSchedule;
  readonly reason?: string;
}

export interface WindowsResponse {
  readonly items: readonly MaintenanceWindow[];
}
