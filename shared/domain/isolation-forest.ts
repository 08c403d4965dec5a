// (domain) isolation forest for infrastructure drift (DESIGN §6), pure and seeded.
//
// Liu, Ting & Zhou (2008), as scikit-learn implements it: each tree grows on a subsample of
// ψ = min(256, n) rows drawn without replacement, to depth ⌈log2 ψ⌉, splitting on a random feature at
// a uniform point between that feature's min and max in the node. A point's path length is its depth
// plus c(size) for the rows left unsplit in its leaf; its score is 2^(−E[h(x)] / c(ψ)), near 1 for
// anomalies and ≤ ~0.5 for ordinary points.
//
// Trees live in flat typed arrays shared by the whole forest (no node objects): scoring is a tight
// loop over Int32Array/Float64Array, and the JSON form is a handful of number arrays per tree whose
// doubles round-trip exactly, so a reloaded model scores bit-identically.
import { z } from 'zod';
import { ValidationError } from '../errors';
import { createRng, type Rng } from './random';

/** Rows × features: an array of rows, or a row-major Float64Array with its number of columns. */
export type Matrix = readonly (readonly number[])[] | { readonly data: Float64Array; readonly dims: number };

/** Training settings. */
export interface IsolationForestOptions {
  /** PRNG seed; the same data and seed always give the same forest. */
  readonly seed: number;
  /** Number of trees. @default 100 */
  readonly trees?: number;
  /** Rows per tree, capped at the number of training rows. @default 256 */
  readonly subsample?: number;
}

/** Defaults from the paper (and scikit-learn's `n_estimators=100, max_samples='auto'`). */
export const DEFAULT_TREES = 100;
/** ψ: past 256 the path-length statistics barely change while cost keeps growing. */
export const DEFAULT_SUBSAMPLE = 256;
/** JSON format version written by {@link IsolationForest.toJSON}. */
export const ISOLATION_FOREST_FORMAT_VERSION = 1;

/** One tree in the JSON form. Indices are local to the tree; the root is node 0 and nodes are preorder. */
export interface IsolationTreeJson {
  /** Split feature per node; −1 marks a leaf. */
  readonly feature: number[];
  /** Split value per node (row goes left when value <= split); 0 for leaves. */
  readonly split: number[];
  /** Left child per node; −1 for leaves. */
  readonly left: number[];
  /** Right child per node; −1 for leaves. */
  readonly right: number[];
  /** Training rows that reached each node (a leaf's size gives its c(size) adjustment). */
  readonly size: number[];
}

/** The versioned, plain-JSON form of a trained forest (what goes to S3). */
export interface IsolationForestJson {
  /** Identifies the document, so a wrong object in the bucket fails loudly. */
  readonly format: 'isolation-forest';
  /** Bumped on any incompatible change; loaders reject versions they do not know. */
  readonly version: 1;
  /** Number of input features (columns). */
  readonly features: number;
  /** ψ actually used: min(requested subsample, training rows). */
  readonly subsample: number;
  /** Depth limit ⌈log2 ψ⌉. */
  readonly maxDepth: number;
  /** Seed the forest was grown from (provenance; scoring does not use it). */
  readonly seed: number;
  /** Training rows (provenance). */
  readonly trainingRows: number;
  readonly trees: IsolationTreeJson[];
}

const EULER_GAMMA = 0.5772156649015329;

/**
 * c(n): average path length of an unsuccessful search in a binary search tree of n points, the
 * expected depth still to go in a leaf holding n rows. c(1) = 0 and c(2) = 1 exactly, as in sklearn.
 *
 * @param n - number of rows (>= 0)
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** Flat storage for every node of every tree; `roots[t]` is tree t's first node. */
interface ForestArrays {
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly split: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly size: Int32Array;
}

interface ForestMeta {
  readonly features: number;
  readonly subsample: number;
  readonly maxDepth: number;
  readonly seed: number;
  readonly trainingRows: number;
}

