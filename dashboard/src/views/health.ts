// (view) Infrastructure health: a tile per series with its latest value, a sparkline of the last hour
// and its state over the last 5 minutes. A tile links to the anomaly timeline of that series.

import type { HealthSeries, SeriesState } from '../../../shared/api/types';
import { h, replace } from '../dom';
import { ago, count, time, withUnit } from '../format';
import { hrefFor } from '../router';
import { sparkline } from '../sparkline';
import { badge, empty, heading, loading, severityBadge, type View, type ViewContext } from '../view';

const STATE_TEXT: Record<SeriesState, string> = {
  ok: 'OK',
  anomalous: 'Anomalous',
  learning: 'Learning',
  'no-data': 'No data',
  muted: 'Muted',
};
const STATE_TONE: Record<SeriesState, string> = {
  ok: 'ok',
  anomalous: 'bad',
  learning: 'info',
  'no-data': 'muted',
  muted: 'muted',
};
/** Anomalous first, then no data, learning, muted, then healthy: what needs a look comes first. */
const STATE_ORDER: Record<SeriesState, number> = { anomalous: 0, 'no-data': 1, learning: 2, muted: 3, ok: 4 };

export function createHealthView(root: HTMLElement, ctx: ViewContext): View {
  const filter = h('input', {
    type: 'search',
    id: 'health-filter',
    placeholder: 'Filter by name, metric or tag',
    autocomplete: 'off',
  });
  const summary = h('p', { class: 'summary' });
  const grid = h('ul', { class: 'tiles', 'aria-label': 'Series' }, h('li', null, loading('series')));
  let all: readonly HealthSeries[] = [];
  let generatedAt = 0;

  replace(
    root,
    heading(
      'Infrastructure health',
      h('label', { class: 'inline-field', for: 'health-filter' }, h('span', null, 'Filter'), filter),
    ),
    summary,
    grid,
  );

  const matches = (s: HealthSeries, q: string): boolean =>
    q === '' ||
    [s.label, s.id, s.metric, ...Object.entries(s.tags).map(([k, v]) => `${k}=${v}`)].some((t) =>
      t.toLowerCase().includes(q),
    );

  const render = (): void => {
    const q = filter.value.trim().toLowerCase();
    const shown = all.filter((s) => matches(s, q));
    const n = (st: SeriesState) => all.filter((s) => s.state === st).length;
    replace(
      summary,
      badge(`${count(n('anomalous'))} anomalous`, n('anomalous') > 0 ? 'bad' : 'muted'),
      ' ',
      badge(`${count(n('ok'))} OK`, 'ok'),
      ' ',
      badge(`${count(n('no-data'))} no data`, 'muted'),
      ` · ${count(all.length)} series${q ? `, ${count(shown.length)} shown` : ''}`,
    );
    if (all.length === 0) {
      replace(grid, h('li', null, empty('No series are configured, or none has reported yet.')));
      return;
    }
    if (shown.length === 0) {
      replace(grid, h('li', null, empty('No series matches the filter.')));
      return;
    }
    replace(grid, ...shown.map((s) => tile(s, generatedAt, ctx.now())));
  };
  filter.addEventListener('input', render);

  return {
    id: 'health',
    title: 'Infrastructure health',
    async load(fresh) {
      const data = await ctx.shared.health(fresh);
      all = [...data.series].sort(
        (a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.label.localeCompare(b.label),
      );
      generatedAt = data.generatedAt;
      render();
    },
  };
}

function tile(s: HealthSeries, generatedAt: number, now: number): HTMLLIElement {
  const tone = STATE_TONE[s.state];
  const tags = Object.entries(s.tags).map(([k, v]) => `${k}=${v}`);
  const latest = s.latest
    ? h('span', { class: 'tile-value' }, withUnit(s.latest.value, s.unit))
    : h('span', { class: 'tile-value muted' }, 'no data');
  return h(
    'li',
    { class: `tile state-${s.state}`, 'data-series': s.id },
    h(
      'a',
      {
        class: 'tile-link',
        href: hrefFor('anomalies', { series: s.id }),
        'aria-label': `${s.label}: ${STATE_TEXT[s.state]}, ${s.latest ? withUnit(s.latest.value, s.unit) : 'no data'}. Open its anomaly timeline`,
      },
      h(
        'span',
        { class: 'tile-head' },
        h('span', { class: 'tile-label' }, s.label),
        badge(STATE_TEXT[s.state], tone),
      ),
      h('span', { class: 'tile-body' }, latest, s.sparkline.length > 1 ? sparkline(s.sparkline, tone) : null),
      h(
        'span',
        { class: 'tile-meta' },
        s.metric,
        tags.length ? ` · ${tags.join(', ')}` : '',
        s.latest ? ` · ${ago(s.latest.ts, Math.max(now, generatedAt))}` : '',
      ),
      s.lastAnomaly
        ? h(
            'span',
            { class: 'tile-anomaly' },
            severityBadge(s.lastAnomaly.severity),
            ` ${time(s.lastAnomaly.ts, now)} `,
            h('span', { class: 'tile-why' }, s.lastAnomaly.explanation),
          )
        : null,
    ),
  );
}
