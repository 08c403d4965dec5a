// (domain) seeded pseudo-random numbers. Domain code never calls Math.random(): whoever needs randomness
// (the isolation forest, tests, benchmarks) is handed an `Rng` built from a seed, so every run is repeatable.
import { ValidationError } from '../errors';

/** A seeded pseudo-random generator. Not cryptographic: for sampling and simulation only. */
export interface Rng {
  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  uint32(): number;
  /** Uniform integer in [0, n), without modulo bias. `n` must be an integer in [1, 2^32]. */
  int(n: number): number;
  /** Uniform double in [low, high). */
  uniform(low: number, high: number): number;
  /** Normal deviate (Box–Muller). @default mean 0, sd 1 */
  normal(mean?: number, sd?: number): number;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_MINUS_53 = 2 ** -53;

/** SplitMix32 step: spreads a seed's bits so that nearby seeds (1, 2, 3…) give unrelated streams. */
function splitMix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/**
 * Create a generator from `seed` (any safe integer; seeds above 2^32 use their high bits too).
 *
 * The core is sfc32 (Chris Doty-Humphrey's "small fast counting" generator, 128-bit state, passes
 * PractRand): much better statistically than a 32-bit-state mulberry32, and as cheap in JavaScript
 * because it needs only 32-bit adds, xors and shifts.
 *
 * @param seed - safe integer; the same seed always yields the same sequence
 * @throws ValidationError when `seed` is not a safe integer
 */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) {
    throw new ValidationError('Invalid PRNG seed', [`seed: expected a safe integer, got ${String(seed)}`]);
  }
  const low = seed >>> 0;
  const high = Math.floor(seed / TWO_POW_32) >>> 0;
  let mix = low ^ Math.imul(high, 0x27d4eb2d);
  let a: number;
  let b: number;
  let c: number;
  [mix, a] = splitMix32(mix);
  [mix, b] = splitMix32(mix);
  [mix, c] = splitMix32(mix ^ high);
  let counter = 1;

  const uint32 = (): number => {
    const t = (((a + b) | 0) + counter) | 0;
    counter = (counter + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // The reference seeding discards the first outputs so the state is well mixed before use.
  for (let i = 0; i < 12; i++) uint32();

  const next = (): number => {
    // 21 + 32 bits: a double that can take every multiple of 2^-53 in [0, 1).
    const hi = uint32() >>> 11;
    const lo = uint32();
    return (hi * TWO_POW_32 + lo) * TWO_POW_MINUS_53;
  };

  let spareNormal: number | undefined;

  return {
    next,
    uint32,
    int(n: number): number {
      if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
        throw new ValidationError('Invalid range for Rng.int', [
          `n: expected an integer in [1, 2^32], got ${n}`,
        ]);
      }
      // Rejection sampling: drop the top partial block of 2^32 so every residue is equally likely.
      const limit = TWO_POW_32 - (TWO_POW_32 % n);
      let r = uint32();
      while (r >= limit) r = uint32();
      return r % n;
    },
    uniform(low: number, high: number): number {
      return low + (high - low) * next();
    },
    normal(mean = 0, sd = 1): number {
      if (spareNormal !== undefined) {
        const z = spareNormal;
        spareNormal = undefined;
        return mean + sd * z;
      }
      // 1 - next() lies in (0, 1], so the logarithm is finite.
      const radius = Math.sqrt(-2 * Math.log(1 - next()));
      const angle = 2 * Math.PI * next();
      spareNormal = radius * Math.sin(angle);
      return mean + sd * radius * Math.cos(angle);
    },
  };
}
