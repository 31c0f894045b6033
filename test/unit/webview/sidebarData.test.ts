import { describe, expect, it } from 'vitest';
import type { SideAnalysisView } from '../../../src/shared/protocol';
import {
  decodeLens,
  decodeResidNorm,
  firstColumns,
  formatBytes,
  formatCount,
  formatNorm,
  groupAttention,
  initialDir,
  layerRowLabels,
  lensHits,
  lensPredictions,
  lensTopProbs,
  maxColumns,
  neuronBars,
  quantile,
  recentLabel,
  rowNormalized,
  sortHeads,
  type HeadRow,
  type LensData,
} from '../../../webview/sidebar/sidebarData';

/** Ids of the test tokens: b and c are what the lens below predicts at row 0, token 0 and row 1, token 1. */
const IDS: Record<string, number> = { a: 50, b: 0, c: 11 };
const token = (text: string, i: number) => ({ id: IDS[text], text, start: i, end: i + 1, special: false, prob: 0.5, rank: 1 });

function view(patch: Partial<SideAnalysisView> = {}): SideAnalysisView {
  return {
    id: 1,
    document: { uri: 'file:///a.py', name: 'a.py' },
    tokens: ['a', 'b', 'c'].map(token),
    layers: 2,
    heads: [],
    notes: [],
    predicts: 'next',
    ...patch,
  };
}

/** A lens of 2 rows over 3 tokens, top 2: row r, token t predicts id 10·r + t first. */
function lensView(): SideAnalysisView {
  const ids = new Int32Array(2 * 3 * 2);
  const probs = new Float32Array(2 * 3 * 2);
  for (let r = 0; r < 2; r++)
    for (let t = 0; t < 3; t++) {
      const o = (r * 3 + t) * 2;
      ids.set([10 * r + t, 99], o);
      probs.set([0.5 + 0.1 * t, 0.01 * (r + 1)], o);
    }
  const pieces: Record<number, string> = { 0: 'b', 1: 'x', 2: 'z', 10: 'q', 11: 'c', 12: 'd', 99: ' the' };
  return view({ layers: 1, lens: { rows: 2, k: 2, ids: ids.buffer, probs: probs.buffer, pieces } });
}

describe('decoding', () => {
  it('decodes residual norms of [layer + 1, token]', () => {
    const norms = Float32Array.from({ length: 9 }, (_, i) => i);
    const out = decodeResidNorm(view({ residNorm: norms.buffer }));
    expect(out).toBeInstanceOf(Float32Array);
    expect(Array.from(out as Float32Array)).toEqual(Array.from(norms));
  });

  it('says what is wrong with a malformed buffer, and nothing when there is none', () => {
    expect(decodeResidNorm(view())).toBeUndefined();
    expect(decodeResidNorm(view({ residNorm: new Float32Array(8).buffer }))).toMatch(/8 values where 3 rows × 3 tokens = 9/);
    expect(decodeResidNorm(view({ residNorm: [1, 2, 3] as unknown as ArrayBuffer }))).toMatch(/binary/);
    expect(decodeResidNorm(view({ residNorm: new ArrayBuffer(37) }))).toMatch(/expected/);
  });

  it('decodes the lens and checks its shape', () => {
    const lens = decodeLens(lensView()) as LensData;
    expect(lens).toMatchObject({ rows: 2, k: 2, tokens: 3 });
    expect(decodeLens(view())).toBeUndefined();
    const bad = lensView();
    bad.lens!.ids = new Int32Array(11).buffer;
    expect(decodeLens(bad)).toMatch(/ids holds 11 values where 2 rows × 3 tokens × top 2 = 12/);
    const zero = lensView();
    zero.lens!.rows = 0;
    expect(decodeLens(zero)).toMatch(/impossible shape/);
  });
});

