// False-positive feedback against a real DynamoDB (dynalite): marks stored on anomaly items, exact
// per-metric counters (also under 50 concurrent marks), the immediate rule, revert, the weekly tune and
// its idempotency, alert marks, and the history's pagination.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoAnomalyStore } from '../../shared/adapters/dynamodb-anomaly-store';
import { DynamoFeedbackStore } from '../../shared/adapters/dynamodb-feedback-store';
import { DynamoThresholdStore, TUNING_HISTORY_PK } from '../../shared/adapters/dynamodb-threshold-store';
import type { AlertState } from '../../shared/domain/alerting';
import type { Anomaly } from '../../shared/domain/anomaly';
import { type Actor, changeIdOf, DEFAULT_TUNING_POLICY } from '../../shared/domain/feedback';
import type { AlertLevel } from '../../shared/domain/types';
import { ConflictError, NotFoundError } from '../../shared/errors';
import { autoTune } from '../../shared/use-cases/auto-tune';
import {
  type FeedbackDeps,
  revertChange,
  setAdjustment,
  setAlertFeedback,
  setAnomalyFeedback,
} from '../../shared/use-cases/feedback';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { recordingLog } from '../helpers/logs';

const MIN = 60_000;
// Wednesday 2026-11-18 12:00 UTC, inside ISO week 2026-W47 (the week a Sunday 2026-11-22 run evaluates).
const T0 = Date.UTC(2026, 10, 18, 12);
const SUNDAY_RUN = Date.UTC(2026, 10, 22, 3);
const alice: Actor = { kind: 'person', name: 'arn:aws:iam::123456789012:user/alice' };

let db: TestDynamo;
let anomalies: DynamoAnomalyStore;
let deps: FeedbackDeps;
let metricSeq = 0;

/** A fresh metric per test, so tests share one emulator without sharing counters. */
function freshMetric(): string {
  metricSeq += 1;
  return `metric_${metricSeq}`;
}

function anomaly(metric: string, i: number, level: AlertLevel = 'CRITICAL', ts = T0 + i * MIN): Anomaly {
  return {
    series: `Test/${metric}/host=h${i % 3}/Average/60`,
    metric,
    label: `${metric} h${i % 3}`,
    ts,
    value: 99,
    expectedLow: 1,
    expectedHigh: 10,
    baseline: 5,
    deviation: 6,
    score: 0.9,
    methods: ['zscore'],
    findings: [],
    severity: level === 'CRITICAL' ? 'critical' : 'medium',
    level,
    explanation: 'test',
    sensitivity: 1,
  };
}

/** Record anomalies and give them alert states (as publishAlerts would). */
async function seed(list: Anomaly[], state: AlertState = 'sent', alertId?: string): Promise<Anomaly[]> {
  await anomalies.record(list, T0);
  await anomalies.setAlertStates(
    list.map((a) => ({ series: a.series, ts: a.ts, state, ...(alertId ? { alertId } : {}) })),
    T0,
  );
  return list;
}

beforeAll(async () => {
  db = await startDynalite();
  anomalies = new DynamoAnomalyStore({ client: db.doc, tableName: db.tables.anomalies });
  deps = {
    feedback: new DynamoFeedbackStore({ client: db.doc, tableName: db.tables.anomalies }),
    thresholds: new DynamoThresholdStore({ client: db.doc, tableName: db.tables.control }),
    policy: DEFAULT_TUNING_POLICY,
    clock: { now: () => T0 + 60 * MIN },
    log: recordingLog(),
  };
});
afterAll(async () => db.close());

const mark = (a: Anomaly, label?: 'false-positive' | 'confirmed', reason?: string) =>
  setAnomalyFeedback(
    deps,
    { series: a.series, ts: a.ts },
    { ...(label ? { label } : {}), ...(reason ? { reason } : {}), actor: alice },
  );

