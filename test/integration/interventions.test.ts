// Interventions at the hooks (ablation, patching), checked by exact identities on the default
// model, the shared fused GPT-2 fixture and a graph of each attention form: no intervention
// changes nothing, a zero-ablated head outputs zero and leaves earlier layers as they were, and
// patching the whole embedding from another text reproduces that text's run.
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLensError } from '../../src/engine/errors';
import { buildFeeds } from '../../src/engine/inputs';
import { LoadedModel } from '../../src/engine/loadedModel';
import { GraphIndex } from '../../src/engine/onnx/graph';
import { decodeModel } from '../../src/engine/onnx/model';
import { ortRunners } from '../../src/engine/runtime';
import type { Analysis, AnalyzeOptions, TensorData } from '../../src/engine/types';
import { hookGroups, hooks } from '../../src/shared/hooks';
import { buildDecoder, type AttentionForm } from '../helpers/decoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';
import { DEFAULT_MODEL, exists, TINY_GPT2 } from '../helpers/paths';
import { BACKENDS } from '../helpers/backends';

const ALL: AnalyzeOptions = { hooks: [...hookGroups.attention, ...hookGroups.activations], logits: true };

interface Subject {
  name: string;
  folder: () => string;
  /** Two texts of the same length in tokens (the fixture's embedding table has 1,000 rows). */
  texts: [string, string];
}

const FORMS: AttentionForm[] = ['unfused', 'fused-attention', 'mha-rope', 'gqa'];
const SUBJECTS: Subject[] = [
  { name: 'the default model', folder: () => DEFAULT_MODEL, texts: ['def add(a, b):\n    return a + b', 'def add(a, b):\n    return a - b'] },
  ...FORMS.map((form) => ({
    name: `${form} attention`,
    folder: () => writeModelFolder(form, buildDecoder({ attention: form })),
    texts: ['the cat sat on the mat', 'the dog sat on the hat'] as [string, string],
  })),
];

function expectEqual(a: TensorData | undefined, b: TensorData | undefined, what: string): void {
  expect(a, what).toBeDefined();
  expect(a!.shape, what).toEqual(b!.shape);
  expect(
    Buffer.from(a!.data.buffer, a!.data.byteOffset, a!.data.byteLength).equals(Buffer.from(b!.data.buffer, b!.data.byteOffset, b!.data.byteLength)),
    `${what} is bit-identical`,
  ).toBe(true);
}

function maxDifference(a: TensorData, b: TensorData): number {
  let max = 0;
  for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(a.data[i] - b.data[i]));
  return max;
}

/** The logits of `text`'s ids from the model file as it is, on plain ONNX Runtime. */
async function plainLogits(file: string, ids: number[], backend: 'wasm' | 'native'): Promise<Float32Array> {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const index = new GraphIndex(decodeModel(bytes));
  const runner = await ortRunners(backend, 1)({ model: bytes, externalData: [] });
  const out = await runner.run(buildFeeds([...index.inputs.values()], ids, {}, file), ['logits']);
  await runner.release();
  return out.logits.data as Float32Array;
}

