// Dynamically quantized exports, as onnxruntime's quantize_dynamic writes them (the int8
// "model_quantized.onnx" of transformers.js): DynamicQuantizeLinear rounds each activation to
// uint8 per run, MatMulInteger multiplies it by an int8 weight, and the int32 result is cast and
// scaled by x_scale · w_scale. The reference is the same int8 weights stored in float: it differs
// from the quantized model only by the rounding of the activations (a 1/255 step of each
// tensor's range), so the comparison with it is loose, its tolerances about 2.5 times the largest
// differences measured on both backends (relative to the tensor's largest value: 1.22e-2 for the
// activations, blocks.1.hook_mlp_out the worst; 6.7e-3 for the logits; 1.23e-2 absolute for the
// lens' probabilities). The embedding tables are int8 behind DequantizeLinear, as quantize_dynamic
// leaves them; hook_embed and hook_pos_embed are found through it. What owes nothing to that rounding is
// checked tightly: the stream adds up, hook_post is SiLU of hook_pre, the lens' last row is the
// model's own prediction (it replays the quantized head with the quantization the model applied
// to that layer's whole tensor), and a lens of fewer rows gives the same numbers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import type { Analysis, TensorData } from '../../src/engine/types';
import { hookGroups, hooks } from '../../src/shared/hooks';
import { buildDecoder, type DecoderOptions } from '../helpers/decoderBuilder';
import { expectLensEqualsLogits } from '../helpers/identities';
import { writeModelFolder } from '../helpers/modelFolder';
import { BACKENDS } from '../helpers/backends';

const TEXT = 'the cat sat on the mat. the cat sat';
const NORMS = [
  { norms: 'plain', rms: false },
  { norms: 'fused-residual-first', rms: true },
] as const;
const CASES = BACKENDS.flatMap((backend) => NORMS.map((n) => ({ backend, ...n })));
const ALL = { hooks: [...hookGroups.attention, ...hookGroups.activations, ...hookGroups.block], lens: true, logits: true };
/** Loose: the float reference does not round its activations. */
const VS_FLOAT = { activations: 3e-2, logits: 3e-2, lensProbs: 5e-2 };

async function analyse(options: DecoderOptions, backend: 'wasm' | 'native'): Promise<{ model: LoadedModel; analysis: Analysis }> {
  const name = `dynamic-${options.quantize}-${options.quantizedEmbedding ? 'gbq-' : ''}${options.dequantized ? 'float' : 'int'}-${options.norms}`;
  const model = await LoadedModel.load(writeModelFolder(name, buildDecoder(options)), { backend, threads: 1 });
  return { model, analysis: await model.analyze(TEXT, ALL) };
}

