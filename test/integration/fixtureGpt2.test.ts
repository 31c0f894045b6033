// A real exporter's output: GPT-2 optimized by ONNX Runtime's transformer tools, with fused
// Attention, SkipLayerNormalization, EmbedLayerNormalization and KV-cache inputs
// (../shared/fixtures/tiny-random-gpt2, see its SOURCE.md).
import { beforeAll, describe, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import type { Analysis } from '../../src/engine/types';
import { avError, expectCausalProbabilityRows, expectLensEqualsLogits } from '../helpers/identities';
import { exists, TINY_GPT2 } from '../helpers/paths';
import { hookGroups } from '../../src/shared/hooks';

const present = exists(TINY_GPT2);
if (!present) console.warn(`SKIPPED: the shared fixture ${TINY_GPT2} is not there (.ci/run requires it).`);

describe.skipIf(!present)('tiny-random-gpt2, fused by ONNX Runtime', () => {
  let model: LoadedModel;
  let analysis: Analysis;
  beforeAll(async () => {
    model = await LoadedModel.load(TINY_GPT2, { backend: 'wasm', threads: 1 });
    // Its tokenizer is GPT-2's; only ids below 1,000 exist in this tiny model.
    analysis = await model.analyze('a b c d e f g h a b c d e f g h', { hooks: [...hookGroups.attention, ...hookGroups.activations], lens: true });
  });

  it('reads its shape from the graph', () => {
    const { layers, heads, dHead, dModel, dMlp, vocab, positions } = model.info;
    expect({ layers, heads, dHead, dModel, dMlp, vocab, positions }).toEqual({
      layers: 5,
      heads: 4,
      dHead: 8,
      dModel: 32,
      dMlp: 128,
      vocab: 1000,
      positions: 512,
    });
  });

  it('recomputes the attention of every fused Attention node', () => {
    for (const layer of model.info.layerInfo) expect(layer.attention).toMatchObject({ kind: 'recomputed', op: 'Attention' });
  });

  it('gives causal probability rows', () => {
    for (let L = 0; L < 5; L++) expectCausalProbabilityRows(analysis.activations[`blocks.${L}.attn.hook_pattern`]);
  });

  it("reproduces each fused node's own output from the recomputed pattern to 1e-4", () => {
    const a = analysis.activations;
    for (let L = 0; L < 5; L++) {
      expect(avError(a[`blocks.${L}.attn.hook_pattern`], a[`blocks.${L}.attn.hook_v`], a[`blocks.${L}.attn.hook_z`])).toBeLessThan(1e-4);
    }
  });

  it("ends the logit lens at the model's logits to 1e-4", () => {
    expect(analysis.lens!.rows).toBe(6);
    expectLensEqualsLogits(analysis, 1e-4);
  });

  it('exposes the residual stream, including the sum the last fused norm keeps to itself', () => {
    const a = analysis.activations;
    expect(a['blocks.0.hook_resid_pre'].shape).toEqual([analysis.tokens.length, 32]);
    expect(a['blocks.4.hook_resid_post'].shape).toEqual([analysis.tokens.length, 32]);
    expect(a['blocks.4.mlp.hook_post'].shape).toEqual([analysis.tokens.length, 128]);
  });
});
