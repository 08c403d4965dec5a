// (domain) false-positive feedback and threshold tuning rules, pure: what a mark does to the per-metric
// counters, when the immediate rule fires, what the weekly rule decides, which week a run evaluates,
// and the shape of an audited threshold change. Time comes in as arguments; nothing here does I/O.

/** How staff labelled an anomaly. */
export const FEEDBACK_LABELS = ['false-positive', 'confirmed'] as const;
/** `false-positive`: it should not have been reported; `confirmed`: it was real. */
export type FeedbackLabel = (typeof FEEDBACK_LABELS)[number];

/** Longest free-text reason kept with a mark or a change. */
export const REASON_MAX_LENGTH = 500;

/** The feedback stored on an anomaly item. */
export interface AnomalyFeedback {
  readonly label: FeedbackLabel;
  readonly reason?: string;
  /** Who marked it (the caller identity of the request). */
  readonly by: string;
  /** When (epoch ms). */
  readonly at: number;
}

/** Who made a threshold change: a rule, or a person (caller identity). */
export interface Actor {
  readonly kind: 'rule' | 'person';
  readonly name: string;
}

/** The rules that change thresholds, and the people-driven changes. */
export type ChangeRule = 'fp-count' | 'weekly-fp-rate' | 'revert' | 'manual';

/** The tuning rules' settings (the config's `feedback` section, flattened). */
export interface TuningPolicy {
  /** Immediate rule: this many false positives since the last raise raise the threshold. @default 10 */
  readonly fpCountToAdjust: number;
  /** One adjustment step. @default 0.1 (10%) */
  readonly step: number;
  /** @default -0.5 */
  readonly minAdjustment: number;
  /** @default +0.5 */
  readonly maxAdjustment: number;
  /** Weekly FP rate above this: one step less sensitive. @default 0.2 */
  readonly highFpRate: number;
  /** Weekly FP rate below this: one step more sensitive. @default 0.05 */
  readonly lowFpRate: number;
  /** Fewer labelled paged anomalies in the week: no change. @default 10 */
  readonly minLabelled: number;
}

/** The seed rules of issue #6. */
export const DEFAULT_TUNING_POLICY: TuningPolicy = {
  fpCountToAdjust: 10,
  step: 0.1,
  minAdjustment: -0.5,
  maxAdjustment: 0.5,
  highFpRate: 0.2,
  lowFpRate: 0.05,
  minLabelled: 10,
};

/** The policy of a validated `feedback` config section. */
export function tuningPolicyOf(feedback: {
  readonly fpCountToAdjust: number;
  readonly step: number;
  readonly minAdjustment: number;
  readonly maxAdjustment: number;
  readonly weekly: { readonly highFpRate: number; readonly lowFpRate: number; readonly minLabelled: number };
}): TuningPolicy {
  return {
    fpCountToAdjust: feedback.fpCountToAdjust,
    step: feedback.step,
    minAdjustment: feedback.minAdjustment,
    maxAdjustment: feedback.maxAdjustment,
    highFpRate: feedback.weekly.highFpRate,
    lowFpRate: feedback.weekly.lowFpRate,
    minLabelled: feedback.weekly.minLabelled,
  };
}

/** The outcome of one weekly evaluation of a metric, kept on its state and returned by the run. */
export interface WeeklyEvaluation {
  /** ISO week label of the evaluated week, e.g. `2026-W47`. */
  readonly week: string;
  readonly outcome: WeeklyOutcome;
  readonly counts: WeeklyCounts;
  /** False positives / labelled; null when nothing was labelled. */
  readonly rate: number | null;
  readonly from: number;
  readonly to: number;
  /** When it was evaluated (epoch ms). */
  readonly at: number;
}

