// (domain) a fixed-capacity sliding window kept sorted as well as in arrival order: O(log n) search,
// O(n) memmove per update, exact quantiles and ranks. The detectors' only data structure.

/** The last `capacity` values pushed, with exact order statistics. */
export class SortedWindow {
  private readonly ring: Float64Array;
  private readonly sorted: number[] = [];
  private head = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0))
      throw new RangeError('capacity must be a positive integer');
    this.ring = new Float64Array(capacity);
  }

  /** An independent copy (for detector checkpoints). */
  clone(): SortedWindow {
    const copy = new SortedWindow(this.capacity);
    copy.ring.set(this.ring);
    copy.sorted.push(...this.sorted);
    copy.head = this.head;
    return copy;
  }

  /** The held values in arrival order, oldest first (a checkpoint; {@link SortedWindow.of} restores it). */
  values(): number[] {
    const n = this.sorted.length;
    const start = n < this.capacity ? 0 : this.head;
    return Array.from({ length: n }, (_, i) => this.ring[(start + i) % this.capacity]!);
  }

  /** A window holding `values` (oldest first), as if they had been pushed in that order. */
  static of(capacity: number, values: readonly number[]): SortedWindow {
    if (values.length > capacity) throw new RangeError(`${values.length} values exceed capacity ${capacity}`);
    const w = new SortedWindow(capacity);
    values.forEach((v, i) => {
      if (!Number.isFinite(v)) throw new RangeError(`value ${i} is not a finite number`);
      w.ring[i] = v;
    });
    w.head = values.length % capacity;
    w.sorted.push(...values);
    w.sorted.sort((a, b) => a - b);
    return w;
  }

  /** Values held (≤ capacity). */
  get size(): number {
    return this.sorted.length;
  }

  /** Add a finite value, evicting the oldest when full. Returns the evicted value, NaN when none. */
  push(value: number): number {
    let old = Number.NaN;
    if (this.sorted.length === this.capacity) {
      old = this.ring[this.head]!;
      this.sorted.splice(this.lowerBound(old), 1);
    }
    this.ring[this.head] = value;
    this.head = (this.head + 1) % this.capacity;
    this.sorted.splice(this.lowerBound(value), 0, value);
    return old;
  }

  /** Mean of the held values (NaN when empty); summed from the top, so cheap when most are zero. */
  mean(): number {
    const s = this.sorted;
    if (s.length === 0) return Number.NaN;
    let sum = 0;
    for (let i = s.length - 1; i >= 0 && s[i]! > 0; i--) sum += s[i]!;
    for (let i = 0; i < s.length && s[i]! < 0; i++) sum += s[i]!;
    return sum / s.length;
  }

  /** Linear-interpolated quantile (the R-7 / numpy default), NaN when empty. */
  quantile(p: number): number {
    const s = this.sorted;
    if (s.length === 0) return Number.NaN;
    const h = (s.length - 1) * p;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, s.length - 1);
    return s[lo]! + (s[hi]! - s[lo]!) * (h - lo);
  }

  /** Smallest positive gap between two held values (the data's resolution), NaN when all are equal. */
  minGap(): number {
    const s = this.sorted;
    let gap = Number.POSITIVE_INFINITY;
    for (let i = 1; i < s.length; i++) {
      const d = s[i]! - s[i - 1]!;
      if (d > 0 && d < gap) gap = d;
    }
    return Number.isFinite(gap) ? gap : Number.NaN;
  }

  /** Largest value, NaN when empty. */
  max(): number {
    return this.sorted.length === 0 ? Number.NaN : this.sorted[this.sorted.length - 1]!;
  }

  /** Smallest value, NaN when empty. */
  min(): number {
    return this.sorted.length === 0 ? Number.NaN : this.sorted[0]!;
  }

  /** How many held values are ≥ `value`. */
  countAtLeast(value: number): number {
    return this.sorted.length - this.lowerBound(value);
  }

  private lowerBound(value: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Median of a short list (copies; for the handful of seasonal neighbours). */
export function medianOf(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}
