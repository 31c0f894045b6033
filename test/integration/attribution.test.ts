// Direct logit attribution: the parts add up to the logit difference the model computed, on the
// default model, the shared fused GPT-2 fixture and graphs of each attention and norm form; each
// head's share splits exactly over the tokens it read; zero-ablating a head removes its share
// from the measured difference when nothing after it reads the stream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeRuntimeInstalled } from '../../src/host/backendChoice';
import { ModelLensError } from '../../src/engine/errors';
import { LoadedModel } from '../../src/engine/loadedModel';
import type { Analysis } from '../../src/engine/types';
import { hookGroups, hooks } from '../../src/shared/hooks';
import { buildDecoder, type DecoderOptions } from '../helpers/decoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';
import { DEFAULT_MODEL, exists, TINY_GPT2 } from '../helpers/paths';

const BACKEND = nativeRuntimeInstalled() ? 'native' : 'wasm';

interface Subject {
  name: string;
  folder: () => string;
  text: string;
  /** Relative tolerance of the sum of the parts against the measured difference. */
  tolerance: number;
}

const BUILT: DecoderOptions[] = [
  { attention: 'unfused' },
  { attention: 'fused-attention' },
  { attention: 'mha-rope', norms: 'fused-residual-first', rms: true },
  { attention: 'gqa', norms: 'fused-residual-second' },
  { attention: 'mha-rope', norms: 'fused-residual-first', rms: true, float16: true },
];
const SUBJECTS: Subject[] = [
  { name: 'the default model', folder: () => DEFAULT_MODEL, text: 'def add(a, b):\n    return a + b', tolerance: 1e-4 },
  ...(exists(TINY_GPT2) ? [{ name: 'the shared fused GPT-2 fixture', folder: () => TINY_GPT2, text: 'a b c d e f g', tolerance: 1e-4 }] : []),
  ...BUILT.map((o) => ({
    name: `${o.attention} attention, ${o.norms ?? 'plain'} ${o.rms ? 'RMS' : 'Layer'} norms${o.float16 ? ', float16' : ''}`,
    folder: () => writeModelFolder(o.attention, buildDecoder(o)),
    text: 'the cat sat on the mat',
    tolerance: o.float16 ? 2e-2 : 1e-4,
  })),
];

describe.each(SUBJECTS)('direct logit attribution on $name', ({ folder, text, tolerance }) => {
  let model: LoadedModel;
  let clean: Analysis;
  let position: number;
  beforeAll(async () => {
    model = await LoadedModel.load(folder(), { backend: BACKEND, threads: 1 });
    clean = await model.analyze(text, { logits: true });
    position = clean.tokens.length - 1;
  });
  afterAll(() => model.release());

  it('splits the measured logit difference into parts that add up to it', async () => {
    const a = await model.analyze(text, { hooks: hookGroups.attention, logits: true, attribution: { position } });
    const at = a.attribution!;
    const vocab = a.logits!.shape[1];
    const row = (position - 1) * vocab;
    expect(at.target).toBe(a.tokens[position].id);
    expect(at.measured).toBeCloseTo(a.logits!.data[row + at.target] - a.logits!.data[row + at.foil], 4);
    expect(Math.abs(at.sum - at.measured)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(at.measured)));
    // Every layer has its MLP and its attention, here split into heads.
    expect(at.parts.filter((p) => p.kind === 'embed')).toHaveLength(1);
    expect(at.parts.filter((p) => p.kind === 'mlp')).toHaveLength(model.info.layers);
    expect(at.parts.filter((p) => p.kind === 'head')).toHaveLength(model.info.layers * model.info.heads);
    expect(at.notes).toEqual([]);
  });

  it("takes as foil the model's best prediction other than the target", async () => {
    const a = await model.analyze(text, { topK: 2, attribution: { position } });
    const [first, second] = a.topIds.subarray((position - 1) * a.topK, (position - 1) * a.topK + 2);
    expect(a.attribution!.foil).toBe(first === a.tokens[position].id ? second : first);
  });

  it("splits each head's share over the tokens it read", async () => {
    const target = clean.tokens[position].id;
    const foil = clean.tokens[1].id === target ? clean.tokens[2].id : clean.tokens[1].id;
    const at = (await model.analyze(text, { attribution: { position, target, foil } })).attribution!;
    expect([at.target, at.foil]).toEqual([target, foil]);
    const heads = at.parts.filter((p) => p.kind === 'head').reduce((sum, p) => sum + p.value, 0);
    const sources = at.sources.reduce((sum, x) => sum + x, 0);
    expect(at.sources).toHaveLength(position);
    expect(Math.abs(sources - heads)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(heads)));
  });

  it('explains nothing unless asked, and a position with nothing before it not at all', async () => {
    expect(clean.attribution).toBeUndefined();
    const e = await model.analyze(text, { attribution: { position: 0 } }).catch((error: unknown) => error);
    expect(e).toBeInstanceOf(ModelLensError);
    expect((e as ModelLensError).message).toContain('choose a position from 1');
  });
});

describe('attribution and ablation agree', () => {
  it("zero-ablating a head of the last layer changes the logit difference by that head's share", async () => {
    const model = await LoadedModel.load(DEFAULT_MODEL, { backend: BACKEND, threads: 1 });
    const text = 'def add(a, b):\n    return a + b';
    const plain = await model.analyze(text, { attribution: { position: 5 } });
    const { target, foil } = plain.attribution!;
    const L = model.info.layers - 1;
    const ablated = await model.analyze(text, {
      interventions: [{ hook: hooks.attn(L, 'z'), mode: 'zero', indices: [2] }],
      attribution: { position: 5, target, foil },
    });
    const share = plain.attribution!.parts.find((p) => p.kind === 'head' && p.layer === L && p.head === 2)!.value;
    // Only the final norm's scale moves: the rest of the model after the last layer's attention is its MLP, which reads the stream.
    expect(Math.abs(plain.attribution!.measured - ablated.attribution!.measured)).toBeGreaterThan(0);
    expect(Math.sign(plain.attribution!.measured - ablated.attribution!.measured)).toBe(Math.sign(share));
    await model.release();
  });
});
