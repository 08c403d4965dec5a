// (view) Anomaly timeline: a chart of one series with its anomalies marked, the feedback counts per
// metric, and the anomalies table (newest first) where staff mark a false positive or confirm one in
// place, with an optional reason. A mark shows the metric's false-positive count before → after.

import type {
  AnomalyItem,
  FeedbackLabel,
  HealthSeries,
  PointsResponse,
  Severity,
  ThresholdState,
} from '../../../shared/api/types';
import { ApiError } from '../api';
import { anomalyChart, type ChartHandle } from '../chart';
import { chartColumns, newestAnomalySeries } from '../chart-data';
import { h, replace, table } from '../dom';
import { adjustment, count, expectedRange, fullTime, num, time, withUnit } from '../format';
import {
  alertStateBadge,
  badge,
  empty,
  errorBox,
  heading,
  loading,
  severityBadge,
  timeEl,
  type View,
  type ViewContext,
} from '../view';

/** Weakest first, as the API orders them (a value here: the contract's module is imported for types only). */
const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/**
 * Up to the retention and past it: the API bounds a series read by its point count (69 days of
 * 1-minute points) and anomaly reads by 400 days, downsampling long ranges server-side.
 */
export const RANGES: Record<string, { label: string; ms: number }> = {
  '1h': { label: 'Last hour', ms: HOUR_MS },
  '6h': { label: 'Last 6 hours', ms: 6 * HOUR_MS },
  '24h': { label: 'Last 24 hours', ms: DAY_MS },
  '7d': { label: 'Last 7 days', ms: 7 * DAY_MS },
  '30d': { label: 'Last 30 days', ms: 30 * DAY_MS },
  '60d': { label: 'Last 60 days', ms: 60 * DAY_MS },
};
/** The chart's span around a linked time (`at`): enough context either side of an anomaly. */
const FOCUS_SPAN_MS = 6 * HOUR_MS;

/** The smallest range that reaches back to `ts` from `now` with room around it. */
export function rangeCovering(ts: number, now: number): string {
  const need = now - ts + FOCUS_SPAN_MS / 2;
  return Object.entries(RANGES).find(([, r]) => r.ms >= need)?.[0] ?? '60d';
}
const DEFAULT_RANGE = '24h';
const PAGE = 200;
/** Rows listed at first and per "Show more". */
const ROWS_STEP = 50;
const LABEL_TEXT: Record<FeedbackLabel, string> = {
  'false-positive': 'false positive',
  confirmed: 'confirmed',
};

/** Unique per anomaly (the time is digits, so the first `:` ends it) and usable in a CSS selector. */
const keyOf = (a: Pick<AnomalyItem, 'series' | 'ts'>): string => `${a.ts}:${a.series}`;

