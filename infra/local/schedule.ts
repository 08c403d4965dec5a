// (local stack) a fixed-rate schedule without overlap: the next run starts `intervalMs` after the
// previous one started, or as soon as it finished when it ran long. Stopping waits for a run in flight.

/** A running schedule. */
export interface Schedule {
  stop(): Promise<void>;
}

/**
 * Run `job` every `intervalMs`, first after `initialDelayMs`.
 * @param onError - called with a run's error; the schedule keeps going
 */
export function every(
  intervalMs: number,
  job: () => Promise<void>,
  onError: (error: unknown) => void,
  initialDelayMs = 0,
): Schedule {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    if (stopped) return;
    const started = Date.now();
    running = job()
      .catch(onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, Math.max(0, intervalMs - (Date.now() - started)));
      });
  };
  timer = setTimeout(tick, initialDelayMs);
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