/** An isolation forest: train with {@link IsolationForest.fit}, load with {@link IsolationForest.fromJSON}. */
export class IsolationForest {
  /** Number of input features each row must have. */
  public readonly features: number;
  /** ψ, rows per tree. */
  public readonly subsample: number;
  /** Depth limit ⌈log2 ψ⌉. */
  public readonly maxDepth: number;
  /** Seed the forest was grown from. */
  public readonly seed: number;
  /** Rows the forest was trained on. */
  public readonly trainingRows: number;
  private readonly arrays: ForestArrays;
  /** Per node: c(size) for leaves (the unexplored depth), unused for internal nodes. */
  private readonly leafAdjust: Float64Array;
  /** c(ψ), the normaliser in the score's exponent. */
  private readonly normaliser: number;

  private constructor(meta: ForestMeta, arrays: ForestArrays) {
    this.features = meta.features;
    this.subsample = meta.subsample;
    this.maxDepth = meta.maxDepth;
    this.seed = meta.seed;
    this.trainingRows = meta.trainingRows;
    this.arrays = arrays;
    this.leafAdjust = new Float64Array(arrays.feature.length);
    for (let i = 0; i < arrays.feature.length; i++) {
      if ((arrays.feature[i] as number) < 0) this.leafAdjust[i] = averagePathLength(arrays.size[i] as number);
    }
    this.normaliser = averagePathLength(meta.subsample);
  }

  /** Number of trees. */
  public get treeCount(): number {
    return this.arrays.roots.length;
  }

  /** Total nodes across all trees. */
  public get nodeCount(): number {
    return this.arrays.feature.length;
  }

  /**
   * Grow a forest on `data`.
   *
   * @param data - at least 2 rows of finite numbers, all with the same number of features
   * @param options - seed (required), trees @default 100, subsample @default 256
   * @throws ValidationError on bad data or options, naming the offending row/field
   */
  public static fit(data: Matrix, options: IsolationForestOptions): IsolationForest {
    const trees = options.trees ?? DEFAULT_TREES;
    const requested = options.subsample ?? DEFAULT_SUBSAMPLE;
    const optionIssues: string[] = [];
    if (!Number.isSafeInteger(options.seed)) {
      optionIssues.push(`seed: expected a safe integer, got ${options.seed}`);
    }
    if (!Number.isInteger(trees) || trees < 1) {
      optionIssues.push(`trees: expected an integer >= 1, got ${trees}`);
    }
    if (!Number.isInteger(requested) || requested < 2) {
      optionIssues.push(`subsample: expected an integer >= 2, got ${requested}`);
    }
    if (optionIssues.length > 0) throw new ValidationError('Invalid isolation-forest options', optionIssues);

    const { values, rows, dims } = toFlat(data, 'data');
    if (rows < 2) {
      throw new ValidationError('Invalid training data', [`data: expected at least 2 rows, got ${rows}`]);
    }
    const psi = Math.min(requested, rows);
    const maxDepth = Math.ceil(Math.log2(psi));
    const rng = createRng(options.seed);
    const arrays = growForest(values, rows, dims, trees, psi, maxDepth, rng);
    return new IsolationForest(
      { features: dims, subsample: psi, maxDepth, seed: options.seed, trainingRows: rows },
      arrays,
    );
  }

  /**
   * Anomaly score of one row, 2^(−E[h(x)]/c(ψ)) in (0, 1]: above ~0.6 is unusual, near 1 isolated.
   *
   * @param row - `features` finite numbers
   * @throws ValidationError when the row has the wrong length or a non-finite value
   */
  public score(row: ArrayLike<number>): number {
    const issues = checkRow(row, this.features, 'row');
    if (issues.length > 0) throw new ValidationError('Invalid row to score', issues);
    const values = Float64Array.from(row);
    return this.scoreAt(values, 0);
  }

