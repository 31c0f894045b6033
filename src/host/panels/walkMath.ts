// The arithmetic the step-by-step view recomputes to check the model's own tensors: norms,
// activation functions and sums, in float64, and how far a recomputation is from the model.
import type { Activation } from '../../engine/types';

/** erf from Numerical Recipes' Chebyshev fit of erfc (fractional error below 1.2e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    1 -
    t *
      Math.exp(
        -x * x -
          1.26551223 +
          t *
            (1.00002368 +
              t *
                (0.37409196 +
                  t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
      );
  return x >= 0 ? y : -y;
}

/** The activation function of an MLP, as a function of one number. */
export function activationFunction(a: Activation): (x: number) => number {
  switch (a.kind) {
    case 'gelu':
      return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'gelu_tanh':
      return (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    case 'silu':
      return (x) => x / (1 + Math.exp(-x));
    case 'quick_gelu':
      return (x) => x / (1 + Math.exp(-a.alpha * x));
    case 'relu':
      return (x) => Math.max(0, x);
  }
}

/** max over elements of |ours − model| / max(1, |model|): absolute up to 1, relative above (the stream grows). */
export function relativeError(ours: ArrayLike<number>, model: ArrayLike<number>): number {
  if (ours.length !== model.length) return NaN;
  let worst = 0;
  for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - model[i]) / Math.max(1, Math.abs(model[i])));
  return worst;
}

export function add(x: ArrayLike<number>, y: ArrayLike<number>): number[] {
  return Array.from(x, (v, i) => v + y[i]);
}

/** A norm's mean (LayerNorm) and scale √(var + ε) or √(mean(x²) + ε) of one row. */
export function normStatistics(x: ArrayLike<number>, kind: 'layer' | 'rms', epsilon: number): { mean?: number; scale: number } {
  const d = x.length;
  let mean = 0;
  if (kind === 'layer') for (let i = 0; i < d; i++) mean += x[i] / d;
  let square = 0;
  for (let i = 0; i < d; i++) square += (x[i] - mean) ** 2 / d;
  return { mean: kind === 'layer' ? mean : undefined, scale: Math.sqrt(square + epsilon) };
}

/** (x − mean) / scale · γ + β (mean 0 and β 0 for RMSNorm; γ 1 and β 0 where absent). */
export function normalize(x: ArrayLike<number>, mean: number, scale: number, w?: ArrayLike<number>, b?: ArrayLike<number>): number[] {
  return Array.from(x, (v, i) => ((v - mean) / scale) * (w ? w[i] : 1) + (b ? b[i] : 0));
}

/** Cosine similarity of every pair of rows of [rows, d]: [rows, rows] row-major. */
export function cosineSimilarity(rows: ArrayLike<number>[]): number[] {
  const norms = rows.map((r) => Math.sqrt(Array.from(r).reduce((s, v) => s + v * v, 0)) || 1);
  const out: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0; j < rows.length; j++) {
      let dot = 0;
      for (let k = 0; k < rows[i].length; k++) dot += rows[i][k] * rows[j][k];
      out.push(dot / (norms[i] * norms[j]));
    }
  }
  return out;
}

/**
 * q rotated as a rotary embedding does it, for every head of q ([heads · width]): within each head,
 * the pairs (i, i + half) ('half') or (2i, 2i + 1) ('interleaved') of the first 2·half dimensions
 * turn by frequency i's angle, scaled by its amplitude (1 unless the model scales its cos and sin);
 * the other dimensions pass through.
 */
export function rotate(
  q: ArrayLike<number>,
  heads: number,
  angles: readonly number[],
  amplitudes: readonly number[],
  pairing: 'half' | 'interleaved',
): number[] {
  const width = q.length / heads;
  const half = angles.length;
  const out = Array.from(q);
  for (let h = 0; h < heads; h++) {
    const base = h * width;
    for (let i = 0; i < half; i++) {
      const [a, b] = pairing === 'half' ? [base + i, base + i + half] : [base + 2 * i, base + 2 * i + 1];
      const c = amplitudes[i] * Math.cos(angles[i]);
      const s = amplitudes[i] * Math.sin(angles[i]);
      out[a] = q[a] * c - q[b] * s;
      out[b] = q[b] * c + q[a] * s;
    }
  }
  return out;
}

/** The angle (wrapped to (−π, π]) and amplitude of each frequency, from the cos and sin the model applies. */
export function rotaryAngles(cos: ArrayLike<number>, sin: ArrayLike<number>): { angles: number[]; amplitudes: number[] } {
  const angles = Array.from(cos, (c, i) => Math.atan2(sin[i], c));
  const amplitudes = Array.from(cos, (c, i) => Math.hypot(c, sin[i]));
  return { angles, amplitudes };
}