/** One audited threshold change: a history entry. */
export interface ThresholdChange {
  /** `<13-digit epoch ms>-<metric>-<version>`: sorts by time, URL-safe, unique per metric version. */
  readonly id: string;
  readonly metric: string;
  /** The metric state's version after the change. */
  readonly version: number;
  /** Adjustment before and after (+0.1 = thresholds 10% higher). */
  readonly from: number;
  readonly to: number;
  readonly rule: ChangeRule;
  /** The numbers behind the change (counts, rate, threshold). */
  readonly counts: Readonly<Record<string, number>>;
  readonly at: number;
  readonly actor: Actor;
  readonly reason?: string;
  /** For a revert: the id of the change it undid. */
  readonly revertOf?: string;
  /** For a weekly change: the ISO week it evaluated. */
  readonly week?: string;
}

/** A metric's tuning state: its adjustment, feedback counters and last weekly evaluation. */
export interface ThresholdState {
  readonly metric: string;
  /** Threshold adjustment in force: the detectors' sensitivity multiplier is 1 + adjustment. */
  readonly adjustment: number;
  /** Bumped by every write of the state other than counter increments (optimistic concurrency). */
  readonly version: number;
  /** False positives counted toward the immediate rule (net of unmarks, less what earlier raises used). */
  readonly fpCount: number;
  /** Anomalies of this metric currently marked false positive. */
  readonly falsePositives: number;
  /** Anomalies of this metric currently confirmed real. */
  readonly confirmed: number;
  /** ISO week of the most recent weekly evaluation. */
  readonly lastTunedWeek?: string;
  /** Every ISO week evaluated so far (sorted): a second run for any of them changes nothing. */
  readonly evaluatedWeeks?: readonly string[];
  readonly lastEvaluation?: WeeklyEvaluation;
  /** The last change made to this state, kept so a change whose history write failed can be recorded later. */
  readonly lastChange?: ThresholdChange;
}

/** The state of a metric that has never been marked or tuned. */
export function initialThresholdState(metric: string): ThresholdState {
  return { metric, adjustment: 0, version: 0, fpCount: 0, falsePositives: 0, confirmed: 0 };
}

/** Round away float dust (0.1 + 0.2 = 0.30000000000000004) so stored adjustments compare exactly. */
export function roundAdjustment(x: number): number {
  return Math.round(x * 1e6) / 1e6 + 0;
}

/** Clamp an adjustment into the policy bounds. */
export function clampAdjustment(
  x: number,
  policy: Pick<TuningPolicy, 'minAdjustment' | 'maxAdjustment'>,
): number {
  return roundAdjustment(Math.min(policy.maxAdjustment, Math.max(policy.minAdjustment, x)));
}

/** The detectors' threshold multiplier for an adjustment (1.1 = thresholds 10% higher). */
export function sensitivityOf(adjustment: number): number {
  return roundAdjustment(1 + adjustment);
}

/** What a mark (or unmark) adds to a metric's counters. */
export interface CounterDelta {
  readonly falsePositives: number;
  readonly confirmed: number;
}

/**
 * Counter change when an anomaly's label goes from `previous` to `next` (undefined = unlabelled). Re-marking
 * with the same label changes nothing; switching labels moves one count; unmarking takes it back. So any
 * sequence of marks and unmarks leaves the counters equal to the labels actually stored.
 */
export function feedbackDelta(
  previous: FeedbackLabel | undefined,
  next: FeedbackLabel | undefined,
): CounterDelta {
  const count = (label: FeedbackLabel | undefined, of: FeedbackLabel): number => (label === of ? 1 : 0);
  return {
    falsePositives: count(next, 'false-positive') - count(previous, 'false-positive'),
    confirmed: count(next, 'confirmed') - count(previous, 'confirmed'),
  };
}

/** Verdict of the immediate rule. */
export type FpCountDecision =
  | { readonly fire: false }
  | {
      readonly fire: true;
      /** Adjustment after the raise (clamped: equal to the current one at the upper bound). */
      readonly to: number;
      /** Counts the raise uses up (the counter is reduced by this, i.e. reset). */
      readonly consume: number;
    };

/**
 * Immediate rule (seed): once `fpCountToAdjust` false positives have been counted since the last raise,
 * raise the threshold by one step (bounded) and reset the counter. At the upper bound the counter is still
 * reset, so the rule does not fire again on every later mark.
 */
