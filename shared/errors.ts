// (shared) error hierarchy: every layer throws these; one place (functions/http.ts, later) maps them to status codes.

/** Base class: every error this project raises on purpose. */
export class MonitorError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input (an event, a request, a config file) failed validation. `issues` name each bad field. */
export class ValidationError extends MonitorError {
  public readonly issues: readonly string[];
  public constructor(message: string, issues: readonly string[] = [], options?: { cause?: unknown }) {
    super(issues.length > 0 ? `${message}: ${issues.join('; ')}` : message, options);
    this.issues = issues;
  }
}

/** The monitoring config is invalid; raised before anything is deployed or started. */
export class ConfigError extends ValidationError {}

/** A thing that was asked for does not exist. */
export class NotFoundError extends MonitorError {}

/** An AWS service (or its local emulator) failed after the SDK's own retries. */
export class DependencyError extends MonitorError {}
