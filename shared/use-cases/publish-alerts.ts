// adapter --> (use case) --> domain: turn recorded anomalies into NOC messages — de-duplicated,
// grouped, muted by maintenance windows, rate-limited by the token bucket — and record where every
// anomaly ended up. Nothing is dropped: held-back anomalies go into a digest carried by the next message.

import { withTagsAttribute } from '../domain/alert-delivery';
import { alertIdOf, buildAlertMessage, buildResolvedMessage } from '../domain/alert-message';
import { type AlertGroup, addToDigest, type PlannedAnomaly, planAlerts, SAME_RUN } from '../domain/alerting';
import type { Anomaly } from '../domain/anomaly';
import type { SeriesSpec } from '../domain/types';
import { messageOf } from '../errors';
import type { MonitorConfig } from '../monitor-config';
import type {
  AlertMessage,
  AlertPublisher,
  AlertStateStore,
  AlertStateUpdate,
  AnomalyStore,
  Clock,
  DeadLetterSink,
  Log,
  PublishRecord,
  RateLimiter,
  StoredOpenAlert,
} from '../ports';
import { RESOLVED_KEY_PREFIX } from '../ports';

/** The bucket every NOC message takes a token from. */
export const NOC_BUCKET = 'noc';

/** What publishing needs. */
export interface PublishDeps {
  readonly anomalies: AnomalyStore;
  readonly alerts: AlertStateStore;
  readonly limiter: RateLimiter;
  readonly publisher: AlertPublisher;
  /** Where alerts go after `maxPendingMinutes` of failed publishing. */
  readonly deadLetter: DeadLetterSink;
  readonly clock: Clock;
  readonly log: Log;
  readonly series: readonly SeriesSpec[];
  readonly policy: MonitorConfig['alerts'];
  /**
   * How far back pending anomalies (failed publishes, crashed runs) are looked for: the detect cycle
   * passes retryPendingMsOf(policy, detect's catch-up span). @default retryPendingMsOf(policy)
   */
  readonly retryPendingMs?: number;
  /** Token bucket and digest name; a local replay uses its own. @default 'noc' */
  readonly bucket?: string;
  /**
   * A detect shard's run: only `series` are this run's — pending anomalies and open alerts of other
   * series belong to the shards that own them (which run at the same time), and the digest of what
   * was held back is this shard's own (`digest`, see digestNameOf), so concurrent shards never
   * overwrite each other's. The token bucket stays shared. @default the whole fleet
   */
  readonly shardScope?: { readonly digest: string };
}

/**
 * How far back alerting looks for anomalies still pending (failed publishes, crashed runs): past the
 * longest a publish may keep failing, past detect's catch-up span (a late run records old anomalies),
 * and never under 6 h, plus an hour of margin so nothing pending falls out of sight at the edge.
 */
export function retryPendingMsOf(policy: MonitorConfig['alerts'], maxCatchUpMinutes = 0): number {
  return Math.max(policy.maxPendingMinutes, maxCatchUpMinutes, 6 * 60) * 60_000 + 3_600_000;
}

/** What one run did; `states` counts anomalies by the state they ended in. */
export interface PublishResult {
  readonly considered: number;
  readonly messagesSent: number;
  readonly resolvedSent: number;
  readonly publishFailures: number;
  readonly states: Readonly<Record<string, number>>;
  readonly heldBack: number;
  /** Messages an earlier run published but could not record: recorded now, not sent again. */
  readonly replayed: number;
  /** Writes after a publish that failed (open alerts, anomaly states); the next run redoes them. */
  readonly stateWriteFailures: number;
}

/**
 * Publish alerts.
 * 1. Gather this run's anomalies plus older ones still pending (a failed publish is retried).
 * 2. Plan: below page level → below-severity; in a maintenance window → suppressed; repeat of an
 *    open alert within the dedup window → deduplicated; the rest grouped by resource.
 * 3. Per group, worst first: take a token. Denied → rate-limited, added to the digest. Granted →
 *    publish (with the digest of what was held back); first anomaly `sent`, the others `grouped`.
 *    A failed publish leaves the group pending for the next run.
 * 4. RESOLVED notices (also through the bucket) for open alerts quiet for `resolveAfterMinutes`.
 * 5. Record every anomaly's state.
 */
