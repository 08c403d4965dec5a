// Fault tests of alert publishing against dynalite: SNS failing, DynamoDB writes failing around a
// successful publish. Each asserts that nothing is lost and that at most one duplicate reaches the NOC.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAlertStore } from '../../shared/adapters/dynamodb-alert-store';
import { DynamoAnomalyStore } from '../../shared/adapters/dynamodb-anomaly-store';
import { DynamoRateLimiter } from '../../shared/adapters/dynamodb-rate-limiter';
import { decide, runDetectors } from '../../shared/domain/anomaly';
import { DEFAULT_BUCKET } from '../../shared/domain/token-bucket';
import { expandSeries, parseMonitorConfig } from '../../shared/monitor-config';
import type { AlertMessage } from '../../shared/ports';
import { publishAlerts } from '../../shared/use-cases/publish-alerts';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { recordingLog } from '../helpers/logs';
import { NOISY } from '../helpers/series';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 24, 12);

const config = parseMonitorConfig({
  series: [
    { metric: 'cpu_percent', namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensions: { i: '1' } },
  ],
});
const series = expandSeries(config);
const spec = series[0]!;

/** A command the fault injector may fail: its name and DynamoDB input. */
type Command = { constructor: { name: string }; input: Record<string, unknown> };

/** A document client that fails the commands `fail` picks (as DynamoDB would: an error from send). */
function faulty(doc: DynamoDBDocumentClient, fail: (c: Command) => boolean): DynamoDBDocumentClient {
  return {
    send: async (command: Command) => {
      if (fail(command))
        throw Object.assign(new Error('Injected DynamoDB failure'), { name: 'InternalServerError' });
      return doc.send(command as never);
    },
  } as unknown as DynamoDBDocumentClient;
}

const putTo = (pk: string) => (c: Command) =>
  c.constructor.name === 'PutCommand' && (c.input.Item as { pk?: string } | undefined)?.pk === pk;
const deleteFrom = (pk: string) => (c: Command) =>
  c.constructor.name === 'DeleteCommand' && (c.input.Key as { pk?: string } | undefined)?.pk === pk;
const publishRecord =
  (status: string) =>
  (c: Command): boolean =>
    putTo('publish')(c) && (c.input.Item as { status?: string }).status === status;

let db: TestDynamo;
beforeEach(async () => {
  db = await startDynalite();
});
afterEach(async () => db.close());

function world() {
  const sent: AlertMessage[] = [];
  const parked: { message: AlertMessage; reason: string }[] = [];
  let snsDown = false;
  /** Which DynamoDB writes fail (changed between runs). */
  let fault: (c: Command) => boolean = () => false;
  const client = faulty(db.doc, (c) => fault(c));
  const anomalies = new DynamoAnomalyStore({ client: db.doc, tableName: db.tables.anomalies });
  const log = recordingLog();
  const deps = {
    anomalies,
    alerts: new DynamoAlertStore({ client, tableName: db.tables.control }),
    limiter: new DynamoRateLimiter({ client: db.doc, tableName: db.tables.control, config: DEFAULT_BUCKET }),
    publisher: {
      publish: async (m: AlertMessage) => {
        if (snsDown) throw new Error('SNS unavailable');
        sent.push(m);
        return { messageId: `sns-${sent.length}` };
      },
    },
    deadLetter: {
      send: async (message: AlertMessage, reason: string) => void parked.push({ message, reason }),
    },
    clock: { now: () => T0 },
    log,
    series,
    policy: config.alerts,
  };
  return {
    deps,
    sent,
    parked,
    log,
    anomalies,
    setFault: (f: (c: Command) => boolean) => {
      fault = f;
    },
    setSnsDown: (down: boolean) => {
      snsDown = down;
    },
    /** One detect run's alerting; a run that throws is what Lambda would retry, so it is tolerated. */
    run: async (now: number, extra: { coverage?: ReadonlyMap<string, number> } = {}) =>
      publishAlerts({ ...deps, clock: { now: () => now } }, { now, ...extra }).catch(
        (error: unknown) => error,
      ),
  };
}

async function recordOne(w: ReturnType<typeof world>, ts: number) {
  const a = decide(spec, ts, 90, runDetectors(NOISY, 90, config.detection))!;
  await w.anomalies.record([a], ts);
  return a;
}

