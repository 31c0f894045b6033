// The cost of an encoder's token probabilities (child role `masked`): a masked language model
// gives each token its probability with that token masked, one text per token, so a hover or the
// heatmap of n tokens costs n forward passes. Timed as Model Lens runs it (one analysis through
// EngineClient: the text itself, then the masked copies as rows of batches), against
// uninstrumented passes of the same masked copies in the same batches, in the same process,
// alternating rounds (ratios within a round, medians reported).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineClient } from '../../src/engine/client';
import { INTERVENTION_BATCH_BYTES, MAX_BATCH } from '../../src/engine/loadedModel';
import { resolveModelFiles } from '../../src/engine/modelFolder';
import type { Tensors } from '../../src/engine/runner';
import { ortRunners } from '../../src/engine/runtime';
import { buildEncoder, encoderWeights } from '../../test/helpers/encoderBuilder';
import { wordPieceTokenizer } from '../../test/helpers/tokenizers';
import { ms, times } from './format';
import { QUICK_TINY, type BenchModelSpec } from './models';
import type { OrtBackend } from './runners';
import { median } from './stats';

/** A BERT-shaped masked language model of random weights: Google's BERT-small (L=4, H=512) with BERT's uncased vocabulary size. */
export const BERT_SMALL: BenchModelSpec = {
  name: 'bert-small-random',
  label: 'BERT-small-shaped (random)',
  layers: 4,
  heads: 8,
  dModel: 512,
  dMlp: 2048,
  vocab: 30522,
  positions: 512,
  seed: 5,
};
/** The quick mode's encoder: the quick decoder's sizes. */
export const QUICK_ENCODER: BenchModelSpec = { ...QUICK_TINY, name: 'quick-encoder', label: 'quick encoder (random)', seed: 5 };

/** Words of the benchmark's texts, one token each; [MASK] is id 4 of wordPieceTokenizer. */
const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'a', 'dog', 'ran', 'to', 'park', 'and', 'it', 'was', 'good', '.', ','];
const MASK_ID = 4;

/** Writes the model folder unless one of the same shape is there (the stamp is written last). */
export function ensureEncoder(root: string, spec: BenchModelSpec): string {
  const folder = path.join(root, spec.name);
  const stamp = JSON.stringify(spec);
  const stampFile = path.join(folder, 'bench-params.json');
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return folder;
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(path.join(folder, 'onnx'), { recursive: true });
  const { name: _, label: __, tokenizerFrom: ___, ...shape } = spec;
  fs.writeFileSync(path.join(folder, 'onnx', 'model.onnx'), buildEncoder(encoderWeights(shape)));
  const tokenizer = wordPieceTokenizer(WORDS, spec.vocab);
  fs.writeFileSync(path.join(folder, 'tokenizer.json'), JSON.stringify(tokenizer.json));
  fs.writeFileSync(path.join(folder, 'tokenizer_config.json'), JSON.stringify(tokenizer.config));
  fs.writeFileSync(path.join(folder, 'config.json'), JSON.stringify({ model_type: 'bert', max_position_embeddings: spec.positions }));
  fs.writeFileSync(stampFile, stamp);
  return folder;
}

export interface MaskedSpec {
  model: string;
  backend: OrtBackend;
  threads: number;
  workerPath: string;
  /** Tokens of the text, [CLS] and [SEP] included. */
  n: number;
  runs: number;
}

export interface MaskedResult {
  n: number;
  /** Masked copies one analysis runs (the tokens that are not special). */
  masked: number;
  /** Rows of the batches they run in. */
  batch: number;
  analysisMs: number[];
  /** The same masked copies, uninstrumented, in the same batches. */
  plainMs: number[];
  ratio: number[];
}