export async function publishAlerts(
  given: PublishDeps,
  input: {
    readonly fresh?: readonly Anomaly[];
    readonly now?: number;
    /**
     * Series detect actually read this run → time of their latest point. An alert resolves only when
     * every series it covered has data for the whole quiet period: missing data is not "normal".
     */
    readonly coverage?: ReadonlyMap<string, number>;
  } = {},
): Promise<PublishResult> {
  const tagsById = new Map(given.series.map((s) => [s.id, s.tags]));
  // Every message carries its series' tags, for destinations that take only some (issue 15).
  const deps = { ...given, publisher: taggingPublisher(given.publisher, (s) => tagsById.get(s)) };
  const now = input.now ?? deps.clock.now();
  const policy = deps.policy;
  const bucket = deps.bucket ?? NOC_BUCKET;
  const byKey = new Map<string, Anomaly>();
  const retryFrom = now - (deps.retryPendingMs ?? retryPendingMsOf(policy));
  const owned = (series: string): boolean => deps.shardScope === undefined || tagsById.has(series);
  for (const a of await deps.anomalies.listPending(retryFrom, now, now))
    if (owned(a.series)) byKey.set(`${a.series}|${a.ts}`, a);
  for (const a of input.fresh ?? []) byKey.set(`${a.series}|${a.ts}`, a);
  const candidates = [...byKey.values()];

  const open = (await deps.alerts.listOpen()).filter((o) => owned(o.series));
  const openByKey = new Map(open.map((o) => [o.dedupKey, o]));
  const { planned, groups } = planAlerts(
    candidates,
    { tagsOf: (s) => tagsById.get(s) ?? {}, openAlerts: openByKey, windows: await deps.alerts.listWindows() },
    {
      minLevelToPage: policy.minLevelToPage,
      dedupWindowMs: policy.dedupWindowMinutes * 60_000,
      groupBy: policy.groupBy,
    },
  );

  const updates = new Map<string, AlertStateUpdate>();
  const setState = (u: AlertStateUpdate): void => void updates.set(`${u.series}|${u.ts}`, u);
  const seenKeys = new Set<string>();
  /** Latest anomaly time per dedup key this run (an alert's lastSeenAt must be its newest anomaly). */
  const latestByKey = new Map<string, number>();
  /** Same-run repeats of a key: they share the fate of the anomaly that pages (or is held back). */
  const sameRun = new Map<string, PlannedAnomaly[]>();
  for (const p of planned) {
    seenKeys.add(p.dedupKey);
    if (p.state === 'below-severity' || p.state === 'suppressed') {
      setState({
        series: p.anomaly.series,
        ts: p.anomaly.ts,
        state: p.state,
        ...(p.reason ? { reason: p.reason } : {}),
      });
      continue;
    }
    latestByKey.set(p.dedupKey, Math.max(latestByKey.get(p.dedupKey) ?? 0, p.anomaly.ts));
    if (p.state === 'pending') continue;
    setState({
      series: p.anomaly.series,
      ts: p.anomaly.ts,
      state: 'deduplicated',
      ...(p.reason ? { reason: p.reason } : {}),
    });
    if (p.reason === SAME_RUN) sameRun.set(p.dedupKey, [...(sameRun.get(p.dedupKey) ?? []), p]);
  }
  for (const [key, ts] of latestByKey) if (openByKey.has(key)) await deps.alerts.touchOpen(key, ts);

  const digestName = deps.shardScope?.digest ?? bucket;
  let digest = await deps.alerts.getDigest(digestName);
  const digestBefore = digest;
  let messagesSent = 0;
  let publishFailures = 0;
  let replayed = 0;
  let stateWriteFailures = 0;
  for (const group of groups) {
    const repeats = group.anomalies.flatMap((p) => sameRun.get(p.dedupKey) ?? []);
    /** Same-run repeats follow their group: pending again unless their key was paged (`paged`). */
    const leavePending = (paged: ReadonlySet<string> = new Set()): void => {
      for (const p of repeats)
        if (!paged.has(p.dedupKey)) updates.delete(`${p.anomaly.series}|${p.anomaly.ts}`); // retried with the group
    };
    const key = `alert#${alertIdOf(group)}`;
    let prior: PublishRecord | undefined;
    try {
      prior = await deps.alerts.getPublish(key);
    } catch (error) {
      deps.log.error('Publish record unreadable; alert left pending for the next run', {
        group: group.group,
        error: messageOf(error),
      });
      publishFailures++;
      leavePending();
      continue;
    }
    if (prior?.status === 'published') {
      // An earlier run published this message and failed before recording the rest: finish that
      // bookkeeping, do not page again.
      deps.log.warn('Alert already published by an earlier run; recording it without re-sending', {
        alertId: alertIdOf(group),
        messageId: prior.messageId,
      });
      replayed++;
      const covered = await recordOpened(deps, group, prior, repeats, setState, latestByKey, openByKey);
      if (covered === undefined) stateWriteFailures++;
      leavePending(covered);
      continue;
    }
    const take = await deps.limiter.take(bucket, now);
    if (take.contended) {
      // Not a "no": the bucket could not be written under contention. Stay pending, retry next run.
      deps.log.warn('Token bucket contended; alert left pending for the next run', { group: group.group });
      leavePending();
      continue;
    }
    const bypass =
      !take.granted &&
      policy.criticalBypass &&
      group.level === 'CRITICAL' &&
      group.anomalies.every((p) => !openByKey.has(p.dedupKey));
    if (bypass)
      deps.log.warn('Bucket empty: CRITICAL alert sent anyway (criticalBypass)', { group: group.group });
    if (!take.granted && !bypass) {
      // Held back: the group and its same-run repeats all go into the digest; none is lost.
      const held = [...group.anomalies, ...repeats];
      digest = addToDigest(
        digest,
        held.map((p) => p.anomaly),
        now,
      );
      const reason = `retry in ${Math.ceil(take.retryAfterMs / 1000)} s`;
      for (const p of held)
        setState({ series: p.anomaly.series, ts: p.anomaly.ts, state: 'rate-limited', reason });
      continue;
    }
    const message = buildAlertMessage(group, digest, { now, ...dashboard(deps.policy) });
    const members = group.anomalies.map((p) => `${p.anomaly.series}|${p.anomaly.ts}`);
    const outcome = await publishOnce(deps, { key, message, members, prior, now });
    if (outcome.kind === 'unknown-twice') {
      leavePending();
      for (const u of await deadLetter(deps, group, message, UNKNOWN_TWICE)) setState(u);
      continue;
    }
    if (outcome.kind === 'failed') {
      publishFailures++;
      leavePending();
      for (const u of await deadLetterIfStale(deps, group, message, now)) setState(u);
      continue;
    }
    deps.log.info(`Alert sent: ${message.subject}`, {
      alertId: alertIdOf(group),
      messageId: outcome.record.messageId,
      anomalies: group.anomalies.length,
    });
    messagesSent++;
    digest = undefined;
    const covered = await recordOpened(
      deps,
      group,
      outcome.record,
      repeats,
      setState,
      latestByKey,
      openByKey,
    );
    if (covered === undefined) stateWriteFailures++;
    leavePending(covered);
  }

  // Resolve each page once every series it covered stayed normal — with data — for the quiet period.
  let resolvedSent = 0;
  const quietMs = policy.resolveAfterMinutes * 60_000;
  const byAlert = new Map<string, StoredOpenAlert[]>();
  for (const alert of open) byAlert.set(alert.alertId, [...(byAlert.get(alert.alertId) ?? []), alert]);
  for (const members of byAlert.values()) {
    const quiet = members.every(
      (m) =>
        !seenKeys.has(m.dedupKey) &&
        now - m.lastSeenAt >= quietMs &&
        (input.coverage?.get(m.series) ?? Number.NEGATIVE_INFINITY) >= m.lastSeenAt + quietMs,
    );
    if (!quiet) continue;
    const key = `${RESOLVED_KEY_PREFIX}${members[0]!.alertId}`;
    let prior: PublishRecord | undefined;
    try {
      prior = await deps.alerts.getPublish(key);
    } catch (error) {
      deps.log.error('Publish record unreadable; RESOLVED notice retried next run', {
        alertId: members[0]!.alertId,
        error: messageOf(error),
      });
      continue;
    }
    if (prior?.status === 'published') {
      replayed++; // sent by an earlier run that could not close the alert: close it, do not re-send
    } else {
      const take = await deps.limiter.take(bucket, now);
      if (!take.granted) break; // tried again next run; the alert stays open meanwhile
      const message = buildResolvedMessage(members, digest, { now, ...dashboard(policy) });
      const outcome = await publishOnce(deps, { key, message, members: [], prior, now });
      if (outcome.kind === 'failed') {
        deps.log.error('RESOLVED notice not published; retried next run', { alertId: members[0]!.alertId });
        continue;
      }
      if (outcome.kind === 'unknown-twice') {
        deps.log.error(`RESOLVED notice ${UNKNOWN_TWICE}; parked in the dead-letter queue, alert closed`, {
          alertId: members[0]!.alertId,
        });
        try {
          await deps.deadLetter.send(message, UNKNOWN_TWICE);
        } catch (error) {
          deps.log.error('Dead-letter send failed; RESOLVED retried next run', { error: messageOf(error) });
          continue;
        }
      } else {
        resolvedSent++;
        digest = undefined; // it went out with the notice
      }
    }
    try {
      for (const m of members) await deps.alerts.deleteOpen(m.dedupKey);
    } catch (error) {
      stateWriteFailures++;
      deps.log.error('RESOLVED sent but the open alert could not be closed; closed by the next run', {
        alertId: members[0]!.alertId,
        error: messageOf(error),
      });
    }
  }
  if (digest !== digestBefore) await deps.alerts.setDigest(digestName, digest);

  const failedWrites = await deps.anomalies.setAlertStates([...updates.values()], now);
  const states: Record<string, number> = {};
  const final = new Map<string, string>();
  for (const a of candidates) final.set(`${a.series}|${a.ts}`, 'pending');
  for (const [key, u] of updates) final.set(key, u.state);
  for (const s of final.values()) states[s] = (states[s] ?? 0) + 1;
  return {
    considered: candidates.length,
    messagesSent,
    resolvedSent,
    publishFailures,
    states,
    heldBack: digest?.count ?? 0,
    replayed,
    stateWriteFailures: stateWriteFailures + failedWrites.length,
  };
}

