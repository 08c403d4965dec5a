// (domain) two-sample Kolmogorov–Smirnov test for prediction drift (DESIGN §6), pure.
//
// Numbers match scipy.stats.ks_2samp (scipy 1.10, alternative='two-sided'), the reference vectors in
// test/fixtures/ks_reference.json (a copy of ../shared/testdata/ks_reference.json):
// - the statistic is evaluated at every pooled value with right-continuous ECDFs (numpy's
//   searchsorted side='right'), which is what makes ties come out right;
// - method 'auto' is exact when max(n1, n2) <= 10 000, else asymptotic;
// - exact: Hodges' lattice-path counts (Horner form for n1 = n2; Viehmann's recursion for 1 − p
//   otherwise, so tiny p-values do not cancel to 0);
// - asymptotic: scipy does NOT use the limiting Kolmogorov series nor Stephens' correction here, but
//   kstwo.sf(D, round(n1·n2/(n1+n2))), the exact one-sample distribution at an effective n, computed
//   as Simard & L'Ecuyer (2011) do. `kolmogorovSf` (the limiting series) is exported for anyone who
//   wants Stephens' (√n + 0.12 + 0.11/√n)·D approximation instead.
import { ValidationError } from '../errors';

/** How the p-value is computed. */
export type KsMethod = 'auto' | 'exact' | 'asymptotic';

/** Options for {@link ksTwoSample}. */
export interface KsOptions {
  /**
   * 'auto' = exact when max(n1, n2) <= 10 000 (scipy's rule), else asymptotic. 'exact' may still fall
   * back to asymptotic when lcm(n1, n2) >= 2^31 or the computation fails, as scipy does.
   * @default 'auto'
   */
  readonly method?: KsMethod;
}

/** Result of a two-sample K-S test (two-sided). */
export interface KsResult {
  /** D = sup |F1 − F2| over the pooled values; in [0, 1]. Rounded to a multiple of 1/lcm(n1, n2) when exact. */
  readonly statistic: number;
  /** Two-sided p-value under H0 (both samples from the same continuous distribution). */
  readonly pValue: number;
  /** Size of sample 1. */
  readonly n1: number;
  /** Size of sample 2. */
  readonly n2: number;
  /** How the p-value was actually computed. */
  readonly method: 'exact' | 'asymptotic';
  /** The pooled value where D is attained (scipy's `statistic_location`). */
  readonly location: number;
  /** +1 when F1 > F2 there (sample 1 tends to lie left of sample 2), −1 otherwise (scipy's `statistic_sign`). */
  readonly sign: 1 | -1;
}

// Hot loops use module-level aliases instead of `Math.log` / `Number.isFinite`: inside jest's vm
// sandbox every global lookup costs ~15× more (measured), which made the 1M-value test 3–5× slower
// than production. Plain Node is unaffected either way.
const { exp, log } = Math;
const isFiniteNumber = Number.isFinite;
const INF = Number.POSITIVE_INFINITY;

/** scipy's MAX_AUTO_N: 'auto' attempts the exact distribution up to this sample size. */
const MAX_AUTO_N = 10_000;
const INT32_MAX = 2_147_483_647;

/**
 * Two-sample two-sided Kolmogorov–Smirnov test, matching `scipy.stats.ks_2samp`.
 *
 * O((n1 + n2) log(n1 + n2)) for the statistic (typed-array sorts and one merge pass); the exact p-value
 * costs O(n1 · window) and is only attempted for samples up to 10 000 under 'auto'.
 *
 * @param sample1 - finite values (any order), e.g. last week's predictions
 * @param sample2 - finite values (any order), e.g. today's predictions
 * @param options - method, @default 'auto'
 * @throws ValidationError when a sample is empty or holds a non-finite value
 */
