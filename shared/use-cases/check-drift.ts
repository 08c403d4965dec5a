// adapter --> (use case) --> domain: the daily ML drift check. Prediction drift (two-sample K-S, recent
// vs baseline, corrected across models) and performance per model; infra drift from the stored isolation
// forest; e-mail on changes; every result stored.
import { mapLimit } from '../async';
import {
  adjustPValues,
  alignFeatures,
  anomalyRate,
  columnOf,
  type DriftStatus,
  decideInfraDrift,
  decidePredictionDrift,
  mailDecision,
  type Performance,
  performanceOf,
  quantilesOf,
  REPORT_QUANTILES,
  type SubjectState,
} from '../domain/drift';
import {
  type CheckStatus,
  type DriftCheck,
  type DriftRun,
  type InfraCheck,
  type MailRecord,
  type PredictionCheck,
  renderDriftMail,
  type WindowSpan,
} from '../domain/drift-report';
import { IsolationForest } from '../domain/isolation-forest';
import { ksTwoSample, quantileShift } from '../domain/ks-test';
import { dedupePredictions, type PredictionColumns, sliceByTime } from '../domain/prediction-set';
import type { MetricPoint } from '../domain/types';
import { MonitorError, NotFoundError } from '../errors';
import { type DriftConfig, formatIssues } from '../monitor-config';
import type { Clock, DriftStateStore, Log, Mailer, MetricStore, ModelStore, PredictionStore } from '../ports';
import { InfraModelMetadataSchema } from './train-drift-model';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Window lengths; the local simulation shrinks them to minutes. */
export interface DriftWindows {
  readonly recentMs: number;
  readonly baselineMs: number;
  readonly infraRecentMs: number;
}

/** The windows of a config (days and hours). */
export function windowsOf(drift: DriftConfig): DriftWindows {
  return {
    recentMs: drift.predictions.recentDays * DAY_MS,
    baselineMs: drift.predictions.baselineDays * DAY_MS,
    infraRecentMs: drift.infra.recentHours * HOUR_MS,
  };
}

/** What a drift check needs. */
export interface CheckDriftDeps {
  readonly predictions: PredictionStore;
  readonly metrics: MetricStore;
  readonly models: ModelStore;
  readonly state: DriftStateStore;
  /** Absent when no sender/recipients are configured: results are stored, nothing is mailed. */
  readonly mailer?: Mailer;
  readonly clock: Clock;
  readonly log: Log;
  readonly drift: DriftConfig;
  readonly dashboardUrl?: string;
  /** @default windowsOf(drift) */
  readonly windows?: DriftWindows;
  /** Skip the infra check (e.g. no metrics are collected). @default false */
  readonly skipInfra?: boolean;
}

/** What a run did, as returned to the invoker. */
export interface CheckDriftResult extends DriftRun {
  readonly drifting: readonly string[];
  readonly failed: readonly string[];
}

/**
 * Check for drift.
 * 1. Models: those configured plus those with predictions within the retention.
 * 2. Per model: load recent + baseline (pinned or the window right before), drop duplicate ids, K-S
 *    when both samples reach `minSamples`, p10/p50/p90, accuracy over 24 h and 7 d where outcomes exist.
 *    A model that cannot be read is a `failed` check, not a failed run.
 * 3. Correct the p-values across the models tested (BH or Bonferroni); drift = adjusted p < alpha AND
 *    D > minEffect.
 * 4. Infra: load the latest forest (missing or corrupt → a `failed` check with a clear reason), score
 *    the recent aligned rows, drift when the anomaly rate exceeds rateFactor × expected.
 * 5. Per subject: record the status; e-mail a change (drift / recovered), at most once per UTC day.
 * 6. Store the run (every check and the e-mail sent).
 */
