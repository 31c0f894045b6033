// The step-by-step view's numbers, on real models: every step it recomputes matches the model's
// own tensor (norms from the stream alone, the residual sums, the activation function, the
// softmax, a rotary model's rotation of q, a gated MLP's product), and a step whose input is wrong
// is shown as failing, not hidden. The rotation angles are compared with the ones the test models
// were built with. Encoders (BERT-shaped, post-norm, bidirectional) are walked as they compute:
// every step checks out against the model or says why it is not shown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import type { Analysis, AnalyzeOptions, TensorData } from '../../src/engine/types';
import { buildWalkView } from '../../src/host/panels/walkView';
import type { WalkCheck, WalkView } from '../../src/shared/protocol';
import { hookGroups, hooks } from '../../src/shared/hooks';
import { decodeModel, encodeModel } from '../../src/engine/onnx/model';
import { buildDecoder, type DecoderOptions } from '../helpers/decoderBuilder';
import { buildEncoder, encoderWeights, referenceEncoder, type EncoderOptions } from '../helpers/encoderBuilder';
import { wordPieceTokenizer } from '../helpers/tokenizers';
import { normStatistics } from '../../src/host/panels/walkMath';
import { writeModelFolder } from '../helpers/modelFolder';
import { DEFAULT_MODEL, exists, TINY_GPT2 } from '../helpers/paths';

const OPTIONS: AnalyzeOptions = { hooks: [...hookGroups.activations, ...hookGroups.block], logits: true, topK: 10 };

function checks(view: WalkView): WalkCheck[] {
  const all = [view.input.check, view.output.check, view.output.norm?.check];
  for (const b of view.blocks) all.push(b.ln1?.check, b.ln2?.check, b.midCheck, b.postCheck, b.mlp?.check, b.rotary?.check, b.mlpNorm?.check);
  return all.filter((c): c is WalkCheck => !!c);
}

function walk(model: LoadedModel, analysis: Analysis, position: number): WalkView {
  return buildWalkView({ id: 1, analysis, info: model.info, position, document: { uri: 'file:///x.ts', name: 'x.ts' }, baseOffset: 0 });
}

