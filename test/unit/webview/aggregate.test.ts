import { describe, expect, it } from 'vitest';
import { headMatrix, meanOverHeads } from '../../../src/shared/attentionChoice';
import { cropColumns, keyWindow, maskFuture, shownMatrix, topK } from '../../../webview/attention/aggregate';

// [head, query, key]: 2 heads, 2 queries (tokens 1 and 2), 3 keys (tokens 0..2).
const pattern = new Float32Array([
  // head 0
  0.5, 0.5, 0, 0.2, 0.3, 0.5,
  // head 1
  1, 0, 0, 0.6, 0.2, 0.2,
]);

describe('meanOverHeads', () => {
  it('averages every cell over heads', () => {
    const m = meanOverHeads(pattern, 2, 2, 3);
    expect(Array.from(m)).toEqual([0.75, 0.25, 0, 0.4, 0.25, 0.35].map((x) => Math.fround(x)));
  });

  it('keeps rows summing to 1', () => {
    const m = meanOverHeads(pattern, 2, 2, 3);
    expect(m[0] + m[1] + m[2]).toBeCloseTo(1);
    expect(m[3] + m[4] + m[5]).toBeCloseTo(1);
  });

  it('is all zeros without heads', () => {
    expect(Array.from(meanOverHeads(new Float32Array(0), 0, 1, 2))).toEqual([0, 0]);
  });
});

describe('headMatrix', () => {
  it('views one head without copying', () => {
    const h1 = headMatrix(pattern, 1, 2, 3);
    expect(Array.from(h1)).toEqual(Array.from(pattern.subarray(6)));
    expect(h1.buffer).toBe(pattern.buffer);
    expect(Array.from(headMatrix(pattern, 0, 2, 3))).toEqual(Array.from(pattern.subarray(0, 6)));
  });
});

describe('cropping and masking', () => {
  it('crops columns', () => {
    expect(Array.from(cropColumns([1, 2, 3, 4, 5, 6], 2, 3, 1, 3))).toEqual([2, 3, 5, 6]);
    expect(Array.from(cropColumns([1, 2, 3, 4, 5, 6], 2, 3, 2, 2))).toEqual([]);
  });

  it('masks keys after the query as NaN', () => {
    // Queries are tokens 1 and 2, keys tokens 0..2.
    const m = maskFuture(headMatrix(pattern, 0, 2, 3), 2, 3, 1, 0);
    expect(m[2]).toBeNaN(); // token 1 → token 2
    expect(m[0]).toBeCloseTo(0.5);
    expect(Number.isNaN(m[5])).toBe(false); // token 2 → token 2 (itself)
  });

  it('keyWindow hides the context unless asked', () => {
    expect(keyWindow(4, 3, 7, false, false)).toEqual({ from: 4, to: 7 });
    expect(keyWindow(4, 3, 7, true, false)).toEqual({ from: 0, to: 7 });
    // Keys after the last query are always masked: never shown.
    expect(keyWindow(2, 3, 9, false, false)).toEqual({ from: 2, to: 5 });
  });

  it('keyWindow shows the keys after the last query of a bidirectional model', () => {
    expect(keyWindow(2, 3, 9, false, true)).toEqual({ from: 2, to: 9 });
    expect(keyWindow(2, 3, 9, true, true)).toEqual({ from: 0, to: 9 });
    expect(keyWindow(4, 3, 7, false, true)).toEqual({ from: 4, to: 7 });
  });

  it('shownMatrix crops to the explained tokens and masks the future', () => {
    const s = shownMatrix(headMatrix(pattern, 0, 2, 3), 1, 2, 3, false, false);
    expect(s.cols).toBe(2);
    expect(s.keys).toEqual({ from: 1, to: 3 });
    expect(s.firstTokenColumn).toBe(-1);
    expect(s.values[0]).toBeCloseTo(0.5); // token 1 → token 1
    expect(s.values[1]).toBeNaN(); // token 1 → token 2
    expect(Array.from(s.values.subarray(2))).toEqual([0.3, 0.5].map(Math.fround));
    const all = shownMatrix(headMatrix(pattern, 0, 2, 3), 1, 2, 3, true, false);
    expect(all.cols).toBe(3);
    expect(all.firstTokenColumn).toBe(0);
  });

  it('shownMatrix keeps every weight of a bidirectional model, above the diagonal too', () => {
    // An encoder's head: each row a distribution over all three tokens, later ones included.
    const encoder = new Float32Array([0.2, 0.3, 0.5, 0.6, 0.1, 0.3, 0.1, 0.1, 0.8]);
    const s = shownMatrix(encoder, 0, 3, 3, false, true);
    expect(s.cols).toBe(3);
    expect(Array.from(s.values)).toEqual(Array.from(encoder));
    expect(s.values.some(Number.isNaN)).toBe(false);
    // Token 0 gives most of its weight to token 2, after it: the strongest key is shown.
    expect(topK(s.values.subarray(0, 3), 1)).toEqual([{ index: 2, value: Math.fround(0.5) }]);
    // Explained tokens 1..2 only, context hidden: the later key stays, row by row.
    const cropped = shownMatrix(encoder.subarray(3), 1, 2, 3, false, true);
    expect(cropped.keys).toEqual({ from: 1, to: 3 });
    expect(Array.from(cropped.values)).toEqual([0.1, 0.3, 0.1, 0.8].map(Math.fround));
    // The same matrix read as causal hides what lies above the diagonal.
    expect(shownMatrix(encoder, 0, 3, 3, false, false).values[2]).toBeNaN();
  });
});

describe('topK', () => {
  it('returns the largest values, largest first, ignoring NaN', () => {
    expect(topK([0.1, NaN, 0.5, 0.3, 0.5], 3)).toEqual([
      { index: 2, value: 0.5 },
      { index: 4, value: 0.5 },
      { index: 3, value: 0.3 },
    ]);
    expect(topK([0.1], 5)).toEqual([{ index: 0, value: 0.1 }]);
    expect(topK([], 2)).toEqual([]);
  });
});