describe('logit lens cells', () => {
  const lens = decodeLens(lensView()) as LensData;

  it('lists the top predictions of a cell, with their pieces', () => {
    expect(lensPredictions(lens, 1, 2)).toEqual([
      { id: 12, text: 'd', prob: expect.closeTo(0.7, 6) },
      { id: 99, text: ' the', prob: expect.closeTo(0.02, 6) },
    ]);
    expect(lensPredictions(lens, 0, 0, 1)).toHaveLength(1);
  });

  it('colours each cell by its top-1 probability', () => {
    expect(Array.from(lensTopProbs(lens)).map((p) => +p.toFixed(2))).toEqual([0.5, 0.6, 0.7, 0.5, 0.6, 0.7]);
  });

  it('keeps the first columns when not all fit', () => {
    expect(Array.from(lensTopProbs(lens, 2)).map((p) => +p.toFixed(2))).toEqual([0.5, 0.6, 0.5, 0.6]);
  });

  it('marks where the top prediction is the next token of the text', () => {
    // Tokens a b c: row 0 predicts b at token 0 (right), x at token 1 (wrong); row 1 predicts c at token 1 (right).
    expect(Array.from(lensHits(lens, ['a', 'b', 'c'].map(token)))).toEqual([1, 0, 0, 0, 1, 0]);
  });

  it('marks, for a masked model, where the top prediction is the token itself', () => {
    // Tokens b c a: row 0 predicts b at token 0 (right); row 1 predicts c at token 1 (right); nothing predicts a.
    expect(Array.from(lensHits(lens, ['b', 'c', 'a'].map(token), 'masked'))).toEqual([1, 0, 0, 0, 1, 0]);
  });

  it('labels rows from the embedding to the output', () => {
    expect(layerRowLabels(4, true)).toEqual(['embed', 'after L0', 'after L1', 'output']);
    expect(layerRowLabels(3, false)).toEqual(['embed', 'after L0', 'after L1']);
  });
});

describe('activations', () => {
  it('cuts a grid to the columns one canvas can hold', () => {
    // A few rows: the canvas's side is the limit; many rows: its memory.
    expect(maxColumns(14, 5, 1)).toBe(Math.floor((32767 - 200) / 14));
    expect(maxColumns(38, 5, 2)).toBe(425);
    expect(maxColumns(38, 25, 2)).toBe(110);
    expect(maxColumns(38, 5, 0)).toBe(maxColumns(38, 5, 1));
    expect(maxColumns(38, 1e6, 2)).toBe(1);
    // Cells wider than tall: the side limit counts widths, the memory both.
    expect(maxColumns({ width: 38, height: 38 }, 25, 2)).toBe(maxColumns(38, 25, 2));
    expect(maxColumns({ width: 48, height: 24 }, 5, 1)).toBe(Math.floor((32767 - 200) / 48));
    expect(maxColumns({ width: 48, height: 24 }, 25, 2)).toBe(Math.floor(16_000_000 / (96 * 48 * 25)));
    const m = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(firstColumns(m, 2, 3, 2))).toEqual([1, 2, 4, 5]);
    expect(firstColumns(m, 2, 3, 3)).toBe(m);
  });

  it('finds quantiles of the finite values', () => {
    expect(quantile([3, 1, 2, NaN, 4], 0.5)).toBe(2.5);
    expect(quantile([3, 1, 2, 4], 1)).toBe(4);
    expect(quantile([3, 1, 2, 4], 0)).toBe(1);
    expect(quantile([NaN], 0.5)).toBeNaN();
  });

  it('scales each row by its own top, an outlier apart', () => {
    const [a, b, c, ...rest] = Array.from(rowNormalized([1, 2, 4, 10, 5, 0, 0, 0, 0], 3, 3)).map((x) => +x.toFixed(3));
    expect([a, b, c]).toEqual([+(1 / 3.92).toFixed(3), +(2 / 3.92).toFixed(3), +(4 / 3.92).toFixed(3)]);
    expect(rest.slice(3)).toEqual([0, 0, 0]);
    // A first position 100 times larger than the rest no longer flattens its row.
    const row = rowNormalized([100, ...Array.from({ length: 99 }, (_, i) => 1 + (i % 2))], 1, 100);
    expect(row[2]).toBeGreaterThan(0.9);
    expect(row[0]).toBeGreaterThan(10);
  });

  it('scales neuron bars to the largest magnitude', () => {
    expect(
      neuronBars([
        { index: 3, value: 2 },
        { index: 7, value: -1 },
        { index: 1, value: 0.5 },
      ]).map((b) => b.fraction),
    ).toEqual([1, 0.5, 0.25]);
    expect(neuronBars([{ index: 0, value: 0 }])[0].fraction).toBe(0);
    expect(neuronBars([])).toEqual([]);
  });
});

