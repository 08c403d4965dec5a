// (domain) predictions as columns: what ingest stores and check-drift reads. Column arrays (not one object
// per prediction) keep a million predictions at ~24 MB and make the K-S sort a typed-array sort.
// Pure: no I/O, no clock.

/** The true outcome of a prediction, as the producer reported it. */
export type Outcome = number | boolean | string;

/** One validated prediction, ready to store. */
export interface IngestedPrediction {
  readonly model: string;
  /** When the prediction was made, epoch ms. */
  readonly ts: number;
  readonly score: number;
  readonly outcome?: Outcome;
  /** 53-bit identity (see {@link predictionKey}): re-sends and duplicate deliveries share it. */
  readonly key: number;
}

/** Predictions of one model, column-wise, in no particular order. */
export interface PredictionColumns {
  readonly ts: Float64Array;
  readonly score: Float64Array;
  readonly key: Float64Array;
  /** Per row, the outcome or undefined; absent when no row has one. */
  readonly outcomes?: readonly (Outcome | undefined)[];
}

/**
 * A 53-bit hash of a string (cyrb53, public domain): exact as a double, so it fits a Float64Array.
 * Two distinct ids collide with probability ~2^-53; among a million ids in one window, ~6e-5.
 */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * The identity of a prediction: the producer's `predictionId` (scoped to the model) when given — so a
 * re-send, or a later event carrying the outcome, is the same prediction — else the EventBridge event id
 * (EventBridge's own duplicate deliveries keep it).
 */
export function predictionKey(model: string, predictionId: string | undefined, eventId: string): number {
  return predictionId !== undefined
    ? hash53(`p\u0000${model}\u0000${predictionId}`)
    : hash53(`e\u0000${eventId}`);
}

/** An empty column set. */
export function emptyColumns(): PredictionColumns {
  return { ts: new Float64Array(0), score: new Float64Array(0), key: new Float64Array(0) };
}

/** Concatenate column sets (e.g. one per stored chunk). */
export function concatColumns(parts: readonly PredictionColumns[]): PredictionColumns {
  let n = 0;
  let anyOutcome = false;
  for (const p of parts) {
    n += p.ts.length;
    if (p.outcomes) anyOutcome = true;
  }
  const ts = new Float64Array(n);
  const score = new Float64Array(n);
  const key = new Float64Array(n);
  const outcomes: (Outcome | undefined)[] | undefined = anyOutcome ? new Array(n) : undefined;
  let at = 0;
  for (const p of parts) {
    ts.set(p.ts, at);
    score.set(p.score, at);
    key.set(p.key, at);
    if (outcomes && p.outcomes) for (let i = 0; i < p.outcomes.length; i++) outcomes[at + i] = p.outcomes[i];
    at += p.ts.length;
  }
  return outcomes ? { ts, score, key, outcomes } : { ts, score, key };
}

/** Result of {@link dedupePredictions}. */
export interface DedupeResult {
  readonly columns: PredictionColumns;
  /** Rows dropped as duplicates of another row with the same key. */
  readonly duplicates: number;
}

/**
 * One row per key. Among duplicates the first row with an outcome wins (a producer may send the
 * prediction first and the outcome later under the same predictionId); its score and time are kept
 * from the first row seen, so a late outcome never moves a prediction between windows.
 */
export function dedupePredictions(columns: PredictionColumns): DedupeResult {
  const n = columns.key.length;
  const firstIndex = new Map<number, number>();
  const keep = new Uint8Array(n);
  const outcomeFrom = new Int32Array(n).fill(-1);
  let duplicates = 0;
  for (let i = 0; i < n; i++) {
    const k = columns.key[i] as number;
    const first = firstIndex.get(k);
    if (first === undefined) {
      firstIndex.set(k, i);
      keep[i] = 1;
      continue;
    }
    duplicates++;
    if (columns.outcomes && columns.outcomes[first] === undefined && columns.outcomes[i] !== undefined) {
      outcomeFrom[first] = i;
    }
  }
  if (duplicates === 0) return { columns, duplicates: 0 };
  const m = n - duplicates;
  const ts = new Float64Array(m);
  const score = new Float64Array(m);
  const key = new Float64Array(m);
  const outcomes: (Outcome | undefined)[] | undefined = columns.outcomes ? new Array(m) : undefined;
  let j = 0;
  for (let i = 0; i < n; i++) {
    if (keep[i] !== 1) continue;
    ts[j] = columns.ts[i] as number;
    score[j] = columns.score[i] as number;
    key[j] = columns.key[i] as number;
    if (outcomes && columns.outcomes) {
      const from = outcomeFrom[i] as number;
      outcomes[j] = columns.outcomes[from >= 0 ? from : i];
    }
    j++;
  }
  return { columns: outcomes ? { ts, score, key, outcomes } : { ts, score, key }, duplicates };
}

/** Rows with from <= ts < to, as a new column set. */
export function sliceByTime(columns: PredictionColumns, from: number, to: number): PredictionColumns {
  const n = columns.ts.length;
  const index: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = columns.ts[i] as number;
    if (t >= from && t < to) index.push(i);
  }
  if (index.length === n) return columns;
  const pick = (source: Float64Array): Float64Array => {
    const out = new Float64Array(index.length);
    for (let j = 0; j < index.length; j++) out[j] = source[index[j] as number] as number;
    return out;
  };
  const base = { ts: pick(columns.ts), score: pick(columns.score), key: pick(columns.key) };
  if (!columns.outcomes) return base;
  const outcomes = index.map((i) => columns.outcomes?.[i]);
  return outcomes.some((o) => o !== undefined) ? { ...base, outcomes } : base;
}