export function ksTwoSample(
  sample1: ArrayLike<number>,
  sample2: ArrayLike<number>,
  options: KsOptions = {},
): KsResult {
  const method = options.method ?? 'auto';
  if (method !== 'auto' && method !== 'exact' && method !== 'asymptotic') {
    throw new ValidationError('Invalid K-S options', [
      `method: expected auto, exact or asymptotic, got ${String(method)}`,
    ]);
  }
  const a = sortedCopy(sample1, 'sample1');
  const b = sortedCopy(sample2, 'sample2');
  const n1 = a.length;
  const n2 = b.length;
  const extremes = ecdfExtremes(a, b);

  // scipy keeps the larger side, preferring "F1 above F2" on an exact tie; minS is clipped at 0.
  const minS = Math.min(Math.max(-extremes.min, 0), 1);
  const maxS = extremes.max;
  const useMin = minS > maxS;
  let d = useMin ? minS : maxS;
  const location = useMin ? extremes.minLocation : extremes.maxLocation;
  const sign: 1 | -1 = useMin ? -1 : 1;

  const g = gcd(n1, n2);
  let mode: 'exact' | 'asymptotic';
  if (method === 'auto') mode = Math.max(n1, n2) <= MAX_AUTO_N ? 'exact' : 'asymptotic';
  else if (method === 'exact') mode = n1 / g >= INT32_MAX / (n2 / g) ? 'asymptotic' : 'exact';
  else mode = 'asymptotic';
  const effectiveN = roundHalfEven((n1 * n2) / (n1 + n2));
  // n1 = n2 = 1 rounds the effective n to 0, where kstwo is undefined (scipy returns NaN); a drift
  // check must never get NaN from valid input, and the exact answer is trivial there.
  if (effectiveN === 0) mode = 'exact';

  let pValue = Number.NaN;
  if (mode === 'exact') {
    const attempt = exactTwoSided(n1, n2, g, d);
    d = attempt.d;
    if (attempt.ok) pValue = attempt.p;
    else mode = 'asymptotic';
  }
  if (mode === 'asymptotic') pValue = kstwoSf(d, effectiveN);
  return { statistic: d, pValue: clip01(pValue), n1, n2, method: mode, location, sign };
}

/** Before/after value of one quantile, for drift explanations. */
export interface QuantileShift {
  /** The probability, e.g. 0.9. */
  readonly q: number;
  /** The quantile in the reference sample. */
  readonly before: number;
  /** The quantile in the recent sample. */
  readonly after: number;
  /** after − before. */
  readonly shift: number;
}

/**
 * Quantiles of two samples side by side ("p90 went from 0.31 to 0.52"), for drift emails.
 * Linear interpolation between order statistics (R type 7, numpy's default, and what
 * simple-statistics' `quantileSorted` does), so the numbers agree with a notebook.
 *
 * @param before - reference sample (finite values)
 * @param after - recent sample (finite values)
 * @param qs - probabilities in [0, 1], @default [0.1, 0.5, 0.9]
 * @throws ValidationError on an empty sample, a non-finite value or a probability outside [0, 1]
 */
export function quantileShift(
  before: ArrayLike<number>,
  after: ArrayLike<number>,
  qs: readonly number[] = [0.1, 0.5, 0.9],
): QuantileShift[] {
  const bad = qs.flatMap((q, i) =>
    q >= 0 && q <= 1 ? [] : [`qs[${i}]: expected a probability in [0, 1], got ${q}`],
  );
  if (bad.length > 0) throw new ValidationError('Invalid quantiles', bad);
  const b = sortedCopy(before, 'before');
  const a = sortedCopy(after, 'after');
  return qs.map((q) => {
    const x = quantileOfSorted(b, q);
    const y = quantileOfSorted(a, q);
    return { q, before: x, after: y, shift: y - x };
  });
}

/**
 * Survival function of Kolmogorov's limiting distribution, Q(z) = P(√n·D_n > z) as n → ∞
 * (scipy.special.kolmogorov). Stephens' approximation of a two-sample p-value is
 * `kolmogorovSf((√en + 0.12 + 0.11/√en) · D)` with en = n1·n2/(n1+n2).
 *
 * @param z - scaled statistic
 */
export function kolmogorovSf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  // Below ~0.0406 the first term of the small-z series underflows: Q is 1 to double precision.
  if (z <= Math.PI / Math.sqrt(746 * 8)) return 1;
  if (z <= 0.82) {
    // Jacobi-theta form, fast for small z: 1 − √(2π)/z · Σ exp(−(2k−1)²π²/(8z²)).
    const w = Math.sqrt(2 * Math.PI) / z;
    const logu8 = (-Math.PI * Math.PI) / (z * z);
    const u = Math.exp(logu8 / 8);
    const u8 = Math.exp(logu8);
    let p = 1 + u8 ** 3;
    p = 1 + u8 * u8 * p;
    p = 1 + u8 * p;
    return clip01(1 - w * u * p);
  }
  // Alternating series 2 Σ (−1)^(k−1) exp(−2k²z²), four terms suffice above z = 0.82.
  const v = Math.exp(-2 * z * z);
  const v3 = v ** 3;
  let p = 1 - v3 * v3 * v;
  p = 1 - v3 * v * v * p;
  p = 1 - v3 * p;
  return clip01(2 * v * p);
}

