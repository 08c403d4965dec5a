// adapter --> (use case) --> domain: the what-if preview of a threshold adjustment. Replays a metric's
// stored points through the real detect + alert pipeline at the current and at the proposed adjustment,
// and reports the pages each would have produced and what happens to the anomalies staff labelled.

import type { LabelledFate, PreviewResponse, PreviewSide } from '../api/types';
import type { AlertState } from '../domain/alerting';
import { memoryPoints } from '../domain/anomaly';
import { sensitivityOf, type TuningPolicy } from '../domain/feedback';
import { floorTo } from '../domain/time';
import type { SeriesSpec } from '../domain/types';
import { NotFoundError } from '../errors';
import type { DetectionConfig, MonitorConfig } from '../monitor-config';
import type { AlertStateStore, Clock, FeedbackStore, MetricStore, ThresholdStore } from '../ports';
import { PAGED_STATES } from './auto-tune';
import { checkAdjustment } from './feedback';
import { type ReplayResult, replayAlerting } from './replay-alerting';

/** What the preview needs. */
export interface PreviewDeps {
  readonly store: MetricStore;
  readonly feedback: FeedbackStore;
  readonly thresholds: ThresholdStore;
  /** Maintenance windows (read only). */
  readonly alerts: Pick<AlertStateStore, 'listWindows'>;
  readonly series: readonly SeriesSpec[];
  readonly detection: DetectionConfig;
  readonly alertPolicy: MonitorConfig['alerts'];
  readonly detectEveryMinutes: number;
  readonly policy: TuningPolicy;
  /** Days replayed. @default 30 */
  readonly days?: number;
  readonly clock: Clock;
}

/** One side of the comparison, and a labelled anomaly under both adjustments: the API contract's types. */
export type { LabelledFate, PreviewSide } from '../api/types';
/** What the replay says about one anomaly staff labelled. */
export type ReplayFate = LabelledFate['current'];

/** Outcome of a preview: the API contract's answer (GET /api/thresholds/{metric}/preview). */
export type PreviewResult = PreviewResponse;

const DAY_MS = 86_400_000;

/**
 * What-if preview.
 * 1. The period: the last `days` days up to the latest detect-schedule tick.
 * 2. Read the metric's series points (plus one detection window before) and the maintenance windows.
 * 3. Replay detect + alert at the current adjustment and at the proposed one.
 * 4. Read the period's labelled anomalies of those series; report each one's fate under both.
 * @throws NotFoundError (field `metric`) when no configured series has this metric;
 *         ValidationError (field `adjustment`) outside the bounds
 */
export async function previewAdjustment(
  deps: PreviewDeps,
  input: { readonly metric: string; readonly adjustment: number; readonly now?: number },
): Promise<PreviewResult> {
  const started = performance.now();
  checkAdjustment(input.adjustment, deps.policy);
  const specs = deps.series.filter((s) => s.metric === input.metric);
  if (specs.length === 0) {
    throw new NotFoundError(`No configured series has metric ${input.metric}`, { field: 'metric' });
  }
  const now = input.now ?? deps.clock.now();
  const everyMs = deps.detectEveryMinutes * 60_000;
  const days = deps.days ?? 30;
  const to = floorTo(now, everyMs);
  const from = to - days * DAY_MS;
  // What detect reads before the points it judges: the detector's finite memory.
  const readFrom = from - memoryPoints(deps.detection) * Math.max(...specs.map((s) => s.period)) * 1000;

  const points = new Map<string, { ts: number; value: number }[]>();
  let pointCount = 0;
  for (const s of specs) {
    const pts = await deps.store.queryRange(s.id, readFrom, to, now);
    pointCount += pts.length;
    points.set(
      s.id,
      pts.map((p) => ({ ts: p.ts, value: p.value })),
    );
  }
  const [state, windows] = await Promise.all([deps.thresholds.get(input.metric), deps.alerts.listWindows()]);
  const replay = (adjustment: number) =>
    replayAlerting({
      series: specs,
      points,
      detection: deps.detection,
      alerts: deps.alertPolicy,
      windows,
      sensitivity: sensitivityOf(adjustment),
      from,
      to,
      everyMs,
    });
  const current = await replay(state.adjustment);
  const proposed = await replay(input.adjustment);

  const labelled: LabelledFate[] = [];
  for (const s of specs) {
    for (const r of await deps.feedback.listSeries(s.id, from, to, now, { labelledOnly: true })) {
      if (!r.feedback) continue;
      labelled.push({
        series: r.series,
        label: r.label,
        ts: r.ts,
        feedback: r.feedback,
        current: fateOf(current.stateOf(r)),
        proposed: fateOf(proposed.stateOf(r)),
      });
    }
  }
  labelled.sort((a, b) => a.ts - b.ts || a.series.localeCompare(b.series));
  const stopsPaging = (l: LabelledFate) => l.current === 'paged' && l.proposed !== 'paged';
  return {
    metric: input.metric,
    from,
    to,
    days,
    series: specs.length,
    points: pointCount,
    current: side(state.adjustment, current),
    proposed: side(input.adjustment, proposed),
    falsePositivesAvoided: labelled.filter((l) => l.feedback.label === 'false-positive' && stopsPaging(l)),
    confirmedLost: labelled.filter((l) => l.feedback.label === 'confirmed' && stopsPaging(l)),
    labelled,
    daily: pagesPerDay(from, to, current, proposed),
    elapsedMs: Math.round(performance.now() - started),
  };
}

/** Pages per UTC day in [from, to] under both replays; every day listed, quiet ones as 0. */
function pagesPerDay(
  from: number,
  to: number,
  current: ReplayResult,
  proposed: ReplayResult,
): { day: number; current: number; proposed: number }[] {
  const first = Math.floor(from / DAY_MS) * DAY_MS;
  const days: { day: number; current: number; proposed: number }[] = [];
  for (let d = first; d <= to; d += DAY_MS) days.push({ day: d, current: 0, proposed: 0 });
  const slot = (at: number) =>
    days[Math.min(days.length - 1, Math.max(0, Math.floor((at - first) / DAY_MS)))];
  for (const m of current.pages) slot(m.at)!.current++;
  for (const m of proposed.pages) slot(m.at)!.proposed++;
  return days;
}

function side(adjustment: number, r: ReplayResult): PreviewSide {
  return {
    adjustment,
    sensitivity: sensitivityOf(adjustment),
    anomalies: r.anomalies.length,
    pages: r.pages.length,
    pagedAnomalies: r.anomalies.filter((a) => PAGED_STATES.has(r.stateOf(a) ?? '')).length,
    resolved: r.resolved,
  };
}

function fateOf(state: AlertState | undefined): ReplayFate {
  if (state === undefined) return 'not detected';
  return PAGED_STATES.has(state) ? 'paged' : 'recorded, not paged';
}
