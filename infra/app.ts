// (infra entry) `cdk synth` / `cdk deploy`: validate the monitoring config, build the stack, run cdk-nag.
// Offline: the stack is environment-agnostic and does no lookups, so no AWS credentials are needed.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ValidationError } from '../shared/errors';
import type { MonitorConfig } from '../shared/monitor-config';
import { loadMonitorConfigOrExit, MONITOR_CONFIG_CONTEXT } from './load-config';
import { MonitorStack } from './stack';

/**
 * Add the monitor's stack (named after `config.name`) to an app and register cdk-nag's AWS Solutions
 * checks, which run at synth and fail it on any unacknowledged error.
 * @param app - the CDK app
 * @param config - the validated monitoring config
 */
export function addMonitorStack(app: App, config: MonitorConfig): MonitorStack {
  const stack = new MonitorStack(app, config.name, { config });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}

function main(): void {
  const app = new App();
  const { config, file } = loadMonitorConfigOrExit({
    contextPath: app.node.tryGetContext(MONITOR_CONFIG_CONTEXT),
  });
  try {
    addMonitorStack(app, config);
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

if (require.main === module) main();
