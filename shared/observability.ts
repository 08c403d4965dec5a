// (shared) Powertools Logger, Metrics and Tracer, created once per bundle (STYLE practice 3).
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Log } from './ports';

/** Structured JSON logger; service name from POWERTOOLS_SERVICE_NAME. */
export const logger = new Logger();
/** CloudWatch EMF metrics; namespace from POWERTOOLS_METRICS_NAMESPACE. */
export const metrics = new Metrics({ defaultDimensions: {} });
/** X-Ray tracer; SDK clients are wrapped with `tracer.captureAWSv3Client`. */
export const tracer = new Tracer();

/** The Log port over Powertools' logger (its variadic signature is wider than the port's). */
export const log: Log = {
  debug: (message, extra) => logger.debug(message, { ...extra }),
  info: (message, extra) => logger.info(message, { ...extra }),
  warn: (message, extra) => logger.warn(message, { ...extra }),
  error: (message, extra) => logger.error(message, { ...extra }),
};
