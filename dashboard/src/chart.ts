// (SPA) the anomaly timeline chart (uPlot): the series as a line (with its min/max band when the API
// downsampled it), the detector's expected range as a grey band, and the anomalies as markers coloured by
// severity, false positives greyed. Hovering shows the value, the expected range and, at an anomaly, its
// severity and explanation (as text: labels and explanations come from data).
import uPlot from 'uplot';
import { type ChartColumns, MARKER_GROUPS, type MarkerGroup } from './chart-data';
import { h } from './dom';
import { fullTime, num } from './format';

const MARKER_COLOURS: Record<MarkerGroup, string> = {
  critical: '#b3261e',
  high: '#d4600a',
  medium: '#b58900',
  low: '#1f6feb',
  'false-positive': '#8c959f',
};

export interface ChartHandle {
  readonly element: HTMLElement;
  /** Put the cursor (and the hover text) at this time, e.g. an anomaly a link pointed at. */
  focusAt(ts: number): void;
  destroy(): void;
}

/** The data's extent (values, bucket min/max, markers, the band near them) with 8 % padding. */
export function yRange(cols: ChartColumns): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  const take = (col: readonly (number | null)[]) => {
    for (const v of col) {
      if (v === null || !Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  };
  take(cols.value);
  take(cols.min);
  take(cols.max);
  for (const g of MARKER_GROUPS) take(cols.markers[g]);
  if (!Number.isFinite(lo)) return [0, 1];
  // The band counts while it stays within one data span of the data; wider stretches are clipped.
  const span = hi - lo || Math.abs(hi) || 1;
  const [dataLo, dataHi] = [lo, hi];
  for (const v of [...cols.low, ...cols.high]) {
    if (v === null || !Number.isFinite(v) || v < dataLo - span || v > dataHi + span) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
  return [lo - pad, hi + pad];
}

/** Index of the x value nearest to `sec` in the sorted `xs`. */
function nearest(xs: readonly number[], sec: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < sec) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[lo]! - sec) <= Math.abs(xs[hi]! - sec) ? lo : hi;
}

