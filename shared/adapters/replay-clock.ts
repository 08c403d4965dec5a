// (adapter) --> Clock port (shared/ports.ts) for the local stack's CSV replay (DESIGN §7): virtual time
// that runs `speed` times faster than the real clock, on a timeline rebased so the replayed file ends at
// the real "now" of the start. Every replayed point therefore lies in the past of the real clock.
import { ValidationError } from '../errors';
import type { Clock } from '../ports';

/** Where a replayed file sits in time. All values are epoch milliseconds unless named otherwise. */
export interface ReplayTimeline {
  /** Added to every file timestamp: rebasedTs = fileTs + offset. */
  readonly offset: number;
  /** Virtual time when the replay starts: the rebased first timestamp, realStart − (fileLastTs − fileFirstTs). */
  readonly virtualStart: number;
  /** Virtual time when the file is exhausted: the rebased last timestamp, equal to realStart. */
  readonly virtualEnd: number;
  /** Real time the timeline was built at. */
  readonly realStart: number;
  /** Speed-up factor: virtual milliseconds per real millisecond. */
  readonly speed: number;
  /** Real milliseconds the replay takes at `speed`. */
  readonly realDurationMs: number;
}

/**
 * Rebase a file's time span so the replay ends at `realNow`: offset = (realNow − span) − fileFirstTs,
 * virtualStart = realNow − span, where span = fileLastTs − fileFirstTs.
 * @param fileFirstTs - the file's first timestamp, epoch ms
 * @param fileLastTs - the file's last timestamp, epoch ms
 * @param realNow - real time at the start of the replay, epoch ms
 * @param speed - virtual milliseconds per real millisecond (600 = ten minutes of data per second)
 * @throws ValidationError when the span is negative or the speed is not a positive finite number
 */
export function createReplayTimeline(
  fileFirstTs: number,
  fileLastTs: number,
  realNow: number,
  speed: number,
): ReplayTimeline {
  const issues: string[] = [];
  for (const [name, value] of [
    ['fileFirstTs', fileFirstTs],
    ['fileLastTs', fileLastTs],
    ['realNow', realNow],
  ] as const) {
    if (!Number.isFinite(value)) issues.push(`${name} must be a finite epoch-ms number, got ${value}`);
  }
  if (fileLastTs < fileFirstTs)
    issues.push(`fileLastTs (${fileLastTs}) is before fileFirstTs (${fileFirstTs})`);
  if (!(speed > 0 && Number.isFinite(speed))) issues.push(`speed must be a positive number, got ${speed}`);
  if (issues.length > 0) throw new ValidationError('Invalid replay timeline', issues);

  const span = fileLastTs - fileFirstTs;
  const virtualStart = realNow - span;
  return {
    offset: virtualStart - fileFirstTs,
    virtualStart,
    virtualEnd: realNow,
    realStart: realNow,
    speed,
    realDurationMs: span / speed,
  };
}

/**
 * What the clock does once virtual time reaches `virtualEnd`:
 * - `realtime`: keep going at real speed (1×). Virtual time never overtakes the real clock (it lags by
 *   the replay's real duration), stays monotonic, and time-driven logic after the replay (alert
 *   resolution, token refill, digests) still progresses.
 * - `hold`: stop at `virtualEnd`.
 */
export type AfterEnd = 'realtime' | 'hold';

/** Settings of a replay clock. */
export interface ReplayClockOptions {
  /** Virtual time at `realStart`, epoch ms. */
  readonly virtualStart: number;
  /** Virtual milliseconds per real millisecond. */
  readonly speed: number;
  /** Virtual time the accelerated run ends at. @default never: accelerated forever */
  readonly virtualEnd?: number;
  /** Behaviour past `virtualEnd`. @default 'realtime' */
  readonly afterEnd?: AfterEnd;
  /** Real time virtual time starts from. @default realClock() when the clock is built */
  readonly realStart?: number;
  /** The real clock. @default Date.now */
  readonly realClock?: () => number;
}

/**
 * Virtual time = virtualStart + (realNow − realStart) × speed, whole milliseconds. Before `realStart`
 * it reads `virtualStart`; past `virtualEnd` it follows `afterEnd` (default: real speed).
 */
export class ReplayClock implements Clock {
  public readonly virtualStart: number;
  public readonly virtualEnd: number | undefined;
  public readonly speed: number;
  public readonly realStart: number;
  public readonly afterEnd: AfterEnd;
  private readonly realClock: () => number;

  public constructor(options: ReplayClockOptions) {
    const issues: string[] = [];
    if (!(options.speed > 0 && Number.isFinite(options.speed))) {
      issues.push(`speed must be a positive number, got ${options.speed}`);
    }
    if (options.virtualEnd !== undefined && options.virtualEnd < options.virtualStart) {
      issues.push(`virtualEnd (${options.virtualEnd}) is before virtualStart (${options.virtualStart})`);
    }
    if (issues.length > 0) throw new ValidationError('Invalid replay clock', issues);
    this.virtualStart = options.virtualStart;
    this.virtualEnd = options.virtualEnd;
    this.speed = options.speed;
    this.afterEnd = options.afterEnd ?? 'realtime';
    this.realClock = options.realClock ?? Date.now;
    this.realStart = options.realStart ?? this.realClock();
  }

  /** A clock running along `timeline` (start at its virtualStart, accelerated until its virtualEnd). */
  public static fromTimeline(
    timeline: ReplayTimeline,
    options: { readonly afterEnd?: AfterEnd; readonly realClock?: () => number } = {},
  ): ReplayClock {
    return new ReplayClock({
      virtualStart: timeline.virtualStart,
      virtualEnd: timeline.virtualEnd,
      speed: timeline.speed,
      realStart: timeline.realStart,
      ...options,
    });
  }

  /** The virtual now, epoch ms. */
  public now(): number {
    const elapsed = Math.max(0, this.realClock() - this.realStart);
    const accelerated = this.virtualStart + elapsed * this.speed;
    if (this.virtualEnd === undefined || accelerated <= this.virtualEnd) return Math.floor(accelerated);
    if (this.afterEnd === 'hold') return this.virtualEnd;
    const realAtEnd = (this.virtualEnd - this.virtualStart) / this.speed;
    return Math.floor(this.virtualEnd + (elapsed - realAtEnd));
  }

  /** True once virtual time has reached `virtualEnd` (never when there is none). */
  public ended(): boolean {
    return this.virtualEnd !== undefined && this.now() >= this.virtualEnd;
  }
}
