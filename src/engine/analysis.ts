// Pure computations on the runtime's outputs: next-token statistics from the logits, per-head
// tensors in TransformerLens' layout, and the check that recomputed attention is the model's.
import type { TensorLayout } from './instrument/plan';
import type { TensorData } from './types';

export interface TokenStats {
  prob: Float32Array;
  rank: Int32Array;
  entropy: Float32Array;
  topIds: Int32Array;
  topProbs: Float32Array;
}

/** One distribution over the vocabulary, from its logits: a token's probability and rank in it, its entropy, its top k. */
interface Distribution {
  prob: number;
  rank: number;
  entropyBits: number;
  topIds: Int32Array;
  topProbs: Float32Array;
}

function distribution(row: Float32Array, target: number, k: number): Distribution {
  const vocab = row.length;
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) if (row[v] > max) max = row[v];
  let sum = 0;
  let weighted = 0;
  for (let v = 0; v < vocab; v++) {
    const e = Math.exp(row[v] - max);
    sum += e;
    weighted += e * (row[v] - max);
  }
  const logSum = Math.log(sum);
  // Top-k by insertion into a short list kept sorted, largest first.
  const topIds = new Int32Array(k);
  const bestLogits = new Float32Array(k);
  let count = 0;
  for (let v = 0; v < vocab; v++) {
    const x = row[v];
    if (count === k && x <= bestLogits[k - 1]) continue;
    let j = count < k ? count++ : k - 1;
    for (; j > 0 && bestLogits[j - 1] < x; j--) {
      bestLogits[j] = bestLogits[j - 1];
      topIds[j] = topIds[j - 1];
    }
    bestLogits[j] = x;
    topIds[j] = v;
  }
  const topProbs = bestLogits.map((x) => Math.exp(x - max - logSum));
  const t = row[target];
  let above = 0;
  for (let v = 0; v < vocab; v++) if (row[v] > t) above++;
  return { prob: Math.exp(t - max - logSum), rank: above + 1, entropyBits: (logSum - weighted / sum) / Math.LN2, topIds, topProbs };
}

/** Statistics of nothing predicted: NaN probabilities, no ranks, zero top-k rows. */
export function emptyStats(positions: number, k: number): TokenStats {
  return {
    prob: new Float32Array(positions).fill(NaN),
    rank: new Int32Array(positions),
    entropy: new Float32Array(positions).fill(NaN),
    topIds: new Int32Array(positions * k),
    topProbs: new Float32Array(positions * k),
  };
}

/**
 * From logits [pos, vocab]: for each token i > 0 its probability, rank and the entropy (bits) of
 * the distribution that predicted it, and the top-k predictions after every position.
 */
export function tokenStats(logits: Float32Array, positions: number, vocab: number, ids: readonly number[], k: number): TokenStats {
  const stats = emptyStats(positions, k);
  for (let p = 0; p < positions; p++) {
    const d = distribution(logits.subarray(p * vocab, (p + 1) * vocab), ids[Math.min(p + 1, positions - 1)], k);
    stats.topIds.set(d.topIds, p * k);
    stats.topProbs.set(d.topProbs, p * k);
    if (p + 1 < positions) {
      stats.prob[p + 1] = d.prob;
      stats.rank[p + 1] = d.rank;
      stats.entropy[p + 1] = d.entropyBits;
    }
  }
  return stats;
}

/**
 * A masked language model's statistics: for each position p in `rows`, token p's probability,
 * rank and entropy in the distribution the model gives position p when token p is masked
 * (`rows.get(p)`, [vocab]), and that distribution's top k — kept in row p itself, the token it
 * is about. Positions not in `rows` (special tokens) have none.
 */
export function maskedStats(rows: ReadonlyMap<number, Float32Array>, ids: readonly number[], k: number): TokenStats {
  const stats = emptyStats(ids.length, k);
  for (const [p, row] of rows) {
    const d = distribution(row, ids[p], k);
    stats.prob[p] = d.prob;
    stats.rank[p] = d.rank;
    stats.entropy[p] = d.entropyBits;
    stats.topIds.set(d.topIds, p * k);
    stats.topProbs.set(d.topProbs, p * k);
  }
  return stats;
}

/**
 * The same statistics from the graph's own outputs (nextToken.ts): top-k [pos, k], and for each
 * position p the entropy, the probability of the token after it and how many tokens the model
 * found more likely — moved to the token they predict.
 */
export function statsFromGraph(
  topProbs: Float32Array,
  topIds: Int32Array,
  entropyBits: Float32Array,
  targetProb: Float32Array,
  above: Float32Array,
): TokenStats {
  const positions = entropyBits.length;
  const prob = new Float32Array(positions).fill(NaN);
  const rank = new Int32Array(positions);
  const entropy = new Float32Array(positions).fill(NaN);
  for (let p = 0; p + 1 < positions; p++) {
    prob[p + 1] = targetProb[p];
    rank[p + 1] = above[p] + 1;
    entropy[p + 1] = entropyBits[p];
  }
  return { prob, rank, entropy, topIds, topProbs };
}

/** A per-head tensor as the runtime returned it, in TransformerLens' [pos, head, d_head]. */
export function toPosHeadDim(data: Float32Array, dims: readonly number[], layout: TensorLayout, packedHeads = 1): TensorData {
  // Batch is always 1: drop it when present.
  const d = dims.length === 4 || (layout === 'bsD' && dims.length === 3) ? dims.slice(1) : dims.slice();
  if (layout === 'bsD') {
    const [s, packed] = d;
    return { shape: [s, packedHeads, packed / packedHeads], data };
  }
  if (layout === 'bshd') return { shape: d, data };
  const [h, a, b] = d;
  const [s, dh] = layout === 'bhsd' ? [a, b] : [b, a];
  const out = new Float32Array(s * h * dh);
  for (let head = 0; head < h; head++) {
    for (let pos = 0; pos < s; pos++) {
      for (let x = 0; x < dh; x++) {
        const from = layout === 'bhsd' ? (head * s + pos) * dh + x : (head * dh + x) * s + pos;
        out[(pos * h + head) * dh + x] = data[from];
      }
    }
  }
  return { shape: [s, h, dh], data: out };
}

/**
 * max |A·V − z| / max(1, max |z|) for pattern [head, query, key], v [key, head, d] and the
 * fused operator's output z [query, head, d]: how far a recomputed pattern is from the one the
 * model used.
 */
export function attentionMismatch(pattern: TensorData, v: TensorData, z: TensorData): number {
  const [heads, queries, keys] = pattern.shape;
  const dh = v.shape[2];
  if (z.shape[1] !== heads || z.shape[2] !== dh || v.shape[1] !== heads) return Infinity;
  let worst = 0;
  let scale = 1;
  for (let h = 0; h < heads; h++) {
    for (let q = 0; q < queries; q++) {
      for (let x = 0; x < dh; x++) {
        let sum = 0;
        for (let key = 0; key < keys; key++) sum += pattern.data[(h * queries + q) * keys + key] * v.data[(key * heads + h) * dh + x];
        const expected = z.data[(q * heads + h) * dh + x];
        worst = Math.max(worst, Math.abs(sum - expected));
        scale = Math.max(scale, Math.abs(expected));
      }
    }
  }
  return worst / scale;
}
