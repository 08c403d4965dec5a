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

  /** Values held (≤ capacity). */
  get size(): number {
    return this.sorted.length;
  }

  /** Add a finite value, evicting the oldest when full. */
  push(value: number): void {
    if (this.sorted.length === this.capacity) {
      const old = this.ring[this.head]!;
      this.sorted.splice(this.lowerBound(old), 1);
    }
    this.ring[this.head] = value;
    this.head = (this.head + 1) % this.capacity;
    this.sorted.splice(this.lowerBound(value), 0, value);
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