const MODELS = [
  {
    name: 'the default model',
    folder: DEFAULT_MODEL,
    present: true,
    text: 'export function add(a: number, b: number) {\n  return a + b;\n}',
    checksPerBlock: 5,
  },
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

  it.skipIf(!present)('walks a pre-norm decoder: causal, its own final norm, the model’s next-token probabilities', () => {
    const view = walk(model, analysis, 4);
    expect(view.model).toMatchObject({ bidirectional: false, postNorm: false, predicts: 'next' });
    expect(view.blocks.every((b) => b.ln1 && b.postCheck && !b.mlpNorm)).toBe(true);
    expect([view.output.norm?.check, view.output.check, view.output.normNote, view.output.unchecked].map((x) => x !== undefined)).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it.skipIf(!present)('has a position table and no rotation', () => {
    const view = walk(model, analysis, 4);
    expect(view.input.posEmbed).toHaveLength(model.info.dModel);
    expect(view.input.rotary).toBeUndefined();
    expect(view.input.positionNote).toBeUndefined();
    expect(view.blocks.every((b) => !b.rotary && !b.mlp?.preLinear)).toBe(true);
    expect(Object.keys(analysis.activations).filter((k) => /rotary|pre_linear/.test(k))).toEqual([]);
  });

  it.skipIf(!present)('shows a check failing when a tensor is not what the model computed', () => {
    const tampered = (name: string, t: TensorData): Analysis => ({
      ...analysis,
      activations: { ...analysis.activations, [name]: { shape: t.shape, data: t.data.map((x) => x + 0.5) } },
    });
    const gamma = hooks.normWeight(1, 'ln2', 'w');
    expect(walk(model, tampered(gamma, analysis.activations[gamma]), 4).blocks[1].ln2!.check!.error).toBeGreaterThan(1e-2);
    const attnOut = hooks.attnOut(0);
    expect(walk(model, tampered(attnOut, analysis.activations[attnOut]), 4).blocks[0].midCheck!.error).toBeGreaterThan(1e-2);
  });
});

/** An angle wrapped to (−π, π], as atan2 gives it. */
const wrap = (x: number) => Math.atan2(Math.sin(x), Math.cos(x));

/** The builder's frequencies: θᵢ = 10000^(−2i / d_head). */
const frequencies = (dHead: number) => Array.from({ length: dHead / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / dHead));

const ROTARY: {
  name: string;
  options: DecoderOptions;
  op: string;
  pairing: 'half' | 'interleaved';
  dHead: number;
  checked: boolean;
  angleTolerance: number;
}[] = [
  {
    name: 'RotaryEmbedding before MultiHeadAttention',
    options: { attention: 'mha-rope' },
    op: 'RotaryEmbedding',
    pairing: 'half',
    dHead: 8,
    checked: true,
    angleTolerance: 1e-5,
  },
  {
    name: 'GroupQueryAttention with do_rotary',
    options: { attention: 'gqa' },
    op: 'GroupQueryAttention',
    pairing: 'half',
    dHead: 16,
    checked: false,
    angleTolerance: 1e-5,
  },
  {
    name: 'GroupQueryAttention, interleaved rotary',
    options: { attention: 'gqa-window-softcap' },
    op: 'GroupQueryAttention',
    pairing: 'interleaved',
    dHead: 16,
    checked: false,
    angleTolerance: 1e-5,
  },
  {
    name: 'unfused, cos/sin gathered from cached tables',
    options: { attention: 'unfused', unfusedRotary: 'cached' },
    op: 'ONNX arithmetic',
    pairing: 'half',
    dHead: 8,
    checked: true,
    angleTolerance: 1e-5,
  },
  {
    name: 'unfused, Cos/Sin of inv_freq × positions',
    options: { attention: 'unfused', unfusedRotary: 'computed', rms: true },
    op: 'ONNX arithmetic',
    pairing: 'half',
    dHead: 8,
    checked: true,
    angleTolerance: 1e-5,
  },
  // cos and sin rounded to float16 move the angles by up to about 1e-3.
  {
    name: 'unfused in float16',
    options: { attention: 'unfused', unfusedRotary: 'computed', float16: true },
    op: 'ONNX arithmetic',
    pairing: 'half',
    dHead: 8,
    checked: true,
    angleTolerance: 2e-3,
  },
];

describe.each(ROTARY)('the walk through a rotary model: $name', ({ options, op, pairing, dHead, checked, angleTolerance }) => {
  let model: LoadedModel;
  let analysis: Analysis;
  beforeAll(async () => {
    model = await LoadedModel.load(writeModelFolder('walk-rotary', buildDecoder(options)), { backend: 'wasm', threads: 1 });
    analysis = await model.analyze('abc def ghi jkl', OPTIONS);
  });
  afterAll(() => model?.release());

  it('shows the angles of each frequency at the token’s position, as the model was built with', () => {
    const theta = frequencies(dHead);
    for (const p of [0, 1, 9]) {
      const r = walk(model, analysis, p).input.rotary!;
      expect(r, `position ${p}`).toBeDefined();
      expect([r.op, r.pairing, r.layer, r.differs]).toEqual([op, pairing, 0, []]);
      expect(r.angles).toHaveLength(dHead / 2);
      r.angles.forEach((a, i) => expect(Math.abs(wrap(a - p * theta[i])), `position ${p}, frequency ${i}`).toBeLessThanOrEqual(angleTolerance));
      expect(r.amplitudes).toBeUndefined();
    }
  });

  it('draws cos θᵢ·p for every position up to the token and every frequency', () => {
    const p = 9;
    const { positions } = walk(model, analysis, p).input.rotary!;
    const theta = frequencies(dHead);
    expect([positions.from, positions.count, positions.cos.length]).toEqual([0, p + 1, (p + 1) * theta.length]);
    for (let q = 0; q <= p; q++) for (let i = 0; i < theta.length; i++) expect(positions.cos[q * theta.length + i]).toBeCloseTo(Math.cos(q * theta[i]), 2);
  });

  it(checked ? 'redoes the rotation of q from the angles and finds the model’s rotated q, in every block' : 'says why the rotation cannot be checked', () => {
    const view = walk(model, analysis, 9);
    for (const b of view.blocks) {
      const r = b.rotary!;
      if (checked) {
        expect(r.check!.error, `block ${b.layer}`).toBeLessThanOrEqual(r.check!.tolerance);
        expect(r.q!.after).toHaveLength(dHead);
      } else {
        expect(r.check).toBeUndefined();
        expect(r.unchecked).toMatch(/inside the operator/);
      }
    }
    // And every other step checks out too.
    for (const c of checks(view)) expect(c.error, c.what).toBeLessThanOrEqual(c.tolerance);
    expect(view.input.positionNote).toBeUndefined();
  });

  it.skipIf(!checked)('shows the rotation check failing when the rotated q is not what the model computed', () => {
    const name = hooks.rotary(1, 'q_out');
    const t = analysis.activations[name];
    const tampered = { ...analysis, activations: { ...analysis.activations, [name]: { shape: t.shape, data: t.data.map((x) => x + 0.5) } } };
    expect(walk(model, tampered, 9).blocks[1].rotary!.check!.error).toBeGreaterThan(1e-2);
  });
});

describe('a rotation Model Lens cannot read', () => {
  it('is named, not guessed: q·cos + R(q)·sin with R not rotate_half', async () => {
    // The unfused rotary with rotate_half's halves swapped: Concat(x[:half], −x[half:]).
    const onnx = decodeModel(buildDecoder({ attention: 'unfused', unfusedRotary: 'computed' }));
    for (const node of onnx.graph.node)
      if (node.opType === 'Concat' && node.input.length === 2 && onnx.graph.node.some((n) => n.opType === 'Neg' && n.output[0] === node.input[0]))
        node.input.reverse();
    const model = await LoadedModel.load(writeModelFolder('walk-rotary-odd', encodeModel(onnx)), { backend: 'wasm', threads: 1 });
    try {
      const view = walk(model, await model.analyze('abc def', OPTIONS), 3);
      expect(view.input.rotary).toBeUndefined();
      expect(view.input.positionNote).toMatch(/cannot show how: q is multiplied by the Cos\/Sin of angles, but not in the form q·cos \+ rotate_half\(q\)·sin/);
    } finally {
      model.release();
    }
  });
});

const GATED: { name: string; options: DecoderOptions }[] = [
  { name: 'Llama-style (RMSNorm, rotary)', options: { attention: 'unfused', unfusedRotary: 'computed', rms: true, gatedMlp: true } },
  { name: 'with a position table', options: { attention: 'unfused', gatedMlp: true } },
];

describe.each(GATED)('the walk through a gated MLP: $name', ({ options }) => {
  let model: LoadedModel;
  let analysis: Analysis;
  beforeAll(async () => {
    model = await LoadedModel.load(writeModelFolder('walk-gated', buildDecoder(options)), { backend: 'wasm', threads: 1 });
    analysis = await model.analyze('abc def ghi jkl', OPTIONS);
  });
  afterAll(() => model?.release());

  it('recomputes mlp.hook_post as SiLU(gate) · up and finds the model’s', () => {
    const view = walk(model, analysis, 7);
    for (const b of view.blocks) {
      expect(b.mlp!.activation).toBe('silu');
      expect(b.mlp!.preLinear).toHaveLength(model.info.dMlp);
      expect(b.mlp!.check!.what).toBe('mlp.hook_post = silu(mlp.hook_pre) · mlp.hook_pre_linear');
      expect(b.mlp!.check!.error).toBeLessThanOrEqual(b.mlp!.check!.tolerance);
    }
  });

  it('shows the check failing when the up projection is not what the model computed', () => {
    const name = hooks.mlpPreLinear(0);
    const t = analysis.activations[name];
    const tampered = { ...analysis, activations: { ...analysis.activations, [name]: { shape: t.shape, data: t.data.map((x) => x + 0.5) } } };
    expect(walk(model, tampered, 7).blocks[0].mlp!.check!.error).toBeGreaterThan(1e-2);
  });
});

const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'dog', '##s', 'a', '.', ','];
const ENCODER_TEXT = 'The cat sat on the mat, the dogs sat.';

