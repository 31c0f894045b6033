// The steps inside each block (hook_embed, hook_pos_embed, ln1/ln2/ln_final scale and output,
// hook_attn_out, hook_resid_mid, mlp.hook_pre, hook_mlp_out), checked against identities computed
// here in float64 from the engine's other tensors and the graph's own weights: the stream is the
// sum of its writes, each norm's scale is the standard deviation (or RMS) of the stream it reads
// and its output is the stream normalized with γ and β, and the MLP's hidden activation is its
// activation function of mlp.hook_pre. On the default model (also against PyTorch), the shared
// fused GPT-2 fixture and built graphs of every norm form, on WebAssembly and native.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeRuntimeInstalled } from '../../src/host/backendChoice';
import { LoadedModel } from '../../src/engine/loadedModel';
import { tensorValues } from '../../src/engine/onnx/graph';
import { Emitter, makeNode } from '../../src/engine/onnx/emit';
import { DataType, decodeModel, encodeModel, type NodeProto } from '../../src/engine/onnx/model';
import type { Analysis, Backend, ModelInfo, TensorData } from '../../src/engine/types';
import { hookGroups, hooks, type NormHook, type NormWeight } from '../../src/shared/hooks';
import { buildDecoder, random, type AttentionForm, type DecoderOptions } from '../helpers/decoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';
import { DEFAULT_MODEL, exists, ROOT, TINY_GPT2 } from '../helpers/paths';

const BACKENDS: Backend[] = nativeRuntimeInstalled() ? ['wasm', 'native'] : ['wasm'];
if (BACKENDS.length === 1) console.warn('SKIPPED: the native runs (onnxruntime-node is not installed); WebAssembly only.');
const fixturePresent = exists(TINY_GPT2);
if (!fixturePresent) console.warn(`SKIPPED: the shared fixture ${TINY_GPT2} is not there (.ci/run requires it).`);

type ActivationKind = 'gelu' | 'gelu_tanh' | 'silu' | 'quick_gelu';

/** What a model is, as the test knows it independently of the engine. */
interface Known {
  layers: number;
  norm: 'layer' | 'rms';
  epsilon: number;
  /** Whether the model adds a position table to the token embedding. */
  positions: boolean;
  activation: ActivationKind;
  /** γ and β of each norm in graph order (ln1, ln2 of each block, then ln_final); undefined: 1 and 0. */
  weights: { gamma?: number[]; beta?: number[] }[];
  tolerance: number;
}

/** erf from Numerical Recipes' Chebyshev fit of erfc (fractional error below 1.2e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - y : y - 1;
}

const ACTIVATIONS: Record<ActivationKind, (x: number) => number> = {
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  gelu_tanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  silu: (x) => x / (1 + Math.exp(-x)),
  quick_gelu: (x) => x / (1 + Math.exp(-1.702 * x)),
};

/** ONNX Runtime's fused activations, and the function each computes (of its input plus its bias, where it takes one). */
const FUSED: { op: 'FastGelu' | 'BiasGelu' | 'QuickGelu' | 'Gelu'; bias: boolean; kind: ActivationKind }[] = [
  { op: 'FastGelu', bias: true, kind: 'gelu_tanh' },
  { op: 'BiasGelu', bias: true, kind: 'gelu' },
  { op: 'QuickGelu', bias: false, kind: 'quick_gelu' },
  { op: 'Gelu', bias: false, kind: 'gelu' },
];

/**
 * A built decoder whose SiLU MLPs (Mul(up, Sigmoid(up))) are rewritten as one com.microsoft
 * activation operator, given a random bias when it takes one: the MLP as ONNX Runtime's
 * optimizer leaves it.
 */
function withFusedActivation(onnx: Uint8Array, op: (typeof FUSED)[number]['op'], bias: boolean): Uint8Array {
  const model = decodeModel(onnx);
  const em = new Emitter(17, 'act/');
  const rand = random(5);
  const sigmoids = new Map(model.graph.node.filter((n) => n.opType === 'Sigmoid').map((n) => [n.output[0], n]));
  const nodes: NodeProto[] = [];
  let rewritten = 0;
  for (const node of model.graph.node) {
    if (node.opType === 'Sigmoid') continue;
    const sigmoid = node.opType === 'Mul' ? sigmoids.get(node.input[1]) : undefined;
    if (!sigmoid || sigmoid.input[0] !== node.input[0]) {
      nodes.push(node);
      continue;
    }
    const inputs = bias
      ? [
          node.input[0],
          em.constant(
            DataType.FLOAT,
            [64],
            Array.from({ length: 64 }, () => rand() * 2 - 1),
            'bias',
          ),
        ]
      : [node.input[0]];
    nodes.push(makeNode(op, inputs, node.output, {}, 'com.microsoft', `fused_${rewritten++}`));
  }
  expect(rewritten).toBe(2);
  model.graph.node = nodes;
  model.graph.initializer.push(...em.initializers);
  return encodeModel(model);
}