export function createAnomaliesView(root: HTMLElement, ctx: ViewContext): View {
  const p = ctx.params;
  const state = {
    series: p.get('series') ?? '',
    severity: SEVERITIES.includes(p.get('severity') as Severity)
      ? (p.get('severity') as Severity)
      : undefined,
    method: p.get('method') ?? '',
    range: RANGES[p.get('range') ?? ''] ? (p.get('range') as string) : DEFAULT_RANGE,
    /** A linked time (timeline, alerts): the chart centres on it. */
    at: /^\d{1,15}$/.test(p.get('at') ?? '') ? Number(p.get('at')) : undefined,
  };
  let items: AnomalyItem[] = [];
  let nextCursor: string | undefined;
  let seriesList: readonly HealthSeries[] = [];
  const counts = new Map<string, ThresholdState>();
  const rows = new Map<string, HTMLTableRowElement>();
  let openForm: HTMLTableRowElement | null = null;
  let chart: ChartHandle | null = null;
  let chartFor = '';
  let to = ctx.now();
  let shown = ROWS_STEP;

  // ---- controls ----
  const seriesSelect = h('select', { id: 'f-series' });
  const severitySelect = h(
    'select',
    { id: 'f-severity' },
    h('option', { value: '' }, 'Any severity'),
    ...SEVERITIES.map((s) => h('option', { value: s, selected: state.severity === s }, `${s} and above`)),
  );
  const methodSelect = h('select', { id: 'f-method' });
  const rangeSelect = h(
    'select',
    { id: 'f-range' },
    ...Object.entries(RANGES).map(([k, r]) =>
      h('option', { value: k, selected: k === state.range }, r.label),
    ),
  );
  const field = (id: string, label: string, control: HTMLElement): HTMLElement =>
    h('label', { class: 'field', for: id }, h('span', null, label), control);
  const controls = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter anomalies', onsubmit: (e: Event) => e.preventDefault() },
    field('f-series', 'Series', seriesSelect),
    field('f-severity', 'Severity', severitySelect),
    field('f-method', 'Method', methodSelect),
    field('f-range', 'Time range', rangeSelect),
  );

  const chartTitle = h('h2', { class: 'panel-title' }, 'Chart');
  const chartNote = h('p', { class: 'note' });
  const chartBox = h('div', { class: 'chart', role: 'img', 'aria-label': 'Chart of the selected series' });
  const countsBox = h('div', { class: 'counts' }, loading('feedback counts'));
  const result = h('p', { class: 'feedback-result', role: 'status', 'aria-live': 'polite' });
  const listHead = h('p', { class: 'summary' });
  const listBox = h('div', { class: 'anomaly-list' }, loading('anomalies'));
  const more = h('div', { class: 'more' });

  replace(
    root,
    heading('Anomaly timeline'),
    controls,
    h('section', { class: 'panel', 'aria-labelledby': 'chart-title' }, chartTitle, chartNote, chartBox),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'counts-title' },
      h('h2', { class: 'panel-title', id: 'counts-title' }, 'Feedback counts by metric'),
      countsBox,
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'list-title' },
      h('h2', { class: 'panel-title', id: 'list-title' }, 'Anomalies'),
      listHead,
      result,
      listBox,
      more,
    ),
  );
  chartTitle.id = 'chart-title';

  /** The address says what is shown: filters, range and linked time survive a reload or a shared link. */
  const syncParams = (): void =>
    ctx.setParams({
      series: state.series || undefined,
      severity: state.severity,
      method: state.method || undefined,
      range: state.range === DEFAULT_RANGE ? undefined : state.range,
      at: state.at === undefined ? undefined : String(state.at),
    });

  const onFilter = (): void => {
    if (state.range !== rangeSelect.value || state.series !== seriesSelect.value) state.at = undefined;
    state.series = seriesSelect.value;
    state.severity = (severitySelect.value || undefined) as Severity | undefined;
    state.method = methodSelect.value;
    state.range = rangeSelect.value;
    syncParams();
    chartFor = '';
    shown = ROWS_STEP;
    void view.load(true).catch((e: unknown) => showListError(e));
  };
  for (const s of [seriesSelect, severitySelect, methodSelect, rangeSelect])
    s.addEventListener('change', onFilter);

  const showListError = (e: unknown): void => {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) throw e;
    replace(listBox, errorBox(e instanceof Error ? e.message : String(e), onFilter));
  };

  const labelOf = (id: string): string => seriesList.find((s) => s.id === id)?.label ?? id;

  const fillSeriesSelect = (): void => {
    const opts = [...seriesList].sort((a, b) => a.label.localeCompare(b.label));
    replace(
      seriesSelect,
      h('option', { value: '' }, 'All series'),
      ...opts.map((s) => h('option', { value: s.id, selected: s.id === state.series }, s.label)),
    );
    if (state.series && !opts.some((s) => s.id === state.series)) {
      seriesSelect.appendChild(h('option', { value: state.series, selected: true }, state.series));
    }
  };

  const fillMethodSelect = (): void => {
    const methods = new Set(items.flatMap((a) => a.methods));
    if (state.method) methods.add(state.method);
    replace(
      methodSelect,
      h('option', { value: '' }, 'Any method'),
      ...[...methods].sort().map((m) => h('option', { value: m, selected: m === state.method }, m)),
    );
  };

  // ---- feedback counts ----
  const renderCounts = (highlight?: string): void => {
    const metrics = [...counts.values()].sort((a, b) => a.metric.localeCompare(b.metric));
    if (metrics.length === 0) {
      replace(countsBox, empty('No metric has feedback settings yet.'));
      return;
    }
    const rowsOut = metrics.map((m) =>
      h(
        'tr',
        { 'data-metric': m.metric, class: m.metric === highlight ? 'flash' : undefined },
        h('th', { scope: 'row' }, m.metric),
        h('td', { class: 'num', 'data-count': 'falsePositives' }, count(m.falsePositives)),
        h('td', { class: 'num', 'data-count': 'confirmed' }, count(m.confirmed)),
        h('td', { class: 'num', 'data-count': 'fpCount' }, count(m.fpCount)),
        h('td', { class: 'num' }, adjustment(m.adjustment)),
      ),
    );
    replace(
      countsBox,
      table(
        'Feedback counts by metric',
        ['Metric', 'False positives', 'Confirmed', 'Toward next raise', 'Threshold adjustment'],
        rowsOut,
      ),
    );
  };

  // ---- chart ----
  /** The chart's window: the whole range, or FOCUS_SPAN_MS around a linked time inside it. */
  const chartWindow = (): { from: number; to: number } => {
    const from = to - RANGES[state.range]!.ms;
    if (state.at === undefined) return { from, to };
    const span = Math.min(FOCUS_SPAN_MS, to - from);
    const start = Math.max(from, Math.min(to - span, state.at - span / 2));
    return { from: start, to: start + span };
  };
  // The line first, the band after: the band replays weeks of points through the detector (about a
  // second per chart on a busy machine, docs/benchmarks.md), and the line should not wait for it.
  const fetchPoints = (id: string, band = false): Promise<PointsResponse> =>
    ctx.api.points(id, { ...chartWindow(), maxPoints: 800, band }, ctx.signal);
  let drawSeq = 0;

  /**
   * The chart shows the chosen series, else the series of the newest anomaly. `prefetched` is the
   * points request started before the anomalies arrived (see load).
   */
  const drawChart = async (
    fresh: boolean,
    prefetched?: { readonly series: string; readonly points: Promise<PointsResponse> },
  ): Promise<void> => {
    const target = state.series || items[0]?.series || '';
    if (!target) {
      chart?.destroy();
      chart = null;
      chartTitle.textContent = 'Chart';
      replace(chartNote, 'No anomaly in this range; choose a series to chart it.');
      chartBox.replaceChildren();
      return;
    }
    if (target === chartFor && !fresh) return;
    chartFor = target;
    const seq = ++drawSeq;
    const { from, to: end } = chartWindow();
    try {
      const pts = await (prefetched?.series === target ? prefetched.points : fetchPoints(target));
      render(target, pts, from, end, 'loading');
      // Not awaited: the view is ready with the line; the band follows when the replay is done.
      void fetchPoints(target, true).then(
        (withBand) => {
          if (seq === drawSeq) render(target, withBand, from, end, 'ready');
        },
        (e: unknown) => {
          // Another series or range was chosen meanwhile, or the view was left.
          if (seq !== drawSeq || (e as Error).name === 'AbortError') return;
          render(target, pts, from, end, 'failed');
        },
      );
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) throw e;
      if ((e as Error).name === 'AbortError') return;
      chartFor = '';
      replace(
        chartBox,
        errorBox(`The chart could not be loaded: ${(e as Error).message}`, () => void drawChart(true)),
      );
    }
  };

  /** Draw the chart of `target` from one answer; `band` says where the expected band stands. */
  const render = (
    target: string,
    pts: PointsResponse,
    from: number,
    end: number,
    band: 'loading' | 'ready' | 'failed',
  ): void => {
    const mine = items.filter((a) => a.series === target);
    const cols = chartColumns(pts.points, mine, from, end, pts.band ?? []);
    chart?.destroy();
    chartTitle.textContent = `Chart: ${pts.label || labelOf(target)}`;
    replace(
      chartNote,
      state.series ? '' : 'The series of the latest anomaly; choose a series above to chart another. ',
      `${count(pts.points.length)} points${pts.downsampled ? ' (downsampled: blue band = bucket min–max)' : ''}, ${count(cols.shown)} anomalies marked. `,
      band === 'loading'
        ? 'Loading the expected band… '
        : band === 'failed'
          ? 'The expected band could not be computed. '
          : (pts.band?.length ?? 0) > 0
            ? 'Grey band: the range the detector expected. '
            : 'No expected band yet: the detector is still learning this series. ',
      state.at !== undefined
        ? h(
            'button',
            {
              type: 'button',
              class: 'link-btn small',
              'data-action': 'whole-range',
              onclick: () => {
                state.at = undefined;
                syncParams();
                void drawChart(true);
              },
            },
            `Showing ${fullTime(from)} – ${fullTime(end)}; show the whole range`,
          )
        : null,
    );
    chartBox.dataset.band = band === 'ready' ? String(pts.band?.length ?? 0) : band;
    chartBox.setAttribute(
      'aria-label',
      `Chart of ${pts.label || labelOf(target)}: ${pts.points.length} points and ${cols.shown} anomalies; the table below lists them`,
    );
    if (pts.points.length === 0 && cols.shown === 0) {
      chart = null;
      replace(chartBox, empty('No points stored for this series in the range.'));
      return;
    }
    chart = anomalyChart(chartBox, cols, pts.unit, pts.downsampled);
    if (state.at !== undefined) chart.focusAt(state.at);
  };

  // ---- table ----
  const feedbackCell = (a: AnomalyItem): HTMLTableCellElement => {
    const td = h('td', { class: 'feedback' });
    if (a.feedback) {
      replace(
        td,
        h(
          'span',
          { class: 'fb-label' },
          badge(LABEL_TEXT[a.feedback.label], a.feedback.label === 'false-positive' ? 'muted' : 'bad'),
          ` by ${a.feedback.by}`,
        ),
        a.feedback.reason ? h('span', { class: 'fb-reason' }, `“${a.feedback.reason}”`) : null,
        h(
          'button',
          {
            type: 'button',
            class: 'btn small',
            'data-action': 'unmark',
            'aria-label': `Remove the ${LABEL_TEXT[a.feedback.label]} mark of ${a.label} at ${fullTime(a.ts)}`,
            onclick: () => void submitMark(a, undefined, ''),
          },
          'Undo',
        ),
      );
    } else {
      replace(
        td,
        h(
          'span',
          { class: 'btn-row' },
          h(
            'button',
            {
              type: 'button',
              class: 'btn small',
              'data-action': 'false-positive',
              'aria-label': `Mark ${a.label} at ${fullTime(a.ts)} as a false positive`,
              'aria-expanded': 'false',
              onclick: (e: Event) => openMarkForm(a, 'false-positive', e.currentTarget as HTMLButtonElement),
            },
            'False positive',
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'btn small',
              'data-action': 'confirmed',
              'aria-label': `Confirm ${a.label} at ${fullTime(a.ts)} as a real problem`,
              'aria-expanded': 'false',
              onclick: (e: Event) => openMarkForm(a, 'confirmed', e.currentTarget as HTMLButtonElement),
            },
            'Confirm',
          ),
        ),
      );
    }
    return td;
  };

  const rowOf = (a: AnomalyItem): HTMLTableRowElement => {
    const now = ctx.now();
    const tr = h(
      'tr',
      {
        'data-key': keyOf(a),
        'data-series': a.series,
        'data-metric': a.metric,
        class: a.feedback ? `marked-${a.feedback.label}` : undefined,
      },
      h('td', null, timeEl(a.ts, time(a.ts, now), fullTime(a.ts))),
      h(
        'td',
        { class: 'series-cell' },
        h('span', { class: 'series-label' }, a.label),
        h('span', { class: 'sub' }, a.metric),
        h(
          'button',
          {
            type: 'button',
            class: 'link-btn small',
            'data-action': 'chart-at',
            'aria-label': `Show ${a.label} at ${fullTime(a.ts)} on the chart`,
            onclick: () => {
              const other = a.series !== state.series;
              state.series = a.series;
              seriesSelect.value = a.series;
              state.at = a.ts;
              syncParams();
              chartFor = '';
              if (other) void view.load(true).catch((e: unknown) => showListError(e));
              else void drawChart(true);
              chartBox.scrollIntoView({ block: 'nearest' });
            },
          },
          'on chart',
        ),
      ),
      h('td', null, severityBadge(a.severity, a.level)),
      h(
        'td',
        { class: 'why' },
        h('span', { class: 'methods' }, a.methods.join(', ')),
        h('span', { class: 'explanation' }, a.explanation),
      ),
      h(
        'td',
        { class: 'num' },
        h('strong', null, withUnit(a.value, a.unit)),
        h('span', { class: 'sub' }, expectedRange(a)),
      ),
      h('td', { class: 'num' }, num(a.deviation, 3), h('span', { class: 'sub' }, `score ${num(a.score, 2)}`)),
      h('td', null, alertStateBadge(a.alertState)),
      feedbackCell(a),
    );
    rows.set(keyOf(a), tr);
    return tr;
  };

  const closeForm = (focusBack?: HTMLElement): void => {
    openForm?.remove();
    openForm = null;
    listBox.querySelectorAll('button[aria-expanded="true"]').forEach((b) => {
      b.setAttribute('aria-expanded', 'false');
    });
    focusBack?.focus();
  };

  const openMarkForm = (a: AnomalyItem, label: FeedbackLabel, opener: HTMLButtonElement): void => {
    closeForm();
    const row = rows.get(keyOf(a));
    if (!row) return;
    opener.setAttribute('aria-expanded', 'true');
    const id = `reason-${Math.random().toString(36).slice(2, 9)}`;
    const reason = h('input', { id, type: 'text', maxlength: 500, autocomplete: 'off', class: 'reason' });
    const err = h('span', { class: 'form-error', role: 'alert' });
    const save = h('button', { type: 'submit', class: 'btn primary small' }, `Save as ${LABEL_TEXT[label]}`);
    const cancel = h(
      'button',
      { type: 'button', class: 'btn small', onclick: () => closeForm(opener) },
      'Cancel',
    );
    const m = counts.get(a.metric);
    const form = h(
      'form',
      {
        class: 'mark-form',
        'aria-label': `Mark ${a.label} as ${LABEL_TEXT[label]}`,
        onsubmit: (e: Event) => {
          e.preventDefault();
          save.disabled = true;
          void submitMark(a, label, reason.value.trim(), err).finally(() => {
            save.disabled = false;
          });
        },
        onkeydown: (e: Event) => {
          if ((e as KeyboardEvent).key === 'Escape') closeForm(opener);
        },
      },
      h('label', { for: id }, `Reason (optional) for marking ${LABEL_TEXT[label]}`),
      reason,
      save,
      cancel,
      m
        ? h(
            'span',
            { class: 'muted small' },
            `${a.metric}: ${count(m.falsePositives)} false positives so far`,
          )
        : null,
      err,
    );
    openForm = h('tr', { class: 'form-row' }, h('td', { colspan: 8 }, form));
    row.after(openForm);
    reason.focus();
  };

  /** Mark (label) or unmark (undefined) one anomaly, then update its row and the metric's counts. */
  const submitMark = async (
    a: AnomalyItem,
    label: FeedbackLabel | undefined,
    reason: string,
    err?: HTMLElement,
  ): Promise<void> => {
    const before = counts.get(a.metric);
    try {
      const res = label
        ? await ctx.api.markAnomaly(a.series, a.ts, label, reason || undefined)
        : await ctx.api.unmarkAnomaly(a.series, a.ts);
      // The authoritative counts after the mark (contract: GET /api/thresholds/{metric}); the mark's own
      // answer stands in if that read fails.
      let after: ThresholdState = res.state;
      try {
        after = await ctx.api.threshold(a.metric);
      } catch (e) {
        if (e instanceof ApiError && (e.status === 401 || e.status === 403)) throw e;
      }
      counts.set(a.metric, after);
      const updated: AnomalyItem = { ...a, feedback: res.anomaly.feedback };
      if (!res.anomaly.feedback) delete (updated as { feedback?: unknown }).feedback;
      items = items.map((x) => (keyOf(x) === keyOf(a) ? updated : x));
      closeForm();
      const oldRow = rows.get(keyOf(a));
      const newRow = rowOf(updated);
      oldRow?.replaceWith(newRow);
      renderCounts(a.metric);
      const what = label ? `Marked ${LABEL_TEXT[label]}` : 'Mark removed';
      const fp = before
        ? `${a.metric}: false positives ${count(before.falsePositives)} → ${count(after.falsePositives)}`
        : `${a.metric}: ${count(after.falsePositives)} false positives`;
      const raised = res.changes.length
        ? `; threshold adjusted ${res.changes.map((c) => `${adjustment(c.from)} → ${adjustment(c.to)} (${c.rule})`).join(', ')}`
        : '';
      const message = `${what}: ${a.label} at ${time(a.ts, ctx.now())}. ${fp}${raised}.`;
      result.textContent = message;
      ctx.announce(message);
      newRow.querySelector<HTMLButtonElement>('td.feedback button')?.focus();
      if (a.series === chartFor) void drawChart(true);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) throw e;
      const message = e instanceof ApiError && e.field ? `${e.message} (${e.field})` : (e as Error).message;
      if (err) err.textContent = message;
      else result.textContent = `Could not change the mark: ${message}`;
    }
  };

  const HEADERS = [
    'When',
    'Series',
    'Severity',
    'Method and why',
    'Actual vs expected',
    'Deviation',
    'Alert',
    'Feedback',
  ];

  const renderHead = (): void => {
    const seriesCount = new Set(items.map((a) => a.series)).size;
    replace(
      listHead,
      `${count(items.length)} anomalies${nextCursor ? ' (more on the server)' : ''} across ${count(seriesCount)} series, newest first`,
      items.length > shown ? `; the newest ${count(shown)} are listed.` : '.',
    );
  };

  /** The buttons under the table: list more of what is loaded, then load the next page. */
  const renderMore = (): void => {
    const hidden = items.length - shown;
    replace(
      more,
      hidden > 0
        ? h(
            'button',
            { type: 'button', class: 'btn', id: 'show-more', onclick: () => showMore() },
            `Show ${count(Math.min(ROWS_STEP, hidden))} more (${count(hidden)} not listed)`,
          )
        : null,
      hidden <= 0 && nextCursor
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn',
              onclick: async (e: Event) => {
                (e.currentTarget as HTMLButtonElement).disabled = true;
                try {
                  const before = items.length;
                  await fetchPage(false);
                  showMore(before);
                } catch (err) {
                  showListError(err);
                }
              },
            },
            'Load more from the server',
          )
        : null,
    );
  };

  /** Append the next rows (keeps focus and open forms); focus moves to the first new row. */
  const showMore = (from = shown): void => {
    const body = listBox.querySelector('tbody');
    if (!body) {
      renderList();
      return;
    }
    const next = items.slice(from, from + ROWS_STEP);
    shown = from + next.length;
    const added = next.map(rowOf);
    for (const tr of added) body.appendChild(tr);
    renderHead();
    renderMore();
    added[0]?.querySelector<HTMLButtonElement>('td.feedback button')?.focus();
    ctx.announce(`Listing ${count(shown)} of ${count(items.length)} anomalies`);
  };

  // A table is listed 50 rows at a time: 200 rows cost the browser ~100 ms of layout on a busy machine,
  // and nobody reads past the first screens before filtering.
  const renderList = (): void => {
    rows.clear();
    openForm = null;
    shown = Math.min(Math.max(shown, ROWS_STEP), Math.max(items.length, ROWS_STEP));
    renderHead();
    if (items.length === 0) {
      replace(listBox, empty('No anomaly matches these filters in this time range.'));
    } else {
      replace(listBox, table('Anomalies, newest first', HEADERS, items.slice(0, shown).map(rowOf)));
    }
    renderMore();
  };

  const fetchPage = async (reset: boolean): Promise<void> => {
    const range = RANGES[state.range]!.ms;
    const page = await ctx.api.anomalies(
      {
        from: to - range,
        to,
        severity: state.severity,
        series: state.series || undefined,
        method: state.method || undefined,
        limit: PAGE,
        cursor: reset ? undefined : nextCursor,
      },
      ctx.signal,
    );
    items = reset ? [...page.items] : [...items, ...page.items];
    nextCursor = page.nextCursor;
  };

  const view: View = {
    id: 'anomalies',
    title: 'Anomaly timeline',
    async load(fresh) {
      to = ctx.now();
      const health = await ctx.shared.health(false);
      seriesList = health.series;
      // Without filters the newest anomaly's series is known from the health data (usually cached), so
      // its points load alongside the anomalies instead of after them.
      const guess =
        state.series ||
        (state.severity || state.method
          ? ''
          : newestAnomalySeries(health.series, to - RANGES[state.range]!.ms));
      const prefetched = guess ? { series: guess, points: fetchPoints(guess) } : undefined;
      prefetched?.points.catch(() => undefined); // consumed (and reported) by drawChart, or not needed
      const [thresholds] = await Promise.all([ctx.api.thresholds(ctx.signal), fetchPage(true)]);
      counts.clear();
      for (const t of thresholds.items) counts.set(t.metric, t);
      fillSeriesSelect();
      fillMethodSelect();
      renderCounts();
      renderList();
      await drawChart(fresh, prefetched);
    },
    editing() {
      return (
        openForm !== null ||
        (listBox.contains(document.activeElement) && document.activeElement?.tagName === 'INPUT')
      );
    },
    destroy() {
      chart?.destroy();
      chart = null;
    },
  };
  return view;
}