  /**
   * Anomaly scores of many rows (same order).
   *
   * @param data - rows of `features` finite numbers
   * @throws ValidationError on a malformed matrix
   */
  public scoreAll(data: Matrix): Float64Array {
    const { values, rows, dims } = toFlat(data, 'data');
    if (rows > 0 && dims !== this.features) {
      throw new ValidationError('Invalid rows to score', [
        `data: expected ${this.features} features, got ${dims}`,
      ]);
    }
    // Tree-outer loop: one tree's nodes stay hot in cache across all rows (~25% faster than
    // row-outer). Each row still sums its trees in order 0…T−1, so results equal score(row) exactly.
    const { roots } = this.arrays;
    const totals = new Float64Array(rows);
    for (let t = 0; t < roots.length; t++) {
      const root = roots[t] as number;
      for (let r = 0; r < rows; r++)
        totals[r] = (totals[r] as number) + this.pathLength(root, values, r * dims);
    }
    for (let r = 0; r < rows; r++) totals[r] = this.toScore(totals[r] as number);
    return totals;
  }

  /** The versioned plain-JSON form; `JSON.stringify` of it reloads bit-identically via {@link fromJSON}. */
  public toJSON(): IsolationForestJson {
    const { roots, feature, split, left, right, size } = this.arrays;
    const trees: IsolationTreeJson[] = [];
    for (let t = 0; t < roots.length; t++) {
      const start = roots[t] as number;
      const end = t + 1 < roots.length ? (roots[t + 1] as number) : feature.length;
      const tree = {
        feature: [] as number[],
        split: [] as number[],
        left: [] as number[],
        right: [] as number[],
      };
      for (let i = start; i < end; i++) {
        const leaf = (feature[i] as number) < 0;
        tree.feature.push(feature[i] as number);
        // −0 would serialise as 0; compare-equal anyway, but keep the JSON canonical.
        tree.split.push(leaf ? 0 : (split[i] as number) + 0);
        tree.left.push(leaf ? -1 : (left[i] as number) - start);
        tree.right.push(leaf ? -1 : (right[i] as number) - start);
      }
      trees.push({ ...tree, size: Array.from(size.subarray(start, end)) });
    }
    return {
      format: 'isolation-forest',
      version: ISOLATION_FOREST_FORMAT_VERSION,
      features: this.features,
      subsample: this.subsample,
      maxDepth: this.maxDepth,
      seed: this.seed,
      trainingRows: this.trainingRows,
      trees,
    };
  }

