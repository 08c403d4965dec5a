// (SPA) the anomaly timeline chart (uPlot): the series as a line (with its min/max band when the API
// downsampled it) and the anomalies as markers coloured by severity, false positives greyed.
import uPlot from 'uplot';
import { type ChartColumns, MARKER_GROUPS, type MarkerGroup } from './chart-data';
import { h } from './dom';
import { num } from './format';

const MARKER_COLOURS: Record<MarkerGroup, string> = {
  critical: '#b3261e',
  high: '#d4600a',
  medium: '#b58900',
  low: '#1f6feb',
  'false-positive': '#8c959f',
};

export interface ChartHandle {
  readonly element: HTMLElement;
  destroy(): void;
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
    ...MARKER_GROUPS.map((g) => cols.markers[g]),
  ];
  const opts: uPlot.Options = {
    width,
    height,
    series,
    scales: { x: { time: true } },
    axes: [{}, { values: (_u, splits) => splits.map((v) => num(v, 3)) }],
    bands: downsampled ? [{ series: [3, 2], fill: 'rgba(9,105,218,0.08)' }] : [],
    cursor: { points: { size: 8 } },
    legend: { live: true },
  };
  const element = h('div', { class: 'chart-canvas' });
  container.replaceChildren(element);
  const plot = new uPlot(opts, data, element);
  const observer = new ResizeObserver(() => {
    const w = Math.max(280, container.clientWidth);
    if (Math.abs(w - plot.width) > 4) plot.setSize({ width: w, height: w < 600 ? 200 : 280 });
  });
  observer.observe(container);
  return {
    element,
    destroy() {
      observer.disconnect();
      plot.destroy();
    },
  };
}
