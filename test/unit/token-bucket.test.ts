import {
  type BucketConfig,
  DEFAULT_BUCKET,
  decideTake,
  fullBucket,
  refill,
} from '../../shared/domain/token-bucket';

const MIN = 60_000;
const cfg: BucketConfig = DEFAULT_BUCKET;

describe('token bucket arithmetic', () => {
  it('grants the capacity as a burst, then denies with the time until the next token', () => {
    let state = fullBucket(cfg, 0);
    for (let i = 0; i < 10; i++) {
      const d = decideTake(state, 0, cfg);
      expect(d.granted).toBe(true);
      state = d.state;
    }
    const denied = decideTake(state, 0, cfg);
    expect(denied.granted).toBe(false);
    expect(denied.retryAfterMs).toBe(90_000);
  });

  it('refills continuously: 10 per 15 minutes is one per 90 s, capped at capacity', () => {
    const empty = { tokens: 0, updatedAt: 0 };
    expect(refill(empty, 90_000, cfg).tokens).toBeCloseTo(1, 12);
    expect(refill(empty, 7.5 * MIN, cfg).tokens).toBeCloseTo(5, 12);
    expect(refill(empty, 60 * MIN, cfg).tokens).toBe(10);
    expect(decideTake(empty, 89_000, cfg).granted).toBe(false);
    expect(decideTake(empty, 90_000, cfg).granted).toBe(true);
  });

  it('does not mint tokens when a clock is behind the stored timestamp', () => {
    const stored = { tokens: 0, updatedAt: 10 * MIN };
    const skewed = refill(stored, 5 * MIN, cfg);
    expect(skewed).toEqual({ tokens: 0, updatedAt: 10 * MIN });
    // Flip-flopping clocks cannot accumulate: time only counts once past the stored timestamp.
    const later = refill(skewed, 10 * MIN + 90_000, cfg);
    expect(later.tokens).toBeCloseTo(1, 12);
  });
});
