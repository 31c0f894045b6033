// The models the benchmark runs, generated reproducibly into bench-models/ (git-ignored): random
// weights from fixed seeds through the same builder the engine's tests use, with unfused
// MatMul/Softmax attention as torch.onnx exports it, and a small byte-level BPE tokenizer.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Emitter } from '../../src/engine/onnx/emit';
import { DataType, encodeModel } from '../../src/engine/onnx/model';
import { byteLevelAlphabet } from '../../src/engine/offsets';
import { buildDecoder, random } from '../../test/helpers/decoderBuilder';
import { byteLevelBpe } from '../../test/helpers/tokenizers';
import { codeText } from './text';

export interface BenchModelSpec {
  /** Folder name under bench-models/. */
  name: string;
  /** Shown in the report. */
  label: string;
  layers: number;
  heads: number;
  dModel: number;
  dMlp: number;
  vocab: number;
  positions: number;
  seed: number;
  /** A model folder (relative to the repository) whose tokenizer to use when it has one. */
  tokenizerFrom?: string;
}

/** GPT-2 small's shape (124M parameters plus an untied head: ~163M, ~650 MB in fp32). */
export const GPT2_SMALL: BenchModelSpec = {
  name: 'gpt2-small-random',
  label: 'GPT-2-small-shaped (random)',
  layers: 12,
  heads: 12,
  dModel: 768,
  dMlp: 3072,
  vocab: 50257,
  positions: 1024,
  seed: 124,
};

/**
 * Stands in for media/models/lens-tiny while its .onnx is not there: the shape of its training
 * config, and its own tokenizer when that is already there (it is written first).
 */
export const LENS_TINY_STANDIN: BenchModelSpec = {
  name: 'lens-tiny-standin',
  label: 'lens-tiny stand-in (random)',
  layers: 4,
  heads: 8,
  dModel: 256,
  dMlp: 1024,
  vocab: 4096,
  positions: 512,
  seed: 7,
  tokenizerFrom: 'media/models/lens-tiny',
};

/** The one small model of the quick mode: a few milliseconds a forward pass. */
export const QUICK_TINY: BenchModelSpec = {
  name: 'quick-tiny',
  label: 'quick tiny (random)',
  layers: 2,
  heads: 4,
  dModel: 64,
  dMlp: 256,
  vocab: 512,
  positions: 128,
  seed: 3,
};

/** Bumped when the files written here change, so old folders are rebuilt. */
const FORMAT = 1;

/** GPT-2's pre-tokenizer split, for the ASCII text the benchmark writes. */
const PRE_TOKENIZE = / ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+/g;

/**
 * Byte-pair merges learned from the benchmark's own code text, the most frequent pair first
 * (Sennrich et al.), so code comes out at a few characters a token as with a real tokenizer: the
 * editor's windows, sized in characters per position, then fill the model's window as they would.
 */
function learnMerges(text: string, count: number): string[] {
  const toByteLevel = (s: string) => [...s].map((c) => (c === ' ' ? 'Ġ' : c === '\n' ? 'Ċ' : c));
  const words = new Map<string, { pieces: string[]; n: number }>();
  for (const w of text.match(PRE_TOKENIZE) ?? []) {
    const entry = words.get(w) ?? { pieces: toByteLevel(w), n: 0 };
    entry.n++;
    words.set(w, entry);
  }
  const merges: string[] = [];
  while (merges.length < count) {
    const pairs = new Map<string, number>();
    for (const { pieces, n } of words.values()) {
      for (let i = 0; i + 1 < pieces.length; i++) {
        const pair = `${pieces[i]} ${pieces[i + 1]}`;
        pairs.set(pair, (pairs.get(pair) ?? 0) + n);
      }
    }
    const best = [...pairs.entries()].reduce<[string, number] | undefined>((a, b) => (!a || b[1] > a[1] ? b : a), undefined);
    if (!best) break;
    merges.push(best[0]);
    const [left, right] = best[0].split(' ');
    for (const word of words.values()) {
      const merged: string[] = [];
      for (let i = 0; i < word.pieces.length; i++) {
        if (word.pieces[i] === left && word.pieces[i + 1] === right) {
          merged.push(left + right);
          i++;
        } else merged.push(word.pieces[i]);
      }
      word.pieces = merged;
    }
  }
  return merges;
}

/** A byte-level BPE: the 256 bytes and 240 learned merges, so every id is below 512. */
export function benchTokenizerJson(): object {
  const merges = learnMerges(codeText(400, 99), 240);
  return byteLevelBpe([...byteLevelAlphabet(), ...merges.map((m) => m.replace(' ', ''))], merges);
}