/**
 * Survival function of the two-sided one-sample K-S statistic D_n, P(D_n > d) (scipy's
 * `kstwo.sf(d, n)`), by Simard & L'Ecuyer's (2011) choice of method.
 *
 * @param d - statistic in [0, 1]
 * @param n - sample size, a positive integer
 */
export function kstwoSf(d: number, n: number): number {
  if (Number.isNaN(d) || !Number.isInteger(n) || n <= 0) return Number.NaN;
  if (d >= 1) return 0;
  if (d <= 0) return 1;
  const t = n * d;
  if (t <= 1) {
    // Ruben–Gambino: exact closed form for 1/(2n) <= d <= 1/n.
    if (t <= 0.5) return 1;
    let cdf: number;
    if (n <= 140) {
      cdf = 1;
      for (let i = 1; i <= n; i++) cdf *= i * (1 / n) * (2 * t - 1);
    } else {
      cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return clip01(1 - cdf);
  }
  // Ruben–Gambino at the top end.
  if (t >= n - 1) return clip01(2 * (1 - d) ** n);
  // For d >= 1/2 the two one-sided events cannot both happen: P(D > d) = 2 P(D+ > d) exactly.
  if (d >= 0.5) return clip01(2 * smirnovSf(n, d));
  const nxSquared = t * d;
  if (n <= 140) {
    if (nxSquared <= 0.754693) return clip01(1 - durbinMatrixCdf(n, d));
    if (nxSquared <= 4) return clip01(1 - pomeranzCdf(n, d));
    // Miller's approximation: the overlap term is negligible this far in the tail.
    return clip01(2 * smirnovSf(n, d));
  }
  if (nxSquared >= 370) return 0;
  if (nxSquared >= 2.2) return clip01(2 * smirnovSf(n, d));
  const cdf = n <= 100_000 && n * d ** 1.5 <= 1.4 ? durbinMatrixCdf(n, d) : pelzGoodCdf(n, d);
  return clip01(1 - cdf);
}

// ---------------------------------------------------------------------------------------------
// The statistic

function sortedCopy(values: ArrayLike<number>, name: string): Float64Array {
  if (values.length === 0) {
    throw new ValidationError(`K-S test: ${name} is empty`, [`${name}: at least one value`]);
  }
  const copy = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!isFiniteNumber(v)) {
      throw new ValidationError(`K-S test: ${name} has a non-finite value`, [
        `${name}[${i}]: expected a finite number, got ${String(v)}`,
      ]);
    }
    copy[i] = v;
  }
  // Typed-array sort is numeric and native: ~0.1 s for a million values.
  return copy.sort();
}

interface Extremes {
  readonly min: number;
  readonly max: number;
  readonly minLocation: number;
  readonly maxLocation: number;
}

/**
 * One merge pass over two sorted samples: min and max of F1 − F2 over the distinct pooled values.
 * Locations follow numpy's argmin/argmax over concat(sorted1, sorted2): the first index wins, so a
 * value present in sample 1 beats one only in sample 2, then the smaller value wins.
 */