/** max |a − b| relative to max |b|. */
function relativeDifference(a: TensorData, b: TensorData): number {
  expect(a.shape).toEqual(b.shape);
  let max = 0;
  let scale = 0;
  for (let i = 0; i < a.data.length; i++) {
    max = Math.max(max, Math.abs(a.data[i] - b.data[i]));
    scale = Math.max(scale, Math.abs(b.data[i]));
  }
  return scale === 0 ? max : max / scale;
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe.each(CASES)('DynamicQuantizeLinear + MatMulInteger, $norms norms (rms: $rms), on $backend', ({ backend, norms, rms }) => {
  let quantized: { model: LoadedModel; analysis: Analysis };
  let reference: { model: LoadedModel; analysis: Analysis };
  beforeAll(async () => {
    quantized = await analyse({ attention: 'unfused', quantize: 'dynamic', norms, rms }, backend);
    reference = await analyse({ attention: 'unfused', quantize: 'dynamic', dequantized: true, norms, rms }, backend);
  });
  afterAll(async () => {
    await quantized.model.release();
    await reference.model.release();
  });

  it('finds the residual stream, the MLP, the attention and the shape of the model', () => {
    const notes = quantized.model.info.notes.join(' ');
    expect(notes).not.toContain('residual stream could not be traced');
    expect(quantized.model.info.notes.filter((n) => !n.startsWith('direct logit attribution'))).toEqual([]);
    for (const key of ['dModel', 'dMlp', 'heads', 'layers'] as const) expect(quantized.model.info[key]).toBe(reference.model.info[key]);
    expect(quantized.model.info.dMlp).toBeGreaterThan(0);
    expect(quantized.model.info.precision).toBe('8-bit quantized, activations rounded per run (MatMulInteger)');
    // Attribution reads the unembedding as a linear map; behind a DynamicQuantizeLinear it is not, and says so.
    expect(notes).toContain('applies DynamicQuantizeLinear after the final norm');
  });

  it('reports every activation the float model has, equal up to the rounding of the activations', () => {
    const names = Object.keys(reference.analysis.activations);
    expect(Object.keys(quantized.analysis.activations).sort()).toEqual([...names].sort());
    expect(names).toContain(hooks.embed);
    expect(names).toContain(hooks.posEmbed);
    for (const L of [0, 1]) for (const hook of [hooks.mlpPost(L), hooks.mlpPre(L), hooks.attn(L, 'pattern'), hooks.residPost(L)]) expect(names).toContain(hook);
    for (const name of names) {
      if (process.env.SHOW) console.log(backend, norms, name, relativeDifference(quantized.analysis.activations[name], reference.analysis.activations[name]));
      expect(relativeDifference(quantized.analysis.activations[name], reference.analysis.activations[name]), name).toBeLessThan(VS_FLOAT.activations);
    }
    if (process.env.SHOW) console.log(backend, norms, 'logits', relativeDifference(quantized.analysis.logits!, reference.analysis.logits!));
    expect(relativeDifference(quantized.analysis.logits!, reference.analysis.logits!)).toBeLessThan(VS_FLOAT.logits);
  });

  it('has a stream that adds up and an MLP whose hidden activation is SiLU of its pre-activation, exactly', () => {
    const a = quantized.analysis.activations;
    for (const L of [0, 1]) {
      const [pre, attn, mid, mlp, post] = [hooks.residPre(L), hooks.attnOut(L), hooks.residMid(L), hooks.mlpOut(L), hooks.residPost(L)].map((n) => a[n].data);
      expect(
        maxDifference(
          pre.map((x, i) => x + attn[i]),
          mid,
        ),
      ).toBeLessThan(1e-5);
      expect(
        maxDifference(
          mid.map((x, i) => x + mlp[i]),
          post,
        ),
      ).toBeLessThan(1e-5);
      const hidden = a[hooks.mlpPre(L)].data.map((x) => x / (1 + Math.exp(-x)));
      expect(maxDifference(hidden, a[hooks.mlpPost(L)].data)).toBeLessThan(1e-5);
    }
  });

  it("replays its quantized head in the logit lens, ending at the model's own logits", () => {
    expectLensEqualsLogits(quantized.analysis, 1e-6);
    if (process.env.SHOW) {
      const { lens, tokens, topProbs, topK } = quantized.analysis;
      const last = (lens!.rows - 1) * tokens.length * lens!.k;
      let worst = 0;
      for (let p = 0; p < tokens.length; p++)
        for (let j = 0; j < Math.min(lens!.k, topK); j++) worst = Math.max(worst, Math.abs(lens!.probs[last + p * lens!.k + j] - topProbs[p * topK + j]));
      console.log(backend, norms, 'lens-vs-model', worst, 'lens-vs-float', maxDifference(lens!.probs, reference.analysis.lens!.probs));
    }
    expect(maxDifference(quantized.analysis.lens!.probs, reference.analysis.lens!.probs)).toBeLessThan(VS_FLOAT.lensProbs);
  });

  it('gives the same lens whichever rows are asked for: each layer is quantized over its whole tensor', async () => {
    const part = (await quantized.model.analyze(TEXT, { selectionStart: 24, lens: 'selection' })).lens!;
    const full = quantized.analysis.lens!;
    const n = quantized.analysis.tokens.length;
    expect(part.rows).toBe(full.rows);
    for (let r = 0; r < part.rows; r++) {
      for (let p = part.from; p < n; p++) {
        for (let j = 0; j < part.k; j++) {
          const [i, f] = [(r * (n - part.from) + p - part.from) * part.k + j, (r * n + p) * full.k + j];
          expect(part.ids[i]).toBe(full.ids[f]);
          expect(Math.abs(part.probs[i] - full.probs[f])).toBeLessThan(1e-6);
        }
      }
    }
  });
});

// onnxruntime-genai's int4 models look the tokens up in a 4-bit table (GatherBlockQuantized);
// the projections here are MatMulNBits, as in those models. The same rounded table and weights in
// float are the reference, which a quantized model must compute exactly like.
describe.each(BACKENDS)('a GatherBlockQuantized token embedding on %s', (backend) => {
  let quantized: { model: LoadedModel; analysis: Analysis };
  let reference: { model: LoadedModel; analysis: Analysis };
  const options = { attention: 'unfused', quantize: 'nbits', quantizedEmbedding: true, norms: 'fused-residual-first', rms: true } as const;
  beforeAll(async () => {
    quantized = await analyse(options, backend);
    reference = await analyse({ ...options, dequantized: true }, backend);
  });
  afterAll(async () => {
    await quantized.model.release();
    await reference.model.release();
  });

  it('finds the embedding, the residual stream and every block hook', () => {
    expect(quantized.model.info.notes.filter((n) => !n.startsWith('direct logit attribution'))).toEqual([]);
    const names = Object.keys(reference.analysis.activations);
    expect(names).toContain(hooks.embed);
    expect(Object.keys(quantized.analysis.activations).sort()).toEqual([...names].sort());
  });

  it('reports the activations, logits and lens of the same rounded weights in float', () => {
    for (const name of Object.keys(reference.analysis.activations)) {
      if (process.env.SHOW) console.log(backend, 'gbq', name, relativeDifference(quantized.analysis.activations[name], reference.analysis.activations[name]));
      expect(relativeDifference(quantized.analysis.activations[name], reference.analysis.activations[name]), name).toBeLessThan(1e-5);
    }
    expect(relativeDifference(quantized.analysis.logits!, reference.analysis.logits!)).toBeLessThan(1e-5);
    expect(maxDifference(quantized.analysis.lens!.probs, reference.analysis.lens!.probs)).toBeLessThan(1e-5);
    expectLensEqualsLogits(quantized.analysis);
  });
});
