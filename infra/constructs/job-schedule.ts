// (infra) when an every-N-minutes job runs: the cron minute field of its EventBridge rule (the detect
// cycle's), checked so that an uneven step fails at synth, naming the config field.
import { ValidationError } from '../../shared/errors';

/** Names used in {@link cronMinuteField}'s error messages, e.g. the config fields the values came from. */
export interface CronFieldNames {
  /** @default 'job' */
  readonly job?: string;
  /** @default 'everyMinutes' */
  readonly every?: string;
  /** @default 'offsetMinutes' */
  readonly offset?: string;
}

/**
 * The cron minute field for "every N minutes, O minutes past each N-minute boundary": `*` when N = 1,
 * else `O/N` with O taken modulo N.
 * @param everyMinutes - N, which must divide 60
 * @param offsetMinutes - O, 0-59
 * @param names - how to name the job and the two values in an error
 * @throws ValidationError naming the bad value when N does not divide 60 or O is outside 0-59
 */
export function cronMinuteField(everyMinutes: number, offsetMinutes = 0, names: CronFieldNames = {}): string {
  const issues: string[] = [];
  if (!Number.isInteger(everyMinutes) || everyMinutes < 1 || everyMinutes > 60 || 60 % everyMinutes !== 0) {
    issues.push(
      `${names.every ?? 'everyMinutes'}: ${everyMinutes} must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60); ` +
        'a cron minute step restarts every hour, so other values leave an uneven gap',
    );
  }
  if (!Number.isInteger(offsetMinutes) || offsetMinutes < 0 || offsetMinutes > 59) {
    issues.push(`${names.offset ?? 'offsetMinutes'}: ${offsetMinutes} must be an integer from 0 to 59`);
  }
  if (issues.length > 0) throw new ValidationError(`Invalid schedule for ${names.job ?? 'job'}`, issues);
  if (everyMinutes === 1) return '*';
  return `${offsetMinutes % everyMinutes}/${everyMinutes}`;
}
