import { ConfigError } from '../../shared/errors';
import { DEFAULT_INFRA_FEATURES, parseMonitorConfig } from '../../shared/monitor-config';

const series = [{ metric: 'x', namespace: 'N', metricName: 'M' }];

function issuesOf(drift: unknown): string[] {
  try {
    parseMonitorConfig({ series, drift }, 'test.json');
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('drift config', () => {
  it('fills the defaults the issue names', () => {
    const { drift } = parseMonitorConfig({ series });
    expect(drift).toEqual({
      toEmails: [],
      checkAtUtc: '06:00',
      predictions: {
        retentionDays: 40,
        recentDays: 7,
        baselineDays: 30,
        pinnedBaselines: {},
        alpha: 0.01,
        minEffect: 0.1,
        minSamples: 100,
        correction: 'benjamini-hochberg',
        decisionThreshold: 0.5,
        models: [],
      },
      infra: {
        modelName: 'infra',
        features: [...DEFAULT_INFRA_FEATURES],
        stepSeconds: 60,
        contamination: 0.01,
        minRows: 1000,
        trainDays: 30,
        seed: 42,
        recentHours: 24,
        minRecentRows: 60,
        rateFactor: 2,
      },
    });
  });

  it.each([
    [{ toEmails: ['ml@example.com'] }, 'drift.fromEmail: required when toEmails is set'],
    [
      { fromEmail: 'a@b.com', toEmails: ['c@d.com'], sesIdentity: 'other.com' },
      'drift.sesIdentity: must be a@b.com or its domain',
    ],
    [
      { predictions: { recentDays: 14, baselineDays: 30 } },
      'drift.predictions.retentionDays: must cover recentDays + baselineDays (44)',
    ],
    [
      {
        predictions: { pinnedBaselines: { m: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } } },
      },
      'drift.predictions.pinnedBaselines.m: from must be before to',
    ],
    [{ predictions: { correction: 'holm' } }, 'drift.predictions.correction:'],
    [{ predictions: { alpha: 0 } }, 'drift.predictions.alpha:'],
    [{ infra: { modelName: 'Infra Model' } }, 'drift.infra.modelName:'],
    [{ infra: { rateFactor: 1 } }, 'drift.infra.rateFactor:'],
    [{ checkAtUtc: '6am' }, 'drift.checkAtUtc: must be HH:MM (UTC)'],
  ])('rejects %j naming the field', (drift, issue) => {
    expect(issuesOf(drift).some((i) => i.startsWith(issue))).toBe(true);
  });

  it('accepts a domain identity for an address of that domain', () => {
    const { drift } = parseMonitorConfig({
      series,
      drift: {
        fromEmail: 'drift@ml.example.com',
        toEmails: ['team@example.com'],
        sesIdentity: 'ml.example.com',
      },
    });
    expect(drift.sesIdentity).toBe('ml.example.com');
  });
});