function ecdfExtremes(a: Float64Array, b: Float64Array): Extremes {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let max = -INF;
  let min = INF;
  // First value attaining the extreme that occurs in sample 1 / only in sample 2 (see above).
  let maxAt1 = 0;
  let maxAt2 = 0;
  let minAt1 = 0;
  let minAt2 = 0;
  let maxIn1 = false;
  let maxIn2 = false;
  let minIn1 = false;
  let minIn2 = false;
  while (i < n1 || j < n2) {
    const va = i < n1 ? (a[i] as number) : INF;
    const vb = j < n2 ? (b[j] as number) : INF;
    // biome-ignore lint/complexity/useMathMinMax: hot loop, and Math is a slow global under jest (see top).
    const v = va <= vb ? va : vb;
    const in1 = va === v;
    const in2 = vb === v;
    while (i < n1 && (a[i] as number) <= v) i++;
    while (j < n2 && (b[j] as number) <= v) j++;
    // Same float operations as scipy (idx/n1 − idx/n2), so D and its ties are bit-identical.
    const diff = i / n1 - j / n2;
    if (diff > max) {
      max = diff;
      maxIn1 = false;
      maxIn2 = false;
    }
    if (diff === max) {
      if (in1 && !maxIn1) {
        maxIn1 = true;
        maxAt1 = v;
      }
      if (in2 && !maxIn2) {
        maxIn2 = true;
        maxAt2 = v;
      }
    }
    if (diff < min) {
      min = diff;
      minIn1 = false;
      minIn2 = false;
    }
    if (diff === min) {
      if (in1 && !minIn1) {
        minIn1 = true;
        minAt1 = v;
      }
      if (in2 && !minIn2) {
        minIn2 = true;
        minAt2 = v;
      }
    }
  }
  return { min, max, minLocation: minIn1 ? minAt1 : minAt2, maxLocation: maxIn1 ? maxAt1 : maxAt2 };
}

function quantileOfSorted(sorted: Float64Array, q: number): number {
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const low = sorted[lower] as number;
  if (lower === position) return low;
  const high = sorted[lower + 1] as number;
  return low + (position - lower) * (high - low);
}

// ---------------------------------------------------------------------------------------------
// Exact two-sample distribution (Hodges 1958; Viehmann 2021), as scipy's _attempt_exact_2kssamp

interface ExactAttempt {
  readonly ok: boolean;
  /** The statistic snapped to h / lcm(n1, n2), which the exact distribution is defined on. */
  readonly d: number;
  readonly p: number;
}

function exactTwoSided(n1: number, n2: number, g: number, d: number): ExactAttempt {
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const snapped = h / lcm;
  if (h === 0) return { ok: true, d: snapped, p: 1 };
  const p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  // Rounding can push the recursion outside [0, 1]; scipy then falls back to the asymptotic form.
  const ok = Number.isFinite(p) && p >= 0 && p <= 1;
  return { ok, d: snapped, p };
}

/**
 * P(D_{n,n} >= h/n) = 2 Σ_k (−1)^(k−1) C(2n, n−kh) / C(2n, n), evaluated Horner-style on the term
 * ratios so the alternating sum does not cancel.
 */
function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let term = 1;
    for (let j = 0; j < h; j++) term = ((n - k * h - j) * term) / (n + k * h + j + 1);
    p = term * (1 - p);
  }
  return 2 * p;
}

/**
 * Proportion of lattice paths from (0,0) to (m,n) that leave the band |x/m − y/n| < h/lcm(m,n),
 * i.e. P(D >= h/lcm). Recurses on 1 − proportion directly (Viehmann), one sliding column at a time.
 */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const column = new Float64Array(lenA).fill(1);
  column.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = ((column[jj + minj - lastminj] as number) * i + val * j) / (i + j);
      column[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) column.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return column[maxj - minj - 1] as number;
}

// ---------------------------------------------------------------------------------------------
// One-sample two-sided distribution pieces for kstwoSf (ports of scipy/stats/_ksstats.py and the
// Smirnov sum in scipy.special)

const E128 = 2 ** 128;
const EM128 = 2 ** -128;
/** Stirling series coefficients B_2j / (2j (2j−1)), j = 8 … 1, highest power first. */
const STIRLING = [-3617 / 122400, 1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12];
/** log(2^-1075): exp() of anything smaller is 0 (cephes MINLOG). */
const MIN_LOG = -745.1332191019412;

/** log(n! / n^n) by Stirling's series with n·log(n) removed up front (no cancellation). */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  let poly = 0;
  for (const c of STIRLING) poly = poly * (rn / n) + c;
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + rn * poly;
}

/** x · 2^e without overflowing or underflowing the intermediate power of two. */
function ldexp(x: number, e: number): number {
  let r = x;
  let k = e;
  while (k > 1000) {
    r *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    r *= 2 ** -1000;
    k += 1000;
  }
  return r * 2 ** k;
}