/** Reason of a message given up on because two attempts ended with an unknown outcome. */
const UNKNOWN_TWICE = 'publish outcome unknown after two attempts; not re-sent (at most one duplicate)';

type PublishOutcome =
  | { readonly kind: 'published'; readonly record: PublishRecord }
  | { readonly kind: 'failed' }
  | { readonly kind: 'unknown-twice' };

/**
 * Publish a message at most twice in total, whatever fails around it:
 * 1. An earlier attempt left `attempting` (published or not, nobody knows) counts as an unknown.
 *    After two unknowns the message is not sent again: at most one duplicate ever reaches the NOC.
 * 2. Write `attempting` before publishing. If that write fails nothing is sent (retried next run).
 * 3. Publish; then write `published` with the MessageId (or `failed` when SNS said no) first, before
 *    any other bookkeeping, so a retry after a later failure recognises the message.
 */
async function publishOnce(
  deps: PublishDeps,
  input: {
    readonly key: string;
    readonly message: AlertMessage;
    readonly members: readonly string[];
    readonly prior: PublishRecord | undefined;
    readonly now: number;
  },
): Promise<PublishOutcome> {
  const { key, prior, now } = input;
  const unknowns = (prior?.unknowns ?? 0) + (prior?.status === 'attempting' ? 1 : 0);
  if (unknowns >= 2) return { kind: 'unknown-twice' };
  const attempt: PublishRecord = {
    key,
    status: 'attempting',
    tries: (prior?.tries ?? 0) + 1,
    unknowns,
    members: input.members,
    at: now,
  };
  try {
    if (!(await deps.alerts.putPublish(attempt, prior?.tries ?? 0))) {
      deps.log.warn('Another run is publishing this message; left to it', { key });
      return { kind: 'failed' };
    }
  } catch (error) {
    deps.log.error('Publish record not written; nothing sent, retried next run', {
      key,
      error: messageOf(error),
    });
    return { kind: 'failed' };
  }
  let messageId: string;
  try {
    ({ messageId } = await deps.publisher.publish(input.message));
  } catch (error) {
    deps.log.error('Alert not published; left pending for the next run', { key, error: messageOf(error) });
    await recordPublish(deps, { ...attempt, status: 'failed' });
    return { kind: 'failed' };
  }
  const record: PublishRecord = { ...attempt, status: 'published', messageId };
  await recordPublish(deps, record);
  return { kind: 'published', record };
}

