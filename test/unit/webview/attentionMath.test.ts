import { describe, expect, it } from 'vitest';
import { applyCausalMask, checkHead, maxAbsDiff, recomputeHead, scaledScores, softmaxRows, weightedValues } from '../../../webview/attention/attentionMath';

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
    const rec = recomputeHead(q, k, v, 2, scale, rows, 3);
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
