// The side panel's data, from a hand-made analysis whose numbers are known.
import { describe, expect, it } from 'vitest';
import type { Analysis, ModelInfo } from '../../src/engine/types';
import type { ModelView } from '../../src/shared/protocol';
import { exportSection, residualNorms, sideAnalysisView, topNeurons, type SelectedText } from '../../src/host/views/sideViewData';

/** Three tokens "<s>", "x", " y" (the selection is " y" and "x"), one layer, d_model 2, d_mlp 3. */
function selected(): SelectedText {
  const s = 3;
  const analysis = {
    modelName: 'm',
    droppedChars: 0,
    tokens: [
      { id: 0, text: '<s>', start: 0, end: 0, special: true },
      { id: 5, text: 'x', start: 0, end: 1, special: false },
      { id: 6, text: ' y', start: 1, end: 3, special: false },
    ],
    exactOffsets: true,
    predicts: 'next',
    firstSelected: 1,
    prob: Float32Array.from([NaN, 0.5, 0.25]),
    rank: Int32Array.from([0, 1, 3]),
    entropy: new Float32Array(s),
    topIds: new Int32Array(s),
    topProbs: new Float32Array(s),
    topK: 1,
    activations: {
      'blocks.0.hook_resid_pre': { shape: [s, 2], data: Float32Array.from([0, 0, 3, 4, 6, 8]) },
      'blocks.0.hook_resid_post': { shape: [s, 2], data: Float32Array.from([1, 0, 0, 1, 5, 12]) },
      'blocks.0.mlp.hook_post': { shape: [s, 3], data: Float32Array.from([0, 0, 0, 0.5, -2, 1.5, 3, 1, 2]) },
      // Head 0 is a perfect previous-token head.
      'blocks.0.attn.hook_pattern': { shape: [1, s, s], data: Float32Array.from([1, 0, 0, 1, 0, 0, 0, 1, 0]) },
    },
    // Two lens rows (embedding, after block 0), k = 2.
    lens: {
      rows: 2,
      k: 2,
      from: 0,
      ids: Int32Array.from([1, 2, 5, 6, 7, 8, 9, 9, 6, 5, 8, 7]),
      probs: Float32Array.from([0.6, 0.1, 0.5, 0.2, 0.4, 0.3, 0.9, 0.1, 0.8, 0.1, 0.7, 0.2]),
    },
    pieces: { 1: 'a', 2: 'b', 5: 'x', 6: ' y', 7: 'z', 8: 'w', 9: 'q' },
    vocab: 10,
    forwardMs: 1,
    backend: 'wasm',
  } satisfies Analysis;
  const info = { name: 'm', layers: 1 } as ModelInfo;
  return { id: 1, analysis, info, document: { uri: 'file:///a', name: 'a' }, baseOffset: 10 };
}

describe('side panel data', () => {
  const s = selected();

  it('starts at the first selected token', () => {
    expect(s.analysis.firstSelected).toBe(1);
  });

  it('gives the residual-stream norm per layer row and selected token', () => {
    expect(Array.from(residualNorms(s)!)).toEqual([5, 10, 1, 13]);
  });

  it('ranks the MLP neurons of a token by activation', () => {
    expect(topNeurons(s, 0, 0)).toEqual([
      { index: 2, value: 1.5 },
      { index: 0, value: 0.5 },
      { index: 1, value: -2 },
    ]);
    expect(topNeurons(s, 0, 1, 1)).toEqual([{ index: 0, value: 3 }]);
  });

  it('cuts the lens to the selected tokens and names its predictions; the last row is the model output', () => {
    const view = sideAnalysisView(s);
    expect(Array.from(new Int32Array(view.lens!.ids))).toEqual([5, 6, 7, 8, 6, 5, 8, 7]);
    expect(view.lens!.pieces[8]).toBe('w');
    expect(view.heads).toEqual([{ layer: 0, head: 0, previousToken: 1, firstToken: 0.5, self: 0, induction: NaN }]);
    expect(view.tokens.map((t) => [t.text, t.start, t.end, t.prob])).toEqual([
      ['x', 10, 11, 0.5],
      [' y', 11, 13, 0.25],
    ]);
  });

  it('exports each section as CSV and JSON', () => {
    const view = sideAnalysisView(s);
    expect(exportSection(view, undefined, 'activations', 'csv')).toBe('layer,x, y\r\nembedding,5,10\r\nafter block 0,1,13\r\n');
    expect(exportSection(view, undefined, 'heads', 'csv')!.split('\r\n')[1]).toBe('0,0,1,0.5,,0');
    expect(JSON.parse(exportSection(view, undefined, 'lens', 'json')!).rows[1].predictions[1][0]).toEqual({ token: 'w', prob: expect.closeTo(0.7, 5) });
    expect(exportSection(undefined, undefined, 'heads', 'csv')).toBeUndefined();
  });

  it('writes token text and model names that a spreadsheet would run as formulas as text; numbers stay numbers', () => {
    const hostile = selected();
    hostile.analysis.tokens[1].text = '=1+1';
    hostile.analysis.tokens[2].text = '@SUM(A1)';
    hostile.analysis.pieces[7] = '+cmd';
    const view = sideAnalysisView(hostile);
    expect(exportSection(view, undefined, 'activations', 'csv')).toBe("layer,'=1+1,'@SUM(A1)\r\nembedding,5,10\r\nafter block 0,1,13\r\n");
    expect(exportSection(view, undefined, 'lens', 'csv')!.split('\r\n')[0]).toBe("layer,'=1+1,'@SUM(A1)");
    expect(exportSection(view, undefined, 'lens', 'csv')!.split('\r\n')[1]).toBe("embedding,x (0.5000),'+cmd (0.4000)");
    const model = { name: '-2+3', layers: 1, heads: -1 } as unknown as ModelView;
    expect(exportSection(undefined, model, 'model', 'csv')).toBe("property,value\r\nname,'-2+3\r\nlayers,1\r\nheads,-1\r\n");
  });
});
