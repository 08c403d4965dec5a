// (view) Alert correlation: what became of the anomalies detected (sent, grouped into a message,
// deduplicated into an open alert, rate-limited, suppressed by maintenance, below the paging severity),
// the anomaly → alert conversion rate, and the alerts themselves, which staff can mark as a whole.

import type {
  AlertItem,
  AlertQuality,
  AlertSummary,
  AlertsCost,
  FeedbackLabel,
} from '../../../shared/api/types';
import { ApiError } from '../api';
import { h, replace, table } from '../dom';
import { count, fullTime, pct, time, usd } from '../format';
import { hrefFor } from '../router';
import {
  alertStateBadge,
  badge,
  empty,
  heading,
  loading,
  meter,
  timeEl,
  type View,
  type ViewContext,
} from '../view';
import { rangeCovering } from './anomalies';

const RANGES: Record<string, { label: string; ms: number }> = {
  '24h': { label: 'Last 24 hours', ms: 24 * 3_600_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 24 * 3_600_000 },
  '30d': { label: 'Last 30 days', ms: 30 * 24 * 3_600_000 },
};

/** The outcome rows of the funnel, in the order an anomaly meets them. */
const OUTCOMES: readonly { key: keyof AlertSummary; label: string; tone: string; help: string }[] = [
  { key: 'sent', label: 'Sent', tone: 'bad', help: 'opened a new alert (paged)' },
  { key: 'grouped', label: 'Grouped', tone: 'warn', help: 'listed in a message with others' },
  { key: 'deduplicated', label: 'Deduplicated', tone: 'muted', help: 'folded into an open alert' },
  {
    key: 'rateLimited',
    label: 'Rate-limited',
    tone: 'warn',
    help: 'held back by the page budget, sent in a digest',
  },
  { key: 'suppressed', label: 'Suppressed', tone: 'info', help: 'inside a maintenance window' },
  { key: 'belowSeverity', label: 'Below severity', tone: 'muted', help: 'under the paging level' },
  { key: 'pending', label: 'Pending', tone: 'info', help: 'waiting to be published' },
  { key: 'failed', label: 'Failed', tone: 'bad', help: 'publishing kept failing' },
];

