// adapter --> (use case) --> domain: false-positive feedback on anomalies and alerts, the immediate
// tuning rule, manual changes and reverts. Every threshold change goes through one optimistic-concurrency
// loop (`changeAdjustment` / `applyFpCountRule`) and is recorded as a history entry.

import { type BackoffOptions, backoffDelay, sleep } from '../adapters/retry';
import {
  type Actor,
  type AnomalyFeedback,
  type ChangeRule,
  changeIdOf,
  clampAdjustment,
  type FeedbackLabel,
  feedbackDelta,
  fpCountRule,
  sensitivityOf,
  type ThresholdChange,
  type ThresholdState,
  type TuningPolicy,
} from '../domain/feedback';
import { ConflictError, DependencyError, messageOf, NotFoundError, ValidationError } from '../errors';
import type { AnomalyRecord, AnomalyRef, Clock, FeedbackStore, Log, ThresholdStore } from '../ports';

/** What feedback and threshold changes need. */
export interface FeedbackDeps {
  readonly feedback: FeedbackStore;
  readonly thresholds: ThresholdStore;
  readonly policy: TuningPolicy;
  readonly clock: Clock;
  readonly log: Log;
  /** Retries of a state write that lost a race. @default 30 attempts, 10 ms base, 500 ms cap */
  readonly backoff?: BackoffOptions;
}

/** Outcome of marking (or unmarking) one anomaly. */
export interface MarkResult {
  /** The anomaly with its new feedback (none after an unmark). */
  readonly anomaly: AnomalyRecord;
  /** The feedback it had before. */
  readonly previous?: AnomalyFeedback;
  /** The metric's state after the mark (counters, adjustment). */
  readonly state: ThresholdState;
  /** Threshold raises this mark triggered (the immediate rule). */
  readonly changes: readonly ThresholdChange[];
}

/** A mark request: a label (undefined = unmark), an optional reason, and who. */
export interface MarkInput {
  readonly label?: FeedbackLabel;
  readonly reason?: string;
  readonly actor: Actor;
  readonly now?: number;
}

const RETRY: BackoffOptions = { attempts: 30, baseMs: 10, maxMs: 500 };

/**
 * Mark an anomaly as a false positive or confirm it (or unmark it with no label).
 * 1. Store the feedback on the anomaly item (conditional: it must exist) and read what it had before.
 * 2. Move the metric's counters by the difference (atomic ADD): re-marks and unmarks keep them exact.
 *    If that fails, the label is put back so labels and counts never disagree.
 * 3. A new false positive may trigger the immediate rule (see {@link applyFpCountRule}).
 * @throws NotFoundError (field `ts`) for an unknown or expired anomaly
 */
export async function setAnomalyFeedback(
  deps: FeedbackDeps,
  ref: AnomalyRef,
  input: MarkInput,
): Promise<MarkResult> {
  const now = input.now ?? deps.clock.now();
  const next: AnomalyFeedback | undefined =
    input.label === undefined
      ? undefined
      : {
          label: input.label,
          ...(input.reason ? { reason: input.reason } : {}),
          by: input.actor.name,
          at: now,
        };
  const before = await deps.feedback.setFeedback(ref, next, now);
  const delta = feedbackDelta(before.feedback?.label, next?.label);
  let state: ThresholdState;
  if (delta.falsePositives !== 0 || delta.confirmed !== 0) {
    try {
      state = await deps.thresholds.addCounts(before.metric, delta, now);
    } catch (error) {
      await undoFeedback(deps, ref, before.feedback, next, now);
      throw error;
    }
  } else {
    state = await deps.thresholds.get(before.metric);
  }
  deps.log.info(
    `Feedback: ${before.label} @ ${new Date(ref.ts).toISOString()} → ${next?.label ?? 'unmarked'}`,
    {
      series: ref.series,
      ts: ref.ts,
      metric: before.metric,
      previous: before.feedback?.label,
      by: input.actor.name,
    },
  );
  const changes =
    delta.falsePositives > 0 ? await applyFpCountRule(deps, before.metric, input.actor, now) : [];
  const after = changes.length > 0 ? await deps.thresholds.get(before.metric, { consistent: true }) : state;
  const { feedback: _previous, ...rest } = before;
  return {
    anomaly: { ...rest, ...(next ? { feedback: next } : {}) },
    ...(before.feedback ? { previous: before.feedback } : {}),
    state: after,
    changes,
  };
}

/** Put an anomaly's previous label back after its counters could not be moved (only if ours is still there). */
async function undoFeedback(
  deps: FeedbackDeps,
  ref: AnomalyRef,
  previous: AnomalyFeedback | undefined,
  written: AnomalyFeedback | undefined,
  now: number,
): Promise<void> {
  try {
    await deps.feedback.setFeedback(ref, previous, now, written ?? null);
  } catch (error) {
    deps.log.error('Feedback counted nowhere and could not be undone; re-mark the anomaly', {
      series: ref.series,
      ts: ref.ts,
      error: messageOf(error),
    });
  }
}

