// What the attention panel is sent, from a hand-made analysis whose numbers are known.
import { describe, expect, it } from 'vitest';
import type { Analysis, ModelInfo } from '../../src/engine/types';
import {
  attentionCsv,
  attentionJson,
  attentionMatrix,
  buildAttentionView,
  headAblation,
  headDetail,
  logProbChange,
  type ExplainedText,
} from '../../src/host/panels/attentionView';

/** Four tokens "<s>", "a", " b", " c" over the text "a b c"; 2 heads, 1 layer, d_head 2. */
function explained(overrides: Partial<ExplainedText> = {}): ExplainedText {
  const s = 4;
  const heads = 2;
  // Head 0 attends to the previous token (BOS for the first), head 1 uniformly to what it can see.
  const pattern = new Float32Array(heads * s * s);
  for (let q = 0; q < s; q++) {
    pattern[q * s + Math.max(0, q - 1)] = 1;
    for (let k = 0; k <= q; k++) pattern[(s + q) * s + k] = 1 / (q + 1);
  }
  const perHead = (seed: number) => ({ shape: [s, heads, 2], data: Float32Array.from({ length: s * heads * 2 }, (_, i) => seed + i) });
  const analysis = {
    modelName: 'm',
    droppedChars: 0,
    tokens: [
      { id: 0, text: '<s>', start: 0, end: 0, special: true },
      { id: 1, text: 'a', start: 0, end: 1, special: false },
      { id: 2, text: ' b', start: 1, end: 3, special: false },
      { id: 3, text: ' c', start: 3, end: 5, special: false },
    ],
    exactOffsets: true,
    predicts: 'next',
    // As the engine finds it for the selection (document offset 101 = text offset 1): ' b'; from 100: 'a'.
    firstSelected: overrides.selection?.start === 100 ? 1 : 2,
    prob: Float32Array.from([NaN, 0.5, 0.25, 0.125]),
    rank: Int32Array.from([0, 1, 2, 3]),
    entropy: new Float32Array(s),
    topIds: new Int32Array(s),
    topProbs: new Float32Array(s),
    topK: 1,
    activations: {
      'blocks.0.attn.hook_pattern': { shape: [heads, s, s], data: pattern },
      'blocks.0.attn.hook_q': perHead(0),
      'blocks.0.attn.hook_k': perHead(100),
      'blocks.0.attn.hook_v': perHead(200),
      'blocks.0.attn.hook_z': perHead(300),
    },
    rollout: { shape: [1, s, s], data: Float32Array.from({ length: s * s }, (_, i) => i) },
    pieces: {},
    vocab: 4,
    forwardMs: 1,
    backend: 'wasm',
  } satisfies Analysis;
  const info = {
    name: 'm',
    layers: 1,
    heads: 2,
    dHead: 2,
    positions: 64,
    layerInfo: [{ attention: { kind: 'softmax' } }],
    interventionHooks: ['blocks.0.attn.hook_z'],
  } as unknown as ModelInfo;
  // The document has 100 characters before the analysed text; the selection is " b c".
  return {
    id: 7,
    text: 'a b c',
    analysis,
    info,
    document: { uri: 'file:///x.ts', name: 'x.ts' },
    baseOffset: 100,
    selection: { start: 101, end: 105 },
    maxTokens: 10,
    ...overrides,
  };
}

describe('buildAttentionView', () => {
  it('explains the selected tokens, keeps the context as keys, and places tokens in the document', () => {
    const view = buildAttentionView(explained());
    expect(view.queryStart).toBe(2);
    expect(view.queryCount).toBe(2);
    expect(view.tokens.map((t) => [t.text, t.start, t.end])).toEqual([
      ['<s>', 100, 100],
      ['a', 100, 101],
      [' b', 101, 103],
      [' c', 103, 105],
    ]);
    expect(view.tokens[0].prob).toBeNull();
    expect(view.notes).toEqual([]);
    // Rows of the explained queries, every key: head 0 row " b" points at "a".
    expect(Array.from(new Float32Array(view.layers[0].pattern!).subarray(0, 4))).toEqual([0, 1, 0, 0]);
    expect(view.layers[0].scores![0].previousToken).toBeCloseTo(1);
  });

  it('explains only the last maxTokens tokens of a long selection, and says so', () => {
    const view = buildAttentionView(explained({ selection: { start: 100, end: 105 }, maxTokens: 2 }));
    expect(view.queryStart).toBe(2);
    expect(view.notes[0]).toBe('Explaining the last 2 of 3 selected tokens (setting modelLens.maxTokens).');
  });

  it('says when the selection did not fit the model window', () => {
    const e = explained({ selection: { start: 100, end: 105 } });
    e.analysis.droppedChars = 2;
    expect(buildAttentionView(e).notes[0]).toContain("longer than the model's window of 64 tokens");
  });
});

