// The configuration and API examples in docs/alerting.md are valid: a reader who copies them gets no
// validation error.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { MaintenanceWindowSchema } from '../../shared/adapters/dynamodb-alert-store';
import { parseMonitorConfig } from '../../shared/monitor-config';

const DOC = readFileSync(path.join(__dirname, '../../docs/alerting.md'), 'utf8');
const blocks = [...DOC.matchAll(/```json\n([\s\S]*?)```/g)].map(
  (m) => JSON.parse(m[1]!) as Record<string, unknown>,
);
const BASE_SERIES = [{ metric: 'cpu_percent', namespace: 'AWS/EC2', metricName: 'CPUUtilization' }];

it('has config examples for destinations, chat and no-data, and each one validates', () => {
  const configs = blocks.filter((b) => 'alerts' in b || Array.isArray(b.series));
  expect(configs.length).toBeGreaterThanOrEqual(3);
  for (const example of configs) {
    const config = parseMonitorConfig({ series: BASE_SERIES, ...example }, 'docs/alerting.md');
    expect(config.alerts).toBeDefined();
  }
  const all = configs.map((c) => parseMonitorConfig({ series: BASE_SERIES, ...c }).alerts);
  expect(all.some((a) => a.destinations.length === 2)).toBe(true);
  expect(all.some((a) => (a.chat?.slack.length ?? 0) > 0 && (a.chat?.teams.length ?? 0) > 0)).toBe(true);
  expect(all.some((a) => a.noData.default !== undefined)).toBe(true);
});

it('has a maintenance-window body that the API accepts', () => {
  const bodies = blocks.filter((b) => 'schedule' in b);
  expect(bodies).toHaveLength(1);
  expect(MaintenanceWindowSchema.safeParse(bodies[0]).success).toBe(true);
});
