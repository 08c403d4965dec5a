// (adapter) in-memory implementations of the drift ports, for the benchmark and use-case tests. Same
// contracts as the DynamoDB/S3/SES adapters (duplicates kept until read, one e-mail claim per day,
// validated model pointers), no persistence.
import type { DriftStatus, SubjectState } from '../domain/drift';
import type { DriftRun } from '../domain/drift-report';
import {
  concatColumns,
  emptyColumns,
  type IngestedPrediction,
  type Outcome,
  type PredictionColumns,
  sliceByTime,
} from '../domain/prediction-set';
import { dayKey } from '../domain/time';
import { NotFoundError, ValidationError } from '../errors';
import type {
  DriftStateStore,
  LoadedModel,
  Mailer,
  MailMessage,
  ModelMetadata,
  ModelStore,
  PredictionStore,
  PredictionWriteResult,
} from '../ports';

/** Predictions per model as appended column blocks. */
export class MemoryPredictionStore implements PredictionStore {
  private readonly blocks = new Map<string, PredictionColumns[]>();
  private readonly lastSeen = new Map<string, number>();

  public async append(
    predictions: readonly IngestedPrediction[],
    _now?: number,
  ): Promise<PredictionWriteResult> {
    const byModel = new Map<string, IngestedPrediction[]>();
    for (const p of predictions) {
      const list = byModel.get(p.model);
      if (list) list.push(p);
      else byModel.set(p.model, [p]);
    }
    for (const [model, list] of byModel) this.appendColumns(model, columnsOf(list));
    return { written: predictions.length, failed: [] };
  }

  /** Bulk load without per-prediction objects (benchmarks). */
  public appendColumns(model: string, columns: PredictionColumns): void {
    this.blocks.set(model, [...(this.blocks.get(model) ?? []), columns]);
    let newest = this.lastSeen.get(model) ?? Number.NEGATIVE_INFINITY;
    for (let i = 0; i < columns.ts.length; i++) newest = Math.max(newest, columns.ts[i] as number);
    this.lastSeen.set(model, newest);
  }

  public async listModels(_now?: number): Promise<{ model: string; lastSeen: number }[]> {
    return [...this.lastSeen.entries()]
      .map(([model, lastSeen]) => ({ model, lastSeen }))
      .sort((a, b) => a.model.localeCompare(b.model));
  }

  public async load(model: string, from: number, to: number, _now?: number): Promise<PredictionColumns> {
    const blocks = this.blocks.get(model);
    if (!blocks) return emptyColumns();
    return sliceByTime(concatColumns(blocks), from, to);
  }
}

/** Columns from prediction objects. */
export function columnsOf(list: readonly IngestedPrediction[]): PredictionColumns {
  const base = {
    ts: Float64Array.from(list, (p) => p.ts),
    score: Float64Array.from(list, (p) => p.score),
    key: Float64Array.from(list, (p) => p.key),
  };
  return list.some((p) => p.outcome !== undefined)
    ? { ...base, outcomes: list.map((p): Outcome | undefined => p.outcome) }
    : base;
}

/** Drift states and runs in maps. */
export class MemoryDriftStateStore implements DriftStateStore {
  public readonly states = new Map<string, SubjectState>();
  public readonly runs: DriftRun[] = [];

  public async listStates(): Promise<SubjectState[]> {
    return [...this.states.values()];
  }

  public async setStatus(subject: string, status: DriftStatus, now: number): Promise<void> {
    const current = this.states.get(subject);
    if (current?.status === status) return;
    this.states.set(subject, { mailed: 'ok', ...current, subject, status, changedAt: now });
  }

  public async claimMail(subject: string, status: DriftStatus, now: number): Promise<boolean> {
    const current = this.states.get(subject);
    if (current?.lastMailDay === dayKey(now)) return false;
    this.states.set(subject, {
      status: 'ok',
      ...current,
      subject,
      mailed: status,
      lastMailDay: dayKey(now),
      lastMailAt: now,
    });
    return true;
  }

  public async releaseMail(
    subject: string,
    previous: SubjectState | undefined,
    claimedAt: number,
  ): Promise<void> {
    const current = this.states.get(subject);
    if (current?.lastMailAt !== claimedAt) return;
    const { lastMailDay: _d, lastMailAt: _a, ...rest } = current;
    this.states.set(subject, {
      ...rest,
      mailed: previous?.mailed ?? 'ok',
      ...(previous?.lastMailDay !== undefined ? { lastMailDay: previous.lastMailDay } : {}),
      ...(previous?.lastMailAt !== undefined ? { lastMailAt: previous.lastMailAt } : {}),
    });
  }

  public async recordRun(run: DriftRun): Promise<void> {
    this.runs.push(run);
  }

  public async listRuns(since: number): Promise<DriftRun[]> {
    return this.runs.filter((r) => r.runAt >= since).sort((a, b) => b.runAt - a.runAt);
  }
}

/** Models in a map, JSON round-tripped like S3 (so a test sees exactly what a reload sees). */
export class MemoryModelStore implements ModelStore {
  private readonly models = new Map<string, LoadedModel[]>();
  /** Bytes of the last saved body, for size measurements. */
  public lastSize = 0;

  public async save(
    name: string,
    body: unknown,
    metadata: ModelMetadata,
  ): Promise<{ key: string; version: string }> {
    const text = JSON.stringify(body);
    this.lastSize = Buffer.byteLength(text);
    const versions = this.models.get(name) ?? [];
    const version = `${metadata.createdAt}-${versions.length}`;
    const key = `models/${name}/v/${version}.json`;
    versions.push({ key, metadata: { ...metadata, version }, body: JSON.parse(text) });
    this.models.set(name, versions);
    return { key, version };
  }

  public async loadLatest(name: string): Promise<LoadedModel> {
    const latest = this.models.get(name)?.at(-1);
    if (!latest) throw new NotFoundError(`No trained model "${name}"`);
    return latest;
  }

  /** Replace the latest body (tests of corrupt models). */
  public corrupt(name: string, body: unknown): void {
    const latest = this.models.get(name)?.at(-1);
    if (!latest) throw new ValidationError(`No model ${name} to corrupt`);
    this.models.get(name)?.push({ ...latest, body });
  }
}

/** A mailer that keeps every message (and can be told to fail). */
export class RecordingMailer implements Mailer {
  public readonly sent: MailMessage[] = [];
  public failWith: Error | undefined;

  public async send(message: MailMessage): Promise<{ messageId: string }> {
    if (this.failWith) throw this.failWith;
    this.sent.push(message);
    return { messageId: `mail-${this.sent.length}` };
  }
}
