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

/**
 * From logits [pos, vocab]: for each token i > 0 its probability, rank and the entropy (bits) of
 * the distribution that predicted it, and the top-k predictions after every position.
 */
export function tokenStats(logits: Float32Array, positions: number, vocab: number, ids: readonly number[], k: number): TokenStats {
  const prob = new Float32Array(positions).fill(NaN);
  const rank = new Int32Array(positions);
  const entropy = new Float32Array(positions).fill(NaN);
  const topIds = new Int32Array(positions * k);
  const topProbs = new Float32Array(positions * k);
  for (let p = 0; p < positions; p++) {
    const row = logits.subarray(p * vocab, (p + 1) * vocab);
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
    const bestIds = new Int32Array(k);
    const bestLogits = new Float32Array(k);
    let count = 0;
    for (let v = 0; v < vocab; v++) {
      const x = row[v];
      if (count === k && x <= bestLogits[k - 1]) continue;
      let j = count < k ? count++ : k - 1;
      for (; j > 0 && bestLogits[j - 1] < x; j--) {
        bestLogits[j] = bestLogits[j - 1];
        bestIds[j] = bestIds[j - 1];
      }
      bestLogits[j] = x;
      bestIds[j] = v;
    }
    for (let j = 0; j < count; j++) {
      topIds[p * k + j] = bestIds[j];
      topProbs[p * k + j] = Math.exp(bestLogits[j] - max - logSum);
    }
    if (p + 1 < positions) {
      const target = ids[p + 1];
      const t = row[target];
      let above = 0;
      for (let v = 0; v < vocab; v++) if (row[v] > t) above++;
      prob[p + 1] = Math.exp(t - max - logSum);
      rank[p + 1] = above + 1;
      entropy[p + 1] = (logSum - weighted / sum) / Math.LN2;
    }
  }
  return { prob, rank, entropy, topIds, topProbs };
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
