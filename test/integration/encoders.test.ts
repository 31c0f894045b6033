// Encoders (BERT and the models after it): bidirectional attention, a residual stream normalized
// after every block (post-norm), masked-LM token probabilities computed with each token masked,
// and a classifier's class probabilities. Every number is checked against referenceEncoder, a
// float64 implementation of the same model in plain JavaScript that shares nothing with the
// engine or ONNX Runtime. The model comes as torch.onnx writes it (LayerNorm as an operator or
// as arithmetic) and as ONNX Runtime's transformer optimizer leaves it (EmbedLayerNormalization,
// Attention, SkipLayerNormalization, BiasGelu).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import { windowTokens } from '../../src/host/probabilities/tokenInfo';
import { hookGroups, hooks } from '../../src/shared/hooks';
import { BACKENDS } from '../helpers/backends';
import { buildDecoder } from '../helpers/decoderBuilder';
import { buildEncoder, encoderWeights, referenceEncoder, type EncoderOptions } from '../helpers/encoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';
import { wordPieceTokenizer } from '../helpers/tokenizers';

const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'dog', '##s', 'a', '.', ','];
const TEXT = 'The cat sat on the mat, the dogs sat.';
/** [MASK] in wordPieceTokenizer's vocabulary. */
const MASK_ID = 4;
const ALL = { hooks: [...hookGroups.attention, ...hookGroups.activations], lens: true } as const;

function encoderFolder(options: EncoderOptions, config: object = {}): { folder: string; weights: ReturnType<typeof encoderWeights> } {
  const weights = encoderWeights(options);
  const tokenizer = wordPieceTokenizer(WORDS, weights.options.vocab);
  const folder = writeModelFolder('bert', buildEncoder(weights), {
    'tokenizer.json': JSON.stringify(tokenizer.json),
    'tokenizer_config.json': JSON.stringify(tokenizer.config),
    'config.json': JSON.stringify({ model_type: 'bert', ...config }),
  });
  return { folder, weights };
}

function softmax(row: readonly number[]): number[] {
  const max = Math.max(...row);
  const e = row.map((x) => Math.exp(x - max));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / total);
}

/** max |a − b| over a float32 tensor and nested reference arrays of the same size. */
function maxError(actual: Float32Array, expected: unknown): number {
  const flat = (expected as number[]).flat(4) as number[];
  expect(actual.length).toBe(flat.length);
  return flat.reduce((worst, x, i) => Math.max(worst, Math.abs(actual[i] - x)), 0);
}