export function fpCountRule(
  state: Pick<ThresholdState, 'fpCount' | 'adjustment'>,
  policy: TuningPolicy,
): FpCountDecision {
  if (state.fpCount < policy.fpCountToAdjust) return { fire: false };
  return {
    fire: true,
    to: clampAdjustment(state.adjustment + policy.step, policy),
    consume: policy.fpCountToAdjust,
  };
}

/** Paged anomalies of one metric in the evaluated week, and how staff labelled them. */
export interface WeeklyCounts {
  /** Anomalies that paged (state `sent` or `grouped`). */
  readonly alerted: number;
  /** Of those, labelled false positive or confirmed. */
  readonly labelled: number;
  readonly falsePositives: number;
  readonly confirmed: number;
}

/** Why the weekly rule decided what it did. */
export type WeeklyOutcome = 'too-few-labelled' | 'high-fp-rate' | 'low-fp-rate' | 'in-band';

/** Verdict of the weekly rule. */
export interface WeeklyDecision {
  readonly outcome: WeeklyOutcome;
  readonly rate: number | null;
  /** Adjustment after the decision (equal to the current one when nothing changes or at a bound). */
  readonly to: number;
}

/**
 * Weekly rule (seed): FP rate = false positives / labelled, over the week's paged anomalies of a metric.
 * Fewer than `minLabelled` labelled: no change. Rate > `highFpRate`: one step less sensitive; rate <
 * `lowFpRate`: one step more sensitive; in between: no change. Always within the bounds.
 */
export function weeklyRule(counts: WeeklyCounts, adjustment: number, policy: TuningPolicy): WeeklyDecision {
  const rate = counts.labelled > 0 ? roundAdjustment(counts.falsePositives / counts.labelled) : null;
  if (counts.labelled < policy.minLabelled || rate === null) {
    return { outcome: 'too-few-labelled', rate, to: adjustment };
  }
  if (rate > policy.highFpRate) {
    return { outcome: 'high-fp-rate', rate, to: clampAdjustment(adjustment + policy.step, policy) };
  }
  if (rate < policy.lowFpRate) {
    return { outcome: 'low-fp-rate', rate, to: clampAdjustment(adjustment - policy.step, policy) };
  }
  return { outcome: 'in-band', rate, to: adjustment };
}

const DAY_MS = 86_400_000;

/** Weekday names as the config and EventBridge cron spell them, Sunday first (= Date.getUTCDay()). */
export const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
/** A weekday. */
export type Weekday = (typeof WEEKDAYS)[number];

/** ISO-8601 week of a UTC instant, e.g. `2026-W47` (weeks start on Monday; week 1 holds the first Thursday). */
export function isoWeekOf(ts: number): string {
  const d = new Date(ts);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const weekday = new Date(day).getUTCDay() || 7;
  const thursday = day + (4 - weekday) * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The week a weekly tuning run evaluates. */
export interface TuningWeek {
  /** ISO week of the week's last day: the idempotency key of the run. */
  readonly label: string;
  /** Inclusive start, exclusive end (epoch ms). */
  readonly start: number;
  readonly end: number;
}

/**
 * The seven UTC days before 00:00 of the most recent `runDay` at or before `now`. The scheduled run
 * (Sunday 03:00) evaluates Sunday-to-Saturday of the week that just ended; a retry or manual run any time
 * before the next `runDay` evaluates the same week under the same label, so it changes nothing twice.
 */
export function tuningWeek(now: number, runDay: Weekday = 'SUN'): TuningWeek {
  const d = new Date(now);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const back = (d.getUTCDay() - WEEKDAYS.indexOf(runDay) + 7) % 7;
  const end = midnight - back * DAY_MS;
  return { label: isoWeekOf(end - 1), start: end - 7 * DAY_MS, end };
}

/** The id of a change: time first so ids sort by time; URL-safe (metric names are snake_case). */
export function changeIdOf(at: number, metric: string, version: number): string {
  return `${String(Math.max(0, Math.floor(at))).padStart(13, '0')}-${metric}-${version}`;
}

/** Pattern of change ids (for request validation and pagination cursors). */
export const CHANGE_ID_PATTERN = /^\d{13}-[a-z][a-z0-9_]{0,62}-\d{1,12}$/;
