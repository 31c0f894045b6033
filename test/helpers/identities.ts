// Checks every exposed attention must pass, computed here independently of the engine: rows are
// probability distributions over earlier keys, A·V reproduces the attention output the model
// itself computed, and the logit lens ends exactly at the model's logits.
import { expect } from 'vitest';
import type { Analysis, TensorData } from '../../src/engine/types';

/** Rows sum to 1, nothing is negative, and no query sees a later key (or, with a window, an older one). */
export function expectCausalProbabilityRows(pattern: TensorData, window = Infinity, tolerance = 1e-5): void {
  const [heads, queries, keys] = pattern.shape;
  for (let h = 0; h < heads; h++) {
    for (let q = 0; q < queries; q++) {
      let sum = 0;
      for (let k = 0; k < keys; k++) {
        const w = pattern.data[(h * queries + q) * keys + k];
        expect(w).toBeGreaterThanOrEqual(0);
        if (k > q || q - k >= window) expect(w).toBe(0);
        sum += w;
      }
      expect(Math.abs(sum - 1)).toBeLessThan(tolerance);
    }
  }
}

/** max |Σ_k A[h, q, k] · V[k, h, :] − z[q, h, :]| over every head and query. */
export function avError(pattern: TensorData, v: TensorData, z: TensorData): number {
  const [heads, queries, keys] = pattern.shape;
  const dh = v.shape[2];
  expect(z.shape).toEqual([queries, heads, dh]);
  let worst = 0;
  for (let h = 0; h < heads; h++) {
    for (let q = 0; q < queries; q++) {
      for (let x = 0; x < dh; x++) {
        let sum = 0;
        for (let k = 0; k < keys; k++) sum += pattern.data[(h * queries + q) * keys + k] * v.data[(k * heads + h) * dh + x];
        worst = Math.max(worst, Math.abs(sum - z.data[(q * heads + h) * dh + x]));
      }
    }
  }
  return worst;
}

/**
 * The lens' last row (the stream after the last block) gives the model's own predictions. Two
 * predictions closer than `tolerance` may come out in either order (half precision rounds the
 * replayed head differently); any other difference in the ids fails.
 */
export function expectLensEqualsLogits(a: Analysis, tolerance = 1e-4): void {
  const lens = a.lens!;
  const positions = a.tokens.length - lens.from;
  const k = Math.min(lens.k, a.topK);
  const lastRow = (lens.rows - 1) * positions * lens.k;
  for (let p = 0; p < positions; p++) {
    const top = (lens.from + p) * a.topK;
    for (let j = 0; j < k; j++) {
      const id = lens.ids[lastRow + p * lens.k + j];
      expect(Math.abs(lens.probs[lastRow + p * lens.k + j] - a.topProbs[top + j])).toBeLessThan(tolerance);
      if (id === a.topIds[top + j]) continue;
      const ranks = Array.from({ length: a.topK }, (_, i) => top + i);
      const nearTies = ranks.filter((i) => Math.abs(a.topProbs[i] - a.topProbs[top + j]) < tolerance).map((i) => a.topIds[i]);
      // At the last rank the lens may hold a near-tie the model ranked just below its top k (its
      // probability was checked above); anywhere else the id must be one of the model's near-ties.
      const belowTopK = j === k - 1 && !ranks.some((i) => a.topIds[i] === id);
      if (!belowTopK) expect(nearTies, `position ${p}, rank ${j}`).toContain(id);
    }
  }
}
