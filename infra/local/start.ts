// (local stack entry) `npm start`: parse options, start the stack, stop cleanly on Ctrl-C.
// First import: the AWS SDK warns on Node 20 about its future support window; locally only the
// emulators are called, so keep the console for the monitor's own output (Lambda runs nodejs24.x).
import '../../scripts/quiet-sdk-warning';
import { MonitorError } from '../../shared/errors';
import { parseLocalArgs, USAGE } from './args';
import { startLocalStack } from './local-stack';

async function main(): Promise<void> {
  const options = parseLocalArgs(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const stack = await startLocalStack(options, (line) => console.log(line));
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping (finishing runs in flight, closing the database)…`);
    stack
      .stop()
      .then(() => {
        console.log('Stopped. Data kept for the next start.');
        process.exit(0);
      })
      .catch((error: unknown) => {
        console.error('Error while stopping:', error);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  // Bad options or config: one clear message, nothing left running.
  console.error(error instanceof MonitorError ? error.message : error);
  process.exit(1);
});
