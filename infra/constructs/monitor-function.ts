// (infra) the one place that decides how a job's Lambda is built (STYLE practice 10): runtime, arm64,
// X-Ray, log retention, source maps, esbuild options, a least-privilege role and a dead-letter queue.
// `bindTable` sets a table's env var and grants exactly the named actions, together.
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ValidationError } from '../../shared/errors';
import type { MonitorConfig } from '../../shared/monitor-config';
import { PROJECT_ROOT } from '../load-config';
import { AlarmedDeadLetterQueue } from './dead-letter-queue';

/**
 * The Lambda runtime of every job. cdk-nag AwsSolutions-L1 accepts only the newest runtime of the family
 * this aws-cdk-lib knows (nodejs24.x in 2.276.0), and Node 20 is past end of life (DESIGN.md §8).
 */
export const MONITOR_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** esbuild target: the oldest Node the bundle must run on (nodejs22.x or newer, DESIGN.md §8). */
export const BUNDLE_TARGET = 'node22';

/**
 * ESM bundles have no `require`; some dependencies (the X-Ray SDK under Powertools Tracer) still call it.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * A module esbuild injects so that `process.env.MONITOR_CONFIG_JSON` in the bundle is the config's
 * JSON text. Written once per distinct config, named by its hash (the same config, the same file).
 */
export function configInjectFile(config: MonitorConfig): string {
  const json = JSON.stringify(config);
  const hash = createHash('sha256').update(json).digest('hex').slice(0, 16);
  const file = path.join(tmpdir(), `drift-sentinel-config-${hash}.mjs`);
  if (!existsSync(file)) {
    writeFileSync(
      file,
      `const json = ${JSON.stringify(json)};\nexport { json as 'process.env.MONITOR_CONFIG_JSON' };\n`,
    );
  }
  return file;
}

/** Powertools log levels. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** Properties of {@link MonitorFunction}. */
export interface MonitorFunctionProps {
  /** Job name: POWERTOOLS_SERVICE_NAME, and the alarm description of its dead-letter queue. */
  readonly serviceName: string;
  /** Handler file, absolute or relative to `projectRoot` (e.g. `functions/collect.ts`). */
  readonly entry: string;
  /**
   * The validated monitoring config: baked into the bundle (an esbuild `inject` replacing
   * process.env.MONITOR_CONFIG_JSON, read by `loadBakedMonitorConfig`); its `name` is the metrics namespace.
   */
  readonly config: MonitorConfig;
  /**
   * Exported handler name.
   * @default 'handler'
   */
  readonly handler?: string;
  /**
   * Lambda timeout.
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Powertools LOG_LEVEL.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Retries of a failed asynchronous invocation before it goes to the dead-letter queue (0-2).
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * Oldest asynchronous event Lambda still runs; older ones go to the dead-letter queue.
   * @default Duration.hours(1) - a later scheduled run covers the same window
   */
  readonly maxEventAge?: Duration;
  /**
   * Reserved concurrency: 1 makes runs of a job strictly sequential (detect: no two runs page the same
   * pending anomaly or race on the digest).
   * @default no reservation
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Where failed asynchronous invocations land: a queue shared with other functions of the same job
   * (the detect shards), so one alarm covers them all.
   * @default a queue (and alarm) of its own
   */
  readonly deadLetterQueue?: AlarmedDeadLetterQueue;
  /**
   * Root that holds package-lock.json and the handler sources.
   * @default PROJECT_ROOT
   */
  readonly projectRoot?: string;
}

/** Options of {@link MonitorFunction.bindTable}. */
export interface BindTableOptions {
  /**
   * Global secondary indexes the function queries: `dynamodb:Query` is granted on each named index ARN.
   * Without it nothing is granted on the table's indexes.
   * @default - no index access
   */
  readonly queryIndexes?: readonly string[];
  /**
   * Restrict the actions to items whose partition key matches one of these patterns
   * (`dynamodb:LeadingKeys`, `*` wildcards allowed): e.g. a job may touch only its own watermark.
   * @default - every item of the table
   */
  readonly leadingKeys?: readonly string[];
}

