// (adapter) the DynamoDB key schemas, defined once: the CDK constructs and the local stack's table
// creation both read them, so the local emulator has exactly the tables AWS has.

/** Attribute type of a key. */
export type KeyType = 'S' | 'N';

/** A table or index key schema. */
export interface KeySchema {
  readonly partitionKey: { readonly name: string; readonly type: KeyType };
  readonly sortKey?: { readonly name: string; readonly type: KeyType };
}

/** A table: its key, its global secondary indexes (all projected ALL) and its TTL attribute. */
export interface TableSchema extends KeySchema {
  readonly logicalName: string;
  readonly indexes: Readonly<Record<string, KeySchema>>;
  readonly ttlAttribute: string;
}

/** TTL attribute on every table (epoch seconds). TTL deletion is lazy: reads also filter on it. */
export const TTL_ATTRIBUTE = 'expiresAt';

/**
 * Metric points in per-series chunks: one item per (series, 30-minute span), `ts` = the span's start
 * (epoch ms), each point a top-level attribute `o<offset ms>` = value, `expiresAt` = span end + retention
 * (see dynamodb-metric-store.ts). Writing a point twice sets the same attribute. Items of the earlier
 * one-item-per-point layout (`ts` = the point's time, value in `v`) are still read until they expire.
 */
export const POINTS_TABLE: TableSchema = {
  logicalName: 'MetricPoints',
  partitionKey: { name: 'series', type: 'S' },
  sortKey: { name: 'ts', type: 'N' },
  indexes: {},
  ttlAttribute: TTL_ATTRIBUTE,
};

/**
 * Anomalies: partitioned by UTC day for the timeline (`day` = YYYY-MM-DD), sorted by
 * `sk` = zero-padded ts + '#' + series, so one (series, ts) is one item and a re-run of detect is a no-op.
 * `bySeries` serves per-series history (resolve notices, what-if replays, the dashboard).
 */
export const ANOMALIES_TABLE: TableSchema = {
  logicalName: 'Anomalies',
  partitionKey: { name: 'day', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  indexes: {
    bySeries: { partitionKey: { name: 'series', type: 'S' }, sortKey: { name: 'ts', type: 'N' } },
  },
  ttlAttribute: TTL_ATTRIBUTE,
};

/**
 * Control state: generic (pk, sk) items. Job watermarks (`job#<name>` / `watermark`) now; token
 * buckets, feedback counters, threshold history and maintenance windows as later features land.
 */
export const CONTROL_TABLE: TableSchema = {
  logicalName: 'Control',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  indexes: {},
  ttlAttribute: TTL_ATTRIBUTE,
};

/**
 * ML predictions, stored as chunks: `pk` = `m#<model>#<UTC day>` holds items of up to 2,000 predictions
 * each (`sk` = `c#<first ts>#<content hash>`, scores, times and ids as binary float64 columns), so a
 * million predictions are ~500 items and ~24 MB to read, not a million items. `pk` = `models` lists
 * the models seen (`sk` = model name, `lastSeen`), so check-drift finds them without a scan.
 */
export const PREDICTIONS_TABLE: TableSchema = {
  logicalName: 'Predictions',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  indexes: {},
  ttlAttribute: TTL_ATTRIBUTE,
};

/** Every table the stack owns. */
export const TABLES = [POINTS_TABLE, ANOMALIES_TABLE, CONTROL_TABLE, PREDICTIONS_TABLE] as const;
