// adapter --> (use case) --> domain: the weekly auto-tune. Per metric, the false-positive rate over the
// week's paged anomalies moves its threshold one step (or not), once per ISO week.

import { type BackoffOptions, backoffDelay, sleep } from '../adapters/retry';
import {
  changeIdOf,
  type ThresholdChange,
  type TuningPolicy,
  type TuningWeek,
  tuningWeek,
  type Weekday,
  type WeeklyCounts,
  type WeeklyEvaluation,
  type WeeklyOutcome,
  weeklyRule,
} from '../domain/feedback';
import { DependencyError } from '../errors';
import type { AnomalyRecord, Clock, FeedbackStore, Log, ThresholdStore } from '../ports';
import { formatAdjustment } from './feedback';

/** Alert states that mean "this anomaly paged someone". */
export const PAGED_STATES: ReadonlySet<string> = new Set(['sent', 'grouped']);

/** What the weekly run needs. */
export interface AutoTuneDeps {
  readonly feedback: FeedbackStore;
  readonly thresholds: ThresholdStore;
  readonly policy: TuningPolicy;
  /** The metrics to tune (every configured metric). */
  readonly metrics: readonly string[];
  /** The scheduled weekday: the run evaluates the 7 days before its 00:00. @default 'SUN' */
  readonly runDay?: Weekday;
  readonly clock: Clock;
  readonly log: Log;
  readonly backoff?: BackoffOptions;
}

/** What the run decided for one metric. */
export interface MetricTuneResult {
  readonly metric: string;
  /** `already-evaluated`: an earlier run evaluated this week; nothing was done again. */
  readonly outcome: WeeklyOutcome | 'already-evaluated';
  readonly counts: WeeklyCounts;
  readonly rate: number | null;
  readonly adjustment: number;
  readonly change?: ThresholdChange;
}

/** Outcome of one weekly run. */
export interface AutoTuneResult {
  readonly week: TuningWeek;
  readonly metrics: readonly MetricTuneResult[];
  readonly changes: number;
}

/** Count the week's paged anomalies of each metric and their labels. */
export function weeklyCounts(records: readonly AnomalyRecord[]): Map<string, WeeklyCounts> {
  const out = new Map<
    string,
    { alerted: number; labelled: number; falsePositives: number; confirmed: number }
  >();
  for (const r of records) {
    if (!PAGED_STATES.has(r.alertState)) continue;
    const c = out.get(r.metric) ?? { alerted: 0, labelled: 0, falsePositives: 0, confirmed: 0 };
    out.set(r.metric, c);
    c.alerted++;
    if (r.feedback?.label === 'false-positive') c.falsePositives++;
    if (r.feedback?.label === 'confirmed') c.confirmed++;
    if (r.feedback) c.labelled++;
  }
  return out;
}

const NONE: WeeklyCounts = { alerted: 0, labelled: 0, falsePositives: 0, confirmed: 0 };

/**
 * Weekly auto-tune.
 * 1. The evaluated week: the 7 UTC days before 00:00 of the latest `runDay` (Sunday), labelled by ISO week.
 * 2. Read the week's anomalies once; per metric, count paged ones (`sent`/`grouped`) and their labels.
 * 3. Per metric (sorted, so runs are reproducible): skip it if this week was ever evaluated (every
 *    evaluated week is kept, so re-running an older week is also a no-op); else apply the weekly rule
 *    and write the new adjustment together with "week evaluated" in one conditional write, so a retry
 *    or a second run of the same week changes nothing. Record the change as an entry.
 */
export async function autoTune(deps: AutoTuneDeps, input: { now?: number } = {}): Promise<AutoTuneResult> {
  const now = input.now ?? deps.clock.now();
  const week = tuningWeek(now, deps.runDay ?? 'SUN');
  const counts = weeklyCounts(await deps.feedback.listRange(week.start, week.end, now));
  const results: MetricTuneResult[] = [];
  for (const metric of [...new Set(deps.metrics)].sort()) {
    results.push(await tuneMetric(deps, metric, week, counts.get(metric) ?? NONE, now));
  }
  const changes = results.filter((r) => r.change !== undefined).length;
  deps.log.info(`Weekly tune of ${week.label}: ${changes} threshold change(s)`, {
    week: week.label,
    outcomes: Object.fromEntries(results.map((r) => [r.metric, r.outcome])),
  });
  return { week, metrics: results, changes };
}

async function tuneMetric(
  deps: AutoTuneDeps,
  metric: string,
  week: TuningWeek,
  counts: WeeklyCounts,
  now: number,
): Promise<MetricTuneResult> {
  const backoff = { attempts: 30, baseMs: 10, maxMs: 500, ...deps.backoff };
  for (let attempt = 1; attempt <= backoff.attempts; attempt++) {
    const state = await deps.thresholds.get(metric, { consistent: true });
    if (state.lastChange) await deps.thresholds.putChange(state.lastChange);
    if (state.lastTunedWeek === week.label || state.evaluatedWeeks?.includes(week.label)) {
      const last = state.lastEvaluation?.week === week.label ? state.lastEvaluation : undefined;
      return {
        metric,
        outcome: 'already-evaluated',
        counts: last?.counts ?? counts,
        rate: last?.rate ?? null,
        adjustment: state.adjustment,
      };
    }
    const decision = weeklyRule(counts, state.adjustment, deps.policy);
    const evaluation: WeeklyEvaluation = {
      week: week.label,
      outcome: decision.outcome,
      counts,
      rate: decision.rate,
      from: week.start,
      to: week.end,
      at: now,
    };
    const change: ThresholdChange | undefined =
      decision.to === state.adjustment
        ? undefined
        : {
            id: changeIdOf(now, metric, state.version + 1),
            metric,
            version: state.version + 1,
            from: state.adjustment,
            to: decision.to,
            rule: 'weekly-fp-rate',
            counts: { ...counts, ratePercent: Math.round((decision.rate ?? 0) * 1000) / 10 },
            at: now,
            actor: { kind: 'rule', name: 'weekly-fp-rate' },
            reason:
              decision.outcome === 'high-fp-rate'
                ? `FP rate ${counts.falsePositives}/${counts.labelled} > ${deps.policy.highFpRate * 100}% in ${week.label}`
                : `FP rate ${counts.falsePositives}/${counts.labelled} < ${deps.policy.lowFpRate * 100}% in ${week.label}`,
            week: week.label,
          };
    const written = await deps.thresholds.update(
      metric,
      state.version,
      { evaluation, ...(change ? { adjustment: change.to, change } : {}) },
      now,
    );
    if (written) {
      if (change) {
        await deps.thresholds.putChange(change);
        deps.log.info(
          `Threshold of ${metric}: ${formatAdjustment(change.from)} → ${formatAdjustment(change.to)}`,
          {
            rule: change.rule,
            id: change.id,
          },
        );
      }
      return {
        metric,
        outcome: decision.outcome,
        counts,
        rate: decision.rate,
        adjustment: decision.to,
        ...(change ? { change } : {}),
      };
    }
    // A mark raised the threshold meanwhile (or another run finished this week first): look again.
    await (backoff.sleep ?? sleep)(backoffDelay(attempt, backoff));
  }
  throw new DependencyError(`Weekly tune of ${metric} kept losing write races; the next run retries`);
}
