// bench:scale's latency from a CloudWatch datapoint to its page on a simulated clock, through the real
// cycle at the default schedules: collect every 5 minutes at :00 (its window ends collection.settleMinutes
// before now, as collectMetrics computes it), a 1-minute point with ts t available in CloudWatch from
// t + 60 s, detect + alerting right after collect (chained, +10 s) or on its own cron 1 minute later (the
// old wiring). Incidents (a level shift ×factor on one host's CPU) start at each minute offset within the
// 5-minute cycle, several times over, each on its own host so no page folds into another's.
import { medianOf } from '../shared/domain/detectors/sorted-window';
import { WHOLE_FLEET } from '../shared/domain/shards';
import { Tally } from './scale-counting';
import { createFleet, type Incident, MINUTE, T0 } from './scale-fleet';
import { memoryStores, runTimeline, SimClock } from './scale-run';

/** One incident and its first page. */
export interface IncidentLatency {
  readonly offsetMinute: number;
  readonly startTs: number;
  /** When its page was published (simulated clock), undefined when none came within 30 minutes. */
  readonly pageAt?: number;
  /** Page time minus the first anomalous point's ts (its period start), and minus its period end. */
  readonly fromTsMs?: number;
  readonly fromPeriodEndMs?: number;
}

/** Latency of one wiring. */
export interface LatencyResult {
  readonly wiring: string;
  readonly detectDelayMs: number;
  readonly incidents: readonly IncidentLatency[];
  readonly paged: number;
  readonly medianFromTsMs: number;
  readonly worstFromTsMs: number;
  readonly medianFromPeriodEndMs: number;
  readonly worstFromPeriodEndMs: number;
}

const median = medianOf;

/** Measure one wiring: `repeats` incidents at each of the 5 minute offsets. */
export async function measureLatency(options: {
  readonly seed: number;
  readonly repeats: number;
  readonly detectDelayMs: number;
  readonly wiring: string;
}): Promise<LatencyResult> {
  const count = 5 * options.repeats;
  const hosts = count + 5;
  // One incident every 30 minutes, the first 30 minutes in; the k-th at minute offset k mod 5.
  const incidents: Incident[] = Array.from({ length: count }, (_, k) => ({
    series: k * 4, // the host's cpu_percent
    startMinute: 30 + 30 * k + (k % 5),
    minutes: 20,
    factor: 2.5,
  }));
  const lastMinute = 30 + 30 * (count - 1) + 4 + 30;
  const cycles = Math.ceil(lastMinute / 5) + 1;
  const fleet = createFleet({
    series: hosts * 4,
    seed: options.seed,
    spanMinutes: cycles * 5 + 10,
    incidents,
  });
  const tally = new Tally();
  const clock = new SimClock();
  const stores = memoryStores(fleet.config, tally, clock);
  await runTimeline({
    fleet,
    shard: WHOLE_FLEET,
    stores,
    tally,
    clock,
    warmCycles: cycles,
    cold: false,
    detectDelayMs: options.detectDelayMs,
  });
  const pages = stores.publisher.sent.filter((m) => m.attributes.severity !== 'RESOLVED');
  const results = incidents.map((inc): IncidentLatency => {
    const startTs = T0 + inc.startMinute * MINUTE;
    const id = fleet.specs[inc.series]!.id;
    const page = pages.find(
      (m) =>
        m.at >= startTs &&
        m.at <= startTs + 30 * MINUTE &&
        (m.body.anomalies as { series: string }[]).some((a) => a.series === id),
    );
    const base = { offsetMinute: inc.startMinute % 5, startTs };
    return page
      ? { ...base, pageAt: page.at, fromTsMs: page.at - startTs, fromPeriodEndMs: page.at - startTs - MINUTE }
      : base;
  });
  const fromTs = results.flatMap((r) => (r.fromTsMs === undefined ? [] : [r.fromTsMs]));
  const fromEnd = results.flatMap((r) => (r.fromPeriodEndMs === undefined ? [] : [r.fromPeriodEndMs]));
  return {
    wiring: options.wiring,
    detectDelayMs: options.detectDelayMs,
    incidents: results,
    paged: fromTs.length,
    medianFromTsMs: median(fromTs),
    worstFromTsMs: Math.max(...fromTs),
    medianFromPeriodEndMs: median(fromEnd),
    worstFromPeriodEndMs: Math.max(...fromEnd),
  };
}