const NORM_OPS = new Set([
  'LayerNormalization',
  'SimplifiedLayerNormalization',
  'SkipLayerNormalization',
  'SkipSimplifiedLayerNormalization',
  'EmbedLayerNormalization',
]);
const GAMMA_SLOT: Record<string, [number, number]> = {
  LayerNormalization: [1, 2],
  SimplifiedLayerNormalization: [1, -1],
  SkipLayerNormalization: [2, 3],
  SkipSimplifiedLayerNormalization: [2, -1],
  EmbedLayerNormalization: [5, 6],
};

/** γ and β of the norm operators of a graph, in graph order (read from its initializers). */
function normWeights(onnx: Uint8Array): { gamma?: number[]; beta?: number[] }[] {
  const model = decodeModel(onnx);
  const inits = new Map(model.graph.initializer.map((t) => [t.name, t]));
  const values = (name: string | undefined) => (name && inits.has(name) ? tensorValues(inits.get(name)!) : undefined);
  return model.graph.node
    .filter((n) => NORM_OPS.has(n.opType))
    .map((n) => {
      const [g, b] = GAMMA_SLOT[n.opType];
      return { gamma: values(n.input[g]), beta: b >= 0 ? values(n.input[b]) : undefined };
    });
}

/** max over elements of |a − b| / max(1, |b|): absolute up to 1, relative above (the stream grows). */
function difference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

function get(a: Analysis, name: string): TensorData {
  const t = a.activations[name];
  expect(t, name).toBeDefined();
  return t;
}

/** x + y, y broadcast over rows when it has fewer. */
function sum(x: TensorData, y: TensorData): Float64Array {
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = x.data[i] + y.data[i % y.data.length];
  return out;
}

/** The norm of each row of `x` [pos, d], in float64: its scale and normalized output. */
function norm(x: TensorData, kind: 'layer' | 'rms', epsilon: number, gamma?: number[], beta?: number[]): { scale: Float64Array; normalized: Float64Array } {
  const [rows, d] = x.shape;
  const scale = new Float64Array(rows);
  const normalized = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.data.subarray(r * d, (r + 1) * d));
    const mean = kind === 'layer' ? row.reduce((s, v) => s + v, 0) / d : 0;
    scale[r] = Math.sqrt(row.reduce((s, v) => s + (v - mean) ** 2, 0) / d + epsilon);
    for (let i = 0; i < d; i++) normalized[r * d + i] = ((row[i] - mean) / scale[r]) * (gamma?.[i] ?? 1) + (beta?.[i] ?? 0);
  }
  return { scale, normalized };
}