export async function checkDrift(
  deps: CheckDriftDeps,
  input: { now?: number } = {},
): Promise<CheckDriftResult> {
  const now = input.now ?? deps.clock.now();
  const cfg = deps.drift.predictions;
  const windows = deps.windows ?? windowsOf(deps.drift);

  // 1. Models.
  const seen = await deps.predictions.listModels(now);
  const models = [...new Set([...cfg.models, ...seen.map((m) => m.model)])].sort();

  // 2. Per model.
  const partial = await mapLimit(models, 2, (model) =>
    // Anything unexpected about one model (say a corrupt stored value) fails that check, not the run.
    measureModel(deps, model, now, windows).catch((error: unknown) => ({
      check: failedCheck(
        model,
        { from: now - windows.recentMs, to: now },
        { from: now - windows.recentMs - windows.baselineMs, to: now - windows.recentMs },
        false,
        `Check failed: ${(error as Error).message}`,
      ),
    })),
  );

  // 3. Correction and decisions.
  const tested = partial.filter((p) => p.check.ks !== undefined);
  const adjusted = adjustPValues(
    tested.map((p) => p.check.ks?.pValue as number),
    cfg.correction,
  );
  const adjustedOf = new Map(tested.map((p, i) => [p.check.model, adjusted[i] as number]));
  const predictionChecks: PredictionCheck[] = partial.map(({ check }) => {
    if (!check.ks) return check;
    const adjustedPValue = adjustedOf.get(check.model) as number;
    const verdict = decidePredictionDrift(check.ks, adjustedPValue, cfg, cfg.correction);
    return {
      ...check,
      status: verdict.drift ? 'drift' : 'ok',
      reason: verdict.reason,
      ks: { ...check.ks, adjustedPValue },
    };
  });

  // 4. Infra.
  const checks: DriftCheck[] = [...predictionChecks];
  if (!deps.skipInfra) checks.push(await checkInfra(deps, now, windows));

  // 5. State and e-mail.
  const mails = await notify(deps, checks, now, tested.length);

  // 6. Store.
  const run: DriftRun = {
    runAt: now,
    correction: cfg.correction,
    alpha: cfg.alpha,
    modelsTested: tested.length,
    checks,
    mails,
  };
  await deps.state.recordRun(run);
  for (const c of checks) {
    const line = `${c.subject}: ${c.status} (${c.reason})`;
    if (c.status === 'failed') deps.log.error(`Drift check failed: ${line}`);
    else deps.log.info(`Drift check ${line}`);
  }
  return {
    ...run,
    drifting: checks.filter((c) => c.status === 'drift').map((c) => c.subject),
    failed: checks.filter((c) => c.status === 'failed').map((c) => c.subject),
  };
}

function failedCheck(
  model: string,
  recent: WindowSpan,
  baseline: WindowSpan,
  pinned: boolean,
  reason: string,
): PredictionCheck {
  return {
    kind: 'prediction',
    subject: `model:${model}`,
    model,
    status: 'failed',
    reason,
    recent: { ...recent, n: 0 },
    baseline: { ...baseline, n: 0, pinned },
    duplicates: 0,
    performance: [],
  };
}