export async function maskedProbabilities(spec: MaskedSpec): Promise<MaskedResult> {
  const text = Array.from({ length: spec.n - 2 }, (_, i) => WORDS[i % WORDS.length]).join(' ');
  const client = new EngineClient({ workerPath: path.resolve(spec.workerPath), backend: spec.backend, threads: spec.threads });
  const info = await client.load(spec.model);
  if (info.predicts !== 'masked') throw new Error(`the benchmark's encoder was read as predicting '${info.predicts}', not 'masked'`);
  const first = await client.analyze(text);
  if (first.tokens.length !== spec.n) throw new Error(`Model Lens analysed ${first.tokens.length} tokens, expected ${spec.n}`);
  const ids = first.tokens.map((t) => t.id);
  const positions = first.tokens.flatMap((t, i) => (t.special ? [] : [i]));
  // The engine's own batching (LoadedModel.inBatches).
  const batch = Math.max(1, Math.min(MAX_BATCH, Math.floor(INTERVENTION_BATCH_BYTES / (spec.n * info.vocab * 4))));
  const plain = await ortRunners(
    spec.backend,
    spec.threads,
    true,
  )({ model: new Uint8Array(fs.readFileSync(resolveModelFiles(spec.model).onnx)), externalData: [] });
  const feeds = (rows: number[][]): Tensors => {
    const tensor = (value: (row: number[], i: number) => number) => ({
      type: 'int64' as const,
      dims: [rows.length, spec.n],
      data: BigInt64Array.from({ length: rows.length * spec.n }, (_, k) => BigInt(value(rows[Math.floor(k / spec.n)], k % spec.n))),
    });
    return { input_ids: tensor((row, i) => row[i]), attention_mask: tensor(() => 1), token_type_ids: tensor(() => 0) };
  };
  const plainPasses = async (): Promise<number> => {
    const started = performance.now();
    for (let start = 0; start < positions.length; start += batch) {
      const rows = positions.slice(start, start + batch).map((p) => ids.map((id, i) => (i === p ? MASK_ID : id)));
      await plain.run(feeds(rows), ['logits']);
    }
    return performance.now() - started;
  };
  await plainPasses(); // warm-up, as the first analysis was
  const result: MaskedResult = { n: spec.n, masked: positions.length, batch, analysisMs: [], plainMs: [], ratio: [] };
  for (let round = 0; round < spec.runs; round++) {
    const started = performance.now();
    await client.analyze(text);
    const analysis = performance.now() - started;
    const plainMs = await plainPasses();
    result.analysisMs.push(analysis);
    result.plainMs.push(plainMs);
    result.ratio.push(analysis / plainMs);
  }
  await plain.release();
  client.dispose();
  return result;
}

export interface MaskedReport {
  label: string;
  results: Partial<Record<OrtBackend, MaskedResult>>;
}

export function maskedSection(r: MaskedReport | undefined): string[] {
  const rows = (['wasm', 'native'] as const).flatMap((b) => (r?.results[b] ? [[b, r.results[b]!] as const] : []));
  if (!r || rows.length === 0) return [];
  return [
    `## An encoder's token probabilities (${r.label})`,
    '',
    'A masked language model gives each token its probability with that token masked: a text of n tokens is n − 2 masked copies ([CLS] and [SEP] are not predicted), run as rows of batches (as many as fit 64 MB of logits, at most 16). **Model Lens** is one `EngineClient.analyze` of the text (the text itself, then the masked copies, token statistics of each); **uninstrumented** is ONNX Runtime on the same .onnx file running the same masked copies in the same batches, fetching the logits. Medians of the rounds; the ratio is taken within a round.',
    '',
    '| Backend | tokens | masked copies | batch | Model Lens analysis | uninstrumented masked passes | ratio |',
    '|:--|--:|--:|--:|--:|--:|--:|',
    ...rows.map(
      ([b, m]) =>
        `| ${b === 'wasm' ? 'WASM' : 'native'} | ${m.n} | ${m.masked} | ${m.batch} | ${ms(median(m.analysisMs))} | ${ms(median(m.plainMs))} | ${times(median(m.ratio))} |`,
    ),
    '',
  ];
}
