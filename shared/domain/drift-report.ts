// (domain) what a drift check found, and the e-mail that tells the ML team about it. Pure: rendering
// takes the results and `now`; subjects are plain ASCII-safe text, HTML bodies escape every value.
import type { Correction, Performance } from './drift';
import { formatP } from './drift';
import { formatNumber } from './format';
import type { QuantileShift } from './ks-test';

/** A time window, epoch ms, from inclusive, to exclusive. */
export interface WindowSpan {
  readonly from: number;
  readonly to: number;
}

/** Verdict of one check. `insufficient`: too little data to decide; `failed`: the check could not run. */
export type CheckStatus = 'drift' | 'ok' | 'insufficient' | 'failed';

/** Prediction drift and performance of one model. */
export interface PredictionCheck {
  readonly kind: 'prediction';
  /** `model:<name>`: the key of e-mail state. */
  readonly subject: string;
  readonly model: string;
  readonly status: CheckStatus;
  readonly reason: string;
  readonly recent: WindowSpan & { readonly n: number };
  readonly baseline: WindowSpan & { readonly n: number; readonly pinned: boolean };
  /** Rows dropped because another row had the same prediction id (re-sends, duplicate deliveries). */
  readonly duplicates: number;
  readonly ks?: {
    readonly statistic: number;
    readonly pValue: number;
    /** After the run's multiple-testing correction. */
    readonly adjustedPValue: number;
    readonly method: 'exact' | 'asymptotic';
  };
  /** p10/p50/p90 of the scores, baseline (before) vs recent (after). */
  readonly quantiles?: readonly QuantileShift[];
  /** Where outcomes exist: last 24 h and last 7 days. */
  readonly performance: readonly Performance[];
}

/** Infrastructure drift: the stored isolation forest on recent metrics. */
export interface InfraCheck {
  readonly kind: 'infra';
  /** `infra:<model name>`. */
  readonly subject: string;
  readonly model: string;
  readonly status: CheckStatus;
  readonly reason: string;
  readonly factor: number;
  readonly modelVersion?: string;
  readonly trainedAt?: number;
  readonly window?: WindowSpan;
  readonly rows?: number;
  readonly droppedRows?: number;
  readonly anomalies?: number;
  readonly rate?: number;
  readonly expectedRate?: number;
  readonly threshold?: number;
  /** Per feature: p10/p50/p90 in training (before) vs the recent window (after). */
  readonly features?: readonly { readonly label: string; readonly quantiles: readonly QuantileShift[] }[];
}

/** One check's result. */
export type DriftCheck = PredictionCheck | InfraCheck;

/** An e-mail a run sent, or decided not to send. */
export interface MailRecord {
  readonly subject: string;
  readonly kind: 'drift' | 'recovered';
  readonly messageId?: string;
  /** Why it was not sent (daily limit, SES error, no recipients configured). */
  readonly notSent?: string;
}

/** One check-drift run: every result, the correction applied, the e-mail sent. */
export interface DriftRun {
  readonly runAt: number;
  readonly correction: Correction;
  readonly alpha: number;
  /** Models whose K-S test entered the correction. */
  readonly modelsTested: number;
  readonly checks: readonly DriftCheck[];
  readonly mails: readonly MailRecord[];
}

/** Context of an e-mail. */
export interface MailContext {
  readonly now: number;
  readonly dashboardUrl?: string;
  readonly correction: Correction;
  readonly alpha: number;
  readonly modelsTested: number;
  readonly minEffect: number;
}

