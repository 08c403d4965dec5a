// (shared config) "series went silent" alerts: after how long without a point a series that has
// reported before raises a NO_DATA alert, and at what level. Resolved per series by
// shared/domain/no-data.ts: the series' own setting, else its metric's, else the default; series marked
// `sparse` (they report only when something happens) get none unless they set their own.
import { z } from 'zod';

/** One no-data rule. */
export const NoDataRuleSchema = z.strictObject({
  /** Minutes without any point before the series counts as silent. */
  afterMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60),
  /** Level of the NO_DATA alert (pages when at least alerts.minLevelToPage). */
  severity: z.enum(['INFO', 'WARNING', 'CRITICAL']).default('WARNING'),
});

/** A rule, or `false` to switch no-data alerts off where a wider default would apply. */
export const NoDataSettingSchema = z.union([NoDataRuleSchema, z.literal(false)]);

/** The defaults under `alerts.noData`. */
export const NoDataDefaultsSchema = z.strictObject({
  /** Rule for every non-sparse series without a rule of its own or of its metric. @default off */
  default: NoDataRuleSchema.optional(),
  /** Rules per friendly metric name (`cpu_percent`), for RDS metrics too. */
  metrics: z.record(z.string().min(1).max(63), NoDataSettingSchema).default({}),
});

/** One no-data rule, defaults filled in. */
export type NoDataRule = z.output<typeof NoDataRuleSchema>;
/** A rule or `false`. */
export type NoDataSetting = z.output<typeof NoDataSettingSchema>;
