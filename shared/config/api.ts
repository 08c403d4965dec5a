// (shared) the `api` section of the monitoring config: per-client protection of the REST API.
import { z } from 'zod';

/**
 * A WAFv2 web ACL on the API stage with per-IP rate-based rules, so that one client cannot use up the
 * stage-wide throttle (10 rps) for everyone. WAF counts over a 5-minute window; a client over a limit
 * is answered 403 until its rate drops.
 */
const waf = z.strictObject({
  /** Off only to save the web ACL's monthly price; the stage throttle then is the only limit. */
  enabled: z.boolean().default(true),
  /** Any request, per source IP (an office behind one NAT address counts as one client). */
  requestsPer5MinutesPerIp: z.number().int().min(100).max(2_000_000_000).default(1000),
  /** Requests without an Authorization header (not signed in: probes; CORS preflights aside), per source IP. */
  unauthenticatedPer5MinutesPerIp: z.number().int().min(100).max(2_000_000_000).default(100),
});

export const apiSchema = z.strictObject({ waf: waf.prefault({}) });
