// (view) Settings: each metric's threshold adjustment with its history (rule or person, counts, reason)
// and a revert per change; maintenance windows listed, added and deleted.

import type {
  HealthSeries,
  MaintenanceWindow,
  ThresholdChange,
  ThresholdState,
} from '../../../shared/api/types';
import { ApiError } from '../api';
import { type Child, h, replace, table } from '../dom';
import { adjustment, count, fullTime, minutes, time, utcClock, WEEKDAYS, words } from '../format';
import { empty, errorBox, heading, loading, timeEl, type View, type ViewContext } from '../view';
import { type WindowFormValues, windowFromForm } from '../window-form';
import { whatIfPanel } from './what-if';

const HISTORY_PAGE = 20;

export function createSettingsView(root: HTMLElement, ctx: ViewContext): View {
  let thresholds: ThresholdState[] = [];
  let changes: ThresholdChange[] = [];
  let changesCursor: string | undefined;
  let windows: readonly MaintenanceWindow[] = [];
  let seriesList: readonly HealthSeries[] = [];
  let historyMetric = ctx.params.get('metric') ?? '';
  let editing = false;

  const thresholdsBox = h('div', null, loading('thresholds'));
  const historyFilter = h('select', { id: 'history-metric' });
  const historyBox = h('div', null, loading('threshold history'));
  const historyMore = h('div', { class: 'more' });
  const result = h('p', { class: 'feedback-result', role: 'status', 'aria-live': 'polite' });
  const windowsBox = h('div', null, loading('maintenance windows'));
  const windowResult = h('p', { class: 'feedback-result', role: 'status', 'aria-live': 'polite' });
  const addForm = windowForm();
  const whatIf = whatIfPanel({
    api: ctx.api,
    now: ctx.now,
    signal: ctx.signal,
    onApplied: async (message) => {
      await view.load(true);
      result.textContent = message;
      ctx.announce(message);
    },
  });

  replace(
    root,
    heading('Settings'),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'thr-title' },
      h('h2', { class: 'panel-title', id: 'thr-title' }, 'Thresholds'),
      h(
        'p',
        { class: 'note' },
        'An adjustment of +10% makes the detectors 10% less sensitive for that metric. False-positive marks raise it; each change is kept below and can be reverted.',
      ),
      thresholdsBox,
    ),
    whatIf.element,
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'hist-title' },
      h('h2', { class: 'panel-title', id: 'hist-title' }, 'Threshold history'),
      h('label', { class: 'inline-field', for: 'history-metric' }, h('span', null, 'Metric'), historyFilter),
      result,
      historyBox,
      historyMore,
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'mw-title' },
      h('h2', { class: 'panel-title', id: 'mw-title' }, 'Maintenance windows'),
      h(
        'p',
        { class: 'note' },
        'Anomalies of matching series inside a window are recorded as suppressed, not paged.',
      ),
      windowResult,
      windowsBox,
      h('h3', { class: 'sub-title' }, 'Add a maintenance window'),
      addForm.element,
    ),
  );

  const rethrowAuth = (e: unknown): void => {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) throw e;
  };

  // ---- thresholds ----
  const renderThresholds = (): void => {
    if (thresholds.length === 0) {
      replace(thresholdsBox, empty('No metric is configured.'));
      return;
    }
    replace(
      thresholdsBox,
      table(
        'Threshold adjustment and feedback per metric',
        [
          'Metric',
          'Adjustment',
          'Sensitivity',
          'False positives',
          'Confirmed',
          'Toward next raise',
          'Last weekly review',
          '',
        ],
        thresholds.map((t) =>
          h(
            'tr',
            { 'data-metric': t.metric },
            h('th', { scope: 'row' }, t.metric),
            h('td', { class: 'num' }, adjustment(t.adjustment)),
            h('td', { class: 'num' }, `×${t.sensitivity}`),
            h('td', { class: 'num' }, count(t.falsePositives)),
            h('td', { class: 'num' }, count(t.confirmed)),
            h('td', { class: 'num' }, count(t.fpCount)),
            h('td', null, t.lastTunedWeek ?? '–'),
            h(
              'td',
              null,
              h(
                'button',
                {
                  type: 'button',
                  class: 'link-btn small',
                  'aria-label': `Show the history of ${t.metric}`,
                  onclick: () => {
                    historyFilter.value = t.metric;
                    historyFilter.dispatchEvent(new Event('change'));
                    historyFilter.focus();
                  },
                },
                'history',
              ),
            ),
          ),
        ),
      ),
    );
  };

  // ---- history ----
  const fillHistoryFilter = (): void => {
    replace(
      historyFilter,
      h('option', { value: '' }, 'All metrics'),
      ...thresholds.map((t) =>
        h('option', { value: t.metric, selected: t.metric === historyMetric }, t.metric),
      ),
    );
  };

  const loadChanges = async (reset: boolean): Promise<void> => {
    const page = await ctx.api.changes(
      { metric: historyMetric || undefined, limit: HISTORY_PAGE, cursor: reset ? undefined : changesCursor },
      ctx.signal,
    );
    changes = reset ? [...page.items] : [...changes, ...page.items];
    changesCursor = page.nextCursor;
  };

  const describeCounts = (c: ThresholdChange): string =>
    Object.entries(c.counts)
      .map(([k, v]) => `${words(k)} ${v}`)
      .join(', ');

  const openRevert = (c: ThresholdChange, cell: HTMLTableCellElement, opener: HTMLButtonElement): void => {
    editing = true;
    const id = `revert-reason-${c.id}`;
    const reason = h('input', { id, type: 'text', maxlength: 500, autocomplete: 'off' });
    const err = h('span', { class: 'form-error', role: 'alert' });
    const restore = (): void => {
      editing = false;
      replace(cell, opener);
      opener.focus();
    };
    const form = h(
      'form',
      {
        class: 'mark-form',
        'aria-label': `Revert ${c.metric} to ${adjustment(c.from)}`,
        onsubmit: async (e: Event) => {
          e.preventDefault();
          const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
          submit.disabled = true;
          try {
            const made = await ctx.api.revert(c.id, reason.value.trim() || undefined);
            editing = false;
            // Reload first, so the message and the tables say the same thing when it appears.
            await view.load(true);
            const message = `Reverted ${c.metric}: ${adjustment(made.from)} → ${adjustment(made.to)}.`;
            result.textContent = message;
            ctx.announce(message);
            historyBox.querySelector<HTMLElement>('tbody tr button')?.focus();
          } catch (error) {
            rethrowAuth(error);
            submit.disabled = false;
            err.textContent = (error as Error).message;
          }
        },
        onkeydown: (e: Event) => {
          if ((e as KeyboardEvent).key === 'Escape') restore();
        },
      },
      h('label', { for: id }, `Put ${c.metric} back to ${adjustment(c.from)}? Reason (optional)`),
      reason,
      h('button', { type: 'submit', class: 'btn primary small' }, 'Revert'),
      h('button', { type: 'button', class: 'btn small', onclick: restore }, 'Cancel'),
      err,
    );
    replace(cell, form);
    reason.focus();
  };

  const renderHistory = (): void => {
    const now = ctx.now();
    const current = new Map(thresholds.map((t) => [t.metric, t.adjustment]));
    if (changes.length === 0) {
      replace(
        historyBox,
        empty(historyMetric ? `No change to ${historyMetric} yet.` : 'No threshold has changed yet.'),
      );
    } else {
      replace(
        historyBox,
        table(
          'Threshold changes, newest first',
          ['When', 'Metric', 'Change', 'Rule', 'By', 'Why', ''],
          changes.map((c) => {
            const already = current.get(c.metric) === c.from;
            const cell = h('td', null);
            const button = h(
              'button',
              {
                type: 'button',
                class: 'btn small',
                disabled: already,
                title: already ? `${c.metric} is already at ${adjustment(c.from)}` : undefined,
                'aria-label': `Revert this change of ${c.metric} (back to ${adjustment(c.from)})`,
                onclick: (e: Event) => openRevert(c, cell, e.currentTarget as HTMLButtonElement),
              },
              'Revert',
            );
            cell.appendChild(button);
            const why: Child[] = [
              c.reason ? h('span', null, c.reason) : null,
              describeCounts(c) ? h('span', { class: 'sub' }, describeCounts(c)) : null,
              c.revertOf ? h('span', { class: 'sub' }, `reverts ${c.revertOf}`) : null,
              c.week ? h('span', { class: 'sub' }, `week ${c.week}`) : null,
            ];
            return h(
              'tr',
              { 'data-change': c.id },
              h('td', null, timeEl(c.at, time(c.at, now), fullTime(c.at))),
              h('td', null, c.metric),
              h('td', { class: 'num' }, `${adjustment(c.from)} → ${adjustment(c.to)}`),
              h('td', null, words(c.rule)),
              h('td', null, `${c.actor.name}${c.actor.kind === 'rule' ? ' (rule)' : ''}`),
              h('td', { class: 'why' }, ...why),
              cell,
            );
          }),
        ),
      );
    }
    replace(
      historyMore,
      changesCursor
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn',
              onclick: async () => {
                try {
                  await loadChanges(false);
                  renderHistory();
                } catch (e) {
                  rethrowAuth(e);
                  replace(historyMore, errorBox((e as Error).message));
                }
              },
            },
            'Load older changes',
          )
        : null,
    );
  };

  historyFilter.addEventListener('change', async () => {
    historyMetric = historyFilter.value;
    ctx.setParams({ metric: historyMetric || undefined });
    try {
      await loadChanges(true);
      renderHistory();
    } catch (e) {
      rethrowAuth(e);
      replace(historyBox, errorBox((e as Error).message));
    }
  });

  // ---- maintenance windows ----
  const describeSchedule = (w: MaintenanceWindow, now: number): Child => {
    const s = w.schedule;
    if (s.kind === 'once') {
      const state = now < s.start ? 'upcoming' : now <= s.end ? 'active now' : 'past';
      return h(
        'span',
        null,
        timeEl(s.start, time(s.start, now), fullTime(s.start)),
        ' – ',
        timeEl(s.end, time(s.end, now), fullTime(s.end)),
        h('span', { class: 'muted small' }, ` (${state})`),
      );
    }
    return `Every ${WEEKDAYS[s.dayOfWeek] ?? '?'} at ${utcClock(s.startMinute)} for ${minutes(s.durationMinutes)}`;
  };

  const deleteWindow = (
    w: MaintenanceWindow,
    cell: HTMLTableCellElement,
    opener: HTMLButtonElement,
  ): void => {
    editing = true;
    const keep = h(
      'button',
      {
        type: 'button',
        class: 'btn small',
        onclick: () => {
          editing = false;
          replace(cell, opener);
          opener.focus();
        },
      },
      'Keep',
    );
    const yes = h(
      'button',
      {
        type: 'button',
        class: 'btn danger small',
        onclick: async () => {
          yes.disabled = true;
          try {
            await ctx.api.deleteWindow(w.id);
            editing = false;
            await loadWindows();
            const message = `Deleted maintenance window ${w.id}.`;
            windowResult.textContent = message;
            ctx.announce(message);
            addForm.focusFirst();
          } catch (e) {
            rethrowAuth(e);
            yes.disabled = false;
            windowResult.textContent = `Could not delete ${w.id}: ${(e as Error).message}`;
          }
        },
      },
      'Yes, delete',
    );
    replace(cell, h('span', { class: 'btn-row' }, h('span', null, `Delete ${w.id}?`), yes, keep));
    keep.focus();
  };

  const renderWindows = (): void => {
    const now = ctx.now();
    const label = (id: string): string => seriesList.find((s) => s.id === id)?.label ?? id;
    if (windows.length === 0) {
      replace(windowsBox, empty('No maintenance window is set.'));
      return;
    }
    replace(
      windowsBox,
      table(
        'Maintenance windows',
        ['Id', 'Applies to', 'When', 'Reason', ''],
        windows.map((w) => {
          const cell = h('td', null);
          const del = h(
            'button',
            {
              type: 'button',
              class: 'btn small',
              'aria-label': `Delete maintenance window ${w.id}`,
              onclick: (e: Event) => deleteWindow(w, cell, e.currentTarget as HTMLButtonElement),
            },
            'Delete',
          );
          cell.appendChild(del);
          const tags = Object.entries(w.tags ?? {}).map(([k, v]) =>
            h('span', { class: 'chip' }, `${k}=${v}`),
          );
          return h(
            'tr',
            { 'data-window': w.id },
            h('th', { scope: 'row' }, w.id),
            h('td', null, w.series ? h('span', { class: 'chip' }, label(w.series)) : null, ...tags),
            h('td', null, describeSchedule(w, now)),
            h('td', null, w.reason ?? ''),
            cell,
          );
        }),
      ),
    );
  };

  const loadWindows = async (): Promise<void> => {
    windows = (await ctx.api.windows(ctx.signal)).items;
    renderWindows();
  };

  function windowForm(): {
    element: HTMLElement;
    focusFirst(): void;
    setSeries(list: readonly HealthSeries[]): void;
  } {
    const uid = (name: string): string => `mw-${name}`;
    const inputs = {
      id: h('input', {
        id: uid('id'),
        name: 'id',
        required: true,
        maxlength: 64,
        autocomplete: 'off',
        pattern: '[A-Za-z0-9_.\\-]{1,64}',
      }),
      series: h('select', { id: uid('series'), name: 'series' }),
      tags: h('input', {
        id: uid('tags'),
        name: 'tags',
        placeholder: 'env=prod, team=db',
        autocomplete: 'off',
      }),
      once: h('input', { type: 'radio', name: 'kind', value: 'once', id: uid('once'), checked: true }),
      weekly: h('input', { type: 'radio', name: 'kind', value: 'weekly', id: uid('weekly') }),
      start: h('input', { type: 'datetime-local', id: uid('start'), name: 'start' }),
      end: h('input', { type: 'datetime-local', id: uid('end'), name: 'end' }),
      dayOfWeek: h(
        'select',
        { id: uid('day'), name: 'dayOfWeek' },
        ...WEEKDAYS.map((d, i) => h('option', { value: i }, d)),
      ),
      startTime: h('input', { type: 'time', id: uid('time'), name: 'startTime', value: '02:00' }),
      durationMinutes: h('input', {
        type: 'number',
        id: uid('duration'),
        name: 'durationMinutes',
        min: 1,
        max: 10080,
        value: 60,
      }),
      reason: h('input', { id: uid('reason'), name: 'reason', maxlength: 500, autocomplete: 'off' }),
    };
    /** API field → the input that carries it and its message slot. */
    const slots = new Map<string, { input: HTMLElement; msg: HTMLElement }>();
    const row = (field: string, label: string, input: HTMLElement, hint?: string): HTMLElement => {
      const msg = h('span', { class: 'form-error', id: `${input.id}-err` });
      input.setAttribute('aria-describedby', `${input.id}-err`);
      slots.set(field, { input, msg });
      return h(
        'div',
        { class: 'field' },
        h('label', { for: input.id }, label),
        input,
        hint ? h('span', { class: 'muted small' }, hint) : null,
        msg,
      );
    };
    const onceBox = h(
      'div',
      { class: 'field-group' },
      row('schedule.start', 'Start (your local time)', inputs.start),
      row('schedule.end', 'End (your local time)', inputs.end),
    );
    const weeklyBox = h(
      'div',
      { class: 'field-group', hidden: true },
      row('schedule.dayOfWeek', 'Day (UTC)', inputs.dayOfWeek),
      row('schedule.startMinute', 'Start time (UTC)', inputs.startTime),
      row('schedule.durationMinutes', 'Duration (minutes)', inputs.durationMinutes),
    );
    const syncKind = (): void => {
      onceBox.hidden = !inputs.once.checked;
      weeklyBox.hidden = !inputs.weekly.checked;
    };
    inputs.once.addEventListener('change', syncKind);
    inputs.weekly.addEventListener('change', syncKind);
    const formError = h('p', { class: 'form-error', role: 'alert' });
    const submit = h('button', { type: 'submit', class: 'btn primary' }, 'Add window');

    const clearProblems = (): void => {
      formError.textContent = '';
      for (const { input, msg } of slots.values()) {
        input.removeAttribute('aria-invalid');
        msg.textContent = '';
      }
    };
    const showProblem = (field: string, message: string): boolean => {
      // The API may name a nested field (schedule.end) or its parent (schedule).
      const slot = slots.get(field) ?? [...slots.entries()].find(([k]) => k.startsWith(`${field}.`))?.[1];
      if (!slot) return false;
      slot.input.setAttribute('aria-invalid', 'true');
      slot.msg.textContent = message;
      return true;
    };

    const element = h(
      'form',
      {
        class: 'window-form',
        novalidate: true,
        'aria-label': 'Add a maintenance window',
        onfocusin: () => {
          editing = true;
        },
        onfocusout: () => {
          editing = false;
        },
        onsubmit: async (e: Event) => {
          e.preventDefault();
          clearProblems();
          const values: WindowFormValues = {
            id: inputs.id.value,
            series: inputs.series.value,
            tags: inputs.tags.value,
            kind: inputs.weekly.checked ? 'weekly' : 'once',
            start: inputs.start.value,
            end: inputs.end.value,
            dayOfWeek: inputs.dayOfWeek.value,
            startTime: inputs.startTime.value,
            durationMinutes: inputs.durationMinutes.value,
            reason: inputs.reason.value,
          };
          const parsed = windowFromForm(values, (s) => new Date(s).getTime());
          if (!parsed.ok) {
            for (const p of parsed.problems) showProblem(p.field, p.message);
            formError.textContent = `Check ${parsed.problems.length === 1 ? 'the marked field' : 'the marked fields'}.`;
            element.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
            return;
          }
          submit.disabled = true;
          try {
            await ctx.api.putWindow(parsed.window);
            inputs.id.value = '';
            inputs.reason.value = '';
            await loadWindows();
            const message = `Saved maintenance window ${parsed.window.id}.`;
            windowResult.textContent = message;
            ctx.announce(message);
          } catch (error) {
            rethrowAuth(error);
            const field = error instanceof ApiError ? error.field : null;
            if (!(field && showProblem(field, (error as Error).message))) {
              formError.textContent = (error as Error).message;
            } else {
              formError.textContent = `The API refused the window: ${(error as Error).message} (${field}).`;
            }
          } finally {
            submit.disabled = false;
          }
        },
      },
      row('id', 'Id', inputs.id, 'letters, digits, _ . -'),
      row('series', 'Series', inputs.series),
      row('tags', 'Tags (key=value, comma-separated)', inputs.tags, 'a series, tags, or both'),
      h(
        'fieldset',
        { class: 'kind' },
        h('legend', null, 'Schedule'),
        h('label', { for: inputs.once.id }, inputs.once, ' Once'),
        h('label', { for: inputs.weekly.id }, inputs.weekly, ' Every week'),
      ),
      onceBox,
      weeklyBox,
      row('reason', 'Reason (optional)', inputs.reason),
      formError,
      submit,
    );
    return {
      element,
      focusFirst: () => inputs.id.focus(),
      setSeries(list) {
        const keep = inputs.series.value;
        replace(
          inputs.series,
          h('option', { value: '' }, 'Any series (match by tags)'),
          ...[...list]
            .sort((a, b) => a.label.localeCompare(b.label))
            .map((s) => h('option', { value: s.id, selected: s.id === keep }, s.label)),
        );
      },
    };
  }

  const view: View = {
    id: 'settings',
    title: 'Settings',
    async load() {
      const [t, , w, health] = await Promise.all([
        ctx.api.thresholds(ctx.signal),
        loadChanges(true),
        ctx.api.windows(ctx.signal),
        ctx.shared.health(false),
      ]);
      thresholds = [...t.items].sort((a, b) => a.metric.localeCompare(b.metric));
      whatIf.update(thresholds, t.policy);
      windows = w.items;
      seriesList = health.series;
      renderThresholds();
      fillHistoryFilter();
      renderHistory();
      renderWindows();
      addForm.setSeries(seriesList);
    },
    editing: () => editing || whatIf.editing(),
  };
  return view;
}
