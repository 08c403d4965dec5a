// (adapter helper) bounded retry with exponential backoff and full jitter, for the retries the SDK
// does not do itself (BatchWriteItem's UnprocessedItems, optimistic-concurrency conflicts).

/** Backoff settings. */
export interface BackoffOptions {
  /** Attempts in total, including the first. @default 6 */
  readonly attempts?: number;
  /** First delay in ms. @default 50 */
  readonly baseMs?: number;
  /** Cap on one delay in ms. @default 2000 */
  readonly maxMs?: number;
  /** Injected for tests; @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected for tests; @default Math.random */
  readonly random?: () => number;
}

/** Sleep for `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Delay before retry number `retry` (1-based): full jitter over an exponentially growing cap. */
export function backoffDelay(retry: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 50;
  const max = options.maxMs ?? 2000;
  const cap = Math.min(max, base * 2 ** (retry - 1));
  return Math.floor((options.random ?? Math.random)() * cap);
}
