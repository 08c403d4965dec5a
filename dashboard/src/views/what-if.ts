// (view part) What-if and manual set, in Settings: pick a metric and a proposed adjustment, see the pages
// the last 30 days would have produced at the current and at the proposed adjustment (totals, a bar per
// day, the labelled anomalies that would stop or start paging), then apply it as the same audited change
// as the API's PUT /api/thresholds/{metric}. A change is reverted from the history below the panel.

import type { PolicyView, PreviewResponse, ThresholdState } from '../../../shared/api/types';
import { type ApiClient, ApiError } from '../api';
import { h, replace, svg, table } from '../dom';
import { adjustment, count, fullTime, time } from '../format';
import { badge, empty, errorBox, loading } from '../view';

export interface WhatIfPanel {
  readonly element: HTMLElement;
  /** The metrics and the policy's bounds, after each load of Settings. */
  update(thresholds: readonly ThresholdState[], policy: PolicyView | undefined): void;
  /** True while the user is typing in it (auto-refresh waits). */
  editing(): boolean;
}

/** Bars of pages per day, current (grey) beside proposed (blue); the numbers are in the table too. */
export function pagesChart(daily: PreviewResponse['daily']): SVGSVGElement {
  const w = 600;
  const hgt = 120;
  const max = Math.max(1, ...daily.map((d) => Math.max(d.current, d.proposed)));
  const slot = w / Math.max(1, daily.length);
  const bar = Math.max(1, slot / 2 - 1);
  const y = (n: number) => hgt - 14 - (n / max) * (hgt - 24);
  const bars = daily.flatMap((d, i) => [
    svg('rect', {
      class: 'bar-current',
      x: (i * slot).toFixed(1),
      y: y(d.current).toFixed(1),
      width: bar.toFixed(1),
      height: (hgt - 14 - y(d.current)).toFixed(1),
    }),
    svg('rect', {
      class: 'bar-proposed',
      x: (i * slot + bar).toFixed(1),
      y: y(d.proposed).toFixed(1),
      width: bar.toFixed(1),
      height: (hgt - 14 - y(d.proposed)).toFixed(1),
    }),
  ]);
  return svg(
    'svg',
    {
      class: 'pages-chart',
      viewBox: `0 0 ${w} ${hgt}`,
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': `Pages per day over ${daily.length} days: grey at the current adjustment, blue at the proposed one; at most ${max} a day`,
    },
    ...bars,
    svg('line', { class: 'axis', x1: '0', x2: String(w), y1: String(hgt - 14), y2: String(hgt - 14) }),
  );
}

