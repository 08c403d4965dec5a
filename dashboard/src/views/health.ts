// (view) Infrastructure health at a glance: one compact tile per series (label, state, latest value, a
// sparkline of the last hour), small enough that 60 fit on a 1400×900 screen; the explanation (metric,
// tags, last anomaly, learning time, mute) opens on expand. Sort and filter by state, metric and tag, or
// free text. A tile links to the anomaly timeline of that series.

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
const STATES = Object.keys(STATE_ORDER) as SeriesState[];

type SortKey = 'state' | 'label' | 'metric' | 'recent';
const SORTS: Record<SortKey, string> = {
  state: 'State (needs a look first)',
  label: 'Name',
  metric: 'Metric',
  recent: 'Latest anomaly first',
};

const tagsOf = (s: HealthSeries): string[] => Object.entries(s.tags).map(([k, v]) => `${k}=${v}`);

/** A tile's state badge text: "Learning until 14:05" says when the detector starts judging. */
export function stateText(s: Pick<HealthSeries, 'state' | 'learningUntil'>, now: number): string {
  if (s.state === 'learning' && s.learningUntil != null)
    return `Learning until ${time(s.learningUntil, now)}`;
  return STATE_TEXT[s.state];
}

export function createHealthView(root: HTMLElement, ctx: ViewContext): View {
  const p = ctx.params;
  const filter = h('input', {
    type: 'search',
    id: 'health-filter',
    placeholder: 'Name, metric or tag',
    autocomplete: 'off',
    value: p.get('q') ?? '',
  });
  const stateSelect = h(
    'select',
    { id: 'health-state' },
    h('option', { value: '' }, 'Any state'),
    ...STATES.map((st) => h('option', { value: st, selected: p.get('state') === st }, STATE_TEXT[st])),
  );
  const metricSelect = h('select', { id: 'health-metric' });
  const tagSelect = h('select', { id: 'health-tag' });
  const sortSelect = h(
    'select',
    { id: 'health-sort' },
    ...(Object.keys(SORTS) as SortKey[]).map((k) =>
      h('option', { value: k, selected: (p.get('sort') ?? 'state') === k }, SORTS[k]),
    ),
  );
  const field = (id: string, label: string, control: HTMLElement): HTMLElement =>
    h('label', { class: 'inline-field', for: id }, h('span', null, label), control);
  const summary = h('p', { class: 'summary' });
  const grid = h('ul', { class: 'tiles', 'aria-label': 'Series' }, h('li', null, loading('series')));
  let all: readonly HealthSeries[] = [];
  let generatedAt = 0;
  const expanded = new Set<string>();

  replace(
    root,
    heading('Infrastructure health'),
    h(
      'form',
      {
        class: 'filters compact',
        'aria-label': 'Filter and sort series',
        onsubmit: (e: Event) => e.preventDefault(),
      },
      field('health-filter', 'Filter', filter),
      field('health-state', 'State', stateSelect),
      field('health-metric', 'Metric', metricSelect),
      field('health-tag', 'Tag', tagSelect),
      field('health-sort', 'Sort', sortSelect),
    ),
    summary,
    grid,
  );

  const fillOptions = (
    select: HTMLSelectElement,
    anyText: string,
    values: string[],
    wanted: string,
  ): void => {
    replace(
      select,
      h('option', { value: '' }, anyText),
      ...values.map((v) => h('option', { value: v, selected: v === wanted }, v)),
    );
  };

  const matches = (s: HealthSeries): boolean => {
    const q = filter.value.trim().toLowerCase();
    if (stateSelect.value && s.state !== stateSelect.value) return false;
    if (metricSelect.value && s.metric !== metricSelect.value) return false;
    if (tagSelect.value && !tagsOf(s).includes(tagSelect.value)) return false;
    return q === '' || [s.label, s.id, s.metric, ...tagsOf(s)].some((t) => t.toLowerCase().includes(q));
  };

  const sorted = (list: readonly HealthSeries[]): HealthSeries[] => {
    const key = sortSelect.value as SortKey;
    const byLabel = (a: HealthSeries, b: HealthSeries) => a.label.localeCompare(b.label);
    return [...list].sort((a, b) => {
      if (key === 'label') return byLabel(a, b);
      if (key === 'metric') return a.metric.localeCompare(b.metric) || byLabel(a, b);
      if (key === 'recent') return (b.lastAnomaly?.ts ?? 0) - (a.lastAnomaly?.ts ?? 0) || byLabel(a, b);
      return STATE_ORDER[a.state] - STATE_ORDER[b.state] || byLabel(a, b);
    });
  };

  const render = (): void => {
    const shown = sorted(all.filter(matches));
    const n = (st: SeriesState) => all.filter((s) => s.state === st).length;
    const filtered = shown.length !== all.length;
    replace(
      summary,
      ...STATES.filter((st) => st === 'anomalous' || st === 'ok' || n(st) > 0).flatMap((st) => [
        badge(`${count(n(st))} ${STATE_TEXT[st].toLowerCase()}`, n(st) > 0 ? STATE_TONE[st] : 'muted'),
        ' ',
      ]),
      ` · ${count(all.length)} series${filtered ? `, ${count(shown.length)} shown` : ''}`,
    );
    if (all.length === 0) {
      replace(grid, h('li', null, empty('No series are configured, or none has reported yet.')));
      return;
    }
    if (shown.length === 0) {
      replace(grid, h('li', null, empty('No series matches the filter.')));
      return;
    }
    const now = Math.max(ctx.now(), generatedAt);
    replace(grid, ...shown.map((s) => tile(s, now, expanded)));
  };

  const onChange = (): void => {
    ctx.setParams({
      q: filter.value.trim() || undefined,
      state: stateSelect.value || undefined,
      metric: metricSelect.value || undefined,
      tag: tagSelect.value || undefined,
      sort: sortSelect.value === 'state' ? undefined : sortSelect.value,
    });
    render();
  };
  filter.addEventListener('input', onChange);
  for (const s of [stateSelect, metricSelect, tagSelect, sortSelect]) s.addEventListener('change', onChange);

  return {
    id: 'health',
    title: 'Infrastructure health',
    async load(fresh) {
      const data = await ctx.shared.health(fresh);
      all = data.series;
      generatedAt = data.generatedAt;
      fillOptions(
        metricSelect,
        'Any metric',
        [...new Set(all.map((s) => s.metric))].sort(),
        metricSelect.value || (p.get('metric') ?? ''),
      );
      fillOptions(
        tagSelect,
        'Any tag',
        [...new Set(all.flatMap(tagsOf))].sort(),
        tagSelect.value || (p.get('tag') ?? ''),
      );
      render();
    },
  };
}