describe.each(BACKENDS)('a masked language model on %s', (backend) => {
  describe.each(['operator', 'arithmetic', 'fused'] as const)('with LayerNorm as %s', (norms) => {
    const { folder, weights } = encoderFolder({ norms });
    let model: LoadedModel;
    beforeAll(async () => {
      model = await LoadedModel.load(folder, { backend, threads: 1 });
    });
    afterAll(() => model?.release());

    it('is found to see the whole text and to predict the token at each position', () => {
      expect(model.info).toMatchObject({ predicts: 'masked', bidirectional: true, layers: 2, heads: 4, dModel: 32, dMlp: 64, vocab: 64 });
      // The fused Attention's pattern is recomputed beside it, and must reproduce its output.
      const kind = norms === 'fused' ? 'recomputed' : 'softmax';
      expect(model.info.layerInfo.map((l) => l.attention.kind)).toEqual([kind, kind]);
      if (norms === 'fused') for (const l of model.info.layerInfo) expect(l.checkError).toBeLessThan(1e-5);
      expect(model.info.notes.join(' ')).toContain('post-norm');
    });

    it('gives the offsets of a lower-casing tokenizer in the text as typed', async () => {
      const a = await model.analyze(TEXT);
      expect(a.exactOffsets).toBe(true);
      expect(a.tokens.map((t) => TEXT.slice(t.start, t.end).trim())).toEqual([
        '',
        'The',
        'cat',
        'sat',
        'on',
        'the',
        'mat',
        ',',
        'the',
        'dog',
        's',
        'sat',
        '.',
        '',
      ]);
    });

    it('reports attention, the normalized stream after every block and the lens as the reference computes them', async () => {
      const a = await model.analyze(TEXT, ALL);
      const ids = a.tokens.map((t) => t.id);
      const reference = referenceEncoder(weights, ids);
      for (let L = 0; L < 2; L++) {
        const pattern = a.activations[hooks.attn(L, 'pattern')];
        expect(maxError(pattern.data, reference.patterns[L])).toBeLessThan(1e-5);
        // Attention reaches forward: the first token attends to the last.
        expect(reference.patterns[L][0][0][ids.length - 1]).toBeGreaterThan(1e-3);
        expect(maxError(a.activations[hooks.residPre(L)].data, reference.hidden[L])).toBeLessThan(1e-4);
        expect(maxError(a.activations[hooks.residPost(L)].data, reference.hidden[L + 1])).toBeLessThan(1e-4);
      }
      // The lens' last row is the model's own prediction at each position (token visible).
      const lens = a.lens!;
      expect(lens.rows).toBe(3);
      const positions = ids.length - lens.from;
      for (let p = 0; p < positions; p++) {
        const probs = softmax(reference.logits[lens.from + p]);
        const top = probs.indexOf(Math.max(...probs));
        const i = ((lens.rows - 1) * positions + p) * lens.k;
        expect(lens.ids[i]).toBe(top);
        expect(lens.probs[i]).toBeCloseTo(probs[top], 5);
      }
    });

    it('gives each token its probability with that token masked, and the predictions there', async () => {
      const a = await model.analyze(TEXT);
      expect(a.predicts).toBe('masked');
      const ids = a.tokens.map((t) => t.id);
      a.tokens.forEach((token, i) => {
        if (token.special) {
          expect(a.prob[i]).toBeNaN();
          return;
        }
        const masked = ids.map((id, j) => (j === i ? MASK_ID : id));
        const probs = softmax(referenceEncoder(weights, masked).logits[i]);
        expect(a.prob[i]).toBeCloseTo(probs[ids[i]], 5);
        expect(a.rank[i]).toBe(probs.filter((p) => p > probs[ids[i]]).length + 1);
        expect(a.topIds[i * a.topK]).toBe(probs.indexOf(Math.max(...probs)));
        // Not the unmasked distribution, which sees the token itself.
        expect(Math.abs(a.prob[i] - softmax(referenceEncoder(weights, ids).logits[i])[ids[i]])).toBeGreaterThan(1e-6);
      });
    });

    it('gives hovers and the heatmap each token’s own masked prediction', async () => {
      const a = await model.analyze(TEXT);
      const infos = windowTokens(a, { contextStart: 0, ownedStart: 0, ownedEnd: TEXT.length });
      // [CLS] and [SEP] cover no text, so the window keeps only the words.
      expect(infos.map((t) => t.id)).toEqual(a.tokens.filter((t) => !t.special).map((t) => t.id));
      for (const info of infos) {
        const i = a.tokens.findIndex((t) => t.start === info.start && !t.special);
        expect(info.masked).toBe(true);
        expect(info.prob).toBe(a.prob[i]);
        expect(info.top[0].prob).toBe(a.topProbs[i * a.topK]);
      }
    });

    it('makes an ablation in every masked copy, so the masked probabilities are the ablated model’s', async () => {
      const ablate = { hook: hooks.attn(1, 'z'), mode: 'zero' as const, indices: [2] };
      const a = await model.analyze(TEXT, { interventions: [ablate] });
      const ids = a.tokens.map((t) => t.id);
      for (const i of [2, 6]) {
        const masked = ids.map((id, j) => (j === i ? MASK_ID : id));
        const ablated = softmax(referenceEncoder(weights, masked, [{ layer: 1, head: 2 }]).logits[i]);
        expect(a.prob[i]).toBeCloseTo(ablated[ids[i]], 5);
        expect(Math.abs(a.prob[i] - softmax(referenceEncoder(weights, masked).logits[i])[ids[i]])).toBeGreaterThan(1e-6);
      }
    });

    it('says that direct logit attribution does not apply', async () => {
      await expect(model.analyze(TEXT, { attribution: { position: 3 } })).rejects.toThrow(/post-norm/);
    });
  });
});