function matMul(x: Float64Array, y: Float64Array, size: number): Float64Array {
  const out = new Float64Array(size * size);
  for (let r = 0; r < size; r++) {
    for (let k = 0; k < size; k++) {
      const xv = x[r * size + k] as number;
      if (xv === 0) continue;
      for (let c = 0; c < size; c++) {
        out[r * size + c] = (out[r * size + c] as number) + xv * (y[k * size + c] as number);
      }
    }
  }
  return out;
}

/** P(D_n <= d) by Durbin's matrix method, computed as Marsaglia, Tsang & Wang (2003). */
function durbinMatrixCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  let H: Float64Array = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1] as number;
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r] as number;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c] as number;

  let power: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++) power[i * m + i] = 1;
  let nn = n;
  let exponent = 0;
  let hExponent = 0;
  // Square-and-multiply, rescaling by 2^128 to keep entries finite; exponents are tracked apart.
  while (nn > 0) {
    if (nn % 2 === 1) {
      power = matMul(power, H, m);
      exponent += hExponent;
    }
    nn = Math.floor(nn / 2);
    if (nn === 0) break;
    H = matMul(H, H, m);
    hExponent *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)] as number) > E128) {
      for (let i = 0; i < H.length; i++) H[i] = (H[i] as number) / E128;
      hExponent += 128;
    }
  }
  let p = power[(k - 1) * m + (k - 1)] as number;
  // Multiply by n!/n^n one factor at a time, rescaling before it underflows.
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      exponent -= 128;
    }
  }
  if (exponent !== 0) p = ldexp(p, exponent);
  return clip01(p);
}

function pomeranzBounds(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** P(D_n <= d) by Pomeranz's (1974) recursion: rows are convolutions with Poisson-like weights. */
function pomeranzCdf(n: number, d: number): number {
  const t = n * d;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gPower = new Float64Array(npwrs);
  const twoGPower = new Float64Array(npwrs);
  const oneMinusTwoGPower = new Float64Array(npwrs);
  gPower[0] = 1;
  twoGPower[0] = 1;
  oneMinusTwoGPower[0] = 1;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let k = 1; k < npwrs; k++) {
    gPower[k] = ((gPower[k - 1] as number) * gOverN) / k;
    twoGPower[k] = ((twoGPower[k - 1] as number) * twoGOverN) / k;
    oneMinusTwoGPower[k] = ((oneMinusTwoGPower[k - 1] as number) * oneMinusTwoGOverN) / k;
  }
  let v0 = new Float64Array(npwrs);
  let v1 = new Float64Array(npwrs);
  v1[0] = 1;
  let v0s = 0;
  let v1s = 0;
  let exponent = 0;
  let [j1, j2] = pomeranzBounds(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [v0, v1] = [v1, v0];
    [v0s, v1s] = [v1s, v0s];
    v1.fill(0);
    [j1, j2] = pomeranzBounds(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gPower : i % 2 === 1 ? twoGPower : oneMinusTwoGPower;
    const ln2 = j2 - k1 + 1;
    if (ln2 <= 0) continue;
    // Full convolution of v0[k1−v0s …] (clipped to the row, as a numpy slice is) with pwrs[0 … ln2),
    // evaluated only at the entries kept.
    const start = k1 - v0s;
    const la = Math.max(0, Math.min(ln2, npwrs - start));
    const convStart = j1 - k1;
    const convLen = j2 - j1 + 1;
    let rowMax = 0;
    for (let out = 0; out < convLen; out++) {
      const at = convStart + out;
      let sum = 0;
      for (let s = Math.max(0, at - ln2 + 1); s <= Math.min(at, la - 1); s++) {
        sum += (v0[start + s] as number) * (pwrs[at - s] as number);
      }
      v1[out] = sum;
      if (sum > rowMax) rowMax = sum;
    }
    if (rowMax > 0 && rowMax < EM128) {
      for (let q = 0; q < npwrs; q++) v1[q] = (v1[q] as number) * E128;
      exponent -= 128;
    }
    v1s = v0s + j1 - k1;
  }
  let answer = v1[n - v1s] as number;
  for (let k = 1; k <= n; k++) {
    if (Math.abs(answer) > E128) {
      answer *= EM128;
      exponent += 128;
    }
    answer *= k;
  }
  if (exponent !== 0) answer = ldexp(answer, exponent);
  return clip01(answer);
}

/** Pelz–Good (1976) asymptotic series for P(D_n <= d), for large n away from the tails. */
function pelzGoodCdf(n: number, d: number): number {
  if (d <= 0) return 0;
  if (d >= 1) return 1;
  const z = Math.sqrt(n) * d;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const pi2 = Math.PI ** 2;
  const pi4 = Math.PI ** 4;
  const pi6 = Math.PI ** 6;
  const qlog = -pi2 / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = pi2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * pi2) / 4;
  const k2c = (pi4 * (1 - 2 * z2)) / 16;
  const k3d = (pi6 * (5 - 30 * z2)) / 64;
  const k3c = (pi4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (pi2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  // Horner over odd m = 2k − 1 of Σ c_m q^(m²).
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m ** 2;
    const m4 = m ** 4;
    const m6 = m ** 6;
    const qPower = q ** (8 * k);
    const coeffs = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = (K[i] as number) * qPower + (coeffs[i] as number);
  }
  const sqrt2pi = Math.sqrt(2 * Math.PI);
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = ((K[i] as number) * q * sqrt2pi) / (divisors[i] as number);
  // The remaining sums run over all integers k: K2 gets π²k² q^(k²), K3 (3π²k²z² − π⁴k⁴) q^(k²).
  q = Math.exp(-pi2 / 2 / z2);
  const sqrt3z = Math.sqrt(3) * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qk = q ** k2;
    const kpi = Math.PI * k;
    k2extra += k2 * qk;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk;
  }
  K[2] = (K[2] as number) + (k2extra * pi2 * sqrt2pi) / (-36 * z3);
  K[3] = (K[3] as number) + (k3extra * pi2 * sqrt2pi) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += (K[i] as number) / n ** (i / 2);
  return sum;
}