const DYNAMODB_ACTION = /^dynamodb:[A-Z][A-Za-z]+$/;
const INDEX_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/**
 * A job's Lambda function: NodejsFunction (ESM, minified, source maps, config baked in), nodejs24.x on
 * arm64, active X-Ray tracing, an explicit log group with retention, an explicit role with no managed
 * policies, and an alarmed SQS dead-letter queue for failed asynchronous invocations.
 */
export class MonitorFunction extends Construct {
  /** The function. */
  public readonly lambdaFunction: nodejs.NodejsFunction;
  /** Its execution role: inline log permissions plus whatever `bindTable` and the grants add. */
  public readonly role: iam.Role;
  /** Its log group. */
  public readonly logGroup: logs.LogGroup;
  /** Failed asynchronous invocations (and failed EventBridge deliveries) land here. */
  public readonly deadLetterQueue: AlarmedDeadLetterQueue;
  private unscopedPolicies = 0;

  public constructor(scope: Construct, id: string, props: MonitorFunctionProps) {
    super(scope, id);
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    const entry = path.resolve(projectRoot, props.entry);
    const timeout = props.timeout ?? Duration.minutes(1);
    const memorySize = props.memorySize ?? 256;
    const retryAttempts = props.retryAttempts ?? 2;
    const maxEventAge = props.maxEventAge ?? Duration.hours(1);
    checkProps(props.serviceName, { entry, timeout, memorySize, retryAttempts, maxEventAge });

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    // An explicit role instead of AWSLambdaBasicExecutionRole (cdk-nag IAM4): logs only to its own group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.serviceName} job of ${props.config.name}`,
      inlinePolicies: {
        Logs: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [this.logGroup.logGroupArn],
            }),
          ],
        }),
      },
    });
    this.deadLetterQueue =
      props.deadLetterQueue ??
      new AlarmedDeadLetterQueue(this, 'DeadLetterQueue', { purpose: props.serviceName });
    this.lambdaFunction = new nodejs.NodejsFunction(this, 'Function', {
      entry,
      handler: props.handler ?? 'handler',
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      runtime: MONITOR_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role,
      retryAttempts,
      maxEventAge,
      deadLetterQueue: this.deadLetterQueue.queue,
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: BUNDLE_TARGET,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        // Keep class names: an error's `name` (new.target.name) is the Lambda errorType Step Functions
        // retries on (ShardIncompleteError, DependencyError); minified, it would be a mangled letter.
        keepNames: true,
        sourceMap: true,
        // Stack traces map to file:line without shipping the sources in the bundle.
        sourcesContent: false,
        // Bundle the pinned AWS SDK too: the tested versions run, not whatever the runtime ships.
        externalModules: [],
        // The config replaces process.env.MONITOR_CONFIG_JSON through an injected file, not `define`:
        // a define is an esbuild argument, and a fleet of thousands of series overflows the OS's
        // argument limit (E2BIG).
        inject: [configInjectFile(props.config)],
        forceDockerBundling: false,
      },
    });

    this.lambdaFunction.addEnvironment('POWERTOOLS_SERVICE_NAME', props.serviceName);
    this.lambdaFunction.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', props.config.name);
    this.lambdaFunction.addEnvironment('LOG_LEVEL', props.logLevel ?? 'INFO');
    this.lambdaFunction.addEnvironment('NODE_OPTIONS', '--enable-source-maps');

    // Tracing.ACTIVE put xray:PutTraceSegments/PutTelemetryRecords on '*' into the role's default policy.
    const defaultPolicy = this.role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy === undefined) throw new Error(`${this.node.path}: X-Ray grant not found on the role`);
    Validations.of(defaultPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions; the ' +
        "wildcard is AWS's documented resource for them. Every other statement here names its resources.",
    });
  }

  /**
   * Give the function a table: set `envVar` to the table name and grant exactly `actions` on the table
   * ARN (never its indexes), plus `dynamodb:Query` on each index named in `options.queryIndexes`.
   * @param table - the table
   * @param envVar - env var the handler reads the table name from (use `ENV` of shared/config.ts)
   * @param actions - DynamoDB actions, e.g. `['dynamodb:GetItem', 'dynamodb:UpdateItem']`; no wildcards
   * @param options - index access
   * @throws ValidationError when an action or index name is malformed or the list is empty
   */
  public bindTable(
    table: dynamodb.ITable,
    envVar: string,
    actions: readonly string[],
    options: BindTableOptions = {},
  ): this {
    const queryIndexes = options.queryIndexes ?? [];
    const issues: string[] = [];
    if (actions.length === 0) issues.push('actions: grant at least one action');
    for (const action of actions) {
      if (!DYNAMODB_ACTION.test(action)) issues.push(`actions: '${action}' is not one named DynamoDB action`);
    }
    for (const index of queryIndexes) {
      if (!INDEX_NAME.test(index)) issues.push(`queryIndexes: '${index}' is not an index name`);
    }
    if (issues.length > 0)
      throw new ValidationError(`${this.node.path}: invalid bindTable(${envVar})`, issues);

    this.lambdaFunction.addEnvironment(envVar, table.tableName);
    if (options.leadingKeys && options.leadingKeys.length > 0) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [...actions],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...options.leadingKeys] } },
        }),
      );
    } else {
      // TableGrants without `hasIndex`: table.grant() would add `<table>/index/*` for any table with a GSI.
      dynamodb.TableGrants.fromTable(table, undefined, false).actions(this.lambdaFunction, ...actions);
    }
    if (queryIndexes.length > 0) {
      iam.Grant.addToPrincipal({
        grantee: this.lambdaFunction,
        actions: ['dynamodb:Query'],
        resourceArns: queryIndexes.map((index) => `${table.tableArn}/index/${index}`),
      });
    }
    return this;
  }

  /**
   * Give the function the NOC topic: set `envVar` to its ARN and grant `sns:Publish` on it, plus the
   * KMS data-key actions on its key (SNS needs them to encrypt the message at rest).
   */
  public bindTopic(topic: sns.ITopic, key: kms.IKey, envVar: string): this {
    this.lambdaFunction.addEnvironment(envVar, topic.topicArn);
    iam.Grant.addToPrincipal({
      grantee: this.lambdaFunction,
      actions: ['sns:Publish'],
      resourceArns: [topic.topicArn],
    });
    iam.Grant.addToPrincipal({
      grantee: this.lambdaFunction,
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resourceArns: [key.keyArn],
    });
    return this;
  }

  /** Give the function a queue to send to: set `envVar` to its URL and grant `sqs:SendMessage` on it. */
  public bindQueue(queue: sqs.IQueue, envVar: string): this {
    this.lambdaFunction.addEnvironment(envVar, queue.queueUrl);
    iam.Grant.addToPrincipal({
      grantee: this.lambdaFunction,
      actions: ['sqs:SendMessage'],
      resourceArns: [queue.queueArn],
    });
    return this;
  }

  /**
   * Give the function a bucket: set `envVar` to its name and grant exactly `actions` on the objects under
   * `prefix` (e.g. `s3:GetObject` on `<bucket>/models/*`), never the whole bucket.
   * @param bucket - the bucket
   * @param envVar - env var the handler reads the bucket name from
   * @param actions - object-level S3 actions, no wildcards
   * @param prefix - key prefix the grant is limited to, e.g. `models/`
   * @param bucketActions - bucket-level actions (e.g. `s3:ListBucket`, which turns a missing key's 403 into
   * a 404), granted on the bucket ARN
   * @throws ValidationError when an action is malformed or the prefix is empty
   */
  public bindBucket(
    bucket: s3.IBucket,
    envVar: string,
    actions: readonly string[],
    prefix: string,
    bucketActions: readonly string[] = [],
  ): this {
    const issues: string[] = [];
    for (const action of [...actions, ...bucketActions]) {
      if (!/^s3:[A-Z][A-Za-z]+$/.test(action)) issues.push(`actions: '${action}' is not one named S3 action`);
    }
    if (actions.length === 0) issues.push('actions: grant at least one action');
    if (!/^[A-Za-z0-9!_.'()-]+(\/[A-Za-z0-9!_.'()-]+)*\/$/.test(prefix)) {
      issues.push(`prefix: '${prefix}' must be a key prefix ending in /`);
    }
    if (issues.length > 0)
      throw new ValidationError(`${this.node.path}: invalid bindBucket(${envVar})`, issues);
    this.lambdaFunction.addEnvironment(envVar, bucket.bucketName);
    iam.Grant.addToPrincipal({
      grantee: this.lambdaFunction,
      actions: [...actions],
      resourceArns: [bucket.arnForObjects(`${prefix}*`)],
    });
    // Object ARNs end in a wildcard by nature; acknowledge exactly this prefix of this bucket, nothing wider.
    const bucketId = Stack.of(this).getLogicalId(bucket.node.defaultChild as CfnElement);
    Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
      reason: `Object-level S3 actions (${actions.join(', ')}) are limited to the ${prefix} prefix of this one bucket.`,
    });
    if (bucketActions.length > 0) {
      iam.Grant.addToPrincipal({
        grantee: this.lambdaFunction,
        actions: [...bucketActions],
        resourceArns: [bucket.bucketArn],
      });
    }
    return this;
  }

  /**
   * Read exactly these objects of a bucket (no wildcard) and set its name in `envVar`; ListBucket only
   * for these keys (condition `s3:prefix`), so a key not written yet reads as NoSuchKey, not AccessDenied:
   * S3 decides 404 or 403 for a missing key by ListBucket with `s3:prefix` set to that key.
   * @param keys - full object keys
   */
  public bindObjects(bucket: s3.IBucket, envVar: string, keys: readonly string[]): this {
    if (keys.length === 0 || keys.some((k) => !/^[A-Za-z0-9!_.'()/-]+$/.test(k) || k.endsWith('/')))
      throw new ValidationError(`${this.node.path}: invalid bindObjects(${envVar})`, [
        `keys: '${keys.join("', '")}' must be object keys`,
      ]);
    this.lambdaFunction.addEnvironment(envVar, bucket.bucketName);
    iam.Grant.addToPrincipal({
      grantee: this.lambdaFunction,
      actions: ['s3:GetObject'],
      resourceArns: keys.map((k) => bucket.arnForObjects(k)),
    });
    this.lambdaFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringEquals: { 's3:prefix': [...keys] } },
      }),
    );
    return this;
  }

  /**
   * Grant actions that have no resource-level permissions (their only resource is `*`), in a policy of
   * their own that carries the cdk-nag acknowledgement, so the wildcard and its reason stay together.
   * @param actions - e.g. `['cloudwatch:GetMetricData']`
   * @param reason - why no narrower resource exists; recorded with the acknowledgement
   */
  public grantUnscoped(actions: readonly string[], reason: string): iam.Policy {
    if (actions.length === 0 || actions.some((action) => action.includes('*'))) {
      throw new ValidationError(`${this.node.path}: grantUnscoped needs named actions`, [...actions]);
    }
    this.unscopedPolicies += 1;
    const policy = new iam.Policy(this, `UnscopedPolicy${this.unscopedPolicies}`, {
      roles: [this.role],
      statements: [new iam.PolicyStatement({ actions: [...actions], resources: ['*'] })],
    });
    this.lambdaFunction.node.addDependency(policy);
    Validations.of(policy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason });
    return policy;
  }
}

function checkProps(
  serviceName: string,
  p: { entry: string; timeout: Duration; memorySize: number; retryAttempts: number; maxEventAge: Duration },
): void {
  const issues: string[] = [];
  if (!/^[a-z][a-z0-9-]{0,63}$/.test(serviceName)) issues.push('serviceName: must be kebab-case');
  if (!existsSync(p.entry)) issues.push(`entry: ${p.entry} does not exist`);
  const seconds = p.timeout.toSeconds();
  if (seconds < 1 || seconds > 900) issues.push('timeout: must be 1 s to 15 min');
  if (!Number.isInteger(p.memorySize) || p.memorySize < 128 || p.memorySize > 10_240) {
    issues.push('memorySize: must be an integer from 128 to 10240 MB');
  }
  if (!Number.isInteger(p.retryAttempts) || p.retryAttempts < 0 || p.retryAttempts > 2) {
    issues.push('retryAttempts: must be 0, 1 or 2');
  }
  const age = p.maxEventAge.toSeconds();
  if (age < 60 || age > 6 * 3600) issues.push('maxEventAge: must be 1 min to 6 h');
  if (issues.length > 0) throw new ValidationError(`Invalid MonitorFunction ${serviceName}`, issues);
}