async function measureModel(
  deps: CheckDriftDeps,
  model: string,
  now: number,
  windows: DriftWindows,
): Promise<{ check: PredictionCheck }> {
  const cfg = deps.drift.predictions;
  const recent: WindowSpan = { from: now - windows.recentMs, to: now };
  const pin = cfg.pinnedBaselines[model];
  const baseline: WindowSpan = pin
    ? { from: Date.parse(pin.from), to: Date.parse(pin.to) }
    : { from: recent.from - windows.baselineMs, to: recent.from };
  const perfFrom = Math.min(recent.from, now - 7 * DAY_MS);
  let recentSet: PredictionColumns;
  let baselineSet: PredictionColumns;
  let duplicates = 0;
  try {
    // One read when the baseline touches the recent span; two when it is pinned elsewhere.
    const contiguous = !pin || (baseline.to >= perfFrom && baseline.from <= now);
    if (contiguous) {
      const all = dedupePredictions(
        await deps.predictions.load(model, Math.min(baseline.from, perfFrom), now, now),
      );
      duplicates = all.duplicates;
      recentSet = sliceByTime(all.columns, perfFrom, now);
      baselineSet = sliceByTime(all.columns, baseline.from, baseline.to);
    } else {
      const r = dedupePredictions(await deps.predictions.load(model, perfFrom, now, now));
      const b = dedupePredictions(await deps.predictions.load(model, baseline.from, baseline.to, now));
      duplicates = r.duplicates + b.duplicates;
      recentSet = r.columns;
      baselineSet = b.columns;
    }
  } catch (error) {
    return {
      check: failedCheck(
        model,
        recent,
        baseline,
        Boolean(pin),
        `Reading predictions failed: ${(error as Error).message}`,
      ),
    };
  }
  const recentScores = sliceByTime(recentSet, recent.from, recent.to).score;
  const baselineScores = baselineSet.score;
  const performance = [
    performanceOf(recentSet, now - DAY_MS, now, cfg.decisionThreshold, '24h'),
    performanceOf(recentSet, now - 7 * DAY_MS, now, cfg.decisionThreshold, '7d'),
  ].filter((p): p is Performance => p !== undefined);
  const base = {
    kind: 'prediction' as const,
    subject: `model:${model}`,
    model,
    recent: { ...recent, n: recentScores.length },
    baseline: { ...baseline, n: baselineScores.length, pinned: Boolean(pin) },
    duplicates,
    performance,
    ...(recentScores.length > 0 && baselineScores.length > 0
      ? { quantiles: quantileShift(baselineScores, recentScores, [...REPORT_QUANTILES]) }
      : {}),
  };
  if (recentScores.length < cfg.minSamples || baselineScores.length < cfg.minSamples) {
    return {
      check: {
        ...base,
        status: 'insufficient',
        reason:
          `not enough predictions: recent ${recentScores.length}, baseline ${baselineScores.length} ` +
          `(each needs ${cfg.minSamples})`,
      },
    };
  }
  const ks = ksTwoSample(baselineScores, recentScores);
  return {
    check: {
      ...base,
      status: 'ok',
      reason: 'pending correction',
      ks: { statistic: ks.statistic, pValue: ks.pValue, adjustedPValue: ks.pValue, method: ks.method },
    },
  };
}

async function checkInfra(deps: CheckDriftDeps, now: number, windows: DriftWindows): Promise<InfraCheck> {
  const settings = deps.drift.infra;
  const base = {
    kind: 'infra' as const,
    subject: `infra:${settings.modelName}`,
    model: settings.modelName,
    factor: settings.rateFactor,
  };
  const fail = (reason: string): InfraCheck => ({ ...base, status: 'failed', reason });
  let loaded: Awaited<ReturnType<ModelStore['loadLatest']>>;
  try {
    loaded = await deps.models.loadLatest(settings.modelName);
  } catch (error) {
    if (error instanceof NotFoundError) {
      return fail(`${error.message}: train it first (train-drift Lambda, or npm run train-drift locally)`);
    }
    return fail(`Model ${settings.modelName} could not be loaded: ${(error as Error).message}`);
  }
  const meta = InfraModelMetadataSchema.safeParse(loaded.metadata);
  if (!meta.success) {
    return fail(
      `Model ${settings.modelName} (${loaded.key}) has corrupt metadata: ${formatIssues(meta.error).slice(0, 3).join('; ')}`,
    );
  }
  let forest: IsolationForest;
  try {
    forest = IsolationForest.fromJSON(loaded.body);
  } catch (error) {
    return fail(`Model ${settings.modelName} (${loaded.key}) is corrupt: ${(error as Error).message}`);
  }
  const m = meta.data;
  if (forest.features !== m.features.length) {
    return fail(
      `Model ${settings.modelName} (${loaded.key}) is corrupt: ${forest.features} inputs but ${m.features.length} features in its metadata`,
    );
  }
  const stepMs = m.stepSeconds * 1000;
  const window: WindowSpan = {
    from: Math.floor((now - windows.infraRecentMs) / stepMs) * stepMs,
    to: Math.floor(now / stepMs) * stepMs,
  };
  const withModel = {
    ...base,
    modelVersion: m.version,
    trainedAt: m.createdAt,
    window,
    expectedRate: m.expectedRate,
    threshold: m.threshold,
  };
  let perFeature: MetricPoint[][];
  try {
    perFeature = await mapLimit(m.features, 4, (f) =>
      deps.metrics.queryRange(f.id, window.from, window.to - 1, now),
    );
  } catch (error) {
    return {
      ...withModel,
      status: 'failed',
      reason: `Reading recent metrics failed: ${(error as Error).message}`,
    };
  }
  const aligned = alignFeatures(perFeature, stepMs);
  const counts = { rows: aligned.rows, droppedRows: aligned.droppedRows };
  if (aligned.rows < settings.minRecentRows) {
    return {
      ...withModel,
      ...counts,
      status: 'insufficient',
      reason: `not enough recent data: ${aligned.rows} complete rows (needs ${settings.minRecentRows})`,
    };
  }
  const scores = forest.scoreAll({ data: aligned.data, dims: aligned.dims });
  const { anomalies, rate } = anomalyRate(scores, m.threshold);
  const verdict = decideInfraDrift(rate, m.expectedRate, settings.rateFactor);
  const features = m.features.map((f, i) => {
    const after = quantilesOf(columnOf(aligned.data, aligned.dims, i));
    const before = m.featureQuantiles[i] ?? [];
    return {
      label: f.label,
      quantiles: REPORT_QUANTILES.map((q, j) => {
        const b = before[j] ?? Number.NaN;
        const a = after[j] as number;
        return { q, before: b, after: a, shift: a - b };
      }),
    };
  });
  return {
    ...withModel,
    ...counts,
    anomalies,
    rate,
    features,
    status: verdict.drift ? 'drift' : 'ok',
    reason: verdict.reason,
  };
}

