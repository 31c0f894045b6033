// The step-by-step view's numbers, on real models: every step it recomputes matches the model's
// own tensor (norms from the stream alone, the residual sums, the activation function, the
// softmax), and a step whose input is wrong is shown as failing, not hidden.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import type { Analysis, TensorData } from '../../src/engine/types';
import { buildWalkView } from '../../src/panels/walkView';
import type { WalkCheck, WalkView } from '../../src/protocol';
import { hooks } from '../../src/shared/hooks';
import { DEFAULT_MODEL, exists, TINY_GPT2 } from '../helpers/paths';

const OPTIONS = { activations: true, blockHooks: true, logits: true, topK: 10 } as const;

function checks(view: WalkView): WalkCheck[] {
  const all = [view.input.check, view.output.check, view.output.norm?.check];
  for (const b of view.blocks) all.push(b.ln1?.check, b.ln2?.check, b.midCheck, b.postCheck, b.mlp?.check);
  return all.filter((c): c is WalkCheck => !!c);
}

function walk(model: LoadedModel, analysis: Analysis, position: number): WalkView {
  return buildWalkView({ id: 1, analysis, info: model.info, position, document: { uri: 'file:///x.ts', name: 'x.ts' }, baseOffset: 0 });
}

const MODELS = [
  { name: 'the default model', folder: DEFAULT_MODEL, present: true, text: 'export function add(a: number, b: number) {\n  return a + b;\n}', checksPerBlock: 5 },
  // ONNX Runtime's fused form: EmbedLayerNormalization, SkipLayerNormalization, FastGelu; a random
  // tokenizer's ids beyond its table of 1000 rows, so letters only.
  { name: 'tiny-random-gpt2 (fused)', folder: TINY_GPT2, present: exists(TINY_GPT2), text: 'a b c d e f g h a b c d e f g h', checksPerBlock: 5 },
];

describe.each(MODELS)('the walk through $name', ({ folder, present, text, checksPerBlock }) => {
  let model: LoadedModel;
  let analysis: Analysis;
  beforeAll(async () => {
    if (!present) return;
    model = await LoadedModel.load(folder, { backend: 'wasm', threads: 1 });
    analysis = await model.analyze(text, OPTIONS);
  });
  afterAll(() => model?.release());

  it.skipIf(!present)('recomputes every step of every block and finds the model’s own numbers', () => {
    for (const position of [1, analysis.tokens.length - 1]) {
      const view = walk(model, analysis, position);
      const all = checks(view);
      // H⁰, the softmax, ln_final, and per block: ln1, ln2, both sums and the activation function.
      expect(all).toHaveLength(3 + checksPerBlock * model.info.layers);
      for (const c of all) expect(c.error, `${c.what} at position ${position}`).toBeLessThanOrEqual(c.tolerance);
    }
  });

  it.skipIf(!present)('shows the token’s vectors at their sizes, and the model’s top predictions in order', () => {
    const p = 5;
    const view = walk(model, analysis, p);
    const { dModel, dMlp } = model.info;
    expect(view.input.h0).toHaveLength(dModel);
    expect(view.input.h0).toEqual(Array.from(analysis.activations[hooks.residPre(0)].data.subarray(p * dModel, (p + 1) * dModel)));
    for (const b of view.blocks) {
      expect(b.attnOut).toHaveLength(dModel);
      expect(b.mlp?.post).toHaveLength(dMlp);
      expect(b.mlp?.top).toHaveLength(10);
      expect(Math.abs(b.mlp!.top[0].value)).toBeGreaterThanOrEqual(Math.abs(b.mlp!.top[9].value));
    }
    expect(new Float32Array(view.output.logits)).toHaveLength(analysis.vocab);
    expect(view.output.top.map((t) => t.id)).toEqual(Array.from(analysis.topIds.subarray(p * 10, p * 10 + 10)));
  });

  it.skipIf(!present)('draws the position vectors’ similarity: 1 on the diagonal, symmetric', () => {
    const view = walk(model, analysis, 12);
    const s = view.input.similarity!;
    expect(s.count).toBe(13);
    for (let i = 0; i < s.count; i++) {
      expect(s.values[i * s.count + i]).toBeCloseTo(1, 6);
      for (let j = 0; j < s.count; j++) expect(s.values[i * s.count + j]).toBeCloseTo(s.values[j * s.count + i], 9);
    }
  });

  it.skipIf(!present)('shows a check failing when a tensor is not what the model computed', () => {
    const tampered = (name: string, t: TensorData): Analysis => ({ ...analysis, activations: { ...analysis.activations, [name]: { shape: t.shape, data: t.data.map((x) => x + 0.5) } } });
    const gamma = hooks.normWeight(1, 'ln2', 'w');
    expect(walk(model, tampered(gamma, analysis.activations[gamma]), 4).blocks[1].ln2!.check!.error).toBeGreaterThan(1e-2);
    const attnOut = hooks.attnOut(0);
    expect(walk(model, tampered(attnOut, analysis.activations[attnOut]), 4).blocks[0].midCheck!.error).toBeGreaterThan(1e-2);
  });
});