/** Every identity of the block hooks, on one analysis. */
function expectIdentities(a: Analysis, known: Known): void {
  const tol = known.tolerance;
  const pos = a.tokens.length;
  // resid_pre[0] = embed (+ pos_embed)
  const embed = get(a, hooks.embed);
  expect(embed.shape).toEqual(get(a, hooks.residPre(0)).shape);
  if (known.positions) {
    const posEmbed = get(a, hooks.posEmbed);
    expect(posEmbed.shape).toEqual([pos, embed.shape[1]]);
    expect(difference(sum(embed, posEmbed), get(a, hooks.residPre(0)).data), 'resid_pre[0] = embed + pos_embed').toBeLessThan(tol);
  } else {
    expect(a.activations[hooks.posEmbed], 'a model without a position table has no hook_pos_embed').toBeUndefined();
    expect(difference(embed.data, get(a, hooks.residPre(0)).data), 'resid_pre[0] = embed').toBeLessThan(tol);
  }
  const expectNorm = (stream: TensorData, name: (which: NormHook) => string, weight: (which: NormWeight) => string, weights: Known['weights'][number]) => {
    const ours = norm(stream, known.norm, known.epsilon, weights.gamma, weights.beta);
    // γ and β as the analysis gives them are the file's own (where the norm has them: an arithmetic norm may have none).
    if (weights.gamma) expect(difference(get(a, weight('w')).data, weights.gamma), `${weight('w')} = γ`).toBe(0);
    if (weights.beta) expect(difference(get(a, weight('b')).data, weights.beta), `${weight('b')} = β`).toBe(0);
    const scale = get(a, name('scale'));
    expect(scale.shape).toEqual([pos, 1]);
    expect(difference(scale.data, ours.scale), `${name('scale')} = the stream's ${known.norm === 'layer' ? 'standard deviation' : 'RMS'}`).toBeLessThan(tol);
    const normalized = get(a, name('normalized'));
    expect(normalized.shape).toEqual(stream.shape);
    expect(difference(normalized.data, ours.normalized), `${name('normalized')} = the norm of the stream`).toBeLessThan(tol);
  };
  for (let L = 0; L < known.layers; L++) {
    const pre = get(a, hooks.residPre(L));
    const mid = get(a, hooks.residMid(L));
    const post = get(a, hooks.residPost(L));
    expect(difference(sum(pre, get(a, hooks.attnOut(L))), mid.data), `${hooks.residMid(L)} = resid_pre + attn_out`).toBeLessThan(tol);
    expect(difference(sum(mid, get(a, hooks.mlpOut(L))), post.data), `${hooks.residPost(L)} = resid_mid + mlp_out`).toBeLessThan(tol);
    expectNorm(
      pre,
      (w) => hooks.norm(L, 'ln1', w),
      (w) => hooks.normWeight(L, 'ln1', w),
      known.weights[2 * L] ?? {},
    );
    expectNorm(
      mid,
      (w) => hooks.norm(L, 'ln2', w),
      (w) => hooks.normWeight(L, 'ln2', w),
      known.weights[2 * L + 1] ?? {},
    );
    const hidden = get(a, hooks.mlpPre(L));
    const act = ACTIVATIONS[known.activation];
    expect(
      difference(Float64Array.from(hidden.data, act), get(a, hooks.mlpPost(L)).data),
      `${hooks.mlpPost(L)} = ${known.activation}(mlp.hook_pre)`,
    ).toBeLessThan(tol);
  }
  expectNorm(get(a, hooks.residPost(known.layers - 1)), hooks.lnFinal, hooks.lnFinalWeight, known.weights[2 * known.layers] ?? {});
}

/** ModelInfo's account of the norms and the activation function, against what the test knows of the graph. */
function expectInfo(info: ModelInfo, known: Known): void {
  const norms = [...info.layerInfo.flatMap((l) => [l.ln1, l.ln2]), info.lnFinal];
  expect(norms).toHaveLength(2 * known.layers + 1);
  for (const n of norms) {
    expect(n?.kind).toBe(known.norm);
    expect(n?.epsilon).toBeCloseTo(known.epsilon, 9);
  }
  for (const l of info.layerInfo) expect(l.activation?.kind).toBe(known.activation);
}

/** The new hooks' names for a model of `layers` blocks. */
function blockHookNames(layers: number, positions: boolean): string[] {
  const names = [hooks.embed, ...(positions ? [hooks.posEmbed] : []), hooks.lnFinal('scale'), hooks.lnFinal('normalized')];
  for (let L = 0; L < layers; L++) {
    names.push(hooks.attnOut(L), hooks.residMid(L), hooks.mlpPre(L), hooks.mlpOut(L));
    for (const n of ['ln1', 'ln2'] as const) names.push(hooks.norm(L, n, 'scale'), hooks.norm(L, n, 'normalized'));
  }
  return names;
}

const TEXT = 'the cat sat on the mat. the cat sat';

