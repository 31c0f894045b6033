// Every attention form exporters produce, on small random models built for the test: the engine
// must find the attention, say how it got it, and pass the same identities as on real exports.
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenStats } from '../../src/engine/analysis';
import { LoadedModel } from '../../src/engine/loadedModel';
import type { Analysis } from '../../src/engine/types';
import { buildDecoder, type AttentionForm } from '../helpers/decoderBuilder';
import { avError, expectCausalProbabilityRows, expectLensEqualsLogits } from '../helpers/identities';
import { writeModelFolder } from '../helpers/modelFolder';
import { BACKENDS } from '../helpers/backends';
import { hookGroups } from '../../src/shared/hooks';

const TEXT = 'the cat sat on the mat. the cat sat on the hat.';

const FORMS: { form: AttentionForm; source: string; window?: number }[] = [
  { form: 'unfused', source: 'softmax' },
  { form: 'fused-attention', source: 'Attention' },
  { form: 'mha', source: 'MultiHeadAttention' },
  { form: 'mha-rope', source: 'MultiHeadAttention' },
  { form: 'gqa', source: 'GroupQueryAttention' },
  { form: 'gqa-packed', source: 'GroupQueryAttention' },
  { form: 'gqa-window-softcap', source: 'GroupQueryAttention', window: 3 },
];

// The same engine runs on ONNX Runtime's WebAssembly build and, where installed, its native build.
const CASES = BACKENDS.flatMap((backend) => FORMS.map((f) => ({ ...f, backend })));

describe.each(CASES)('$form attention on $backend', ({ form, source, window, backend }) => {
  let model: LoadedModel;
  let analysis: Analysis;
  beforeAll(async () => {
    model = await LoadedModel.load(writeModelFolder(form, buildDecoder({ attention: form })), { backend, threads: 1 });
    analysis = await model.analyze(TEXT, { hooks: [...hookGroups.attention, ...hookGroups.activations], lens: true });
  });

  it('says how the attention of every layer was obtained', () => {
    expect(model.info.layers).toBe(2);
    for (const layer of model.info.layerInfo) {
      const a = layer.attention;
      expect(a.kind === 'softmax' ? 'softmax' : a.kind === 'recomputed' ? a.op : a.reason).toBe(source);
    }
  });

  it('gives causal probability rows for every head', () => {
    for (let L = 0; L < 2; L++) expectCausalProbabilityRows(analysis.activations[`blocks.${L}.attn.hook_pattern`], window);
  });

  it('reproduces the attention output of the model from the pattern (A·V = z)', () => {
    for (let L = 0; L < 2; L++) {
      const a = analysis.activations;
      expect(avError(a[`blocks.${L}.attn.hook_pattern`], a[`blocks.${L}.attn.hook_v`], a[`blocks.${L}.attn.hook_z`])).toBeLessThan(1e-4);
    }
  });

  it("computes each token's probability, rank, entropy and the top predictions in the graph, as the logits say", async () => {
    const a = await model.analyze(TEXT, { logits: true, topK: 5 });
    const expected = tokenStats(
      a.logits!.data,
      a.tokens.length,
      a.logits!.shape[1],
      a.tokens.map((t) => t.id),
      5,
    );
    for (const key of ['prob', 'entropy', 'topProbs'] as const) {
      a[key].forEach((x, i) => (Number.isNaN(expected[key][i]) ? expect(x).toBeNaN() : expect(Math.abs(x - expected[key][i])).toBeLessThan(1e-5)));
    }
    expect(Array.from(a.rank)).toEqual(Array.from(expected.rank));
    expect(Array.from(a.topIds)).toEqual(Array.from(expected.topIds));
  });

  it('ends the logit lens at the logits', () => {
    expect(analysis.lens!.rows).toBe(3);
    expectLensEqualsLogits(analysis);
  });

  it('runs the lens on the last token alone, fewer rows than the lens has chunks', async () => {
    const last = analysis.tokens[analysis.tokens.length - 1];
    const part = await model.analyze(TEXT, { selectionStart: last.start, lens: 'selection' });
    expect(part.firstSelected).toBe(analysis.tokens.length - 1);
    const full = analysis.lens!;
    const lens = part.lens!;
    const n = analysis.tokens.length;
    expect(lens.from).toBe(n - 1);
    expect(lens.ids.length).toBe(lens.rows * lens.k);
    expect(lens.probs.length).toBe(lens.rows * lens.k);
    for (let r = 0; r < lens.rows; r++) {
      for (let j = 0; j < lens.k; j++) {
        expect(lens.ids[r * lens.k + j]).toBe(full.ids[(r * n + n - 1) * full.k + j]);
        expect(lens.probs[r * lens.k + j]).toBeCloseTo(full.probs[(r * n + n - 1) * full.k + j], 6);
      }
    }
  });

  it('runs the lens on the tokens from a character on, with the same numbers', async () => {
    const part = await model.analyze(TEXT, { selectionStart: 24, lens: 'selection' });
    const full = analysis.lens!;
    const lens = part.lens!;
    expect(lens.from).toBe(24);
    const n = analysis.tokens.length;
    for (let r = 0; r < lens.rows; r++) {
      for (let p = lens.from; p < n; p++) {
        expect(lens.ids[(r * (n - lens.from) + p - lens.from) * lens.k]).toBe(full.ids[(r * n + p) * full.k]);
      }
    }
  });

  it('exposes the residual stream and MLP activations under TransformerLens names', () => {
    const positions = analysis.tokens.length;
    const a = analysis.activations;
    expect(a['blocks.0.hook_resid_pre'].shape).toEqual([positions, model.info.dModel]);
    expect(a['blocks.1.hook_resid_pre']).toBe(a['blocks.0.hook_resid_post']);
    expect(a['blocks.1.mlp.hook_post'].shape).toEqual([positions, 64]);
    expect(a['blocks.1.attn.hook_q'].shape).toEqual([positions, 4, model.info.dHead]);
  });
});

