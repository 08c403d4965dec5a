// (domain) token-bucket arithmetic, pure: the DynamoDB rate limiter stores the state and applies
// these functions inside an optimistic-concurrency loop (DESIGN §5).

/** Bucket settings. */
export interface BucketConfig {
  /** Most tokens the bucket holds (the burst). @default 10 */
  readonly capacity: number;
  /** Tokens added per refill interval, continuously (10 per 15 min = one per 90 s). @default 10 */
  readonly refillTokens: number;
  /** @default 15 minutes */
  readonly refillIntervalMs: number;
}

/** Seed defaults: capacity 10, refill 10 per 15 minutes. */
export const DEFAULT_BUCKET: BucketConfig = { capacity: 10, refillTokens: 10, refillIntervalMs: 15 * 60_000 };

/** Stored state: tokens (fractional) as of `updatedAt` (epoch ms). */
export interface BucketState {
  readonly tokens: number;
  readonly updatedAt: number;
}

/** Outcome of a take. */
export interface TakeDecision {
  readonly granted: boolean;
  /** State to store (after refill, and after the take when granted). */
  readonly state: BucketState;
  /** Tokens left after this decision. */
  readonly remaining: number;
  /** When denied: how long until one token is available. */
  readonly retryAfterMs: number;
}

/** A full bucket at `now` (first use). */
export function fullBucket(config: BucketConfig, now: number): BucketState {
  return { tokens: config.capacity, updatedAt: now };
}

/**
 * Refill `state` up to `now`. A clock behind the stored timestamp (skew between invocations) adds
 * nothing and never moves `updatedAt` backwards, so skew cannot mint tokens.
 */
export function refill(state: BucketState, now: number, config: BucketConfig): BucketState {
  const elapsed = Math.max(0, now - state.updatedAt);
  const rate = config.refillTokens / config.refillIntervalMs;
  return {
    tokens: Math.min(config.capacity, Math.max(0, state.tokens) + elapsed * rate),
    updatedAt: Math.max(now, state.updatedAt),
  };
}

/** Try to take `n` tokens at `now`. */
export function decideTake(state: BucketState, now: number, config: BucketConfig, n = 1): TakeDecision {
  const current = refill(state, now, config);
  // Tolerate float dust (0.9999999 after many refills is a whole token).
  if (current.tokens + 1e-9 >= n) {
    const tokens = Math.max(0, current.tokens - n);
    return { granted: true, state: { ...current, tokens }, remaining: tokens, retryAfterMs: 0 };
  }
  const rate = config.refillTokens / config.refillIntervalMs;
  return {
    granted: false,
    state: current,
    remaining: current.tokens,
    retryAfterMs: Math.ceil((n - current.tokens) / rate),
  };
}

/** The bucket of the `alerts.rateLimit` config section. */
export function bucketConfigOf(rate: {
  readonly capacity: number;
  readonly refillTokens: number;
  readonly refillMinutes: number;
}): BucketConfig {
  return {
    capacity: rate.capacity,
    refillTokens: rate.refillTokens,
    refillIntervalMs: rate.refillMinutes * 60_000,
  };
}