function statusOf(s: CheckStatus): DriftStatus | undefined {
  if (s === 'drift') return 'drifting';
  if (s === 'ok') return 'ok';
  return undefined; // insufficient or failed: no verdict, nothing changes
}

async function notify(
  deps: CheckDriftDeps,
  checks: readonly DriftCheck[],
  now: number,
  modelsTested: number,
): Promise<MailRecord[]> {
  const states = new Map<string, SubjectState>((await deps.state.listStates()).map((s) => [s.subject, s]));
  const mails: MailRecord[] = [];
  const cfg = deps.drift.predictions;
  for (const check of checks) {
    const status = statusOf(check.status);
    if (status === undefined) continue;
    const previous = states.get(check.subject);
    await deps.state.setStatus(check.subject, status, now);
    const decision = mailDecision(previous, status, now);
    if (decision.send === null) {
      if (decision.reason === 'daily limit') {
        mails.push({
          subject: check.subject,
          kind: status === 'drifting' ? 'drift' : 'recovered',
          notSent: 'daily limit: one e-mail per model per day',
        });
      }
      continue;
    }
    const kind = decision.send;
    if (!deps.mailer) {
      mails.push({
        subject: check.subject,
        kind,
        notSent: 'e-mail not configured (drift.fromEmail, drift.toEmails)',
      });
      continue;
    }
    if (!(await deps.state.claimMail(check.subject, status, now))) {
      mails.push({ subject: check.subject, kind, notSent: 'daily limit: one e-mail per model per day' });
      continue;
    }
    const message = renderDriftMail(check, kind, {
      now,
      ...(deps.dashboardUrl ? { dashboardUrl: deps.dashboardUrl } : {}),
      correction: cfg.correction,
      alpha: cfg.alpha,
      modelsTested,
      minEffect: cfg.minEffect,
    });
    try {
      const { messageId } = await deps.mailer.send(message);
      mails.push({ subject: check.subject, kind, messageId });
      deps.log.info('Drift e-mail sent', { subject: check.subject, kind, messageId, title: message.subject });
    } catch (error) {
      // Give the day's e-mail back so the next run (or a retry) can send it.
      await deps.state.releaseMail(check.subject, previous, now);
      const reason = error instanceof MonitorError ? error.message : String(error);
      mails.push({ subject: check.subject, kind, notSent: `send failed: ${reason}` });
      deps.log.error('Drift e-mail not sent', { subject: check.subject, kind, error: reason });
    }
  }
  return mails;
}
