// (domain) the memory of a series' normal deviations: an exponentially decayed histogram on a log
// scale. O(1) to add, O(bins) at worst to read, a fixed 3.2 KB whatever the history length. It
// answers two questions: "what deviation does the remembered weight reach?" (the bar an anomaly must
// clear) and "what share of the memory is at least this large?" (a sub-threshold score).

const LOG_LOW = Math.log(0.05);
/** Bin width in log units: bars are resolved to about 5 %, from 0.05 to 2·10⁷. */
const STEP = 0.05;
const BINS = 400;
/** Renormalise the running weight before it overflows. */
const RESCALE_AT = 1e120;

/** Plain-JSON state: the non-empty bins as [index, weight], the current entry weight and the total. */
export interface TailState {
  readonly bins: readonly (readonly [number, number])[];
  readonly unit: number;
  readonly total: number;
}

function binOf(x: number): number {
  if (!(x > 0.05)) return 0;
  return Math.min(BINS - 1, Math.floor((Math.log(x) - LOG_LOW) / STEP));
}

/** Deviations seen, each weighted exp(−age / horizon). */
export class DecayedTail {
  private readonly bins = new Float64Array(BINS);
  /** Weight of an entry added now; older entries keep theirs, so relative weights decay. */
  private unit = 1;
  private total = 0;
  private top = 0;
  private readonly growth: number;

  constructor(readonly horizon: number) {
    this.growth = Math.exp(1 / horizon);
  }

  clone(): DecayedTail {
    const copy = new DecayedTail(this.horizon);
    copy.bins.set(this.bins);
    copy.unit = this.unit;
    copy.total = this.total;
    copy.top = this.top;
    return copy;
  }

  /** Remembered weight, in fresh entries. */
  get weight(): number {
    return this.total / this.unit;
  }

  /** One point passes with nothing to remember: every weight decays one step. */
  tick(): void {
    this.unit *= this.growth;
    if (this.unit > RESCALE_AT) this.rescale();
  }

  push(x: number): void {
    this.unit *= this.growth;
    const b = binOf(x);
    this.bins[b] = this.bins[b]! + this.unit;
    this.total += this.unit;
    if (b > this.top) this.top = b;
    if (this.unit > RESCALE_AT) this.rescale();
  }

  /** The deviation that `weight` of remembered weight reaches (0 when there is less memory than that). */
  bar(weight: number): number {
    const need = weight * this.unit;
    let above = 0;
    for (let b = this.top; b > 0; b--) {
      const w = this.bins[b]!;
      if (above + w >= need) {
        const f = (need - above) / w;
        return Math.exp(LOG_LOW + (b + 1 - f) * STEP);
      }
      above += w;
    }
    return 0;
  }

  /** Share of the remembered weight at least as large as x (1 when nothing is remembered). */
  shareAtLeast(x: number): number {
    if (this.total <= 0) return 1;
    const target = binOf(x);
    let above = 0;
    for (let b = this.top; b >= target; b--) above += this.bins[b]!;
    return above / this.total;
  }

  state(): TailState {
    const bins: [number, number][] = [];
    this.bins.forEach((w, i) => {
      if (w > 0) bins.push([i, w]);
    });
    return { bins, unit: this.unit, total: this.total };
  }

  static restore(horizon: number, state: TailState): DecayedTail {
    const t = new DecayedTail(horizon);
    for (const [i, w] of state.bins) {
      if (!(Number.isInteger(i) && i >= 0 && i < BINS && Number.isFinite(w) && w >= 0))
        throw new RangeError(`tail bin ${i} does not fit`);
      t.bins[i] = w;
      if (w > 0 && i > t.top) t.top = i;
    }
    if (!(Number.isFinite(state.total) && state.total >= 0 && Number.isFinite(state.unit) && state.unit >= 1))
      throw new RangeError('tail total is not a weight');
    t.total = state.total;
    t.unit = state.unit;
    return t;
  }

  private rescale(): void {
    const k = 1 / this.unit;
    for (let b = 0; b < BINS; b++) this.bins[b] = this.bins[b]! * k;
    this.total *= k;
    this.unit = 1;
    while (this.top > 0 && this.bins[this.top]! < 1e-12) this.top--;
  }
}