/** Write the outcome of an attempt (a few tries); if it cannot be written the attempt stays unknown. */
async function recordPublish(deps: PublishDeps, record: PublishRecord): Promise<void> {
  let lastError: unknown;
  for (let i = 0; i < 3; i++) {
    try {
      if (await deps.alerts.putPublish(record, record.tries)) return;
      lastError = new Error('publish record changed by another run');
      break;
    } catch (error) {
      lastError = error;
    }
  }
  deps.log.error('PublishOutcomeUnrecorded: the attempt stays unknown; a retry may send one duplicate', {
    key: record.key,
    status: record.status,
    error: messageOf(lastError),
  });
}

/**
 * After a message went out: the anomalies it covered become `sent` / `grouped` (their same-run
 * repeats `deduplicated`) and their open alerts are written. If an open-alert write fails none of
 * the states is set, so the next run recognises the message (its publish record) and redoes this.
 * Group anomalies the message did not cover (they arrived after it) stay pending.
 * @returns the dedup keys the message paged, or undefined when an open-alert write failed
 */
async function recordOpened(
  deps: PublishDeps,
  group: AlertGroup,
  record: PublishRecord,
  repeats: readonly PlannedAnomaly[],
  setState: (u: AlertStateUpdate) => void,
  latestByKey: ReadonlyMap<string, number>,
  openByKey: ReadonlyMap<string, StoredOpenAlert>,
): Promise<ReadonlySet<string> | undefined> {
  const alertId = alertIdOf(group);
  const covered = new Set(record.members);
  const members = group.anomalies.filter((p) => covered.has(`${p.anomaly.series}|${p.anomaly.ts}`));
  try {
    for (const p of members) {
      await deps.alerts.putOpen({
        dedupKey: p.dedupKey,
        alertId,
        series: p.anomaly.series,
        label: p.anomaly.label,
        metric: p.anomaly.metric,
        openedAt: p.anomaly.ts,
        lastSeenAt: Math.max(
          latestByKey.get(p.dedupKey) ?? p.anomaly.ts,
          openByKey.get(p.dedupKey)?.lastSeenAt ?? 0,
        ),
        level: p.anomaly.level,
      });
    }
  } catch (error) {
    deps.log.error('Alert sent but its open alert was not written; the next run records it, no re-send', {
      alertId,
      messageId: record.messageId,
      error: messageOf(error),
    });
    return undefined;
  }
  members.forEach((p, i) => {
    setState({
      series: p.anomaly.series,
      ts: p.anomaly.ts,
      state: i === 0 ? 'sent' : 'grouped',
      alertId,
      ...(record.messageId ? { messageId: record.messageId } : {}),
    });
  });
  const keys = new Set(members.map((p) => p.dedupKey));
  for (const p of repeats)
    if (keys.has(p.dedupKey))
      setState({ series: p.anomaly.series, ts: p.anomaly.ts, state: 'deduplicated', reason: alertId });
  return keys;
}

