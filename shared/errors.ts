// (shared) error hierarchy: every layer throws these; one place (functions/http.ts) maps them to status codes.

/** Options of every error: the cause, and the input field the error is about (named in API responses). */
export interface MonitorErrorOptions {
  readonly cause?: unknown;
  /** The request or config field at fault, e.g. `reason` or `anomaly.ts`. */
  readonly field?: string;
}

/** Base class: every error this project raises on purpose. */
export class MonitorError extends Error {
  /** The input field at fault, when there is one. */
  public readonly field?: string;
  public constructor(message: string, options?: MonitorErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options?.field !== undefined) this.field = options.field;
  }
}

/** Input (an event, a request, a config file) failed validation. `issues` name each bad field. */
export class ValidationError extends MonitorError {
  public readonly issues: readonly string[];
  public constructor(message: string, issues: readonly string[] = [], options?: MonitorErrorOptions) {
    super(issues.length > 0 ? `${message}: ${issues.join('; ')}` : message, options);
    this.issues = issues;
  }
}

/** The monitoring config is invalid; raised before anything is deployed or started. */
export class ConfigError extends ValidationError {}

/** A thing that was asked for does not exist. */
export class NotFoundError extends MonitorError {}

/** The request is valid but contradicts the current state (e.g. reverting to the value already in force). */
export class ConflictError extends MonitorError {}

/** No (valid) caller identity: no token, a token that does not verify, or no actor to record. */
export class UnauthorizedError extends MonitorError {}

/** The caller is known but may not do this (e.g. signed in, but not in the `staff` group). */
export class ForbiddenError extends MonitorError {}

/** An AWS service (or its local emulator) failed after the SDK's own retries. */
export class DependencyError extends MonitorError {}

/**
 * A detect shard ran out of time before it started every series. What finished is recorded and kept;
 * the state machine retries the shard (same "now"), which resumes the rest. Its `name` is the error
 * type Step Functions retries on.
 */
export class ShardIncompleteError extends DependencyError {}

/** The message of anything thrown (an Error's message, else its string form), for logs and results. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An alert could not be delivered to a destination (PagerDuty, a webhook). */
export class DeliveryError extends DependencyError {
  /** False for answers that retrying cannot change (4xx other than 408/429). */
  public readonly retryable: boolean;
  public constructor(message: string, retryable: boolean, options?: MonitorErrorOptions) {
    super(message, options);
    this.retryable = retryable;
  }
}