/** Outcome of marking every anomaly of an alert. */
export interface AlertMarkResult {
  readonly alertId: string;
  readonly anomalies: readonly AnomalyRecord[];
  /** State of each metric involved, after the marks. */
  readonly states: readonly ThresholdState[];
  readonly changes: readonly ThresholdChange[];
}

const ALERT_ID = /^[a-z][a-z0-9_]{0,62}-(?:above|below)-[0-9a-f]{16}-(\d{1,15})$/;

/** The time of an alert's first anomaly, from its id (`<dedup key>-<ts>`); undefined when malformed. */
export function alertFirstTs(alertId: string): number | undefined {
  const m = ALERT_ID.exec(alertId);
  return m ? Number(m[1]) : undefined;
}

/**
 * Mark (or unmark) an alert: the anomalies its message listed (states `sent` and `grouped` with its id).
 * Anomalies later folded into it (deduplicated) are not marked: one page is one set of marks, so a long
 * alert does not count as dozens of false positives. Mark those individually if needed.
 * @throws ValidationError (field `alertId`) for a malformed id; NotFoundError when it paged nothing stored
 */
export async function setAlertFeedback(
  deps: FeedbackDeps,
  alertId: string,
  input: MarkInput,
): Promise<AlertMarkResult> {
  const now = input.now ?? deps.clock.now();
  const firstTs = alertFirstTs(alertId);
  if (firstTs === undefined) {
    throw new ValidationError('Invalid alert id', ['alertId: must be an alert id as sent in the page body'], {
      field: 'alertId',
    });
  }
  const members = await deps.feedback.listAlert(alertId, firstTs, now);
  if (members.length === 0) {
    throw new NotFoundError(`No stored anomaly was paged by alert ${alertId} (or they have expired)`, {
      field: 'alertId',
    });
  }
  const anomalies: AnomalyRecord[] = [];
  const states = new Map<string, ThresholdState>();
  const changes: ThresholdChange[] = [];
  // One at a time: each mark's counter move and rule check sees the previous one's.
  for (const member of members) {
    const r = await setAnomalyFeedback(deps, member, { ...input, now });
    anomalies.push(r.anomaly);
    states.set(r.state.metric, r.state);
    changes.push(...r.changes);
  }
  return { alertId, anomalies, states: [...states.values()], changes };
}

/** Write the state's last change to the history if an earlier writer could not (idempotent). */
async function recordLastChange(deps: FeedbackDeps, state: ThresholdState): Promise<void> {
  if (state.lastChange) await deps.thresholds.putChange(state.lastChange);
}

/**
 * Immediate rule: while the metric's false-positive counter is at or above `fpCountToAdjust`, raise its
 * threshold one step (bounded) and take `fpCountToAdjust` off the counter, in one conditional write.
 * Concurrent marks race on the state version; losers re-read, so N false positives make exactly
 * floor(N / fpCountToAdjust) raises (fewer at the bound) whatever the interleaving.
 */
export async function applyFpCountRule(
  deps: FeedbackDeps,
  metric: string,
  trigger: Actor,
  now: number,
): Promise<ThresholdChange[]> {
  const backoff = { ...RETRY, ...deps.backoff };
  const changes: ThresholdChange[] = [];
  for (let conflicts = 0; conflicts < (backoff.attempts ?? 30); ) {
    const state = await deps.thresholds.get(metric, { consistent: true });
    const decision = fpCountRule(state, deps.policy);
    if (!decision.fire) return changes;
    await recordLastChange(deps, state);
    const change: ThresholdChange | undefined =
      decision.to === state.adjustment
        ? undefined
        : {
            id: changeIdOf(now, metric, state.version + 1),
            metric,
            version: state.version + 1,
            from: state.adjustment,
            to: decision.to,
            rule: 'fp-count',
            counts: {
              fpCount: state.fpCount,
              fpCountToAdjust: deps.policy.fpCountToAdjust,
              falsePositives: state.falsePositives,
              confirmed: state.confirmed,
            },
            at: now,
            actor: { kind: 'rule', name: 'fp-count' },
            reason: `${deps.policy.fpCountToAdjust} false positives since the last raise (latest mark by ${trigger.name})`,
          };
    const written = await deps.thresholds.update(
      metric,
      state.version,
      { adjustment: decision.to, consumeFpCount: decision.consume, ...(change ? { change } : {}) },
      now,
    );
    if (!written) {
      conflicts++;
      await (backoff.sleep ?? sleep)(backoffDelay(conflicts, backoff));
      continue;
    }
    if (change) {
      await deps.thresholds.putChange(change);
      changes.push(change);
      deps.log.info(
        `Threshold of ${metric}: ${formatAdjustment(change.from)} → ${formatAdjustment(change.to)}`,
        {
          rule: change.rule,
          id: change.id,
        },
      );
    } else {
      deps.log.info(`Threshold of ${metric} already at its upper bound; false-positive counter reset`, {
        adjustment: state.adjustment,
      });
    }
  }
  // The counter stays at or above the limit: the next false positive on this metric tries again.
  deps.log.warn('Immediate rule gave up after repeated write conflicts', { metric });
  return changes;
}

