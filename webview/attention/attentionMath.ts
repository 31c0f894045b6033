// Attention(Q, K, V) = softmax(QKᵀ/√d_k + M) V, recomputed in the webview from the model's own
// Q, K, V for one head, so "the math" panel shows real numbers and can prove they are the
// model's: the softmax must reproduce the pattern and A·V must reproduce z.
// Q, K, V, z are Float32 [pos, d_head] over every analysed token. The mask M is causal (−∞ on
// keys after the query) for a decoder; for a bidirectional model (an encoder such as BERT) every
// key of the text is seen, so M is 0 (one text has no padding to mask).

/** S = Q[rows]·Kᵀ·scale for the query positions `rows` against keys 0..keys-1: [rows.length, keys]. */
export function scaledScores(q: Float32Array, k: Float32Array, dHead: number, scale: number, rows: readonly number[], keys: number): Float32Array {
  const out = new Float32Array(rows.length * keys);
  rows.forEach((pos, r) => {
    const qo = pos * dHead;
    for (let j = 0; j < keys; j++) {
      const ko = j * dHead;
      let dot = 0;
      for (let d = 0; d < dHead; d++) dot += q[qo + d] * k[ko + d];
      out[r * keys + j] = dot * scale;
    }
  });
  return out;
}

/** S + M: −∞ where the key comes after the query (position rows[r]). Copies. */
export function applyCausalMask(scores: Float32Array, rows: readonly number[], keys: number): Float32Array {
  const out = Float32Array.from(scores);
  rows.forEach((pos, r) => {
    for (let j = pos + 1; j < keys; j++) out[r * keys + j] = -Infinity;
  });
  return out;
}

/** Row-wise softmax, stable (max subtracted); −∞ becomes exactly 0. */
export function softmaxRows(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, x[o + c]);
    if (max === -Infinity) continue;
    let sum = 0;
    for (let c = 0; c < cols; c++) {
      const e = Math.exp(x[o + c] - max);
      out[o + c] = e;
      sum += e;
    }
    for (let c = 0; c < cols; c++) out[o + c] /= sum;
  }
  return out;
}

/** A·V: [rows, keys] × [keys, d_head] → [rows, d_head]. */
export function weightedValues(a: Float32Array, rows: number, keys: number, v: Float32Array, dHead: number): Float32Array {
  const out = new Float32Array(rows * dHead);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < keys; j++) {
      const w = a[r * keys + j];
      if (w === 0) continue;
      const vo = j * dHead;
      const oo = r * dHead;
      for (let d = 0; d < dHead; d++) out[oo + d] += w * v[vo + d];
    }
  }
  return out;
}

/** max |a[i] − b[i]| over the first `count` entries of each, from the given offsets. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, count = Math.min(a.length, b.length), offsetA = 0, offsetB = 0): number {
  let m = 0;
  for (let i = 0; i < count; i++) {
    const d = Math.abs(a[offsetA + i] - b[offsetB + i]);
    if (d > m || Number.isNaN(d)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export interface HeadRecomputation {
  /** Query positions, indices into tokens. */
  rows: number[];
  keys: number;
  /** [rows, keys] each. */
  scores: Float32Array;
  /** S + M: the scores with the causal mask applied, or the scores themselves for a bidirectional model. */
  masked: Float32Array;
  /** Whether the recomputation saw every key (no causal mask). */
  bidirectional: boolean;
  weights: Float32Array;
  /** [rows, d_head] */
  output: Float32Array;
}

/**
 * The four steps for the query positions `rows` against every key: the causal mask for a
 * decoder, none for a bidirectional model, whose softmax runs over every key of the text.
 */
export function recomputeHead(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  dHead: number,
  scale: number,
  rows: readonly number[],
  keys: number,
  bidirectional: boolean,
): HeadRecomputation {
  const scores = scaledScores(q, k, dHead, scale, rows, keys);
  const masked = bidirectional ? Float32Array.from(scores) : applyCausalMask(scores, rows, keys);
  const weights = softmaxRows(masked, rows.length, keys);
  const output = weightedValues(weights, rows.length, keys, v, dHead);
  return { rows: [...rows], keys, scores, masked, weights, output, bidirectional };
}

export interface HeadCheck {
  /** max |softmax(...) − the model's pattern| over every explained query and key. */
  pattern: number;
  /** max |A·V − z| over every explained query and dimension. */
  output: number;
}

/**
 * Checks the recomputation against the model for all explained queries. `pattern` is this
 * head's [query, key] matrix with row 0 = token queryStart; `z` is [pos, d_head].
 */
export function checkHead(rec: HeadRecomputation, pattern: Float32Array | undefined, queryStart: number, z: Float32Array, dHead: number): HeadCheck {
  let dp = pattern ? 0 : NaN;
  let dz = 0;
  rec.rows.forEach((pos, r) => {
    if (pattern) dp = Math.max(dp, maxAbsDiff(rec.weights, pattern, rec.keys, r * rec.keys, (pos - queryStart) * rec.keys));
    dz = Math.max(dz, maxAbsDiff(rec.output, z, dHead, r * dHead, pos * dHead));
  });
  return { pattern: dp, output: dz };
}
