// Runs of one text with interventions, as a patching sweep makes them: rows of a batch must give
// each run exactly what it gets alone, on every attention form, with a KV cache, and on both
// backends; a model that cannot take a batch runs them one at a time and says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import type { Analysis, AnalyzeOptions, Intervention, InterventionRuns } from '../../src/engine/types';
import { hookGroups, hooks } from '../../src/shared/hooks';
import { buildDecoder, type AttentionForm, type DecoderOptions } from '../helpers/decoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';
import { DEFAULT_MODEL, TINY_GPT2 } from '../helpers/paths';
import { BACKENDS } from '../helpers/backends';

const ALL: AnalyzeOptions = { hooks: [...hookGroups.attention, ...hookGroups.activations], logits: true };

interface Subject {
  name: string;
  folder: () => string;
  texts: [string, string];
  /** Whether runs share forward passes (a model that takes no batch runs them one at a time). */
  batched: boolean;
}

const BUILT_TEXTS: [string, string] = ['the cat sat on the mat', 'the dog sat on the hat'];
const built = (name: string, options: DecoderOptions, batched = true): Subject => ({
  name,
  folder: () => writeModelFolder(name, buildDecoder(options)),
  texts: BUILT_TEXTS,
  batched,
});
const FORMS: AttentionForm[] = ['unfused', 'fused-attention', 'mha-rope', 'gqa'];
const SUBJECTS: Subject[] = [
  { name: 'the default model', folder: () => DEFAULT_MODEL, texts: ['def add(a, b):\n    return a + b', 'def add(a, b):\n    return a - b'], batched: true },
  // Its embedding table has 1,000 rows: letters are tokens of it.
  { name: 'the fused GPT-2 fixture (KV-cache inputs)', folder: () => TINY_GPT2, texts: ['a b c d e f', 'a b c d e g'], batched: true },
  ...FORMS.map((form) => built(`${form} attention`, { attention: form })),
  built('a batch of one declared on the inputs', { attention: 'unfused', singleBatch: 'declared' }, false),
  built('a batch of one fixed inside the graph', { attention: 'unfused', singleBatch: 'inside' }, false),
  // Dynamic quantization takes one scale for the whole tensor: rows of a batch would change each other's rounding.
  built('dynamic int8 quantization', { attention: 'unfused', quantize: 'dynamic' }, false),
];

function lastRow(a: Analysis): Float32Array {
  const [n, vocab] = a.logits!.shape;
  return a.logits!.data.subarray((n - 1) * vocab, n * vocab);
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe.each(BACKENDS.flatMap((backend) => SUBJECTS.map((s) => ({ ...s, backend }))))(
  'runs with interventions on $name ($backend)',
  ({ folder, texts, batched, backend }) => {
    let model: LoadedModel;
    let clean: Analysis;
    let runs: Intervention[][];
    let result: InterventionRuns;
    beforeAll(async () => {
      model = await LoadedModel.load(folder(), { backend, threads: 1 });
      clean = await model.analyze(texts[0], ALL);
      const other = await model.analyze(texts[1], ALL);
      expect(other.tokens.length).toBe(clean.tokens.length);
      const last = model.info.layers - 1;
      const n = clean.tokens.length;
      const every: Intervention[][] = [
        [],
        [{ hook: hooks.attn(0, 'z'), mode: 'zero', indices: [0] }],
        [{ hook: hooks.residPre(last), mode: 'patch', positions: [n - 2], source: other.activations[hooks.residPre(last)] }],
        [{ hook: hooks.mlpPost(last), mode: 'mean' }],
        [
          { hook: hooks.attn(last, 'z'), mode: 'patch', indices: [1], source: other.activations[hooks.attn(last, 'z')] },
          { hook: hooks.residPre(0), mode: 'zero', positions: [1] },
        ],
      ];
      // Fused norms make the stream between blocks unreplaceable (interventions.test.ts says why).
      runs = every.filter((run) => run.every((i) => model.info.interventionHooks.includes(i.hook)));
      expect(runs.length).toBeGreaterThanOrEqual(3);
      result = await model.interventionRuns(texts[0], runs);
    });
    afterAll(() => model.release());

    it(batched ? 'shares one forward pass among all the runs' : 'runs them one at a time', () => {
      expect(result.batch).toBe(batched ? runs.length : 1);
      expect(result.tokens).toBe(clean.tokens.length);
      expect(result.logits.shape).toEqual([runs.length, model.info.vocab]);
    });

    it('gives each run the logits after the last token that it gets alone', async () => {
      const vocab = model.info.vocab;
      for (const [i, run] of runs.entries()) {
        const alone = await model.analyze(texts[0], { logits: true, interventions: run });
        const row = result.logits.data.subarray(i * vocab, (i + 1) * vocab);
        // Rows of a batch may take other kernels' summation order than a single row: 1e-4 of the logits' scale.
        const scale = Math.max(...lastRow(alone).map(Math.abs));
        expect(maxDifference(row, lastRow(alone)) / scale, `run ${i}`).toBeLessThan(1e-4);
      }
    });

    it('changes the logits where a run intervenes, and only there', () => {
      const vocab = model.info.vocab;
      const plain = lastRow(clean);
      expect(maxDifference(result.logits.data.subarray(0, vocab), plain) / Math.max(...plain.map(Math.abs))).toBeLessThan(1e-4);
      for (let i = 1; i < runs.length; i++)
        expect(maxDifference(result.logits.data.subarray(i * vocab, (i + 1) * vocab), plain), `run ${i}`).toBeGreaterThan(1e-4);
    });
  },
);
