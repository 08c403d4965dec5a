// (domain) the one price list: AWS us-east-1 list prices (on-demand, no free tier, no savings plan)
// that bench:scale projects a month of the detect cycle with, and the dashboard's cost estimate
// (shared/domain/cost-model.ts) prices the same cycle at. Each price names where it was read and
// when; `verified` says whether that source was checked when the price was last edited (AWS's own page
// where it could be read, else a dated secondary source quoting it). Update the price AND its date.

/** One list price. */
export interface Price {
  /** US dollars per `unit`. */
  readonly usd: number;
  readonly unit: string;
  /** Where the price is published (the AWS pricing page). */
  readonly source: string;
  /** When the price was last checked against `checkedWith` (ISO date). */
  readonly checked: string;
  /** What it was checked against, when not the AWS page itself (a secondary source quoting it). */
  readonly checkedWith?: string;
  readonly verified: boolean;
}

const CHECKED = '2026-12-04';

/** us-east-1 list prices the scale projection uses. */
export const PRICES = {
  getMetricDataPerMetric: {
    usd: 0.01 / 1000,
    unit: 'metric requested (GetMetricData)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    checked: CHECKED,
    checkedWith:
      'https://support.site24x7.com/portal/en/kb/articles/aws-cloudwatch-metrics-cost-calculation ($0.01 per 1,000 metrics requested)',
    verified: true,
  },
  dynamoWriteRequestUnit: {
    usd: 0.625 / 1e6,
    unit: 'write request unit (on-demand)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    checked: CHECKED,
    checkedWith:
      'https://airbyte.com/data-engineering-resources/dynamodb-pricing (July 2025: $0.625 per million WRU after the Nov 2024 cut)',
    verified: true,
  },
  dynamoReadRequestUnit: {
    usd: 0.125 / 1e6,
    unit: 'read request unit (on-demand)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    checked: CHECKED,
    checkedWith: 'https://airbyte.com/data-engineering-resources/dynamodb-pricing ($0.125 per million RRU)',
    verified: true,
  },
  dynamoStorageGbMonth: {
    usd: 0.25,
    unit: 'GB-month (Standard table class, beyond the 25 GB free tier)',
    source: 'https://aws.amazon.com/dynamodb/pricing/',
    checked: CHECKED,
    checkedWith: 'the AWS page ("prices start from $0.25 per GB-month")',
    verified: true,
  },
  s3PutPerRequest: {
    usd: 0.005 / 1000,
    unit: 'PUT request (S3 Standard)',
    source: 'https://aws.amazon.com/s3/pricing/',
    checked: CHECKED,
    checkedWith: 'https://c3x.dev/blog/s3-request-fees-explained (PUT $0.005/1K, GET $0.0004/1K)',
    verified: true,
  },
  s3GetPerRequest: {
    usd: 0.0004 / 1000,
    unit: 'GET request (S3 Standard)',
    source: 'https://aws.amazon.com/s3/pricing/',
    checked: CHECKED,
    checkedWith: 'https://c3x.dev/blog/s3-request-fees-explained',
    verified: true,
  },
  s3StorageGbMonth: {
    usd: 0.023,
    unit: 'GB-month (S3 Standard, first 50 TB)',
    source: 'https://aws.amazon.com/s3/pricing/',
    checked: CHECKED,
    checkedWith: 'https://deepeshsoni.com/archives/256 ("around $0.023 per GB-month for the first 50 TB")',
    verified: true,
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    unit: 'GB-second (arm64, first 7.5 billion GB-s a month)',
    source: 'https://aws.amazon.com/lambda/pricing/',
    checked: CHECKED,
    checkedWith: 'https://cloudchipr.com/blog/aws-lambda-pricing (ARM first 7.5 billion GB-s: $0.0000133334)',
    verified: true,
  },
  lambdaRequest: {
    usd: 0.2 / 1e6,
    unit: 'invocation',
    source: 'https://aws.amazon.com/lambda/pricing/',
    checked: CHECKED,
    checkedWith:
      'https://git.mcrn.ar/mariano/lambda_local_runner (docs/lambdas-md/lambda-13-cost.md: $0.20 / 1M)',
    verified: true,
  },
  stepFunctionsTransition: {
    usd: 0.025 / 1000,
    unit: 'state transition (Standard workflow)',
    source: 'https://aws.amazon.com/step-functions/pricing/',
    checked: CHECKED,
    checkedWith: 'https://c3x.dev/resources/aws/aws_sfn_state_machine ($0.025 per 1,000 state transitions)',
    verified: true,
  },
  logsIngestionGb: {
    usd: 0.5,
    unit: 'GB ingested (CloudWatch Logs, Standard class)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    checked: CHECKED,
    checkedWith:
      'https://cloudonaut.io/aws-cloudwatch-dashboard-cost-efficiency-logs-vs-custom-metrics ($0.50 per GB, us-east-1)',
    verified: true,
  },
  customMetricMonth: {
    usd: 0.3,
    unit: 'custom metric-month (first 10,000 metrics; Powertools EMF)',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    checked: CHECKED,
    checkedWith: 'https://signoz.io/guides/cloudwatch-pricing ("$0.30/month for the first 10,000")',
    verified: true,
  },
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;