describe.each(BACKENDS)('a sequence classifier on %s', (backend) => {
  const { folder, weights } = encoderFolder({ classes: 3 }, { id2label: { 0: 'negative', 1: 'neutral', 2: 'positive' } });
  let model: LoadedModel;
  beforeAll(async () => {
    model = await LoadedModel.load(folder, { backend, threads: 1 });
  });
  afterAll(() => model?.release());

  it('is read as a classifier with its labels, attention and stream', () => {
    expect(model.info).toMatchObject({ predicts: 'classes', bidirectional: true, classLabels: ['negative', 'neutral', 'positive'], layers: 2 });
    expect(model.info.notes.join(' ')).toContain('scores classes for the whole text');
  });

  it('gives the class probabilities of the whole text, and no token probabilities', async () => {
    const a = await model.analyze(TEXT, ALL);
    const ids = a.tokens.map((t) => t.id);
    const reference = referenceEncoder(weights, ids);
    const expected = softmax(reference.logits[0]);
    expect(a.classes?.map((c) => c.label)).toEqual(['negative', 'neutral', 'positive']);
    a.classes!.forEach((c, i) => expect(c.prob).toBeCloseTo(expected[i], 5));
    expect([...a.prob].every(Number.isNaN)).toBe(true);
    expect(a.lens).toBeUndefined();
    expect(maxError(a.activations[hooks.attn(1, 'pattern')].data, reference.patterns[1])).toBeLessThan(1e-5);
    expect(maxError(a.activations[hooks.residPost(1)].data, reference.hidden[2])).toBeLessThan(1e-4);
  });

  it('names classes LABEL_i when config.json does not', async () => {
    const unnamed = await LoadedModel.load(encoderFolder({ classes: 2 }).folder, { backend, threads: 1 });
    try {
      expect(unnamed.info.classLabels).toEqual(['LABEL_0', 'LABEL_1']);
    } finally {
      await unnamed.release();
    }
  });
});

describe('telling encoders from decoders', () => {
  it('finds a decoder causal: its probabilities stay next-token ones', async () => {
    const decoder = await LoadedModel.load(writeModelFolder('decoder', buildDecoder({ attention: 'unfused' })), { backend: 'wasm', threads: 1 });
    try {
      expect(decoder.info).toMatchObject({ predicts: 'next', bidirectional: false });
      expect((await decoder.analyze('the cat')).predicts).toBe('next');
    } finally {
      await decoder.release();
    }
  });

  it('finds a decoder-based classifier causal (its stream at the first positions ignores the last token)', async () => {
    const classifier = await LoadedModel.load(writeModelFolder('decoder-classifier', buildDecoder({ attention: 'unfused', classes: 2 })), {
      backend: 'wasm',
      threads: 1,
    });
    try {
      expect(classifier.info).toMatchObject({ predicts: 'classes', bidirectional: false, classLabels: ['LABEL_0', 'LABEL_1'] });
      const a = await classifier.analyze('the cat');
      expect(a.classes!.reduce((sum, c) => sum + c.prob, 0)).toBeCloseTo(1, 6);
    } finally {
      await classifier.release();
    }
  });

  it('says why a bidirectional model without a mask token has no token probabilities', async () => {
    const weights = encoderWeights({});
    const tokenizer = wordPieceTokenizer(WORDS, 64);
    const json = tokenizer.json as { added_tokens: { content: string }[] };
    // [MASK] neither named in the config nor among the added tokens.
    json.added_tokens = json.added_tokens.filter((t) => t.content !== '[MASK]');
    const folder = writeModelFolder('bert-no-mask', buildEncoder(weights), {
      'tokenizer.json': JSON.stringify(json),
      'tokenizer_config.json': JSON.stringify({ ...tokenizer.config, mask_token: undefined }),
    });
    const model = await LoadedModel.load(folder, { backend: 'wasm', threads: 1 });
    try {
      expect(model.info.predicts).toBe('masked');
      expect(model.info.notes.join(' ')).toContain('names no mask token');
      expect([...(await model.analyze(TEXT)).prob].every(Number.isNaN)).toBe(true);
    } finally {
      await model.release();
    }
  });
});