export function createAlertsView(root: HTMLElement, ctx: ViewContext): View {
  const rangeKey = RANGES[ctx.params.get('range') ?? ''] ? (ctx.params.get('range') as string) : '24h';
  const rangeSelect = h(
    'select',
    { id: 'alerts-range' },
    ...Object.entries(RANGES).map(([k, r]) => h('option', { value: k, selected: k === rangeKey }, r.label)),
  );
  const funnelBox = h('div', null, loading('alert outcomes'));
  const qualityBox = h('div', null, loading('alert quality'));
  const listBox = h('div', null, loading('alerts'));
  const result = h('p', { class: 'feedback-result', role: 'status', 'aria-live': 'polite' });
  let labels = new Map<string, string>();
  replace(
    root,
    heading(
      'Alert correlation',
      h('label', { class: 'inline-field', for: 'alerts-range' }, h('span', null, 'Time range'), rangeSelect),
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'funnel-title' },
      h('h2', { class: 'panel-title', id: 'funnel-title' }, 'Anomalies → alerts'),
      funnelBox,
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'quality-title' },
      h('h2', { class: 'panel-title', id: 'quality-title' }, 'Alert quality'),
      h(
        'p',
        { class: 'note' },
        'Pages per metric, how many anomalies each page carried (grouping and dedup), precision from the false-positive and confirmed labels on paged anomalies, and what the rate limit and maintenance windows held back.',
      ),
      qualityBox,
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'alerts-title' },
      h('h2', { class: 'panel-title', id: 'alerts-title' }, 'Alerts'),
      result,
      listBox,
    ),
  );

  const renderFunnel = (s: AlertSummary): void => {
    const total = Math.max(1, s.anomalies);
    replace(
      funnelBox,
      h(
        'div',
        { class: 'kpis' },
        h(
          'div',
          { class: 'kpi' },
          h('span', { class: 'kpi-value', 'data-kpi': 'anomalies' }, count(s.anomalies)),
          h('span', { class: 'kpi-label' }, 'anomalies detected'),
        ),
        h(
          'div',
          { class: 'kpi' },
          h('span', { class: 'kpi-value', 'data-kpi': 'alerts' }, count(s.sent + s.grouped)),
          h('span', { class: 'kpi-label' }, 'anomalies in alerts (sent + grouped)'),
        ),
        h(
          'div',
          { class: 'kpi' },
          h('span', { class: 'kpi-value', 'data-kpi': 'conversion' }, pct(s.conversionRate)),
          h('span', { class: 'kpi-label' }, 'conversion rate (of anomalies at or above the paging level)'),
        ),
      ),
      table(
        'What became of the anomalies',
        ['Outcome', 'Anomalies', 'Share', 'Meaning'],
        OUTCOMES.map((o) => {
          const n = s[o.key];
          return h(
            'tr',
            { 'data-outcome': o.key },
            h('th', { scope: 'row' }, badge(o.label, o.tone)),
            h('td', { class: 'num' }, count(n)),
            h(
              'td',
              null,
              h(
                'span',
                { class: 'meter-row' },
                pct(n / total),
                meter(n / total, `${o.label}: share of anomalies`, o.tone),
              ),
            ),
            h('td', { class: 'muted' }, o.help),
          );
        }),
      ),
    );
  };

  const mark = async (
    a: AlertItem,
    label: FeedbackLabel | undefined,
    button: HTMLButtonElement,
  ): Promise<void> => {
    button.disabled = true;
    try {
      const res = label ? await ctx.api.markAlert(a.alertId, label) : await ctx.api.unmarkAlert(a.alertId);
      const fp = res.states
        .map((st) => `${st.metric}: ${count(st.falsePositives)} false positives`)
        .join('; ');
      const message = `${label ? `Marked alert ${label === 'false-positive' ? 'false positive' : 'confirmed'}` : 'Alert marks removed'} (${count(res.anomalies.length)} anomalies). ${fp}.`;
      // Reload first, so the rows (and which offer "Undo") agree with the message.
      await view.load(true);
      result.textContent = message;
      ctx.announce(message);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) throw e;
      result.textContent = `Could not mark the alert: ${(e as Error).message}`;
    } finally {
      button.disabled = false;
    }
  };

  const renderAlerts = (alerts: readonly AlertItem[]): void => {
    if (alerts.length === 0) {
      replace(listBox, empty('No alert was raised in this time range.'));
      return;
    }
    const now = ctx.now();
    const btn = (
      a: AlertItem,
      label: FeedbackLabel | undefined,
      text: string,
      aria: string,
    ): HTMLButtonElement =>
      h(
        'button',
        {
          type: 'button',
          class: 'btn small',
          'aria-label': aria,
          onclick: (e: Event) => void mark(a, label, e.currentTarget as HTMLButtonElement),
        },
        text,
      );
    replace(
      listBox,
      table(
        'Alerts, newest first',
        ['When', 'Level', 'Series', 'Anomalies', 'State', 'Feedback'],
        [...alerts]
          .sort((x, y) => y.ts - x.ts)
          .map((a) =>
            h(
              'tr',
              { 'data-alert': a.alertId },
              h('td', null, timeEl(a.ts, time(a.ts, now), fullTime(a.ts))),
              h(
                'td',
                null,
                badge(a.level, a.level === 'CRITICAL' ? 'bad' : a.level === 'WARNING' ? 'warn' : 'info'),
              ),
              h(
                'td',
                { class: 'series-list' },
                // Each series links to its chart at the alert's time.
                ...a.series.map((id, i) =>
                  h(
                    'a',
                    {
                      class: 'chip',
                      title: `${id}: show on the chart at ${fullTime(a.ts)}`,
                      href: hrefFor('anomalies', {
                        series: id,
                        at: String(a.ts),
                        range: rangeCovering(a.ts, now),
                      }),
                    },
                    a.labels?.[i] ?? labels.get(id) ?? id,
                  ),
                ),
              ),
              h('td', { class: 'num' }, count(a.anomalies)),
              h('td', null, alertStateBadge(a.state)),
              h(
                'td',
                { class: 'btn-row' },
                btn(
                  a,
                  'false-positive',
                  'False positive',
                  `Mark every anomaly of alert ${a.alertId} as false positives`,
                ),
                btn(a, 'confirmed', 'Confirm', `Confirm alert ${a.alertId}`),
                // Undo only where there is something to undo (older APIs omit `marked`).
                (a.marked ?? 1) > 0
                  ? btn(a, undefined, 'Undo', `Remove the marks of alert ${a.alertId}`)
                  : null,
              ),
            ),
          ),
      ),
    );
  };

  const view: View = {
    id: 'alerts',
    title: 'Alert correlation',
    async load() {
      const to = ctx.now();
      const range = RANGES[rangeSelect.value] ?? RANGES['24h']!;
      const [data, health] = await Promise.all([
        ctx.api.alerts({ from: to - range.ms, to }, ctx.signal),
        ctx.shared.health(false).catch(() => null), // labels only: ids stand in without them
      ]);
      labels = new Map((health?.series ?? []).map((x) => [x.id, x.label]));
      renderFunnel(data.summary);
      renderQuality(data.quality ?? [], data.cost ?? null);
      renderAlerts(data.alerts);
    },
  };
  rangeSelect.addEventListener('change', () => {
    ctx.setParams({ range: rangeSelect.value === '24h' ? undefined : rangeSelect.value });
    void view.load(true);
  });
  return view;

  /** "12 min", "3.5 h": a duration that reads at a glance. */
  function minutes(m: number): string {
    return m < 90 ? `${Math.round(m)} min` : `${(m / 60).toFixed(1)} h`;
  }

  /** What the cost column rests on, in a line (older APIs send no estimate). */
  function costCaption(cost: AlertsCost | null): HTMLElement | null {
    if (!cost) return null;
    return h(
      'p',
      { class: 'note', 'data-cost-caption': '', title: cost.basis },
      `≈ ${usd(cost.perSeriesUsd)} per series-month at us-east-1 list prices checked ${cost.pricesChecked}, ` +
        `from bench:scale's measured request rates; ${count(cost.series)} series on ` +
        `${count(cost.shards)} shard${cost.shards === 1 ? '' : 's'}`,
    );
  }

  function renderQuality(rows: readonly AlertQuality[], cost: AlertsCost | null): void {
    if (rows.length <= 1 && (rows[0]?.anomalies ?? 0) === 0) {
      replace(qualityBox, empty('No anomaly in this range.'), costCaption(cost));
      return;
    }
    const fixed = (x: number | null, digits = 1) => (x === null ? '–' : x.toFixed(digits));
    replace(
      qualityBox,
      table(
        'Alert quality per metric',
        [
          'Metric',
          'Pages',
          'Pages / week',
          'Anomalies per page',
          'Precision (labelled)',
          'Rate-limited',
          'Suppressed',
          'Median to RESOLVED',
          'Est. cost / month',
        ],
        rows.map((q) =>
          h(
            'tr',
            { 'data-quality': q.metric ?? 'all', class: q.metric === null ? 'total' : undefined },
            h('th', { scope: 'row' }, q.metric ?? 'All metrics'),
            h('td', { class: 'num', 'data-q': 'pages' }, count(q.pages)),
            h('td', { class: 'num', 'data-q': 'pagesPerWeek' }, fixed(q.pagesPerWeek)),
            h('td', { class: 'num', 'data-q': 'anomaliesPerPage' }, fixed(q.anomaliesPerPage)),
            h(
              'td',
              { class: 'num', 'data-q': 'precision' },
              q.precision === null ? '–' : pct(q.precision),
              h(
                'span',
                { class: 'sub' },
                `${count(q.confirmed)} confirmed, ${count(q.falsePositives)} false`,
              ),
            ),
            h('td', { class: 'num', 'data-q': 'rateLimited' }, count(q.rateLimited)),
            h('td', { class: 'num', 'data-q': 'suppressed' }, count(q.suppressed)),
            h(
              'td',
              { class: 'num', 'data-q': 'medianToResolved' },
              q.medianMinutesToResolved === null ? '–' : minutes(q.medianMinutesToResolved),
              h('span', { class: 'sub' }, `${count(q.resolved)} of ${count(q.pages)} resolved`),
            ),
            h('td', { class: 'num', 'data-q': 'estimatedMonthlyUsd' }, usd(q.estimatedMonthlyUsd)),
          ),
        ),
      ),
      costCaption(cost),
    );
  }
}
