// (view) Drift: the latest two-sample K-S check per model (statistic, p-value, sample sizes, windows) with
// a picture of what moved (baseline vs recent score CDFs from the check's quantiles) and the K-S statistic
// and accuracy over the last month's runs; the infrastructure drift rate (anomaly rate against its
// expected rate) and its history.

import type { ModelInfo, ModelsResponse } from '../../../shared/api/types';
import { h, replace, svg } from '../dom';
import { count, fullTime, num, pct, pValue, time } from '../format';
import { driftBadge, empty, heading, loading, timeEl, type View, type ViewContext } from '../view';

const W = 280;
const H = 90;
const PAD = 4;

/** A line in a W×H box from (x, y) pairs scaled to the given ranges (y grows upwards). */
function polyline(
  pts: readonly (readonly [number, number])[],
  xr: readonly [number, number],
  yr: readonly [number, number],
  cls: string,
): SVGPolylineElement {
  const sx = (x: number) => PAD + ((x - xr[0]) / (xr[1] - xr[0] || 1)) * (W - 2 * PAD);
  const sy = (y: number) => H - PAD - ((y - yr[0]) / (yr[1] - yr[0] || 1)) * (H - 2 * PAD);
  return svg('polyline', {
    class: cls,
    points: pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' '),
  });
}

/** Baseline (grey) vs recent (blue) score CDFs, from the check's quantiles: where they part, it moved. */
export function cdfOverlay(quantiles: ModelInfo['quantiles']): SVGSVGElement {
  const xs = quantiles.flatMap((q) => [q.before, q.after]);
  const xr: [number, number] = [Math.min(...xs), Math.max(...xs)];
  const line = (key: 'before' | 'after') =>
    quantiles.map((q) => [q[key], q.q] as const).sort((a, b) => a[0] - b[0]);
  return svg(
    'svg',
    {
      class: 'mini-chart cdf',
      viewBox: `0 0 ${W} ${H}`,
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': `Score distribution: baseline (grey) and recent (blue) cumulative curves from ${quantiles.length} quantiles, scores ${num(xr[0], 3)} to ${num(xr[1], 3)}`,
    },
    polyline(line('before'), xr, [0, 1], 'line-baseline'),
    polyline(line('after'), xr, [0, 1], 'line-recent'),
  );
}

/** A value over time (null values are left out); y from 0 to a little above the largest value. */
export function overTime(
  pts: readonly { readonly at: number; readonly v: number | null }[],
  label: string,
  cls = 'line-recent',
): SVGSVGElement | null {
  const ok = pts.filter((p): p is { at: number; v: number } => p.v !== null && Number.isFinite(p.v));
  if (ok.length < 2) return null;
  const xr: [number, number] = [ok[0]!.at, ok.at(-1)!.at];
  const yr: [number, number] = [0, Math.max(...ok.map((p) => p.v)) * 1.1 || 1];
  return svg(
    'svg',
    {
      class: 'mini-chart',
      viewBox: `0 0 ${W} ${H}`,
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': `${label} over ${ok.length} drift runs`,
    },
    polyline(
      ok.map((p) => [p.at, p.v] as const),
      xr,
      yr,
      cls,
    ),
  );
}

function figure(title: string, chart: SVGSVGElement | null, legend?: string): HTMLElement | null {
  return chart
    ? h(
        'figure',
        { class: 'mini-figure' },
        chart,
        h('figcaption', { class: 'muted small' }, title, legend ? ` · ${legend}` : ''),
      )
    : null;
}

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
      h(
        'div',
        { class: 'mini-figures' },
        m.quantiles?.length
          ? figure('Score CDF', cdfOverlay(m.quantiles), 'grey baseline, blue recent')
          : null,
        figure(
          'K-S statistic per run',
          overTime(
            (m.history ?? []).map((p) => ({ at: p.at, v: p.statistic })),
            'K-S statistic',
            'line-baseline',
          ),
        ),
        figure(
          'Accuracy (24 h) per run',
          overTime(
            (m.history ?? []).map((p) => ({ at: p.at, v: p.accuracy24h })),
            'Accuracy over 24 h',
          ),
        ),
      ),
    );
  };

  const infraTrend = (data: ModelsResponse): HTMLElement | null =>
    figure(
      'Anomaly rate per run',
      overTime(
        (data.infraHistory ?? []).map((p) => ({ at: p.at, v: p.rate })),
        'Infrastructure anomaly rate',
      ),
    );

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
            infraTrend(data),
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
