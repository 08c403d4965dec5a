// (domain) time helpers: pure, UTC everywhere.

/** UTC day of an epoch-ms timestamp, `YYYY-MM-DD`. */
export function dayKey(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}

/** Every UTC day touched by [start, end], oldest first. */
export function daysBetween(start: number, end: number): string[] {
  const days: string[] = [];
  const first = Date.UTC(
    new Date(start).getUTCFullYear(),
    new Date(start).getUTCMonth(),
    new Date(start).getUTCDate(),
  );
  for (let t = first; t <= end; t += 86_400_000) days.push(dayKey(t));
  return days;
}

/** Round `ts` down to a multiple of `stepMs`. */
export function floorTo(ts: number, stepMs: number): number {
  return Math.floor(ts / stepMs) * stepMs;
}
