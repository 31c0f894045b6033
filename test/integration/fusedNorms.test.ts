// Fused norms as exporters write them: ONNX Runtime's Skip(Simplified)LayerNormalization with the
// residual stream in either operand, the final norm without its sum output, and a plain
// (Simplified)LayerNormalization right after the embedding. The same weights written with plain
// ONNX Add and norm nodes are the independent reference: every residual stream, MLP activation,
// logit and lens row the engine reports on a fused model must equal the plain model's.
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeRuntimeInstalled } from '../../src/host/backendChoice';
import { LoadedModel } from '../../src/engine/loadedModel';
import type { Analysis, TensorData } from '../../src/engine/types';
import { buildDecoder, type AttentionForm, type DecoderOptions } from '../helpers/decoderBuilder';
import { expectLensEqualsLogits } from '../helpers/identities';
import { writeModelFolder } from '../helpers/modelFolder';
import { hookGroups } from '../../src/shared/hooks';

const TEXT = 'the cat sat on the mat. the cat sat';
const BACKEND = nativeRuntimeInstalled() ? 'native' : 'wasm';
const FORMS: AttentionForm[] = ['unfused', 'mha-rope', 'gqa'];
const NORMS = ['fused-residual-second', 'fused-residual-first'] as const;
const CASES: { attention: AttentionForm; norms: DecoderOptions['norms']; rms: boolean; float16?: boolean; tolerance: number }[] = [
  ...FORMS.flatMap((attention) => NORMS.flatMap((norms) => [false, true].map((rms) => ({ attention, norms, rms, tolerance: 1e-4 })))),
  // onnxruntime-genai's Llama export: fp16, RMS norms, MultiHeadAttention after RotaryEmbedding.
  { attention: 'mha-rope', norms: 'fused-residual-first', rms: true, float16: true, tolerance: 2e-2 },
];

async function analyse(options: DecoderOptions): Promise<{ model: LoadedModel; analysis: Analysis }> {
  const model = await LoadedModel.load(writeModelFolder(`${options.attention}-${options.norms}`, buildDecoder(options)), { backend: BACKEND, threads: 1 });
  const analysis = await model.analyze(TEXT, { hooks: [...hookGroups.attention, ...hookGroups.activations], lens: true, logits: true });
  return { model, analysis };
}

function maxDifference(a: TensorData, b: TensorData): number {
  expect(a.shape).toEqual(b.shape);
  let max = 0;
  for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(a.data[i] - b.data[i]));
  return max;
}

describe.each(CASES)('$norms norms (rms: $rms, float16: $float16) with $attention attention', ({ attention, norms, rms, float16, tolerance }) => {
  let fused: { model: LoadedModel; analysis: Analysis };
  let plain: { model: LoadedModel; analysis: Analysis };
  beforeAll(async () => {
    fused = await analyse({ attention, norms, rms, float16 });
    plain = await analyse({ attention, norms: 'plain', rms, float16 });
  });

  it('finds the residual stream and the shape of the model', () => {
    expect(fused.model.info.notes.join(' ')).not.toContain('residual stream could not be traced');
    expect(fused.model.info.dModel).toBe(plain.model.info.dModel);
    expect(fused.model.info.dMlp).toBe(plain.model.info.dMlp);
    expect(fused.model.info.dModel).toBeGreaterThan(0);
    expect(fused.model.info.dMlp).toBeGreaterThan(0);
  });

  it('reports the residual stream and MLP activations of the plain model', () => {
    const names = Object.keys(plain.analysis.activations).filter((n) => /hook_resid_post|hook_embed|mlp\.hook_post|attn\.hook_pattern/.test(n));
    expect(names.filter((n) => n.includes('hook_resid_post'))).toHaveLength(2);
    expect(names.filter((n) => n.includes('mlp.hook_post'))).toHaveLength(2);
    for (const name of names) {
      expect(fused.analysis.activations[name], name).toBeDefined();
      expect(maxDifference(fused.analysis.activations[name], plain.analysis.activations[name]), name).toBeLessThan(tolerance);
    }
    expect(maxDifference(fused.analysis.logits!, plain.analysis.logits!)).toBeLessThan(tolerance);
  });

  it('runs the logit lens through the fused final norm, ending at the logits and agreeing with the plain model', () => {
    expectLensEqualsLogits(fused.analysis, tolerance);
    const [a, b] = [fused.analysis.lens!, plain.analysis.lens!];
    expect(a.rows).toBe(3);
    for (let i = 0; i < a.probs.length; i++) expect(Math.abs(a.probs[i] - b.probs[i])).toBeLessThan(tolerance);
  });
});
