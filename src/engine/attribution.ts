// Direct logit attribution from what the graph returned (see instrument/attribution.ts). With the
// final norm's scale σ frozen at its value in this run, the logits are an affine function of the
// residual stream: logit(t) = Σ_j W_U[j, t] · (γ_j · (x_j − mean(x)) / σ + β_j) + b_t for LayerNorm
// (no mean and no β for RMSNorm, σ = its root mean square). The stream is a sum of parts, so
// logit(target) − logit(foil) is the sum of each part's (x − mean(x)) · g, g = γ ⊙ (W_U[:, target] −
// W_U[:, foil]) / σ, plus β · (W_U[:, target] − W_U[:, foil]) + b_target − b_foil: exact, up to
// float rounding. Sums run in float64.
import type { AttributionPlan } from './instrument/plan';
import type { Tensors } from './runner';
import type { Attribution, AttributionPart, TensorData } from './types';

function dot(a: ArrayLike<number>, b: ArrayLike<number>, offset = 0): number {
  let sum = 0;
  for (let j = 0; j < b.length; j++) sum += a[offset + j] * b[j];
  return sum;
}

/**
 * The attribution at `position` (the stream at position − 1 predicts it); `patterns(layer)` gives
 * the layer's attention [head, query, key], for splitting heads over the tokens they read.
 */
export function attribute(plan: AttributionPlan, outputs: Tensors, position: number, patterns: (layer: number) => TensorData | undefined): Attribution {
  const data = (name: string) => outputs[name].data as Float32Array;
  const stream = data(plan.stream);
  const width = stream.length;
  const [target, foil] = data(plan.tokens);
  const unembed = data(plan.unembed); // [d_model, 2]
  const gamma = data(plan.gamma);
  const direction = Float64Array.from({ length: width }, (_, j) => unembed[2 * j] - unembed[2 * j + 1]);
  const mean = stream.reduce((sum, x) => sum + x, 0) / width;
  const centred = plan.norm === 'layer';
  const spread = stream.reduce((sum, x) => sum + (centred ? (x - mean) ** 2 : x * x), 0) / width;
  const sigma = Math.sqrt(spread + plan.epsilon);
  const scaled = direction.map((d, j) => (gamma[j] * d) / sigma);
  // (x − mean(x)) · g = x · (g − mean(g)): one vector to project every part on.
  const gMean = centred ? scaled.reduce((a, b) => a + b, 0) / width : 0;
  const g = scaled.map((x) => x - gMean);

  const components = data(plan.components);
  const parts: AttributionPart[] = [];
  const notes = [...plan.headNotes];
  const sources = new Float32Array(position);
  plan.rows.forEach((row, i) => {
    const value = dot(components, g, i * width);
    const split = plan.heads.find((h) => h.layer === row.layer);
    if ((row.kind !== 'attn' && row.kind !== 'block') || !split) {
      parts.push({ kind: row.kind, layer: row.layer, value });
      return;
    }
    const heads = data(split.output);
    const count = heads.length / width;
    let headsSum = 0;
    for (let h = 0; h < count; h++) {
      const share = dot(heads, g, h * width);
      parts.push({ kind: 'head', layer: row.layer, head: h, value: share });
      headsSum += share;
    }
    // What the layer wrote besides its heads: the output projection's bias (and, in a parallel
    // block, the MLP's output).
    parts.push({ kind: row.kind, layer: row.layer, value: value - headsSum });
    const pattern = patterns(split.layer);
    if (!pattern) return;
    const projection = data(split.sourceProjection); // [heads, pos]: (v_k · W_O[h]) · (γ ⊙ direction)
    const means = data(split.sourceMean); // [heads, pos]: mean(v_k · W_O[h])
    const positions = projection.length / count;
    const directionSum = direction.reduce((sum, d, j) => sum + gamma[j] * d, 0);
    const [, queries, keys] = pattern.shape;
    const q = position - 1;
    for (let h = 0; h < count; h++) {
      for (let k = 0; k <= q && k < positions; k++) {
        const written = (projection[h * positions + k] - (centred ? means[h * positions + k] * directionSum : 0)) / sigma;
        sources[k] += pattern.data[(h * queries + q) * keys + k] * written;
      }
    }
  });
  const beta = plan.beta ? dot(data(plan.beta), direction) : 0;
  const bias = plan.unembedBias ? data(plan.unembedBias)[0] - data(plan.unembedBias)[1] : 0;
  if (plan.beta || plan.unembedBias) parts.push({ kind: 'final', value: beta + bias });
  const [targetLogit, foilLogit] = data(plan.logits);
  return {
    position,
    target,
    foil,
    measured: targetLogit - foilLogit,
    parts,
    sum: parts.reduce((sum, p) => sum + p.value, 0),
    sources,
    notes,
  };
}