export function whatIfPanel(ctx: {
  readonly api: ApiClient;
  readonly now: () => number;
  readonly signal?: AbortSignal;
  /** After a change is applied: reload thresholds and history. */
  readonly onApplied: (message: string) => Promise<void>;
}): WhatIfPanel {
  const metricSelect = h('select', { id: 'wi-metric' });
  const input = h('input', {
    id: 'wi-adjustment',
    type: 'number',
    step: '0.05',
    inputmode: 'decimal',
    required: true,
    value: '0.1',
  });
  const bounds = h('span', { class: 'muted small' });
  const previewBtn = h('button', { type: 'submit', class: 'btn primary', id: 'wi-preview' }, 'Preview');
  const out = h('div', { class: 'what-if-result', 'aria-live': 'polite' });
  let thresholds: readonly ThresholdState[] = [];
  let policy: PolicyView | undefined;
  let last: PreviewResponse | undefined;

  const form = h(
    'form',
    {
      class: 'filters',
      'aria-label': 'What-if preview of a threshold adjustment',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void run();
      },
    },
    h('label', { class: 'field', for: 'wi-metric' }, h('span', null, 'Metric'), metricSelect),
    h(
      'label',
      { class: 'field', for: 'wi-adjustment' },
      h('span', null, 'Proposed adjustment (0.2 = thresholds 20% higher)'),
      input,
      bounds,
    ),
    h('span', { class: 'field end' }, previewBtn),
  );
  const element = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'wi-title' },
    h('h2', { class: 'panel-title', id: 'wi-title' }, 'What-if and manual set'),
    h(
      'p',
      { class: 'note' },
      "Replays the last 30 days of the metric's stored points through detection and alerting at the current and at the proposed adjustment. Applying writes an audited change you can revert from the history.",
    ),
    form,
    out,
  );

  const current = (metric: string) => thresholds.find((t) => t.metric === metric);

  const run = async (): Promise<void> => {
    const metric = metricSelect.value;
    const proposed = Number(input.value);
    if (!metric || !Number.isFinite(proposed) || input.value.trim() === '') {
      replace(out, errorBox('Choose a metric and enter a number such as 0.2 or -0.1.'));
      return;
    }
    previewBtn.disabled = true;
    replace(out, loading(`the 30-day replay of ${metric}`));
    try {
      last = await ctx.api.preview(metric, proposed, ctx.signal);
      render(last);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) throw e;
      replace(
        out,
        errorBox(e instanceof Error ? e.message : String(e), () => void run()),
      );
    } finally {
      previewBtn.disabled = false;
    }
  };

  const render = (r: PreviewResponse): void => {
    const now = ctx.now();
    const rows: [string, number, number][] = [
      ['Pages (alert messages)', r.current.pages, r.proposed.pages],
      ['Anomalies recorded', r.current.anomalies, r.proposed.anomalies],
      ['Anomalies in pages', r.current.pagedAnomalies, r.proposed.pagedAnomalies],
      ['RESOLVED notices', r.current.resolved, r.proposed.resolved],
    ];
    const reason = h('input', {
      id: 'wi-reason',
      type: 'text',
      maxlength: 500,
      autocomplete: 'off',
      class: 'reason',
      placeholder: 'Why (kept in the history)',
    });
    const applyErr = h('span', { class: 'form-error', role: 'alert' });
    const apply = h(
      'button',
      { type: 'submit', class: 'btn primary', id: 'wi-apply' },
      `Apply ${adjustment(r.proposed.adjustment)} to ${r.metric}`,
    );
    const applyForm = h(
      'form',
      {
        class: 'apply-form',
        'aria-label': `Apply ${adjustment(r.proposed.adjustment)} to ${r.metric}`,
        onsubmit: async (e: Event) => {
          e.preventDefault();
          apply.disabled = true;
          try {
            const change = await ctx.api.setThreshold(
              r.metric,
              r.proposed.adjustment,
              reason.value.trim() || undefined,
            );
            await ctx.onApplied(
              `Applied ${change.metric}: ${adjustment(change.from)} → ${adjustment(change.to)} (change ${change.id}). Revert it from the history below.`,
            );
            replace(out, empty(`Applied. ${r.metric} is now at ${adjustment(change.to)}.`));
          } catch (err) {
            if (err instanceof ApiError && (err.status === 401 || err.status === 403)) throw err;
            applyErr.textContent = err instanceof Error ? err.message : String(err);
          } finally {
            apply.disabled = false;
          }
        },
      },
      h('label', { for: 'wi-reason' }, 'Reason (optional)'),
      reason,
      apply,
      applyErr,
    );
    const fates = r.labelled.filter((l) => l.current !== l.proposed);
    replace(
      out,
      h(
        'p',
        { class: 'summary' },
        `${r.metric}: ${count(r.series)} series, ${count(r.points)} points, ${time(r.from, now)} – ${time(r.to, now)} (${r.days} days), replayed in ${count(r.elapsedMs)} ms. `,
        badge(
          `pages ${count(r.current.pages)} → ${count(r.proposed.pages)}`,
          r.proposed.pages < r.current.pages ? 'ok' : r.proposed.pages > r.current.pages ? 'warn' : 'muted',
        ),
        ' ',
        badge(
          `${count(r.falsePositivesAvoided.length)} false positives avoided`,
          r.falsePositivesAvoided.length ? 'ok' : 'muted',
        ),
        ' ',
        badge(`${count(r.confirmedLost.length)} confirmed lost`, r.confirmedLost.length ? 'bad' : 'muted'),
      ),
      table(
        'Current versus proposed over the replayed period',
        ['', `Current ${adjustment(r.current.adjustment)}`, `Proposed ${adjustment(r.proposed.adjustment)}`],
        rows.map(([label, a, b]) =>
          h(
            'tr',
            { 'data-row': label },
            h('th', { scope: 'row' }, label),
            h('td', { class: 'num', 'data-side': 'current' }, count(a)),
            h('td', { class: 'num', 'data-side': 'proposed' }, count(b)),
          ),
        ),
        { class: 'table-wrap what-if-table' },
      ),
      r.daily.length > 0
        ? h(
            'figure',
            { class: 'pages-figure' },
            pagesChart(r.daily),
            h(
              'figcaption',
              { class: 'muted small' },
              h('span', { class: 'swatch current' }),
              ' current  ',
              h('span', { class: 'swatch proposed' }),
              ' proposed: pages per day',
            ),
          )
        : null,
      fates.length
        ? h(
            'ul',
            { class: 'fates' },
            ...fates
              .slice(0, 10)
              .map((l) =>
                h(
                  'li',
                  null,
                  `${fullTime(l.ts)} ${l.label} (${l.feedback.label}): ${l.current} → ${l.proposed}`,
                ),
              ),
          )
        : null,
      current(r.metric)?.adjustment === r.proposed.adjustment
        ? empty(`${r.metric} is already at ${adjustment(r.proposed.adjustment)}.`)
        : applyForm,
    );
  };

  return {
    element,
    update(list, p) {
      thresholds = list;
      policy = p;
      const wanted = metricSelect.value;
      replace(
        metricSelect,
        ...list.map((t) =>
          h(
            'option',
            { value: t.metric, selected: t.metric === wanted },
            `${t.metric} (now ${adjustment(t.adjustment)})`,
          ),
        ),
      );
      if (policy) {
        input.min = String(policy.minAdjustment);
        input.max = String(policy.maxAdjustment);
        input.step = String(policy.step);
        bounds.textContent = `from ${adjustment(policy.minAdjustment)} to ${adjustment(policy.maxAdjustment)}`;
      }
    },
    editing: () => element.contains(document.activeElement) && document.activeElement?.tagName === 'INPUT',
  };
}