function tile(s: HealthSeries, now: number, expanded: Set<string>): HTMLLIElement {
  const tone = STATE_TONE[s.state];
  const tags = tagsOf(s);
  const value = s.latest ? withUnit(s.latest.value, s.unit) : 'no data';
  const state = stateText(s, now);
  const detailsId = `tile-more-${Math.random().toString(36).slice(2, 9)}`;
  const open = expanded.has(s.id);
  const details = h(
    'div',
    { class: 'tile-more', id: detailsId, hidden: !open },
    h('span', { class: 'tile-meta' }, s.metric, tags.length ? ` · ${tags.join(', ')}` : ''),
    s.latest
      ? h('span', { class: 'tile-meta' }, `Latest ${time(s.latest.ts, now)} (${ago(s.latest.ts, now)})`)
      : null,
    s.state === 'learning' && s.learningUntil != null
      ? h(
          'span',
          { class: 'tile-meta' },
          `The detector is learning this series' normal range; it judges points from ${time(s.learningUntil, now)}.`,
        )
      : null,
    s.mutedBy ? h('span', { class: 'tile-meta' }, `Muted by maintenance window ${s.mutedBy}.`) : null,
    s.lastAnomaly
      ? h(
          'span',
          { class: 'tile-anomaly' },
          severityBadge(s.lastAnomaly.severity),
          ` ${time(s.lastAnomaly.ts, now)} `,
          h('span', { class: 'tile-why' }, s.lastAnomaly.explanation),
        )
      : h('span', { class: 'tile-meta' }, 'No anomaly in the last 24 h.'),
  );
  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'tile-toggle',
      'aria-expanded': String(open),
      'aria-controls': detailsId,
      'aria-label': `Details of ${s.label}`,
      onclick: () => {
        const now = details.hidden;
        details.hidden = !now;
        toggle.setAttribute('aria-expanded', String(now));
        if (now) expanded.add(s.id);
        else expanded.delete(s.id);
      },
    },
    '⋯',
  );
  return h(
    'li',
    { class: `tile state-${s.state}`, 'data-series': s.id, 'data-state': s.state },
    h(
      'div',
      { class: 'tile-row' },
      h(
        'a',
        {
          class: 'tile-link',
          href: hrefFor('anomalies', { series: s.id }),
          title: `${s.label} (${s.metric}${tags.length ? `; ${tags.join(', ')}` : ''})`,
          'aria-label': `${s.label}: ${state}, ${value}. Open its anomaly timeline`,
        },
        h('span', { class: 'tile-head' }, h('span', { class: 'tile-label' }, s.label)),
        h(
          'span',
          { class: 'tile-body' },
          h('span', { class: s.latest ? 'tile-value' : 'tile-value muted' }, value),
          s.sparkline.length > 1 ? sparkline(s.sparkline, tone, s.sparklineBand ?? []) : null,
        ),
        h('span', { class: 'tile-state' }, badge(state, tone)),
      ),
      toggle,
    ),
    details,
  );
}