/** What a person-driven change asks for, decided against the current state. */
interface ChangePlan {
  readonly to: number;
  readonly rule: Extract<ChangeRule, 'revert' | 'manual'>;
  readonly revertOf?: string;
}

/** Change a metric's adjustment on a person's behalf (manual set or revert), recorded as an entry. */
async function changeAdjustment(
  deps: FeedbackDeps,
  metric: string,
  actor: Actor,
  reason: string | undefined,
  now: number,
  plan: (state: ThresholdState) => ChangePlan,
): Promise<ThresholdChange> {
  const backoff = { ...RETRY, ...deps.backoff };
  for (let attempt = 1; attempt <= (backoff.attempts ?? 30); attempt++) {
    const state = await deps.thresholds.get(metric, { consistent: true });
    const p = plan(state);
    if (p.to === state.adjustment) {
      throw new ConflictError(`${metric} is already at ${formatAdjustment(p.to)}; nothing to change`, {
        field: p.rule === 'revert' ? 'id' : 'adjustment',
      });
    }
    await recordLastChange(deps, state);
    const change: ThresholdChange = {
      id: changeIdOf(now, metric, state.version + 1),
      metric,
      version: state.version + 1,
      from: state.adjustment,
      to: p.to,
      rule: p.rule,
      counts: { falsePositives: state.falsePositives, confirmed: state.confirmed, fpCount: state.fpCount },
      at: now,
      actor,
      ...(reason ? { reason } : {}),
      ...(p.revertOf ? { revertOf: p.revertOf } : {}),
    };
    if (await deps.thresholds.update(metric, state.version, { adjustment: p.to, change }, now)) {
      await deps.thresholds.putChange(change);
      deps.log.info(
        `Threshold of ${metric}: ${formatAdjustment(change.from)} → ${formatAdjustment(change.to)}`,
        {
          rule: change.rule,
          id: change.id,
          by: actor.name,
        },
      );
      return change;
    }
    await (backoff.sleep ?? sleep)(backoffDelay(attempt, backoff));
  }
  throw new DependencyError(`The threshold of ${metric} kept changing under this request; try again`);
}

/**
 * Revert a change: put the metric back to the adjustment it had before that change (clamped to the
 * current bounds). The revert is itself an entry (rule `revert`, `revertOf` the reverted id), and can be
 * reverted in turn.
 * @throws NotFoundError (field `id`) for an unknown change; ConflictError when already at that value
 */
export async function revertChange(
  deps: FeedbackDeps,
  input: { readonly id: string; readonly actor: Actor; readonly reason?: string; readonly now?: number },
): Promise<ThresholdChange> {
  const target = await deps.thresholds.getChange(input.id);
  if (!target) throw new NotFoundError(`No threshold change ${input.id}`, { field: 'id' });
  return changeAdjustment(
    deps,
    target.metric,
    input.actor,
    input.reason,
    input.now ?? deps.clock.now(),
    () => ({ to: clampAdjustment(target.from, deps.policy), rule: 'revert', revertOf: target.id }),
  );
}

/**
 * Set a metric's adjustment by hand (for instance after a what-if preview), within the bounds.
 * @throws ValidationError (field `adjustment`) outside the bounds; ConflictError when already there
 */
export async function setAdjustment(
  deps: FeedbackDeps,
  input: {
    readonly metric: string;
    readonly adjustment: number;
    readonly actor: Actor;
    readonly reason?: string;
    readonly now?: number;
  },
): Promise<ThresholdChange> {
  checkAdjustment(input.adjustment, deps.policy);
  return changeAdjustment(
    deps,
    input.metric,
    input.actor,
    input.reason,
    input.now ?? deps.clock.now(),
    () => ({
      to: clampAdjustment(input.adjustment, deps.policy),
      rule: 'manual',
    }),
  );
}

/** @throws ValidationError (field `adjustment`) when `adjustment` is outside the policy bounds */
export function checkAdjustment(adjustment: number, policy: TuningPolicy): void {
  if (
    !Number.isFinite(adjustment) ||
    adjustment < policy.minAdjustment ||
    adjustment > policy.maxAdjustment
  ) {
    throw new ValidationError(
      'Invalid adjustment',
      [`adjustment: must be between ${policy.minAdjustment} and ${policy.maxAdjustment}`],
      { field: 'adjustment' },
    );
  }
}

/**
 * A per-invocation reader of detection sensitivities (1 + adjustment): each metric's state is read once
 * however often it is asked for, so one detect run sees one consistent adjustment per metric.
 */
export function sensitivityReader(thresholds: ThresholdStore): (metric: string) => Promise<number> {
  const cache = new Map<string, Promise<number>>();
  return (metric) => {
    let hit = cache.get(metric);
    if (!hit) {
      hit = thresholds.get(metric).then((s) => sensitivityOf(s.adjustment));
      cache.set(metric, hit);
    }
    return hit;
  };
}

/** `+10%`, `-20%`, `0%`. */
export function formatAdjustment(adjustment: number): string {
  const pct = Math.round(adjustment * 1000) / 10;
  return `${pct > 0 ? '+' : ''}${pct}%`;
}