/** `2026-11-24 06:00 UTC`. */
export function formatTime(ts: number): string {
  return `${new Date(ts).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function formatWindow(w: WindowSpan): string {
  return `${formatTime(w.from)} to ${formatTime(w.to)}`;
}

function pct(x: number | undefined): string {
  return x === undefined ? 'n/a' : `${(x * 100).toFixed(1)}%`;
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${formatNumber(x)}`;
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The subject line: which model, what happened. Printable ASCII, at most 200 characters. */
export function mailSubject(check: DriftCheck, kind: 'drift' | 'recovered'): string {
  let text: string;
  if (check.kind === 'prediction') {
    text =
      kind === 'drift'
        ? `[ML drift] ${check.model}: prediction scores shifted (K-S D=${check.ks?.statistic.toFixed(2) ?? '?'}, ` +
          `p=${formatP(check.ks?.adjustedPValue ?? 1)})`
        : `[ML drift recovered] ${check.model}: prediction scores back in line with the baseline`;
  } else {
    text =
      kind === 'drift'
        ? `[ML drift] infrastructure (${check.model} model): anomaly rate ${pct(check.rate)} vs expected ${pct(check.expectedRate)}`
        : `[ML drift recovered] infrastructure (${check.model} model): anomaly rate ${pct(check.rate)}, back under ${check.factor}x expected`;
  }
  // Subjects stay printable ASCII: model names are already, but a label or a number format might not be.
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}

/** Rows of a "before vs after" quantile table. */
function quantileRows(quantiles: readonly QuantileShift[]): string[][] {
  return quantiles.map((q) => [
    `p${Math.round(q.q * 100)}`,
    formatNumber(q.before),
    formatNumber(q.after),
    signed(q.shift),
  ]);
}

function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `  ${cells.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

function htmlTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (tag: string, text: string, c: number) =>
    `<${tag} style="padding:2px 10px;text-align:${c === 0 ? 'left' : 'right'};border-bottom:1px solid #ddd">${escapeHtml(text)}</${tag}>`;
  return (
    '<table style="border-collapse:collapse;font-family:monospace">' +
    `<tr>${header.map((h, c) => cell('th', h, c)).join('')}</tr>` +
    rows.map((r) => `<tr>${r.map((v, c) => cell('td', v, c)).join('')}</tr>`).join('') +
    '</table>'
  );
}

function performanceLine(p: Performance): string {
  const parts = [`accuracy ${pct(p.accuracy)}`];
  if (p.kind === 'binary') parts.push(`precision ${pct(p.precision)}`, `recall ${pct(p.recall)}`);
  if (p.meanAbsoluteError !== undefined) parts.push(`mean abs. error ${formatNumber(p.meanAbsoluteError)}`);
  return `last ${p.window}: ${parts.join(', ')} over ${p.labelled} predictions with outcomes`;
}

interface Section {
  readonly title: string;
  readonly lines: readonly string[];
  readonly table?: { readonly header: readonly string[]; readonly rows: readonly (readonly string[])[] };
}

function sectionsOf(check: DriftCheck, ctx: MailContext): Section[] {
  if (check.kind === 'prediction') {
    const sections: Section[] = [];
    const lines = [
      `Recent window:   ${formatWindow(check.recent)}, ${check.recent.n} predictions`,
      `Baseline window: ${formatWindow(check.baseline)}, ${check.baseline.n} predictions${check.baseline.pinned ? ' (pinned)' : ''}`,
    ];
    if (check.ks) {
      lines.push(
        `K-S statistic D = ${check.ks.statistic.toFixed(4)} (effect-size floor ${ctx.minEffect})`,
        `p-value = ${formatP(check.ks.pValue)} (${check.ks.method}); ${ctx.correction}-adjusted over ` +
          `${ctx.modelsTested} model${ctx.modelsTested === 1 ? '' : 's'}: ${formatP(check.ks.adjustedPValue)} (alpha ${ctx.alpha})`,
      );
    }
    lines.push(`Decision: ${check.reason}`);
    if (check.duplicates > 0) lines.push(`Duplicates ignored: ${check.duplicates}`);
    sections.push({
      title: 'Prediction scores, baseline vs recent',
      lines,
      ...(check.quantiles
        ? {
            table: {
              header: ['quantile', 'baseline', 'recent', 'shift'],
              rows: quantileRows(check.quantiles),
            },
          }
        : {}),
    });
    sections.push({
      title: 'Model performance',
      lines:
        check.performance.length > 0
          ? check.performance.map(performanceLine)
          : ['No outcomes reported for the last 7 days.'],
    });
    return sections;
  }
  const lines = [
    `Model version: ${check.modelVersion ?? 'n/a'}${check.trainedAt ? `, trained ${formatTime(check.trainedAt)}` : ''}`,
    ...(check.window ? [`Window: ${formatWindow(check.window)}`] : []),
    `Rows scored: ${check.rows ?? 0} (${check.droppedRows ?? 0} incomplete steps dropped)`,
    `Anomalous rows: ${check.anomalies ?? 0}, rate ${pct(check.rate)}; expected ${pct(check.expectedRate)}, ` +
      `drift above ${check.factor}x expected`,
    `Decision: ${check.reason}`,
  ];
  const rows = (check.features ?? []).flatMap((f) =>
    quantileRows(f.quantiles).map(([q, before, after, shift]) => [
      `${f.label} ${q}`,
      before as string,
      after as string,
      shift as string,
    ]),
  );
  return [
    {
      title: 'Infrastructure metrics, training vs recent',
      lines,
      ...(rows.length > 0 ? { table: { header: ['feature', 'training', 'recent', 'shift'], rows } } : {}),
    },
  ];
}

/**
 * The e-mail for a drift (or recovered) announcement: subject naming the model and what, a text and an
 * HTML body with the numbers, windows, a p10/p50/p90 before-vs-after table and the dashboard link.
 */
export function renderDriftMail(
  check: DriftCheck,
  kind: 'drift' | 'recovered',
  ctx: MailContext,
): { subject: string; text: string; html: string } {
  const subject = mailSubject(check, kind);
  const what = check.kind === 'prediction' ? `Model ${check.model}` : `Infrastructure model ${check.model}`;
  const headline =
    kind === 'drift'
      ? `${what}: drift detected by the check at ${formatTime(ctx.now)}.`
      : `${what}: no drift any more at the check at ${formatTime(ctx.now)}.`;
  const sections = sectionsOf(check, ctx);
  const footer = ctx.dashboardUrl
    ? `Dashboard: ${ctx.dashboardUrl}`
    : 'Dashboard: not configured (alerts.dashboardUrl)';
  const note = 'Drift Sentinel sends at most one e-mail per model per day.';

  const text = [
    headline,
    '',
    ...sections.flatMap((s) => [
      s.title,
      ...s.lines.map((l) => `  ${l}`),
      ...(s.table ? ['', ...textTable(s.table.header, s.table.rows)] : []),
      '',
    ]),
    footer,
    note,
    '',
  ].join('\n');

  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;font-size:14px">',
    `<p><strong>${escapeHtml(headline)}</strong></p>`,
    ...sections.map(
      (s) =>
        `<h3 style="margin-bottom:4px">${escapeHtml(s.title)}</h3>` +
        `<ul>${s.lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>` +
        (s.table ? htmlTable(s.table.header, s.table.rows) : ''),
    ),
    ctx.dashboardUrl
      ? `<p><a href="${escapeHtml(ctx.dashboardUrl)}">Open the dashboard</a></p>`
      : `<p>${escapeHtml(footer)}</p>`,
    `<p style="color:#666">${escapeHtml(note)}</p>`,
    '</body></html>',
  ].join('');
  return { subject, text, html };
}