function encoderFolder(options: EncoderOptions) {
  const weights = encoderWeights(options);
  const tokenizer = wordPieceTokenizer(WORDS, weights.options.vocab);
  const folder = writeModelFolder('walk-bert', buildEncoder(weights), {
    'tokenizer.json': JSON.stringify(tokenizer.json),
    'tokenizer_config.json': JSON.stringify(tokenizer.config),
    'config.json': JSON.stringify({ model_type: 'bert' }),
  });
  return { folder, weights };
}

/** max |a − b| / max(1, |b|), as the walk's checks measure. */
function relative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  return Array.from(a).reduce((worst, x, i) => Math.max(worst, Math.abs(x - b[i]) / Math.max(1, Math.abs(b[i]))), 0);
}

describe.each(['operator', 'arithmetic', 'fused'] as const)('the walk through a BERT-shaped masked language model (LayerNorm as %s)', (norms) => {
  const { folder, weights } = encoderFolder({ norms });
  let model: LoadedModel;
  let analysis: Analysis;
  beforeAll(async () => {
    model = await LoadedModel.load(folder, { backend: 'wasm', threads: 1 });
    analysis = await model.analyze(ENCODER_TEXT, OPTIONS);
  });
  afterAll(() => model?.release());

  it('is walked as a bidirectional, post-norm model that predicts the token at each position', () => {
    expect(model.info).toMatchObject({ bidirectional: true, postNorm: true, predicts: 'masked' });
    expect(walk(model, analysis, 3).model).toMatchObject({ bidirectional: true, postNorm: true, predicts: 'masked' });
  });

  it('checks every step it shows against the model, and says why it shows the others unchecked', () => {
    for (const position of [1, 3, analysis.tokens.length - 2]) {
      const view = walk(model, analysis, position);
      const all = checks(view);
      // Per block: resid_mid = resid_pre + attn_out, ln2 = LN(resid_mid), the activation, resid_post = LN(ln2 + mlp_out).
      expect(all.map((c) => c.what)).toHaveLength(4 * model.info.layers);
      for (const c of all) expect(c.error, `${c.what} at position ${position}`).toBeLessThanOrEqual(c.tolerance);
      for (const b of view.blocks) {
        // No norm lies before a post-norm block's attention; its MLP sum is normalised, not added up.
        expect(b.ln1).toBeUndefined();
        expect(b.postCheck).toBeUndefined();
        expect(b.midCheck!.what).toBe('resid_mid = resid_pre + attn_out');
        expect(b.mlpNorm!.output).toEqual(b.residPost);
        // The scales the panel prints are the model's: the same as redone from each norm's input.
        for (const n of [b.ln2!, b.mlpNorm!]) expect(Math.abs(n.scale - normStatistics(n.input, 'layer', n.epsilon!).scale)).toBeLessThan(1e-5);
      }
      // What is not recomputed says why.
      expect(view.input.check).toBeUndefined();
      expect(view.input.embedNote).toMatch(/could not take this model's embedding apart/);
      expect(view.input.positionNote).toBeUndefined();
      expect(view.output.norm).toBeUndefined();
      expect(view.output.normNote).toMatch(/post-norm/);
      expect(view.output.check).toBeUndefined();
      expect(view.output.unchecked).toMatch(/masked/);
    }
  });

  it('follows the reference encoder: the stream after each block, and the top predictions with the token visible', () => {
    const ids = analysis.tokens.map((t) => t.id);
    const reference = referenceEncoder(weights, ids);
    const p = 3;
    const view = walk(model, analysis, p);
    view.blocks.forEach((b, L) => {
      expect(relative(b.residPre, reference.hidden[L][p])).toBeLessThan(1e-4);
      expect(relative(b.residPost, reference.hidden[L + 1][p])).toBeLessThan(1e-4);
    });
    const logits = reference.logits[p];
    const max = Math.max(...logits);
    const total = logits.reduce((sum, x) => sum + Math.exp(x - max), 0);
    const order = logits.map((_, id) => id).sort((a, b) => logits[b] - logits[a]);
    expect(view.output.top.map((t) => t.id)).toEqual(order.slice(0, 10));
    view.output.top.forEach((t) => expect(t.prob).toBeCloseTo(Math.exp(logits[t.id] - max) / total, 5));
  });

  it('shows a check failing when a tensor is not what the model computed', () => {
    // ±0.5 by dimension: a norm takes away a shift that is the same in every dimension.
    const tampered = (name: string): Analysis => {
      const t = analysis.activations[name];
      return { ...analysis, activations: { ...analysis.activations, [name]: { shape: t.shape, data: t.data.map((x, i) => x + (i % 2 ? 0.5 : -0.5)) } } };
    };
    expect(walk(model, tampered(hooks.mlpOut(1)), 3).blocks[1].mlpNorm!.check!.error).toBeGreaterThan(1e-2);
    expect(walk(model, tampered(hooks.residPost(0)), 3).blocks[0].mlpNorm!.check!.error).toBeGreaterThan(1e-2);
    expect(walk(model, tampered(hooks.attnOut(0)), 3).blocks[0].midCheck!.error).toBeGreaterThan(1e-2);
  });
});

describe('the walk through a BERT-shaped classifier', () => {
  const { folder, weights } = encoderFolder({ classes: 3 });
  let model: LoadedModel;
  beforeAll(async () => {
    model = await LoadedModel.load(folder, { backend: 'wasm', threads: 1 });
  });
  afterAll(() => model?.release());

  it('ends with the class probabilities of the whole text, checked against the model’s', async () => {
    const analysis = await model.analyze(ENCODER_TEXT, OPTIONS);
    const view = walk(model, analysis, 3);
    expect(view.model.predicts).toBe('classes');
    expect(view.output.top.map((t) => t.text)).toEqual(['LABEL_0', 'LABEL_1', 'LABEL_2']);
    expect(new Float32Array(view.output.logits)).toHaveLength(3);
    const scores = referenceEncoder(
      weights,
      analysis.tokens.map((t) => t.id),
    ).logits[0];
    const max = Math.max(...scores);
    const total = scores.reduce((sum, x) => sum + Math.exp(x - max), 0);
    view.output.top.forEach((t, i) => expect(t.prob).toBeCloseTo(Math.exp(scores[i] - max) / total, 5));
    for (const c of checks(view)) expect(c.error, c.what).toBeLessThanOrEqual(c.tolerance);
    expect(view.output.check!.what).toMatch(/class probabilities/);
  });
});
