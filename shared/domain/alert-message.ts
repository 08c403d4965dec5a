// (domain) builds the NOC message for an alert group, a resolved notice, and their SNS subjects.
import type { AlertMessage } from '../ports';
import type { AlertGroup, Digest, OpenAlert } from './alerting';
import { LEVELS } from './alerting';
import { formatNumber } from './format';
import { isNoData } from './no-data';

/** Message attribute `alert_type` of every infrastructure alert (for subscription filter policies). */
export const ALERT_TYPE = 'INFRASTRUCTURE_ANOMALY';

/** SNS subjects: ASCII printable, at most 100 characters. */
export function snsSubject(text: string): string {
  const ascii = text
    .replace(/[–—]/g, '-')
    .replace(/×/g, 'x')
    .replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}

/** The id of the alert a group opens: its first anomaly's dedup key and time. */
export function alertIdOf(group: AlertGroup): string {
  const first = group.anomalies[0]!;
  return `${first.dedupKey}-${first.anomaly.ts}`;
}

/** The message for a group that got a token; `digest` (if any) summarises what was held back. */
export function buildAlertMessage(
  group: AlertGroup,
  digest: Digest | undefined,
  options: { readonly dashboardUrl?: string; readonly now: number },
): AlertMessage {
  const top = group.anomalies[0]!.anomaly;
  const unit = top.unit ? ` ${top.unit}` : '';
  const more = group.anomalies.length > 1 ? ` (+${group.anomalies.length - 1} more)` : '';
  const subject = snsSubject(
    isNoData(top)
      ? `[${group.level}] ${group.group}: ${top.label} sent no data for ${formatNumber(top.value)} min${more}`
      : `[${group.level}] ${group.group}: ${top.label} = ${formatNumber(top.value)}${unit}, expected ` +
          `${formatNumber(top.expectedLow)}-${formatNumber(top.expectedHigh)}${more}`,
  );
  const alertId = alertIdOf(group);
  const dedupKey = group.anomalies[0]!.dedupKey;
  return {
    subject,
    body: {
      type: 'ALERT',
      // NO_DATA when the worst member is a silent series (shared/domain/no-data.ts), else ANOMALY.
      kind: isNoData(top) ? 'NO_DATA' : 'ANOMALY',
      alertId,
      dedupKey,
      severity: group.level,
      group: group.group,
      sentAt: new Date(options.now).toISOString(),
      anomalies: group.anomalies.map(({ anomaly: a, dedupKey }) => ({
        kind: isNoData(a) ? 'NO_DATA' : 'ANOMALY',
        dedupKey,
        series: a.series,
        label: a.label,
        metric: a.metric,
        severity: a.level,
        value: a.value,
        expectedRange: [finiteOrNull(a.expectedLow), finiteOrNull(a.expectedHigh)],
        methods: a.methods,
        deviation: finiteOrNull(a.deviation),
        time: new Date(a.ts).toISOString(),
        explanation: a.explanation,
      })),
      ...(digest ? { heldBack: heldBackOf(digest) } : {}),
      ...(options.dashboardUrl ? { dashboard: options.dashboardUrl } : {}),
    },
    attributes: {
      severity: group.level,
      metric: top.metric,
      alert_type: ALERT_TYPE,
      dedup_key: dedupKey,
      alert_id: alertId,
      level: group.level,
    },
  };
}

/**
 * The RESOLVED notice for an alert (all the series its page covered) once every one of them has been
 * normal for the resolve period. One notice per page, not per series.
 */
export function buildResolvedMessage(
  members: readonly (OpenAlert & { readonly label: string; readonly metric: string })[],
  digest: Digest | undefined,
  options: { readonly dashboardUrl?: string; readonly now: number },
): AlertMessage {
  // The page's own key (its first anomaly's, as in the ALERT), so receivers match RESOLVED to it.
  const first = members.find((m) => m.alertId === `${m.dedupKey}-${m.openedAt}`) ?? members[0]!;
  const lastSeenAt = Math.max(...members.map((m) => m.lastSeenAt));
  const more = members.length > 1 ? ` (+${members.length - 1} more)` : '';
  // A NO_DATA alert resolves because data came back, not because values look normal.
  const dataBack = members.every((m) => m.dedupKey.includes('-no_data-'));
  return {
    subject: snsSubject(
      dataBack
        ? `[RESOLVED] ${first.label}${more}: data is back (silent from ${new Date(lastSeenAt).toISOString()})`
        : `[RESOLVED] ${first.label}${more}: normal since ${new Date(lastSeenAt).toISOString()}`,
    ),
    body: {
      type: 'RESOLVED',
      alertId: first.alertId,
      dedupKey: first.dedupKey,
      series: members.map((m) => ({ series: m.series, label: m.label, dedupKey: m.dedupKey })),
      openedAt: new Date(Math.min(...members.map((m) => m.openedAt))).toISOString(),
      lastAnomalyAt: new Date(lastSeenAt).toISOString(),
      resolvedAt: new Date(options.now).toISOString(),
      ...(digest ? { heldBack: heldBackOf(digest) } : {}),
      ...(options.dashboardUrl ? { dashboard: options.dashboardUrl } : {}),
    },
    attributes: {
      severity: 'RESOLVED',
      metric: first.metric,
      alert_type: ALERT_TYPE,
      dedup_key: first.dedupKey,
      alert_id: first.alertId,
      // The level of the alert it resolves: a destination that took the page takes its resolve too.
      level: LEVELS[Math.max(...members.map((m) => LEVELS.indexOf(m.level)))] ?? first.level,
    },
  };
}

/** The digest as it appears in a message body. */
function heldBackOf(digest: Digest): Record<string, unknown> {
  return {
    count: digest.count,
    since: new Date(digest.since).toISOString(),
    worstSeverity: digest.worstLevel,
    topSeries: digest.topSeries,
  };
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
