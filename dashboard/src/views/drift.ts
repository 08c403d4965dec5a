// (view) Drift: the latest two-sample K-S check per model (statistic, p-value, sample sizes, windows) and
// the infrastructure drift rate (anomaly rate against its expected rate).

import type { ModelInfo } from '../../../shared/api/types';
import { h, replace } from '../dom';
import { count, fullTime, num, pct, pValue, time } from '../format';
import { driftBadge, empty, heading, loading, timeEl, type View, type ViewContext } from '../view';

export function createDriftView(root: HTMLElement, ctx: ViewContext): View {
  const infraBox = h('div', null, loading('the infrastructure drift rate'));
  const modelsBox = h('div', null, loading('drift results'));
  replace(
    root,
    heading('Drift'),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'infra-drift-title' },
      h('h2', { class: 'panel-title', id: 'infra-drift-title' }, 'Infrastructure drift rate'),
      infraBox,
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'model-drift-title' },
      h('h2', { class: 'panel-title', id: 'model-drift-title' }, 'Models (two-sample Kolmogorov–Smirnov)'),
      modelsBox,
    ),
  );

  const stat = (label: string, value: string, extra?: string): HTMLElement =>
    h(
      'div',
      { class: 'stat' },
      h('dt', null, label),
      h('dd', null, value, extra ? h('span', { class: 'muted small' }, extra) : null),
    );

  const span = (w: readonly [number, number], now: number): string =>
    `${time(w[0], now)} – ${time(w[1], now)}`;

  const card = (m: ModelInfo, now: number): HTMLElement => {
    const d = m.drift;
    return h(
      'article',
      { class: `card ${d && /^drift/.test(d.status) ? 'card-bad' : ''}`, 'data-model': m.model },
      h(
        'h3',
        { class: 'card-title' },
        h('span', null, m.model),
        d ? driftBadge(d.status) : driftBadge('not checked'),
      ),
      d?.reason ? h('p', { class: 'card-reason' }, d.reason) : null,
      d
        ? h(
            'dl',
            { class: 'stats' },
            stat('K-S statistic', num(d.statistic, 3)),
            stat('p-value', pValue(d.pValue), ` adjusted ${pValue(d.adjustedPValue)}`),
            stat('Samples', `${count(d.nBaseline)} vs ${count(d.nRecent)}`, ' baseline vs recent'),
            stat('Baseline window', span(d.baselineWindow, now)),
            stat('Recent window', span(d.recentWindow, now)),
            h(
              'div',
              { class: 'stat' },
              h('dt', null, 'Checked'),
              h('dd', null, timeEl(d.checkedAt, time(d.checkedAt, now), fullTime(d.checkedAt))),
            ),
          )
        : empty('No drift check has covered this model yet.'),
    );
  };

  return {
    id: 'drift',
    title: 'Drift',
    async load(fresh) {
      const data = await ctx.shared.models(fresh);
      const now = ctx.now();
      const infra = data.infra;
      if (!infra) {
        replace(infraBox, empty('The infrastructure drift check has not run yet.'));
      } else {
        replace(
          infraBox,
          h(
            'div',
            { class: `card ${/^drift/.test(infra.status) ? 'card-bad' : ''}`, 'data-subject': 'infra' },
            h('h3', { class: 'card-title' }, h('span', null, 'Anomaly rate'), driftBadge(infra.status)),
            infra.reason ? h('p', { class: 'card-reason' }, infra.reason) : null,
            h(
              'dl',
              { class: 'stats' },
              stat('Anomaly rate', pct(infra.anomalyRate, 2)),
              stat('Expected rate', pct(infra.expectedRate, 2)),
              stat('Ratio', infra.ratio === null ? '–' : `${num(infra.ratio, 3)}×`),
              h(
                'div',
                { class: 'stat' },
                h('dt', null, 'Checked'),
                h('dd', null, timeEl(infra.checkedAt, time(infra.checkedAt, now), fullTime(infra.checkedAt))),
              ),
            ),
          ),
        );
      }
      if (data.models.length === 0) {
        replace(modelsBox, empty('No model has sent predictions yet.'));
        return;
      }
      // Drifting first: what needs a look comes first.
      const sorted = [...data.models].sort(
        (a, b) =>
          Number(/^drift/.test(b.drift?.status ?? '')) - Number(/^drift/.test(a.drift?.status ?? '')) ||
          a.model.localeCompare(b.model),
      );
      replace(modelsBox, h('div', { class: 'cards' }, ...sorted.map((m) => card(m, now))));
    },
  };
}