export function modelFolder(root: string, spec: BenchModelSpec): string {
  return path.join(root, spec.name);
}

export function onnxFile(root: string, spec: BenchModelSpec): string {
  return path.join(modelFolder(root, spec), 'onnx', 'model.onnx');
}

const STAMP = 'bench-params.json';

/**
 * Writes the model folder. The .onnx file (the slow part: ~20 s and ~1.4 GB of memory for GPT-2
 * small) is kept when it was built with the same parameters; the small tokenizer and config files
 * are written every time (the tokenizer borrowed from `spec.tokenizerFrom` when it is there).
 * Returns whether the .onnx file was built.
 */
export function ensureModel(root: string, spec: BenchModelSpec, repo: string): boolean {
  const folder = modelFolder(root, spec);
  const shape = { layers: spec.layers, heads: spec.heads, dModel: spec.dModel, dMlp: spec.dMlp, vocab: spec.vocab, positions: spec.positions, seed: spec.seed };
  const stamp = JSON.stringify({ ...shape, format: FORMAT });
  const stampFile = path.join(folder, STAMP);
  const fresh = !(fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp && fs.existsSync(onnxFile(root, spec)));
  if (fresh) {
    fs.rmSync(folder, { recursive: true, force: true });
    fs.mkdirSync(path.join(folder, 'onnx'), { recursive: true });
    fs.writeFileSync(onnxFile(root, spec), buildDecoder({ attention: 'unfused', ...shape }));
    // Written last: a folder interrupted while building has no stamp and is rebuilt.
    fs.writeFileSync(stampFile, stamp);
  }
  const borrowed = spec.tokenizerFrom && path.join(repo, spec.tokenizerFrom);
  if (borrowed && fs.existsSync(path.join(borrowed, 'tokenizer.json')) && fs.existsSync(path.join(borrowed, 'tokenizer_config.json'))) {
    for (const file of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(borrowed, file), path.join(folder, file));
  } else {
    fs.writeFileSync(path.join(folder, 'tokenizer.json'), JSON.stringify(benchTokenizerJson()));
    fs.writeFileSync(path.join(folder, 'tokenizer_config.json'), JSON.stringify({ model_max_length: spec.positions }));
  }
  fs.writeFileSync(
    path.join(folder, 'config.json'),
    JSON.stringify({
      model_type: 'gpt2',
      n_layer: spec.layers,
      n_head: spec.heads,
      n_embd: spec.dModel,
      n_inner: spec.dMlp,
      vocab_size: spec.vocab,
      n_positions: spec.positions,
    }),
  );
  return fresh;
}

/** The input of `headModel`: [1, rows, d_model] rows of a residual stream. */
export const HEAD_INPUT = 'rows';

/**
 * A GPT-2 language-model head on its own, as the logit lens runs it: final LayerNorm, unembedding,
 * Softmax and TopK over [1, rows, d_model] (random weights: it times the arithmetic the lens
 * cannot do without, outside the engine).
 */
export function headModel(dModel: number, vocab: number, k: number): { bytes: Uint8Array; output: string } {
  const em = new Emitter(17, 'head/');
  const rand = random(11);
  const values = (n: number, scale: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
  const norm = em.op1(
    'LayerNormalization',
    [HEAD_INPUT, em.constant(DataType.FLOAT, [dModel], values(dModel, 1)), em.constant(DataType.FLOAT, [dModel], values(dModel, 0.1))],
    { axis: -1, epsilon: { float: 1e-5 } },
  );
  const logits = em.op1('MatMul', [norm, em.constant(DataType.FLOAT, [dModel, vocab], values(dModel * vocab, 1 / Math.sqrt(dModel)))]); // [1, rows, vocab]
  const probs = em.op1('Softmax', [em.reshape(logits, em.ints([-1, vocab]))], { axis: -1 }); // [rows, vocab]
  const [top, ids] = em.op('TopK', [probs, em.ints([k])], { axis: -1 }, 2); // [rows, k]
  const bytes = encodeModel({
    irVersion: 8,
    producerName: 'model-lens-bench',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'head',
      node: em.nodes,
      initializer: em.initializers,
      input: [{ name: HEAD_INPUT, elemType: DataType.FLOAT, shape: [1, 'rows', dModel] }],
      output: [
        { name: top, elemType: DataType.FLOAT },
        { name: ids, elemType: DataType.INT64 },
      ],
      valueInfo: [],
    },
  });
  return { bytes, output: top };
}