/** Exact floor(n·x) and fractional part, via an error-free product (Dekker), as scipy's modNX. */
function floorAndFraction(n: number, x: number): [floor: number, alpha: number] {
  const hi = n * x;
  const split = (v: number): [number, number] => {
    const c = 134217729 * v;
    const big = c - (c - v);
    return [big, v - big];
  };
  const [nh, nl] = split(n);
  const [xh, xl] = split(x);
  const lo = nh * xh - hi + nh * xl + nl * xh + nl * xl;
  let fl = Math.floor(hi);
  let alpha = hi - fl + lo;
  if (alpha < 0) {
    fl -= 1;
    alpha += 1;
  }
  if (alpha >= 1) {
    fl += 1;
    alpha = 0;
  }
  return [fl, alpha];
}

/**
 * One-sided Smirnov survival function P(D_n+ > x) (scipy.special.smirnov): the Birnbaum–Tingey sum
 * x Σ_{v < n(1−x)} C(n,v) (x + v/n)^(v−1) (1 − x − v/n)^(n−v). Every term is positive, so computing
 * them in log space keeps ~1e-12 relative accuracy without scipy's double-double arithmetic.
 */
function smirnovSf(n: number, x: number): number {
  if (n === 1) return 1 - x;
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  const [nxFloor, alpha] = floorAndFraction(n, x);
  if (nxFloor === 0 || (nxFloor === 1 && alpha === 0)) return 1 - x * (1 + x) ** (n - 1);
  if (-2 * n * x * x < MIN_LOG) return 0;
  if (nxFloor >= n - 1) return (1 - x) ** n;
  if (n > 1_000_000) {
    // scipy's shortcut for very large n: p ≈ exp(−(6nx + 1)² / (18n)).
    return Math.exp(-((6 * n * x + 1) ** 2) / 18 / n);
  }
  // The sum runs over x + v/n < 1; with nx = nxFloor + alpha that is v <= n − nxFloor − 1 either way.
  const lastV = n - nxFloor - 1;
  let sum = (1 - x) ** n / x;
  let logBinomial = 0;
  for (let v = 1; v <= lastV; v++) {
    logBinomial += log((n - v + 1) / v);
    const left = x + v / n;
    const right = (n - v) / n - x;
    const logTerm = logBinomial + (v - 1) * log(left) + (n - v) * log(right);
    if (logTerm > MIN_LOG) sum += exp(logTerm);
  }
  return clip01(x * sum);
}

// ---------------------------------------------------------------------------------------------

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** numpy.round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function clip01(p: number): number {
  return Math.min(Math.max(p, 0), 1);
}