describe('buildAttentionView for a bidirectional model (an encoder)', () => {
  /** Every token attends to every token: row q gives each key k the weight (k + 1) / 10. */
  function encoder(): ExplainedText {
    const e = explained();
    const s = 4;
    const pattern = new Float32Array(2 * s * s);
    for (let i = 0; i < 2 * s * s; i++) pattern[i] = ((i % s) + 1) / 10;
    e.analysis.activations['blocks.0.attn.hook_pattern'] = { shape: [2, s, s], data: pattern };
    e.info = { ...e.info, bidirectional: true, predicts: 'masked' };
    return e;
  }

  it('says the attention is bidirectional, and that the text after the selection was not read', () => {
    const view = buildAttentionView(encoder());
    expect(view.model.bidirectional).toBe(true);
    expect(view.notes).toHaveLength(1);
    expect(view.notes[0]).toContain('both directions');
    expect(view.notes[0]).toContain('Only the text up to the end of the selection was analysed');
    expect(buildAttentionView(explained()).model.bidirectional).toBe(false);
  });

  it('sends and exports the weights of keys after each query', () => {
    const view = buildAttentionView(encoder());
    // Query " b" (token 2) weighs " c" (token 3), after it.
    const row = Array.from(attentionMatrix(view, 0, 0)!.subarray(0, 4));
    expect(row).toEqual([0.1, 0.2, 0.3, 0.4].map(Math.fround));
    const json = JSON.parse(attentionJson(view, 0, 0)!);
    expect(json.weights[0][3]).toBeCloseTo(0.4, 6);
    expect(attentionCsv(view, 0, 0)!.split('\r\n')[1]).toBe(' b,0.1,0.2,0.3,0.4');
  });
});

describe('attention matrices and exports', () => {
  const e = explained();
  const view = buildAttentionView(e);

  it('gives one head, the mean of the heads, and the rollout rows of the explained tokens', () => {
    expect(Array.from(attentionMatrix(view, 0, 1)!)).toEqual([1 / 3, 1 / 3, 1 / 3, 0, 0.25, 0.25, 0.25, 0.25].map(Math.fround));
    expect(attentionMatrix(view, 0, 'mean')![1]).toBeCloseTo((1 + 1 / 3) / 2);
    expect(Array.from(attentionMatrix(view, 0, 'rollout')!)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(attentionMatrix(view, 0, 5)).toBeUndefined();
  });

  it('writes JSON with tokens and weights, and CSV with quoted token text', () => {
    const json = JSON.parse(attentionJson(view, 0, 0)!);
    expect(json.queries.map((q: { text: string }) => q.text)).toEqual([' b', ' c']);
    expect(json.weights).toEqual([
      [0, 1, 0, 0],
      [0, 0, 1, 0],
    ]);
    const csv = attentionCsv(view, 0, 0)!.split('\r\n');
    expect(csv[0]).toBe('query \\ key,<s>,a, b, c');
    expect(csv[1]).toBe(' b,0,1,0,0');
    expect(attentionCsv(view, 0, 1)!.split('\r\n')[1]).toBe(' b,0.333333,0.333333,0.333333,0');
  });

  it('writes token text that a spreadsheet would run as a formula as text', () => {
    const hostile = explained();
    hostile.analysis.tokens[2].text = '=HYPERLINK("https://example.invalid")';
    hostile.analysis.tokens[3].text = '-1+2';
    const csv = attentionCsv(buildAttentionView(hostile), 0, 0)!.split('\r\n');
    expect(csv[0]).toBe(`query \\ key,<s>,a,"'=HYPERLINK(""https://example.invalid"")",'-1+2`);
    expect(csv[1]).toBe(`"'=HYPERLINK(""https://example.invalid"")",0,1,0,0`);
    expect(csv[2]).toBe("'-1+2,0,0,1,0");
  });

  it("gives one head's Q, K, V and z for the math view", () => {
    const detail = headDetail(e, 0, 1)!;
    expect(detail.dHead).toBe(2);
    expect(detail.scale).toBeCloseTo(1 / Math.SQRT2);
    // Position 0 of head 1 sits at [0, 1, :] = elements 2 and 3.
    expect(Array.from(new Float32Array(detail.q)).slice(0, 4)).toEqual([2, 3, 6, 7]);
    expect(Array.from(new Float32Array(detail.z)).slice(0, 2)).toEqual([302, 303]);
  });
});

describe('switching heads off', () => {
  it('offers the heads of layers the model can intervene at', () => {
    expect(buildAttentionView(explained()).ablatable).toEqual([true]);
    const e = explained();
    expect(buildAttentionView({ ...e, info: { ...e.info, interventionHooks: [] } }).ablatable).toEqual([false]);
  });

  it('groups heads into one intervention per layer at hook_z', () => {
    const e = explained();
    const info = { ...e.info, layers: 3, heads: 4, interventionHooks: ['blocks.0.attn.hook_z', 'blocks.2.attn.hook_z'] };
    expect(
      headAblation(
        info,
        [
          { layer: 2, head: 3 },
          { layer: 0, head: 1 },
          { layer: 2, head: 0 },
        ],
        'mean',
      ),
    ).toEqual([
      { hook: 'blocks.0.attn.hook_z', mode: 'mean', indices: [1] },
      { hook: 'blocks.2.attn.hook_z', mode: 'mean', indices: [0, 3] },
    ]);
    expect(headAblation(info, [], 'zero')).toEqual([]);
  });

  it('refuses heads the model lacks or cannot intervene at', () => {
    const e = explained();
    const info = { ...e.info, layers: 2, heads: 2, interventionHooks: ['blocks.0.attn.hook_z'] };
    expect(headAblation(info, [{ layer: 1, head: 0 }], 'zero')).toMatch(/cannot switch off heads of layer 1.*blocks\.1\.attn\.hook_z/);
    expect(headAblation(info, [{ layer: 0, head: 2 }], 'zero')).toMatch(/no head 2 in layer 0/);
    expect(headAblation(info, [{ layer: 5, head: 0 }], 'zero')).toMatch(/no head 0 in layer 5/);
  });

  it('measures the change in log2 probability, NaN where nothing was predicted', () => {
    const change = logProbChange(Float32Array.from([NaN, 0.5, 0.25, 0.1]), Float32Array.from([NaN, 0.25, 0.25, 0.4]));
    expect(change[0]).toBeNaN();
    expect(Array.from(change.subarray(1))).toEqual([-1, 0, expect.closeTo(2, 6)]);
  });
});