/**
 * A group whose oldest anomaly has been pending longer than `maxPendingMinutes` is parked in the
 * dead-letter queue (alarmed) and marked `failed`; younger ones stay pending for the next run.
 */
async function deadLetterIfStale(
  deps: PublishDeps,
  group: AlertGroup,
  message: AlertMessage,
  now: number,
): Promise<AlertStateUpdate[]> {
  const oldest = Math.min(...group.anomalies.map((p) => p.anomaly.ts));
  if (now - oldest < deps.policy.maxPendingMinutes * 60_000) return [];
  return deadLetter(deps, group, message, `not published for ${Math.round((now - oldest) / 60_000)} min`);
}

/** Park a group's message in the dead-letter queue; its anomalies become `failed` (pending if that fails). */
async function deadLetter(
  deps: PublishDeps,
  group: AlertGroup,
  message: AlertMessage,
  reason: string,
): Promise<AlertStateUpdate[]> {
  try {
    await deps.deadLetter.send(message, reason);
  } catch (error) {
    deps.log.error('Dead-letter send failed too; the alert stays pending', {
      group: group.group,
      error: messageOf(error),
    });
    return [];
  }
  deps.log.error('Alert parked in the dead-letter queue', { group: group.group, reason });
  return group.anomalies.map((p) => ({
    series: p.anomaly.series,
    ts: p.anomaly.ts,
    state: 'failed' as const,
    reason,
  }));
}

/** The publisher with each message's `tags` attribute added (shared/domain/alert-delivery.ts). */
function taggingPublisher(
  publisher: AlertPublisher,
  tagsOf: (series: string) => Readonly<Record<string, string>> | undefined,
): AlertPublisher {
  return { publish: (message) => publisher.publish(withTagsAttribute(message, tagsOf)) };
}

function dashboard(policy: MonitorConfig['alerts']): { dashboardUrl?: string } {
  return policy.dashboardUrl ? { dashboardUrl: policy.dashboardUrl } : {};
}