describe('head table', () => {
  const h = (layer: number, head: number, previousToken: number, induction = NaN): HeadRow => ({
    layer,
    head,
    previousToken,
    firstToken: 0,
    induction,
    self: 0,
  });
  const heads = [h(1, 0, 0.2, 0.9), h(0, 1, 0.9), h(0, 0, 0.2, 0.1), h(1, 1, 0.5)];
  const order = (rows: HeadRow[]) => rows.map((r) => `${r.layer}.${r.head}`);

  it('sorts by a column either way, ties in layer and head order', () => {
    expect(order(sortHeads(heads, 'layer', 'asc'))).toEqual(['0.0', '0.1', '1.0', '1.1']);
    expect(order(sortHeads(heads, 'previousToken', 'desc'))).toEqual(['0.1', '1.1', '0.0', '1.0']);
    expect(order(sortHeads(heads, 'previousToken', 'asc'))).toEqual(['0.0', '1.0', '1.1', '0.1']);
    expect(order(sortHeads(heads, 'head', 'desc'))).toEqual(['0.1', '1.1', '0.0', '1.0']);
  });

  it('puts unmeasured scores last in both directions', () => {
    expect(order(sortHeads(heads, 'induction', 'desc'))).toEqual(['1.0', '0.0', '0.1', '1.1']);
    expect(order(sortHeads(heads, 'induction', 'asc'))).toEqual(['0.0', '1.0', '0.1', '1.1']);
  });

  it('does not change its input', () => {
    const before = order(heads);
    sortHeads(heads, 'previousToken', 'desc');
    expect(order(heads)).toEqual(before);
  });

  it('starts scores from the highest and positions from the first', () => {
    expect(initialDir('layer')).toBe('asc');
    expect(initialDir('induction')).toBe('desc');
  });
});

describe('model facts', () => {
  it('groups layers whose attention came the same way', () => {
    const soft = { kind: 'softmax' as const, text: 'Softmax output of the graph' };
    const gone = { kind: 'unavailable' as const, text: 'unavailable: fused' };
    expect(groupAttention([soft, soft, gone, soft])).toEqual([
      { kind: 'softmax', text: 'Softmax output of the graph', layers: 'Layers 0–1, 3' },
      { kind: 'unavailable', text: 'unavailable: fused', layers: 'Layer 2' },
    ]);
  });

  it('formats counts as people say them', () => {
    const nb = (s: string) => s.replace(/\u00a0/g, ' ');
    expect(nb(formatCount(950))).toBe('950');
    expect(nb(formatCount(111_836))).toBe('112 k');
    expect(nb(formatCount(5_300_000))).toBe('5.3 M');
    expect(nb(formatCount(124_439_808))).toBe('124 M');
    expect(nb(formatCount(999_950))).toBe('1 M');
    expect(nb(formatCount(1_500_000_000))).toBe('1.5 B');
    expect(formatCount(NaN)).toBe('—');
  });

  it('formats sizes in binary units', () => {
    const nb = (s: string) => s.replace(/\u00a0/g, ' ');
    expect(nb(formatBytes(512))).toBe('512 B');
    expect(nb(formatBytes(459_393))).toBe('449 KB');
    expect(nb(formatBytes(5.3 * 1024 * 1024))).toBe('5.3 MB');
    expect(nb(formatBytes(1_048_000))).toBe('1 MB');
    expect(nb(formatBytes(2.5 * 1024 ** 3))).toBe('2.5 GB');
  });

  it('formats norms to about four digits with a real minus', () => {
    expect(formatNorm(8.7341)).toBe('8.734');
    expect(formatNorm(152.34)).toBe('152.3');
    expect(formatNorm(3123.4)).toBe('3123');
    expect(formatNorm(-0.17)).toBe('−0.170');
    expect(formatNorm(NaN)).toBe('—');
  });

  it('names recent models by their folder', () => {
    expect(recentLabel('/home/me/models/gpt2-onnx')).toBe('gpt2-onnx');
    expect(recentLabel('/home/me/models/gpt2-onnx/')).toBe('gpt2-onnx');
    expect(recentLabel('/m/Qwen2.5-0.5B-Instruct/onnx/model_q4.onnx')).toBe('Qwen2.5-0.5B-Instruct/model_q4.onnx');
    expect(recentLabel('C:\\models\\phi\\model.onnx')).toBe('phi/model.onnx');
    expect(recentLabel('model.onnx')).toBe('model.onnx');
  });
});