describe('marking anomalies', () => {
  it('stores the mark on the anomaly item and keeps the counters exact through re-marks and unmarks', async () => {
    // Prepare
    const metric = freshMetric();
    const [a] = await seed([anomaly(metric, 0)]);
    // Act + Assess
    const first = await mark(a!, 'false-positive', 'deploy noise');
    expect(first.anomaly.feedback).toMatchObject({
      label: 'false-positive',
      reason: 'deploy noise',
      by: alice.name,
    });
    expect(first.state).toMatchObject({ falsePositives: 1, confirmed: 0, fpCount: 1 });
    const item = await db.doc.send(
      new GetCommand({
        TableName: db.tables.anomalies,
        Key: { day: '2026-11-18', sk: `${String(a!.ts).padStart(15, '0')}#${a!.series}` },
      }),
    );
    expect(item.Item?.feedback).toMatchObject({
      label: 'false-positive',
      by: alice.name,
      reason: 'deploy noise',
    });
    expect(item.Item?.alertState).toBe('sent');

    expect((await mark(a!, 'false-positive')).state).toMatchObject({ falsePositives: 1, fpCount: 1 });
    const switched = await mark(a!, 'confirmed');
    expect(switched.previous?.label).toBe('false-positive');
    expect(switched.state).toMatchObject({ falsePositives: 0, confirmed: 1, fpCount: 0 });
    expect((await mark(a!)).state).toMatchObject({ falsePositives: 0, confirmed: 0, fpCount: 0 });
    expect((await mark(a!, 'false-positive')).state).toMatchObject({ falsePositives: 1, confirmed: 0 });
  });

  it('refuses an unknown anomaly with NotFoundError naming ts, and counts nothing', async () => {
    const metric = freshMetric();
    const [a] = await seed([anomaly(metric, 0)]);
    const error = await mark({ ...a!, ts: a!.ts + 1 }, 'false-positive').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).field).toBe('ts');
    expect(await deps.thresholds.get(metric)).toMatchObject({ falsePositives: 0, version: 0 });
  });

  it('50 concurrent false-positive marks on one metric count exactly 50 and raise it exactly 5 times', async () => {
    // Prepare
    const metric = freshMetric();
    const list = await seed(Array.from({ length: 50 }, (_, i) => anomaly(metric, i)));
    // Act
    const results = await Promise.all(list.map((a) => mark(a, 'false-positive')));
    // Assess
    const state = await deps.thresholds.get(metric, { consistent: true });
    expect(state).toMatchObject({
      falsePositives: 50,
      confirmed: 0,
      fpCount: 0,
      adjustment: 0.5,
      version: 5,
    });
    const changes = results.flatMap((r) => r.changes);
    expect(changes.map((c) => [c.from, c.to])).toEqual(
      expect.arrayContaining([
        [0, 0.1],
        [0.1, 0.2],
        [0.2, 0.3],
        [0.3, 0.4],
        [0.4, 0.5],
      ]),
    );
    expect(changes).toHaveLength(5);
    const history = await deps.thresholds.listChanges({ metric, limit: 100 });
    expect(history.items.map((c) => c.version).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('immediate rule', () => {
  it('raises the threshold by 10% on the 10th false positive, resets the counter and records the change', async () => {
    // Prepare
    const metric = freshMetric();
    const list = await seed(Array.from({ length: 10 }, (_, i) => anomaly(metric, i)));
    // Act
    for (const a of list.slice(0, 9)) expect((await mark(a, 'false-positive')).changes).toEqual([]);
    const tenth = await mark(list[9]!, 'false-positive');
    // Assess
    expect(tenth.changes).toHaveLength(1);
    const change = tenth.changes[0]!;
    expect(change).toMatchObject({
      metric,
      from: 0,
      to: 0.1,
      rule: 'fp-count',
      actor: { kind: 'rule', name: 'fp-count' },
      counts: { fpCount: 10, fpCountToAdjust: 10, falsePositives: 10, confirmed: 0 },
      version: 1,
    });
    expect(change.reason).toContain(alice.name);
    expect(tenth.state).toMatchObject({ adjustment: 0.1, fpCount: 0, falsePositives: 10 });
    expect(await deps.thresholds.getChange(change.id)).toEqual(change);
  });

  it('at +50% resets the counter without a change; an unmark after a raise is owed by the next raise', async () => {
    const metric = freshMetric();
    await deps.thresholds.update(metric, 0, { adjustment: 0.5 }, T0);
    const list = await seed(Array.from({ length: 12 }, (_, i) => anomaly(metric, i)));
    for (const a of list.slice(0, 10)) expect((await mark(a, 'false-positive')).changes).toEqual([]);
    expect(await deps.thresholds.get(metric, { consistent: true })).toMatchObject({
      adjustment: 0.5,
      fpCount: 0,
      falsePositives: 10,
    });
    expect((await deps.thresholds.listChanges({ metric, limit: 10 })).items).toEqual([]);

    // Below the bound: unmarking one of the ten that were used up leaves the counter at −1.
    const other = freshMetric();
    const more = await seed(
      Array.from({ length: 11 }, (_, i) => anomaly(other, i, 'CRITICAL', T0 + (100 + i) * MIN)),
    );
    for (const a of more.slice(0, 10)) await mark(a, 'false-positive');
    expect((await mark(more[0]!)).state).toMatchObject({ fpCount: -1, falsePositives: 9, adjustment: 0.1 });
    await mark(more[0]!, 'false-positive'); // the same anomaly again: counter back to 0, no second raise
    expect(await deps.thresholds.get(other, { consistent: true })).toMatchObject({
      fpCount: 0,
      adjustment: 0.1,
    });
  });
});

describe('revert and manual changes', () => {
  it('revert restores the previous value, is itself an entry, and can be reverted', async () => {
    // Prepare
    const metric = freshMetric();
    const bob: Actor = { kind: 'person', name: 'bob' };
    const raise = await setAdjustment(deps, {
      metric,
      adjustment: 0.3,
      actor: bob,
      reason: 'noisy after deploy',
    });
    // Act
    const revert = await revertChange(deps, { id: raise.id, actor: alice, reason: 'too blunt' });
    // Assess
    expect(revert).toMatchObject({
      metric,
      from: 0.3,
      to: 0,
      rule: 'revert',
      revertOf: raise.id,
      actor: alice,
      reason: 'too blunt',
    });
    expect((await deps.thresholds.get(metric)).adjustment).toBe(0);
    const again = await revertChange(deps, { id: revert.id, actor: bob });
    expect(again).toMatchObject({ from: 0, to: 0.3, revertOf: revert.id });
    expect((await deps.thresholds.get(metric)).adjustment).toBe(0.3);
    const history = await deps.thresholds.listChanges({ metric, limit: 10 });
    expect(history.items.map((c) => c.rule)).toEqual(['revert', 'revert', 'manual']);
  });

  it('answers ConflictError when already at the target, NotFoundError for an unknown id', async () => {
    const metric = freshMetric();
    const set = await setAdjustment(deps, { metric, adjustment: -0.2, actor: alice });
    await setAdjustment(deps, { metric, adjustment: 0, actor: alice });
    await expect(revertChange(deps, { id: set.id, actor: alice })).rejects.toBeInstanceOf(ConflictError);
    const missing = await revertChange(deps, { id: changeIdOf(T0, metric, 99), actor: alice }).catch(
      (e) => e,
    );
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.field).toBe('id');
  });

  it('writes a change whose history entry was lost before the next change', async () => {
    const metric = freshMetric();
    const lost = {
      id: changeIdOf(T0, metric, 1),
      metric,
      version: 1,
      from: 0,
      to: 0.1,
      rule: 'manual' as const,
      counts: {},
      at: T0,
      actor: alice,
    };
    // A writer that crashed between the state write and the history write.
    await deps.thresholds.update(metric, 0, { adjustment: 0.1, change: lost }, T0);
    expect(await deps.thresholds.getChange(lost.id)).toBeUndefined();
    await setAdjustment(deps, { metric, adjustment: 0.2, actor: alice });
    expect(await deps.thresholds.getChange(lost.id)).toEqual(lost);
  });
});

describe('marking an alert', () => {
  it('marks the anomalies its page listed (sent + grouped), not later repeats folded into it', async () => {
    const metric = freshMetric();
    const alertId = `${metric}-above-0123456789abcdef-${T0}`;
    const [sent] = await seed([anomaly(metric, 0)], 'sent', alertId);
    const grouped = await seed([anomaly(metric, 1), anomaly(metric, 2)], 'grouped', alertId);
    const [repeat] = await seed([anomaly(metric, 3)], 'deduplicated');
    const r = await setAlertFeedback(deps, alertId, {
      label: 'false-positive',
      reason: 'load test',
      actor: alice,
    });
    expect(r.anomalies.map((a) => a.ts)).toEqual([sent!.ts, grouped[0]!.ts, grouped[1]!.ts]);
    expect(r.states).toEqual([expect.objectContaining({ metric, falsePositives: 3 })]);
    const repeatRecord = (await deps.feedback.listSeries(repeat!.series, repeat!.ts, repeat!.ts, T0))[0];
    expect(repeatRecord?.feedback).toBeUndefined();
    const unmarked = await setAlertFeedback(deps, alertId, { actor: alice });
    expect(unmarked.states).toEqual([expect.objectContaining({ falsePositives: 0 })]);
    await expect(
      setAlertFeedback(deps, `${metric}-above-0123456789abcdef-${T0 + 1}`, { actor: alice }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(setAlertFeedback(deps, 'nope', { actor: alice })).rejects.toMatchObject({
      field: 'alertId',
    });
  });
});

describe('weekly auto-tune', () => {
  /** A metric with `fp` false positives, `confirmed` confirmed and `unlabelled` unlabelled pages in W47. */
  async function week(fp: number, confirmed: number, unlabelled = 0): Promise<string> {
    const metric = freshMetric();
    const n = fp + confirmed + unlabelled;
    const list = await seed(
      Array.from({ length: n }, (_, i) => anomaly(metric, i, 'CRITICAL', T0 + i * 7 * MIN)),
    );
    // Not paged: never counted, whatever its label.
    const [quiet] = await seed([anomaly(metric, 0, 'INFO', T0 - 30 * MIN)], 'below-severity');
    await mark(quiet!, 'false-positive');
    for (const [i, a] of list.entries()) {
      if (i < fp) await mark(a, 'false-positive');
      else if (i < fp + confirmed) await mark(a, 'confirmed');
    }
    return metric;
  }

  it('applies > 20% / < 5% / in-between / too-few exactly, and a second run of the week changes nothing', async () => {
    // Prepare
    const high = await week(3, 7, 4); // 30% of 10 labelled
    const low = await week(0, 12); // 0%
    const mid = await week(1, 9); // 10%
    const few = await week(5, 4); // 9 labelled < 10
    const metrics = [high, low, mid, few];
    const tuneDeps = { ...deps, metrics, runDay: 'SUN' as const };
    // Act
    const first = await autoTune(tuneDeps, { now: SUNDAY_RUN });
    // Assess
    expect(first.week.label).toBe('2026-W47');
    const by = Object.fromEntries(first.metrics.map((m) => [m.metric, m]));
    expect(by[high]).toMatchObject({
      outcome: 'high-fp-rate',
      rate: 0.3,
      adjustment: 0.1,
      counts: { alerted: 14, labelled: 10, falsePositives: 3, confirmed: 7 },
    });
    expect(by[high]?.change).toMatchObject({ from: 0, to: 0.1, rule: 'weekly-fp-rate', week: '2026-W47' });
    expect(by[low]).toMatchObject({ outcome: 'low-fp-rate', rate: 0, adjustment: -0.1 });
    expect(by[mid]).toMatchObject({ outcome: 'in-band', rate: 0.1, adjustment: 0 });
    expect(by[mid]?.change).toBeUndefined();
    expect(by[few]).toMatchObject({ outcome: 'too-few-labelled', adjustment: 0 });
    expect(first.changes).toBe(2);

    // Re-run (Lambda retry, a manual run midweek): no second change.
    const second = await autoTune(tuneDeps, { now: SUNDAY_RUN + 26 * 3_600_000 });
    expect(second.changes).toBe(0);
    expect(second.metrics.map((m) => m.outcome)).toEqual(metrics.map(() => 'already-evaluated'));
    expect((await deps.thresholds.get(high)).adjustment).toBe(0.1);
    expect((await deps.thresholds.listChanges({ metric: high, limit: 10 })).items).toHaveLength(1);

    // The next week is a new evaluation (nothing was labelled in it: no change).
    const next = await autoTune(tuneDeps, { now: SUNDAY_RUN + 7 * 86_400_000 });
    expect(next.week.label).toBe('2026-W48');
    expect(next.metrics.every((m) => m.outcome === 'too-few-labelled')).toBe(true);
  });

  it('evaluates each week once per metric, in any order: W47, W46, W47 again applies W47 once', async () => {
    // Prepare: W47 has a 30% FP rate (raise); W46 has nothing labelled.
    const metric = await week(3, 7);
    const tuneDeps = { ...deps, metrics: [metric], runDay: 'SUN' as const };
    const W = 7 * 86_400_000;
    // Act
    const w47 = await autoTune(tuneDeps, { now: SUNDAY_RUN });
    const w46 = await autoTune(tuneDeps, { now: SUNDAY_RUN - W });
    const again = await autoTune(tuneDeps, { now: SUNDAY_RUN });
    const w46again = await autoTune(tuneDeps, { now: SUNDAY_RUN - W + 3_600_000 });
    // Assess
    expect([w47.week.label, w46.week.label, again.week.label]).toEqual(['2026-W47', '2026-W46', '2026-W47']);
    expect(w47.metrics[0]).toMatchObject({ outcome: 'high-fp-rate', adjustment: 0.1 });
    expect(w46.metrics[0]).toMatchObject({ outcome: 'too-few-labelled', adjustment: 0.1 });
    expect(again.metrics[0]).toMatchObject({ outcome: 'already-evaluated', adjustment: 0.1 });
    expect(w46again.metrics[0]).toMatchObject({ outcome: 'already-evaluated', adjustment: 0.1 });
    expect(again.changes + w46again.changes).toBe(0);
    expect((await deps.thresholds.get(metric, { consistent: true })).adjustment).toBe(0.1);
    const history = (await deps.thresholds.listChanges({ metric, limit: 10 })).items;
    expect(history.map((c) => c.week)).toEqual(['2026-W47']);
  });
});

describe('history', () => {
  it('lists newest first, pages with a cursor, filters by metric', async () => {
    const a = freshMetric();
    const b = freshMetric();
    for (let i = 1; i <= 3; i++) {
      await setAdjustment(deps, { metric: a, adjustment: i / 10, actor: alice, now: T0 + i * 1000 });
      await setAdjustment(deps, { metric: b, adjustment: -i / 10, actor: alice, now: T0 + i * 1000 + 500 });
    }
    const onlyA = await deps.thresholds.listChanges({ metric: a, limit: 2 });
    expect(onlyA.items.map((c) => c.to)).toEqual([0.3, 0.2]);
    expect(onlyA.nextCursor).toBe(onlyA.items[1]!.id);
    const rest = await deps.thresholds.listChanges({ metric: a, limit: 2, cursor: onlyA.nextCursor! });
    expect(rest.items.map((c) => c.to)).toEqual([0.1]);
    expect(rest.nextCursor).toBeUndefined();

    const all: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await deps.thresholds.listChanges({ limit: 4, ...(cursor ? { cursor } : {}) });
      all.push(...page.items.map((c) => c.at));
      cursor = page.nextCursor;
    } while (cursor);
    expect(all).toEqual([...all].sort((x, y) => y - x));
    expect(TUNING_HISTORY_PK).toBe('tuning-history');
  });
});