/** Draw the chart into a new element sized to `container`; it follows the container's width. */
export function anomalyChart(
  container: HTMLElement,
  cols: ChartColumns,
  unit: string | undefined,
  downsampled: boolean,
): ChartHandle {
  const width = Math.max(280, container.clientWidth || 800);
  const height = width < 600 ? 200 : 280;
  const fmt = (v: number | null): string => (v === null ? '–' : `${num(v)}${unit ? ` ${unit}` : ''}`);
  const series: uPlot.Series[] = [
    {},
    {
      label: 'value',
      stroke: '#0969da',
      width: 1.5,
      spanGaps: true,
      value: (_u, v) => fmt(v),
      points: { show: false },
    },
    {
      label: 'bucket min',
      stroke: 'rgba(9,105,218,0.35)',
      width: 1,
      spanGaps: true,
      show: downsampled,
      value: (_u, v) => fmt(v),
      points: { show: false },
    },
    {
      label: 'bucket max',
      stroke: 'rgba(9,105,218,0.35)',
      width: 1,
      spanGaps: true,
      show: downsampled,
      value: (_u, v) => fmt(v),
      points: { show: false },
    },
    {
      label: 'expected low',
      stroke: 'rgba(87,96,106,0.55)',
      width: 1,
      dash: [4, 3],
      spanGaps: false,
      value: (_u, v) => fmt(v),
      points: { show: false },
    },
    {
      label: 'expected high',
      stroke: 'rgba(87,96,106,0.55)',
      width: 1,
      dash: [4, 3],
      spanGaps: false,
      value: (_u, v) => fmt(v),
      points: { show: false },
    },
    ...MARKER_GROUPS.map(
      (g): uPlot.Series => ({
        label: g === 'false-positive' ? 'false positive' : g,
        stroke: MARKER_COLOURS[g],
        fill: MARKER_COLOURS[g],
        paths: () => null,
        value: (_u, v) => fmt(v),
        points: {
          show: true,
          size: g === 'false-positive' ? 8 : 10,
          stroke: '#ffffff',
          fill: MARKER_COLOURS[g],
          width: 1,
        },
      }),
    ),
  ];
  const data: uPlot.AlignedData = [
    cols.x,
    cols.value,
    cols.min,
    cols.max,
    cols.low,
    cols.high,
    ...MARKER_GROUPS.map((g) => cols.markers[g]),
  ];
  let pinned: number | null = null;
  const tip = h('div', { class: 'chart-tip', role: 'status', 'aria-live': 'off', hidden: true });
  const showTip = (idx: number | null | undefined, left?: number): void => {
    if (idx === null || idx === undefined || idx < 0 || idx >= cols.x.length) {
      tip.hidden = true;
      return;
    }
    const value = cols.value[idx] ?? null;
    const low = cols.low[idx] ?? null;
    const high = cols.high[idx] ?? null;
    const anomalies = cols.at[idx] ?? [];
    tip.replaceChildren(
      h('strong', null, fullTime(cols.x[idx]! * 1000)),
      h('span', { 'data-tip': 'value' }, `value ${fmt(value ?? anomalies[0]?.value ?? null)}`),
      h(
        'span',
        { 'data-tip': 'expected' },
        low !== null && high !== null
          ? `expected ${fmt(low)} – ${fmt(high)}`
          : 'expected: learning (no band yet)',
      ),
      ...anomalies.map((a) =>
        h(
          'span',
          { class: `tip-anomaly tip-sev-${a.severity}`, 'data-tip': 'anomaly' },
          `${a.severity}: ${a.explanation}`,
        ),
      ),
    );
    tip.hidden = false;
    if (left !== undefined) tip.style.left = `${Math.round(Math.min(left + 12, Math.max(0, width - 260)))}px`;
  };
  const opts: uPlot.Options = {
    width,
    height,
    series,
    // The y range follows the data, not the band: after a large record the detector's range is very
    // wide for a while, and would flatten the line; the band is clipped at the edges instead.
    scales: { x: { time: true }, y: { range: () => yRange(cols) } },
    axes: [{}, { values: (_u, splits) => splits.map((v) => num(v, 3)) }],
    bands: [
      { series: [5, 4], fill: 'rgba(87,96,106,0.14)' },
      ...(downsampled ? [{ series: [3, 2] as [number, number], fill: 'rgba(9,105,218,0.08)' }] : []),
    ],
    cursor: { points: { size: 8 } },
    legend: { live: true },
    hooks: {
      // A linked time stays pinned until the user moves over the chart.
      setCursor: [(u) => (pinned === null ? showTip(u.cursor.idx, u.cursor.left) : showTip(pinned))],
    },
  };
  const element = h('div', { class: 'chart-canvas' });
  container.replaceChildren(element);
  const plot = new uPlot(opts, data, element);
  element.appendChild(tip);
  element.addEventListener('mousemove', () => {
    pinned = null;
  });
  const observer = new ResizeObserver(() => {
    const w = Math.max(280, container.clientWidth);
    if (Math.abs(w - plot.width) > 4) plot.setSize({ width: w, height: w < 600 ? 200 : 280 });
  });
  observer.observe(container);
  return {
    element,
    focusAt(ts: number) {
      if (cols.x.length === 0) return;
      const idx = nearest(cols.x, ts / 1000);
      pinned = idx;
      showTip(idx);
      // After the first draw, when positions are known: the cursor line at that time.
      requestAnimationFrame(() => {
        if (pinned !== idx) return;
        const left = plot.valToPos(cols.x[idx]!, 'x');
        const v = cols.value[idx] ?? cols.high[idx] ?? null;
        plot.setCursor({ left, top: v === null ? 0 : plot.valToPos(v, 'y') });
        showTip(idx, left);
      });
    },
    destroy() {
      observer.disconnect();
      plot.destroy();
    },
  };
}