  /**
   * Load a forest from its JSON form (already parsed), checking the schema and that every tree is
   * a well-formed tree over ψ rows. Never evaluates anything from the input.
   *
   * @param value - the parsed JSON
   * @throws ValidationError naming the first bad fields (e.g. `trees.3.right.17: …`)
   */
  public static fromJSON(value: unknown): IsolationForest {
    const parsed = ForestJsonSchema.safeParse(value);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 10).map((issue) => {
        const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
        return `${path}: ${issue.message}`;
      });
      throw new ValidationError('Invalid isolation-forest model', issues);
    }
    const model = parsed.data;
    const expectedDepth = Math.ceil(Math.log2(model.subsample));
    if (model.maxDepth !== expectedDepth) {
      throw new ValidationError('Invalid isolation-forest model', [
        `maxDepth: expected ${expectedDepth} for subsample ${model.subsample}, got ${model.maxDepth}`,
      ]);
    }
    if (model.subsample > model.trainingRows) {
      throw new ValidationError('Invalid isolation-forest model', [
        `subsample: ${model.subsample} exceeds trainingRows ${model.trainingRows}`,
      ]);
    }
    const issues: string[] = [];
    model.trees.forEach((tree, t) => {
      issues.push(...checkTree(tree, `trees.${t}`, model.features, model.subsample, model.maxDepth));
    });
    if (issues.length > 0) throw new ValidationError('Invalid isolation-forest model', issues.slice(0, 10));

    const total = model.trees.reduce((sum, tree) => sum + tree.feature.length, 0);
    const arrays = allocate(model.trees.length, total);
    let offset = 0;
    model.trees.forEach((tree, t) => {
      arrays.roots[t] = offset;
      for (let i = 0; i < tree.feature.length; i++) {
        const f = tree.feature[i] as number;
        arrays.feature[offset + i] = f;
        arrays.split[offset + i] = tree.split[i] as number;
        arrays.left[offset + i] = f < 0 ? -1 : offset + (tree.left[i] as number);
        arrays.right[offset + i] = f < 0 ? -1 : offset + (tree.right[i] as number);
        arrays.size[offset + i] = tree.size[i] as number;
      }
      offset += tree.feature.length;
    });
    const { features, subsample, maxDepth, seed, trainingRows } = model;
    return new IsolationForest({ features, subsample, maxDepth, seed, trainingRows }, arrays);
  }

  /** h(x) of the row at `base` in one tree: edges walked plus c(n) of the leaf's unsplit size. */
  private pathLength(root: number, values: Float64Array, base: number): number {
    const { feature, split, left, right } = this.arrays;
    let node = root;
    let depth = 0;
    let f = feature[node] as number;
    while (f >= 0) {
      node =
        (values[base + f] as number) <= (split[node] as number)
          ? (left[node] as number)
          : (right[node] as number);
      depth++;
      f = feature[node] as number;
    }
    return depth + (this.leafAdjust[node] as number);
  }

  private scoreAt(values: Float64Array, base: number): number {
    const { roots } = this.arrays;
    let total = 0;
    // Same association as scoreAll: total += (depth + leaf adjustment), tree by tree.
    for (let t = 0; t < roots.length; t++) total += this.pathLength(roots[t] as number, values, base);
    return this.toScore(total);
  }

  /** Sum of path lengths over all trees → 2^(−mean / c(ψ)). */
  private toScore(totalPathLength: number): number {
    return 2 ** -(totalPathLength / this.arrays.roots.length / this.normaliser);
  }
}

/**
 * The score above which a `contamination` share of `scores` lies: the (1 − contamination) quantile,
 * linearly interpolated (numpy's default), as scikit-learn sets `offset_`. Flag a row when its score
 * is strictly greater than the threshold.
 *
 * @param scores - scores of a reference set (e.g. the training rows), finite
 * @param contamination - expected share of anomalies, in (0, 0.5]
 * @throws ValidationError on empty/non-finite scores or contamination outside (0, 0.5]
 */
export function thresholdForContamination(scores: ArrayLike<number>, contamination: number): number {
  const issues: string[] = [];
  if (!(contamination > 0 && contamination <= 0.5)) {
    issues.push(`contamination: expected a share in (0, 0.5], got ${contamination}`);
  }
  if (scores.length === 0) issues.push('scores: at least one score');
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) {
      issues.push(`scores[${i}]: expected a finite number, got ${String(scores[i])}`);
      break;
    }
  }
  if (issues.length > 0) throw new ValidationError('Invalid contamination threshold request', issues);
  const sorted = Float64Array.from(scores).sort();
  const position = (sorted.length - 1) * (1 - contamination);
  const lower = Math.floor(position);
  const low = sorted[lower] as number;
  if (lower === position) return low;
  return low + (position - lower) * ((sorted[lower + 1] as number) - low);
}

// ---------------------------------------------------------------------------------------------
// Training

function allocate(trees: number, nodes: number): ForestArrays {
  return {
    roots: new Int32Array(trees),
    feature: new Int32Array(nodes),
    split: new Float64Array(nodes),
    left: new Int32Array(nodes),
    right: new Int32Array(nodes),
    size: new Int32Array(nodes),
  };
}