describe.each(BACKENDS.flatMap((backend) => SUBJECTS.map((s) => ({ ...s, backend }))))('interventions on $name ($backend)', ({ folder, texts, backend }) => {
  let model: LoadedModel;
  let clean: Analysis;
  let other: Analysis;
  beforeAll(async () => {
    model = await LoadedModel.load(folder(), { backend, threads: 1 });
    clean = await model.analyze(texts[0], ALL);
    other = await model.analyze(texts[1], ALL);
    expect(other.tokens.length).toBe(clean.tokens.length);
  });
  afterAll(() => model.release());

  it('without an intervention, gives the logits of the model as it is (bit for bit on WebAssembly)', async () => {
    const plain = {
      shape: clean.logits!.shape,
      data: await plainLogits(
        model.info.file,
        clean.tokens.map((t) => t.id),
        backend,
      ),
    };
    if (backend === 'wasm') expectEqual(clean.logits, plain, 'logits');
    // Native ONNX Runtime fuses operators whose intermediate tensors are not graph outputs; the
    // instrumented graph exposes some, so a few sums are taken in another order there.
    else expect(maxDifference(clean.logits!, plain)).toBeLessThan(1e-5);
  });

  it('replacing nowhere (an empty list of positions) changes nothing, bit for bit', async () => {
    const L = model.info.layers - 1;
    const nowhere = [hooks.attn(L, 'z'), hooks.residPre(L), hooks.mlpPost(L)].map((hook) => ({ hook, mode: 'zero' as const, positions: [] }));
    expect(nowhere.every((i) => model.info.interventionHooks.includes(i.hook))).toBe(true);
    const a = await model.analyze(texts[0], { ...ALL, interventions: nowhere });
    expectEqual(a.logits, clean.logits, 'logits');
    for (const name of Object.keys(clean.activations)) expectEqual(a.activations[name], clean.activations[name], name);
  });

  it('zero-ablating a head zeroes its output, leaves the other heads and earlier layers alone, and changes the prediction', async () => {
    const L = model.info.layers - 1;
    const head = 1;
    const a = await model.analyze(texts[0], { ...ALL, interventions: [{ hook: hooks.attn(L, 'z'), mode: 'zero', indices: [head] }] });
    expect(a.interventions).toEqual([{ hook: hooks.attn(L, 'z'), mode: 'zero', indices: [head] }]);
    const z = a.activations[hooks.attn(L, 'z')];
    const [n, heads, d] = z.shape;
    for (let p = 0; p < n; p++) {
      for (let h = 0; h < heads; h++) {
        for (let j = 0; j < d; j++) {
          const at = (p * heads + h) * d + j;
          expect(z.data[at]).toBe(h === head ? 0 : clean.activations[hooks.attn(L, 'z')].data[at]);
        }
      }
    }
    for (let earlier = 0; earlier < L; earlier++)
      expectEqual(a.activations[hooks.residPost(earlier)], clean.activations[hooks.residPost(earlier)], `layer ${earlier}`);
    expectEqual(a.activations[hooks.attn(L, 'pattern')], clean.activations[hooks.attn(L, 'pattern')], "the ablated layer's pattern");
    expect(maxDifference(a.logits!, clean.logits!)).toBeGreaterThan(1e-4);
  });

  it('mean-ablating MLP neurons puts their mean over the positions at every position', async () => {
    const hook = hooks.mlpPost(0);
    const a = await model.analyze(texts[0], { ...ALL, interventions: [{ hook, mode: 'mean', indices: [0, 3] }] });
    const [n, width] = a.activations[hook].shape;
    for (const neuron of [0, 3]) {
      let mean = 0;
      for (let p = 0; p < n; p++) mean += clean.activations[hook].data[p * width + neuron] / n;
      for (let p = 0; p < n; p++) expect(a.activations[hook].data[p * width + neuron]).toBeCloseTo(mean, 5);
    }
    for (let p = 0; p < n; p++) expect(a.activations[hook].data[p * width + 1]).toBe(clean.activations[hook].data[p * width + 1]);
  });

  it("patching the whole embedding from another text reproduces that text's run", async () => {
    const hook = hooks.residPre(0);
    const a = await model.analyze(texts[0], { ...ALL, interventions: [{ hook, mode: 'patch', source: other.activations[hook] }] });
    expect(maxDifference(a.logits!, other.logits!)).toBeLessThan(1e-5);
    for (let L = 0; L < model.info.layers; L++)
      expect(maxDifference(a.activations[hooks.residPost(L)], other.activations[hooks.residPost(L)])).toBeLessThan(1e-4);
  });

  it('patching one position of the stream changes nothing before it', async () => {
    const hook = hooks.residPre(1);
    const last = clean.tokens.length - 1;
    const a = await model.analyze(texts[0], { ...ALL, interventions: [{ hook, mode: 'patch', positions: [last], source: other.activations[hook] }] });
    const [n, vocab] = a.logits!.shape;
    expect(Array.from(a.logits!.data.subarray(0, (n - 1) * vocab))).toEqual(Array.from(clean.logits!.data.subarray(0, (n - 1) * vocab)));
    expect(maxDifference(a.logits!, clean.logits!)).toBeGreaterThan(1e-4);
  });

  it('refuses to patch from a text of another length, saying how many tokens each has', async () => {
    const hook = hooks.residPre(0);
    const e = await model
      .analyze(`${texts[0]} and more`, { interventions: [{ hook, mode: 'patch', source: other.activations[hook] }] })
      .catch((error: unknown) => error);
    expect(e).toBeInstanceOf(ModelLensError);
    expect((e as ModelLensError).message).toContain(`${other.tokens.length} and`);
  });
});

describe.skipIf(!exists(TINY_GPT2))('interventions on the shared fused GPT-2 fixture', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await LoadedModel.load(TINY_GPT2, { backend: 'wasm', threads: 1 });
  });
  afterAll(() => model.release());

  it('can ablate heads of the fused Attention operator', async () => {
    const clean = await model.analyze('a b c d e', ALL);
    const a = await model.analyze('a b c d e', { ...ALL, interventions: [{ hook: hooks.attn(2, 'z'), mode: 'zero' }] });
    expect(a.activations[hooks.attn(2, 'z')].data.every((x) => x === 0)).toBe(true);
    expectEqual(a.activations[hooks.residPost(1)], clean.activations[hooks.residPost(1)], 'layer 1');
    expect(maxDifference(a.logits!, clean.logits!)).toBeGreaterThan(0);
  });

  it('says why the stream inside fused norms cannot be replaced alone', async () => {
    const e = await model.analyze('a b c', { interventions: [{ hook: hooks.residPre(0), mode: 'zero' }] }).catch((error: unknown) => error);
    expect(e).toBeInstanceOf(ModelLensError);
    expect((e as ModelLensError).message).toMatch(/EmbedLayerNormalization computes it together with .*replacing it alone/);
  });
});