describe('an attention the engine does not know', () => {
  it('marks attention unavailable with the reason and keeps probabilities, activations and lens', async () => {
    const model = await LoadedModel.load(writeModelFolder('manual', buildDecoder({ attention: 'manual-softmax' })), { backend: 'wasm', threads: 1 });
    for (const layer of model.info.layerInfo) {
      expect(layer.attention).toEqual({ kind: 'unavailable', reason: 'no Softmax or fused attention operator was found in this block' });
    }
    const a = await model.analyze(TEXT, { hooks: [...hookGroups.attention, ...hookGroups.activations], lens: true });
    expect(a.activations['blocks.0.attn.hook_pattern']).toBeUndefined();
    expect(a.prob[1]).toBeGreaterThan(0);
    expect(a.activations['blocks.1.hook_resid_post']).toBeDefined();
    expectLensEqualsLogits(a);
  });
});

describe.each(['unfused', 'fused-attention', 'mha', 'gqa'] as const)('%s attention of a float16 model', (form) => {
  it('is found, recomputed where fused, and passes the identities to half precision', async () => {
    const model = await LoadedModel.load(writeModelFolder(`${form}-fp16`, buildDecoder({ attention: form, float16: true })), { backend: 'wasm', threads: 1 });
    expect(model.info.precision).toBe('float16');
    expect(model.info.layerInfo.every((l) => l.attention.kind !== 'unavailable')).toBe(true);
    const a = await model.analyze(TEXT, { hooks: [...hookGroups.attention, ...hookGroups.activations], lens: true });
    // Results are float32 whatever the model computes in.
    expect(a.activations['blocks.0.attn.hook_pattern'].data).toBeInstanceOf(Float32Array);
    for (let L = 0; L < 2; L++) {
      const t = a.activations;
      expectCausalProbabilityRows(t[`blocks.${L}.attn.hook_pattern`], Infinity, 5e-3);
      expect(avError(t[`blocks.${L}.attn.hook_pattern`], t[`blocks.${L}.attn.hook_v`], t[`blocks.${L}.attn.hook_z`])).toBeLessThan(1e-2);
    }
    expectLensEqualsLogits(a, 2e-2);
  });
});

describe('the logit lens on a long text', () => {
  it('runs on the last positions only when all of them would not fit its memory budget', async () => {
    // 3 lens rows × 64 vocabulary × 4 bytes = 768 bytes a position: room for 10.
    const model = await LoadedModel.load(writeModelFolder('lens-budget', buildDecoder({ attention: 'unfused' })), {
      backend: 'wasm',
      threads: 1,
      lensLogitsBytes: 7680,
    });
    const a = await model.analyze(TEXT, { lens: true });
    expect(a.lens!.from).toBe(a.tokens.length - 10);
    expectLensEqualsLogits(a);
  });
});