describe.each(BACKENDS)('on %s', (backend) => {
  describe('the default model', () => {
    const onnx = new Uint8Array(fs.readFileSync(path.join(DEFAULT_MODEL, 'onnx', 'model.onnx')));
    const known: Known = { layers: 4, norm: 'layer', epsilon: 1e-5, positions: true, activation: 'gelu', weights: normWeights(onnx), tolerance: 1e-4 };
    let model: LoadedModel;
    let a: Analysis;
    beforeAll(async () => {
      model = await LoadedModel.load(DEFAULT_MODEL, { backend, threads: 1 });
      a = await model.analyze('export function add(a: number, b: number) {\n  return a + b;\n}', { hooks: [...hookGroups.activations, ...hookGroups.block] });
    });
    afterAll(() => model?.release());

    it('reads γ and β of its nine norms from the graph, and they are not the identity', () => {
      expect(known.weights).toHaveLength(9);
      for (const w of known.weights) expect(w.gamma!.some((g) => Math.abs(g - 1) > 1e-3) && w.beta!.some((b) => Math.abs(b) > 1e-3)).toBe(true);
    });

    it('exposes every step of every block, with no note about them', () => {
      for (const name of blockHookNames(4, true)) expect(a.activations[name], name).toBeDefined();
      expect(model.info.notes.join(' ')).not.toMatch(/hook_\w+ (is|are) unavailable/);
    });

    it('satisfies every identity of the block to 1e-4', () => expectIdentities(a, known));

    it('says in ModelInfo which norm and activation function each block uses', () => expectInfo(model.info, known));

    it('computes none of them unless asked for, even with the residual stream and MLP activations', async () => {
      const plain = await model.analyze('export function add', { hooks: [...hookGroups.attention, ...hookGroups.activations] });
      expect(plain.activations[hooks.residPost(0)]).toBeDefined();
      for (const name of blockHookNames(4, true)) expect(plain.activations[name], name).toBeUndefined();
    });

    it('matches PyTorch on every new hook its goldens hold (today ln_final.hook_normalized)', async () => {
      const goldens = path.join(ROOT, 'test', 'fixtures', 'lens-tiny-goldens');
      const index = JSON.parse(fs.readFileSync(path.join(goldens, 'goldens.json'), 'utf8')) as {
        inputs: { name: string; text: string | null; ids: number[]; tensors: Record<string, { offset: number; shape: number[] }> }[];
      };
      const bin = fs.readFileSync(path.join(goldens, 'goldens.bin'));
      const names = new Set(blockHookNames(4, true));
      for (const input of index.inputs) {
        const held = Object.keys(input.tensors).filter((n) => names.has(n));
        expect(held).toContain(hooks.lnFinal('normalized'));
        const analysis =
          input.text === null
            ? await model.analyzeIds(input.ids, { hooks: [...hookGroups.activations, ...hookGroups.block] })
            : await model.analyze(input.text, { hooks: [...hookGroups.activations, ...hookGroups.block] });
        for (const name of held) {
          const t = input.tensors[name];
          const expected = new Float32Array(
            bin.buffer,
            bin.byteOffset + t.offset,
            t.shape.reduce((x, y) => x * y, 1),
          );
          expect(get(analysis, name).shape).toEqual(t.shape);
          expect(difference(get(analysis, name).data, expected), `${input.name}: ${name} against PyTorch`).toBeLessThan(1e-4);
        }
      }
    });
  });

  describe.skipIf(!fixturePresent)('tiny-random-gpt2, fused by ONNX Runtime (EmbedLayerNormalization, SkipLayerNormalization, FastGelu)', () => {
    let model: LoadedModel;
    let a: Analysis;
    let known: Known;
    beforeAll(async () => {
      const onnx = new Uint8Array(fs.readFileSync(path.join(TINY_GPT2, 'past.onnx')));
      known = { layers: 5, norm: 'layer', epsilon: 1e-5, positions: true, activation: 'gelu_tanh', weights: normWeights(onnx), tolerance: 1e-4 };
      model = await LoadedModel.load(TINY_GPT2, { backend, threads: 1 });
      a = await model.analyze('a b c d e f g h a b c d e f g h', { hooks: [...hookGroups.activations, ...hookGroups.block] });
    });
    afterAll(() => model?.release());

    it('exposes every step of every block, recomputing what the fused operators keep inside', () => {
      expect(known.weights).toHaveLength(11);
      for (const name of blockHookNames(5, true)) expect(a.activations[name], name).toBeDefined();
      expect(model.info.notes.join(' ')).not.toMatch(/hook_\w+ (is|are) unavailable/);
    });

    it('satisfies every identity of the block to 1e-4', () => expectIdentities(a, known));

    it('says in ModelInfo which norm and activation function each block uses', () => expectInfo(model.info, known));
  });

  const FORMS: {
    attention: AttentionForm;
    norms: DecoderOptions['norms'];
    rms: boolean;
    float16?: boolean;
    quantize?: DecoderOptions['quantize'];
    tolerance: number;
  }[] = [
    ...(['unfused', 'mha-rope'] as const).flatMap((attention) =>
      (['plain', 'fused-residual-second', 'fused-residual-first'] as const).flatMap((norms) =>
        [false, true].map((rms) => ({ attention, norms, rms, tolerance: 1e-4 })),
      ),
    ),
    { attention: 'fused-attention', norms: 'fused-residual-second', rms: false, tolerance: 1e-4 },
    // onnxruntime-genai's form: GroupQueryAttention with its own rotary, the stream first in RMS skip norms.
    { attention: 'gqa', norms: 'fused-residual-first', rms: true, tolerance: 1e-4 },
    { attention: 'unfused', norms: 'plain', rms: false, quantize: 'nbits', tolerance: 1e-4 },
    // fp16 weights and activations: the model itself rounds each tensor to about 1e-3.
    { attention: 'mha-rope', norms: 'fused-residual-first', rms: true, float16: true, tolerance: 2e-2 },
    { attention: 'unfused', norms: 'plain', rms: false, float16: true, tolerance: 2e-2 },
  ];

  describe.each(FORMS)(
    'a built decoder: $norms norms (rms: $rms, float16: $float16, quantize: $quantize), $attention attention',
    ({ attention, norms, rms, float16, quantize, tolerance }) => {
      let model: LoadedModel;
      let a: Analysis;
      const onnx = buildDecoder({ attention, norms, rms, float16, quantize });
      const positions = attention === 'unfused' || attention === 'fused-attention';
      const known: Known = { layers: 2, norm: rms ? 'rms' : 'layer', epsilon: 1e-5, positions, activation: 'silu', weights: normWeights(onnx), tolerance };
      beforeAll(async () => {
        model = await LoadedModel.load(writeModelFolder(`block-hooks-${attention}-${norms}`, onnx), { backend, threads: 1 });
        a = await model.analyze(TEXT, { hooks: [...hookGroups.activations, ...hookGroups.block] });
      });
      afterAll(() => model?.release());

      it('exposes every step of every block', () => {
        for (const name of blockHookNames(2, positions)) expect(a.activations[name], name).toBeDefined();
        expect(model.info.notes.join(' ')).not.toMatch(/hook_\w+ (is|are) unavailable/);
      });

      it(`satisfies every identity of the block to ${tolerance}`, () => expectIdentities(a, known));
    },
  );

  describe.each(FUSED)('a built decoder whose MLP is one $op', ({ op, bias, kind }) => {
    let model: LoadedModel;
    let a: Analysis;
    const onnx = withFusedActivation(buildDecoder({ attention: 'unfused', norms: 'fused-residual-second' }), op, bias);
    const known: Known = { layers: 2, norm: 'layer', epsilon: 1e-5, positions: true, activation: kind, weights: normWeights(onnx), tolerance: 1e-4 };
    beforeAll(async () => {
      model = await LoadedModel.load(writeModelFolder(`block-hooks-${op}`, onnx), { backend, threads: 1 });
      a = await model.analyze(TEXT, { hooks: [...hookGroups.activations, ...hookGroups.block] });
    });
    afterAll(() => model?.release());

    it(`satisfies every identity of the block to 1e-4, mlp.hook_post = ${kind}(mlp.hook_pre)${bias ? ' with the bias the operator adds' : ''}`, () => {
      for (const name of blockHookNames(2, true)) expect(a.activations[name], name).toBeDefined();
      expectIdentities(a, known);
    });
  });

  describe('a built decoder whose attention is not recognised', () => {
    it('exposes the norms before each block and the MLP input, and says why it leaves out what lies between attention and MLP', async () => {
      const model = await LoadedModel.load(writeModelFolder('block-hooks-manual', buildDecoder({ attention: 'manual-softmax' })), { backend, threads: 1 });
      const a = await model.analyze(TEXT, { hooks: [...hookGroups.activations, ...hookGroups.block] });
      for (let L = 0; L < 2; L++) {
        for (const name of [hooks.attnOut(L), hooks.residMid(L), hooks.norm(L, 'ln2', 'scale'), hooks.mlpOut(L)]) {
          expect(a.activations[name], name).toBeUndefined();
          expect(
            model.info.notes.find((n) => n.includes(name)),
            name,
          ).toMatch(/unavailable: no attention was recognised in the block/);
        }
        expect(a.activations[hooks.norm(L, 'ln1', 'scale')]).toBeDefined();
        expect(a.activations[hooks.mlpPre(L)]).toBeDefined();
      }
      await model.release();
    });
  });
});
