// (CLI) send ModelPrediction events, through the same PredictionReporter producers use:
//   npm run send-predictions -- --bus <PredictionBusName> --model churn-v3 --count 500 [--mean 0.3 --sd 0.1]
//                               [--labels] [--spread 7d] [--seed 1] [--region eu-west-1]
//   npm run send-predictions -- --bus <name> --file predictions.jsonl   (one prediction JSON per line)
//   npm run send-predictions -- --local ...   (the running `npm start`'s bus, from <data-dir>/stack.json)
// Deployed buses use your normal AWS credentials and region (this is an operator tool).
import './quiet-sdk-warning';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { z } from 'zod';
import { parseDuration, parseOptions } from '../infra/local/args';
import { LOCAL_DRIFT, runningStack } from '../infra/local/drift-local';
import { type PredictionDetail, PredictionDetailSchema } from '../shared/domain/predictions';
import { createRng } from '../shared/domain/random';
import { MonitorError, ValidationError } from '../shared/errors';
import { formatIssues } from '../shared/monitor-config';
import { PredictionReporter } from '../shared/prediction-client';

const OptionsSchema = z
  .strictObject({
    bus: z.string().min(1).optional(),
    local: z.boolean().default(false),
    'data-dir': z.string().min(1).default('.local'),
    region: z.string().min(1).optional(),
    model: z.string().optional(),
    count: z.coerce.number().int().min(1).max(1_000_000).default(100),
    mean: z.coerce.number().finite().default(0.3),
    sd: z.coerce.number().finite().min(0).default(0.1),
    labels: z.boolean().default(false),
    spread: z.string().optional(),
    seed: z.coerce.number().int().min(0).default(1),
    file: z.string().min(1).optional(),
  })
  .superRefine((o, ctx) => {
    if (!o.local && !o.bus)
      ctx.addIssue({ code: 'custom', path: ['bus'], message: 'give --bus <PredictionBusName> or --local' });
    if (!o.file && !o.model)
      ctx.addIssue({ code: 'custom', path: ['model'], message: 'give --model (or --file)' });
  });

/** Options of the CLI. */
export type SendOptions = z.output<typeof OptionsSchema>;

/**
 * The predictions to send: the file's lines, or `count` generated scores ~ N(mean, sd) clipped to [0, 1],
 * spread evenly over the last `spread` (default: all now), with Bernoulli(score) outcomes when `labels`.
 * @throws ValidationError naming the first bad line of a file
 */
export function predictionsOf(
  o: SendOptions,
  now: number,
  readText = (f: string) => readFileSync(f, 'utf8'),
): PredictionDetail[] {
  if (o.file) {
    return readText(o.file)
      .split('\n')
      .map((line, i) => [line.trim(), i] as const)
      .filter(([line]) => line !== '')
      .map(([line, i]) => {
        let raw: unknown;
        try {
          raw = JSON.parse(line);
        } catch {
          throw new ValidationError(`${o.file}:${i + 1} is not JSON`);
        }
        const parsed = PredictionDetailSchema.safeParse(raw);
        if (!parsed.success)
          throw new ValidationError(`${o.file}:${i + 1} is not a prediction`, formatIssues(parsed.error));
        return parsed.data;
      });
  }
  const spreadMs = o.spread ? parseDuration(o.spread) : 0;
  const rng = createRng(o.seed);
  return Array.from({ length: o.count }, (_, i) => {
    const score = Math.min(1, Math.max(0, rng.normal(o.mean, o.sd)));
    const ts = spreadMs > 0 ? now - spreadMs + (spreadMs * (i + 0.5)) / o.count : undefined;
    return {
      model: o.model as string,
      score,
      predictionId: `cli-${o.seed}-${i}`,
      ...(o.labels ? { outcome: rng.next() < score } : {}),
      ...(ts !== undefined ? { timestamp: new Date(ts).toISOString() } : {}),
    };
  });
}

async function main(): Promise<void> {
  const o = parseOptions(OptionsSchema, {
    bus: { type: 'string' },
    local: { type: 'boolean' },
    'data-dir': { type: 'string' },
    region: { type: 'string' },
    model: { type: 'string' },
    count: { type: 'string' },
    mean: { type: 'string' },
    sd: { type: 'string' },
    labels: { type: 'boolean' },
    spread: { type: 'string' },
    seed: { type: 'string' },
    file: { type: 'string' },
  });
  let client: EventBridgeClient;
  let bus: string;
  if (o.local) {
    const stack = runningStack(resolve(o['data-dir']));
    if (!stack)
      throw new ValidationError(`No local stack is running on ${o['data-dir']}: start it with npm start`);
    client = new EventBridgeClient({
      endpoint: stack.events,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    bus = LOCAL_DRIFT.busName;
  } else {
    client = new EventBridgeClient(o.region ? { region: o.region } : {});
    bus = o.bus as string;
  }
  const predictions = predictionsOf(o, Date.now());
  const reporter = new PredictionReporter({ client, eventBusName: bus, source: 'cli.send-predictions' });
  let failed = 0;
  for (let i = 0; i < predictions.length; i += 500) {
    const r = await reporter.report(predictions.slice(i, i + 500));
    failed += r.failed.length;
    for (const f of r.failed.slice(0, 3)) console.error(`Not accepted: ${f.error}`);
    process.stderr.write(`\r  sent ${Math.min(i + 500, predictions.length)}/${predictions.length}`);
  }
  process.stderr.write('\n');
  client.destroy();
  console.log(`${predictions.length - failed} accepted by ${bus}, ${failed} not accepted`);
  if (failed > 0) process.exitCode = 2;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof MonitorError ? error.message : error);
    process.exit(1);
  });
}
