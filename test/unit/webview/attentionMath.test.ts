import { describe, expect, it } from 'vitest';
import { applyCausalMask, checkHead, maxAbsDiff, recomputeHead, scaledScores, softmaxRows, weightedValues } from '../../../webview/attention/attentionMath';
import { encoderWeights, referenceEncoder } from '../../helpers/encoderBuilder';

// Three tokens, d_head = 2.
const q = new Float32Array([1, 0, 0, 1, 1, 1]);
const k = new Float32Array([1, 0, 0, 2, 1, 1]);
const v = new Float32Array([1, 0, 0, 1, 2, 2]);
const scale = 1 / Math.sqrt(2);

describe('the attention formula', () => {
  it('scores are scaled dot products', () => {
    const s = scaledScores(q, k, 2, scale, [0, 1, 2], 3);
    expect(s[0]).toBeCloseTo(1 * scale); // q0·k0
    expect(s[1 * 3 + 1]).toBeCloseTo(2 * scale); // q1·k1
    expect(s[2 * 3 + 2]).toBeCloseTo(2 * scale); // q2·k2
  });

  it('masks keys after the query with −∞', () => {
    const m = applyCausalMask(scaledScores(q, k, 2, scale, [0, 1], 3), [0, 1], 3);
    expect(m[1]).toBe(-Infinity);
    expect(m[2]).toBe(-Infinity);
    expect(m[1 * 3 + 2]).toBe(-Infinity);
    expect(Number.isFinite(m[1 * 3 + 1])).toBe(true);
  });

  it('softmax rows sum to 1 and −∞ gets exactly 0', () => {
    const a = softmaxRows(new Float32Array([0, -Infinity, 1000, 1001]), 2, 2);
    expect(a[0]).toBe(1);
    expect(a[1]).toBe(0);
    expect(a[2] + a[3]).toBeCloseTo(1);
    expect(a[3]).toBeCloseTo(Math.E / (1 + Math.E)); // stable for large scores
  });

  it('A·V is the weighted mean of value rows', () => {
    const z = weightedValues(new Float32Array([0.5, 0.5, 0]), 1, 3, v, 2);
    expect(Array.from(z)).toEqual([0.5, 0.5]);
  });

  it('recomputes and checks against a model pattern and z', () => {
    const rows = [1, 2];
    const rec = recomputeHead(q, k, v, 2, scale, rows, 3, false);
    // A "model" that agrees with the formula: pattern [query, key] for tokens 1..2, z [pos, d].
    const pattern = Float32Array.from(rec.weights);
    const z = new Float32Array(6);
    z.set(rec.output, 2);
    const check = checkHead(rec, pattern, 1, z, 2);
    expect(check.pattern).toBe(0);
    expect(check.output).toBe(0);
    pattern[1] += 1e-3;
    z[5] -= 2e-3;
    const off = checkHead(rec, pattern, 1, z, 2);
    expect(off.pattern).toBeCloseTo(1e-3, 6);
    expect(off.output).toBeCloseTo(2e-3, 6);
    expect(checkHead(rec, undefined, 1, z, 2).pattern).toBeNaN();
  });

  it('maxAbsDiff reads from offsets and reports NaN as infinitely far', () => {
    expect(maxAbsDiff([1, 2, 3], [0, 2, 3.5], 2, 1, 1)).toBeCloseTo(0.5);
    expect(maxAbsDiff([NaN], [0])).toBe(Infinity);
  });
});

describe('the attention formula of a bidirectional model', () => {
  it('uses no mask: every key gets weight, later ones too, and each row is the softmax over all keys', () => {
    const rows = [0, 1, 2];
    const rec = recomputeHead(q, k, v, 2, scale, rows, 3, true);
    expect(rec.bidirectional).toBe(true);
    expect(Array.from(rec.masked)).toEqual(Array.from(rec.scores));
    const scores = scaledScores(q, k, 2, scale, rows, 3);
    for (const r of rows) {
      const e = [0, 1, 2].map((j) => Math.exp(scores[r * 3 + j]));
      const total = e[0] + e[1] + e[2];
      for (let j = 0; j < 3; j++) expect(rec.weights[r * 3 + j]).toBeCloseTo(e[j] / total, 6);
    }
    // Token 0 attends to tokens 1 and 2, after it.
    expect(rec.weights[1]).toBeGreaterThan(0.1);
    expect(rec.weights[2]).toBeGreaterThan(0.1);
    // The causal recomputation of the same head differs exactly there.
    expect(recomputeHead(q, k, v, 2, scale, rows, 3, false).weights[0]).toBe(1);
  });

  // A BERT-shaped encoder's layer 0, computed by referenceEncoder (float64, plain JavaScript):
  // Q, K, V of each head from the layer's input and weights, then the math view's recomputation.
  const weights = encoderWeights();
  const ids = [2, 10, 11, 12, 13, 10, 14, 3];
  const reference = referenceEncoder(weights, ids);
  const { dModel, heads } = weights.options;
  const dHead = dModel / heads;
  const project = (x: number[][], m: { cols: number; data: number[] }, bias: number[], h: number) =>
    Float32Array.from(
      x.flatMap((row) =>
        Array.from({ length: dHead }, (_, e) => {
          const c = h * dHead + e;
          return row.reduce((sum, value, r) => sum + value * m.data[r * m.cols + c], bias[c]);
        }),
      ),
    );

  it.each([0, 1, 2, 3])('reproduces the reference encoder’s pattern and A·V of head %i over all keys', (h) => {
    const x = reference.hidden[0];
    const layer = weights.layers[0];
    const [hq, hk, hv] = [project(x, layer.q, layer.qb, h), project(x, layer.k, layer.kb, h), project(x, layer.v, layer.vb, h)];
    const n = ids.length;
    const positions = Array.from({ length: n }, (_, i) => i);
    const rec = recomputeHead(hq, hk, hv, dHead, 1 / Math.sqrt(dHead), positions, n, true);
    const pattern = Float32Array.from(reference.patterns[0][h].flat());
    // z = A·V from the reference's own weights: what the model's hook_z would hold.
    const z = weightedValues(pattern, n, n, hv, dHead);
    const check = checkHead(rec, pattern, 0, z, dHead);
    expect(check.pattern).toBeLessThan(1e-5);
    expect(check.output).toBeLessThan(1e-5);
    // The first token's weights on the tokens after it are real, not masked.
    expect(reference.patterns[0][h][0].slice(1).reduce((a, b) => a + b, 0)).toBeGreaterThan(0.1);
    // A causal recomputation would not reproduce the encoder.
    const causal = recomputeHead(hq, hk, hv, dHead, 1 / Math.sqrt(dHead), positions, n, false);
    expect(checkHead(causal, pattern, 0, z, dHead).pattern).toBeGreaterThan(0.05);
  });
});