describe('publishing with faults (dynalite)', () => {
  it('open-alert write fails after a successful publish: the retry records it and does not page again', async () => {
    const w = world();
    await recordOne(w, T0 - MIN);
    w.setFault(putTo('alerts'));
    await w.run(T0);
    expect(w.sent).toHaveLength(1);
    expect(await w.anomalies.listPending(T0 - 10 * MIN, T0, T0)).toHaveLength(1); // not lost

    w.setFault(() => false);
    const second = await w.run(T0 + MIN);
    expect(w.sent).toHaveLength(1); // no second CRITICAL page
    expect(second).toMatchObject({ messagesSent: 0, replayed: 1, states: { sent: 1 } });
    expect(await w.anomalies.listPending(T0 - 10 * MIN, T0, T0)).toEqual([]);
    const open = await w.deps.alerts.listOpen();
    expect(open).toHaveLength(1);
    expect(open[0]!.alertId).toBe(w.sent[0]!.attributes.alert_id);
  });

  it('a same-run repeat follows its page: pending while the open alert is unwritten, deduplicated after', async () => {
    const w = world();
    await recordOne(w, T0 - 2 * MIN);
    await recordOne(w, T0 - MIN);
    w.setFault(putTo('alerts'));
    const first = await w.run(T0);
    expect(first).toMatchObject({ messagesSent: 1, states: { pending: 2 } });
    w.setFault(() => false);
    const second = await w.run(T0 + MIN);
    expect(second).toMatchObject({ messagesSent: 0, replayed: 1, states: { sent: 1, deduplicated: 1 } });
    expect(w.sent).toHaveLength(1);
  });

  it('close of a resolved alert fails after the RESOLVED notice: the retry closes it without a second notice', async () => {
    const w = world();
    await recordOne(w, T0 - MIN);
    await w.run(T0);
    expect(w.sent.map((m) => m.body.type)).toEqual(['ALERT']);

    const quietAt = T0 + (config.alerts.resolveAfterMinutes + 5) * MIN;
    const coverage = new Map([[spec.id, quietAt]]);
    w.setFault(deleteFrom('alerts'));
    await w.run(quietAt, { coverage });
    expect(w.sent.map((m) => m.body.type)).toEqual(['ALERT', 'RESOLVED']);
    expect(await w.deps.alerts.listOpen()).toHaveLength(1);

    w.setFault(() => false);
    await w.run(quietAt + MIN, { coverage: new Map([[spec.id, quietAt + MIN]]) });
    expect(w.sent.map((m) => m.body.type)).toEqual(['ALERT', 'RESOLVED']); // one RESOLVED, not two
    expect(await w.deps.alerts.listOpen()).toEqual([]);
    // Trigger and resolve carry the same dedup key (a receiver matches them), in attribute and body.
    expect(w.sent[1]!.attributes.dedup_key).toBe(w.sent[0]!.attributes.dedup_key);
    expect(w.sent[1]!.body.dedupKey).toBe(w.sent[0]!.attributes.dedup_key);
  });

  it('SNS down: nothing sent, nothing lost, the next run sends it once', async () => {
    const w = world();
    await recordOne(w, T0 - MIN);
    w.setSnsDown(true);
    const first = await w.run(T0);
    expect(first).toMatchObject({ messagesSent: 0, publishFailures: 1, states: { pending: 1 } });
    w.setSnsDown(false);
    const second = await w.run(T0 + MIN);
    expect(second).toMatchObject({ messagesSent: 1, states: { sent: 1 } });
    expect(w.sent).toHaveLength(1);
    expect(w.parked).toEqual([]);
  });

  it('publish record unwritable before publishing: nothing is sent, the next run sends it once', async () => {
    const w = world();
    await recordOne(w, T0 - MIN);
    w.setFault(putTo('publish'));
    const first = await w.run(T0);
    expect(first).toMatchObject({ messagesSent: 0, publishFailures: 1, states: { pending: 1 } });
    expect(w.sent).toEqual([]);
    w.setFault(() => false);
    await w.run(T0 + MIN);
    expect(w.sent).toHaveLength(1);
  });

  it('every write after publishing keeps failing: at most one duplicate, then the dead-letter queue', async () => {
    const w = world();
    await recordOne(w, T0 - MIN);
    w.setFault((c) => publishRecord('published')(c) || putTo('alerts')(c));
    for (let i = 0; i < 4; i++) await w.run(T0 + i * MIN);
    // Two deliveries at most (the second is the one documented duplicate), with the same keys.
    expect(w.sent).toHaveLength(2);
    expect(w.sent[1]!.attributes).toEqual(w.sent[0]!.attributes);
    expect(w.sent[1]!.body.alertId).toBe(w.sent[0]!.body.alertId);
    // Not lost: parked (alarmed) once the outcome stayed unknown twice, and no longer pending.
    expect(w.parked).toHaveLength(1);
    expect(w.parked[0]!.reason).toMatch(/unknown after two attempts/);
    expect(await w.anomalies.listPending(T0 - 10 * MIN, T0, T0 + 4 * MIN)).toEqual([]);
    expect(w.log.lines.some((l) => l.message.startsWith('PublishOutcomeUnrecorded'))).toBe(true);
  });
});
