// (infra entry) `cdk synth` / `cdk deploy`: validate the monitoring config, build the dashboard site
// (dashboard/build.ts, when the SPA exists), build the stack, run cdk-nag. Offline: the stack is
// environment-agnostic and does no lookups, so no AWS credentials are needed.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ValidationError } from '../shared/errors';
import type { MonitorConfig } from '../shared/monitor-config';
import { prepareDashboard } from './dashboard-site';
import { loadMonitorConfigOrExit, MONITOR_CONFIG_CONTEXT } from './load-config';
import { MonitorStack } from './stack';

/**
 * Add the monitor's stack (named after `config.name`) to an app and register cdk-nag's AWS Solutions
 * checks, which run at synth and fail it on any unacknowledged error.
 * @param app - the CDK app
 * @param config - the validated monitoring config
 * @param siteDir - the dashboard site to deploy (default: `dashboard/dist` if built, else the placeholder)
 */
export function addMonitorStack(app: App, config: MonitorConfig, siteDir?: string): MonitorStack {
  const stack = new MonitorStack(app, config.name, { config, ...(siteDir ? { siteDir } : {}) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}

async function main(): Promise<void> {
  const app = new App();
  const { config, file } = loadMonitorConfigOrExit({
    contextPath: app.node.tryGetContext(MONITOR_CONFIG_CONTEXT),
  });
  // The SPA's build (esbuild) into dashboard/dist; the placeholder page until dashboard/build.ts exists.
  const site = await prepareDashboard({ when: 'always' });
  if (site.placeholder)
    console.error('Dashboard: dashboard/build.ts not found, deploying the placeholder page');
  try {
    addMonitorStack(app, config, site.dir);
  } catch (error) {
    // Values the schema accepts but the infrastructure cannot express (e.g. a schedule step).
    if (error instanceof ValidationError) {
      console.error(`${error.message} (config: ${file})`);
      process.exit(1);
    }
    throw error;
  }
  app.synth();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