function growForest(
  values: Float64Array,
  rows: number,
  dims: number,
  trees: number,
  psi: number,
  maxDepth: number,
  rng: Rng,
): ForestArrays {
  // A binary tree over ψ rows has at most 2ψ − 1 nodes, and at most 2^(depth+1) − 1 at this depth.
  const perTree = Math.min(2 * psi - 1, 2 ** (maxDepth + 1) - 1);
  const arrays = allocate(trees, trees * perTree);
  const { feature, split, left, right, size } = arrays;
  const permutation = new Int32Array(rows);
  for (let i = 0; i < rows; i++) permutation[i] = i;
  const sample = new Int32Array(psi);
  const candidates = new Int32Array(dims);
  let next = 0;

  const build = (lo: number, hi: number, depth: number): number => {
    const node = next++;
    size[node] = hi - lo;
    feature[node] = -1;
    left[node] = -1;
    right[node] = -1;
    if (depth >= maxDepth || hi - lo <= 1) return node;
    // Draw features without replacement until one varies in this node (sklearn does the same), so
    // a constant column never wastes a level; if none varies, the node is a leaf.
    for (let i = 0; i < dims; i++) candidates[i] = i;
    let remaining = dims;
    let f = -1;
    let min = 0;
    let max = 0;
    while (remaining > 0) {
      const pick = rng.int(remaining);
      const candidate = candidates[pick] as number;
      min = Number.POSITIVE_INFINITY;
      max = Number.NEGATIVE_INFINITY;
      for (let i = lo; i < hi; i++) {
        const v = values[(sample[i] as number) * dims + candidate] as number;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (max > min) {
        f = candidate;
        break;
      }
      candidates[pick] = candidates[remaining - 1] as number;
      remaining--;
    }
    if (f < 0) return node;
    let threshold = min + rng.next() * (max - min);
    // Rounding can land on max, which would send every row left; min still splits (min goes left).
    if (!(threshold < max)) threshold = min;
    // Partition rows in place: <= threshold to the front.
    let mid = lo;
    for (let i = lo; i < hi; i++) {
      const r = sample[i] as number;
      if ((values[r * dims + f] as number) <= threshold) {
        sample[i] = sample[mid] as number;
        sample[mid] = r;
        mid++;
      }
    }
    feature[node] = f;
    split[node] = threshold;
    left[node] = build(lo, mid, depth + 1);
    right[node] = build(mid, hi, depth + 1);
    return node;
  };

  for (let t = 0; t < trees; t++) {
    // Partial Fisher–Yates: the first ψ entries become a uniform sample without replacement. The
    // permutation is not reset between trees; a uniform draw from any ordering is still uniform.
    for (let i = 0; i < psi; i++) {
      const j = i + rng.int(rows - i);
      const tmp = permutation[i] as number;
      permutation[i] = permutation[j] as number;
      permutation[j] = tmp;
      sample[i] = permutation[i] as number;
    }
    arrays.roots[t] = next;
    build(0, psi, 0);
  }
  return {
    roots: arrays.roots,
    feature: feature.slice(0, next),
    split: split.slice(0, next),
    left: left.slice(0, next),
    right: right.slice(0, next),
    size: size.slice(0, next),
  };
}

// ---------------------------------------------------------------------------------------------
// Validation

function checkRow(row: ArrayLike<number>, dims: number, name: string): string[] {
  if (row.length !== dims) return [`${name}: expected ${dims} features, got ${row.length}`];
  for (let j = 0; j < dims; j++) {
    if (!Number.isFinite(row[j])) return [`${name}[${j}]: expected a finite number, got ${String(row[j])}`];
  }
  return [];
}

function toFlat(data: Matrix, name: string): { values: Float64Array; rows: number; dims: number } {
  if (Array.isArray(data)) {
    const rowsIn = data as readonly (readonly number[])[];
    const rows = rowsIn.length;
    const first = rowsIn[0];
    const dims = first === undefined ? 0 : first.length;
    if (rows > 0 && dims < 1) {
      throw new ValidationError('Invalid matrix', [`${name}[0]: expected at least 1 feature`]);
    }
    const values = new Float64Array(rows * dims);
    for (let r = 0; r < rows; r++) {
      const row = rowsIn[r];
      if (!Array.isArray(row) && !ArrayBuffer.isView(row)) {
        throw new ValidationError('Invalid matrix', [`${name}[${r}]: expected an array of numbers`]);
      }
      const issues = checkRow(row, dims, `${name}[${r}]`);
      if (issues.length > 0) throw new ValidationError('Invalid matrix', issues);
      for (let j = 0; j < dims; j++) values[r * dims + j] = row[j] as number;
    }
    return { values, rows, dims };
  }
  const { data: flat, dims } = data as { readonly data: Float64Array; readonly dims: number };
  if (!(flat instanceof Float64Array)) {
    throw new ValidationError('Invalid matrix', [`${name}.data: expected a Float64Array`]);
  }
  if (!Number.isInteger(dims) || dims < 1 || flat.length % dims !== 0) {
    throw new ValidationError('Invalid matrix', [
      `${name}.dims: expected a positive integer dividing data.length (${flat.length}), got ${dims}`,
    ]);
  }
  for (let i = 0; i < flat.length; i++) {
    if (!Number.isFinite(flat[i])) {
      const r = Math.floor(i / dims);
      throw new ValidationError('Invalid matrix', [
        `${name}[${r}][${i - r * dims}]: expected a finite number, got ${String(flat[i])}`,
      ]);
    }
  }
  return { values: flat, rows: flat.length / dims, dims };
}

const TreeJsonSchema = z.object({
  feature: z.array(z.int().min(-1)).min(1),
  split: z.array(z.number()).min(1),
  left: z.array(z.int().min(-1)).min(1),
  right: z.array(z.int().min(-1)).min(1),
  size: z.array(z.int().min(1)).min(1),
});

const ForestJsonSchema = z.object({
  format: z.literal('isolation-forest'),
  version: z.literal(ISOLATION_FOREST_FORMAT_VERSION),
  features: z.int().min(1),
  subsample: z.int().min(2),
  maxDepth: z.int().min(1),
  seed: z.int(),
  trainingRows: z.int().min(2),
  trees: z.array(TreeJsonSchema).min(1),
});

/**
 * Structural checks zod cannot express: equal array lengths, children after their parent (so
 * traversal always terminates), every node reached exactly once, depth within the limit, sizes that
 * add up to ψ, and features in range.
 */
function checkTree(
  tree: z.output<typeof TreeJsonSchema>,
  path: string,
  features: number,
  subsample: number,
  maxDepth: number,
): string[] {
  const length = tree.feature.length;
  for (const key of ['split', 'left', 'right', 'size'] as const) {
    if (tree[key].length !== length) {
      return [`${path}.${key}: expected ${length} entries (one per node), got ${tree[key].length}`];
    }
  }
  if (tree.size[0] !== subsample) return [`${path}.size.0: root must hold subsample (${subsample}) rows`];
  const seen = new Uint8Array(length);
  const stack: [node: number, depth: number][] = [[0, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [number, number];
    if (seen[node] === 1) return [`${path}: node ${node} is reached twice`];
    seen[node] = 1;
    const f = tree.feature[node] as number;
    const l = tree.left[node] as number;
    const r = tree.right[node] as number;
    if (f < 0) {
      if (l !== -1 || r !== -1) return [`${path}.left.${node}: a leaf (feature −1) has no children`];
      continue;
    }
    if (f >= features) return [`${path}.feature.${node}: feature ${f} out of range [0, ${features})`];
    if (depth >= maxDepth) return [`${path}.feature.${node}: split below maxDepth ${maxDepth}`];
    if (!(l > node && l < length)) {
      return [`${path}.left.${node}: child index ${l} out of range (${node}, ${length})`];
    }
    if (!(r > node && r < length)) {
      return [`${path}.right.${node}: child index ${r} out of range (${node}, ${length})`];
    }
    if ((tree.size[l] as number) + (tree.size[r] as number) !== tree.size[node]) {
      return [`${path}.size.${node}: children's sizes do not add up to the node's`];
    }
    stack.push([r, depth + 1], [l, depth + 1]);
  }
  const orphan = seen.indexOf(0);
  if (orphan >= 0) return [`${path}: node ${orphan} is not reachable from the root`];
  return [];
}
