// (view) ML model performance: prediction volume and accuracy (from labelled outcomes) per model, over
// the last 24 hours and 7 days.

import type { ModelInfo } from '../../../shared/api/types';
import { h, replace, table } from '../dom';
import { count, fullTime, pct, time } from '../format';
import { hrefFor } from '../router';
import { driftBadge, empty, heading, loading, meter, timeEl, type View, type ViewContext } from '../view';

export function createModelsView(root: HTMLElement, ctx: ViewContext): View {
  const body = h('div', null, loading('models'));
  const note = h('p', { class: 'note' });
  replace(root, heading('ML model performance'), note, body);

  const accuracyCell = (a: number | null, label: string): HTMLTableCellElement =>
    a === null
      ? h('td', { class: 'muted' }, 'no labelled outcomes')
      : h(
          'td',
          { class: 'num' },
          h(
            'span',
            { class: 'meter-row' },
            pct(a),
            meter(a, label, a >= 0.9 ? 'ok' : a >= 0.75 ? 'warn' : 'bad'),
          ),
        );

  return {
    id: 'models',
    title: 'ML model performance',
    async load(fresh) {
      const data = await ctx.shared.models(fresh);
      const now = ctx.now();
      replace(
        note,
        data.lastRun ? `Last drift check ${time(data.lastRun, now)}.` : 'No drift check has run yet.',
      );
      if (data.models.length === 0) {
        replace(body, empty('No model has sent predictions yet.'));
        return;
      }
      const busiest = Math.max(1, ...data.models.map((m) => m.predictions24h));
      const row = (m: ModelInfo): HTMLTableRowElement =>
        h(
          'tr',
          { 'data-model': m.model },
          h('th', { scope: 'row' }, m.model),
          h(
            'td',
            { class: 'num' },
            h(
              'span',
              { class: 'meter-row' },
              count(m.predictions24h),
              meter(
                m.predictions24h / busiest,
                `${m.model}: prediction volume, 24 h, relative to the busiest model`,
              ),
            ),
          ),
          h('td', { class: 'num' }, count(m.predictions7d)),
          accuracyCell(m.accuracy24h, `${m.model}: accuracy, 24 h`),
          accuracyCell(m.accuracy7d, `${m.model}: accuracy, 7 days`),
          h(
            'td',
            null,
            m.drift
              ? h(
                  'a',
                  { href: hrefFor('drift'), class: 'plain' },
                  driftBadge(m.drift.status),
                  ' ',
                  timeEl(m.drift.checkedAt, time(m.drift.checkedAt, now), fullTime(m.drift.checkedAt)),
                )
              : h('span', { class: 'muted' }, 'not checked'),
          ),
        );
      replace(
        body,
        table(
          'Prediction volume and accuracy per model',
          ['Model', 'Predictions (24 h)', 'Predictions (7 d)', 'Accuracy (24 h)', 'Accuracy (7 d)', 'Drift'],
          [...data.models].sort((a, b) => a.model.localeCompare(b.model)).map(row),
        ),
      );
    },
  };
}
