// The steps inside each block of the default model (the walk's embeddings, norms, attention and
// MLP writes, the stream between them) against PyTorch: model.py's GPT with the weights read
// back from the shipped ONNX file, captured by forward hooks
// (scripts/train-default-model/block_hook_goldens.py), on every backend present.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import type { Analysis } from '../../src/engine/types';
import { DEFAULT_MODEL } from '../helpers/paths';
import { BACKENDS } from '../helpers/backends';
import { hookGroups } from '../../src/shared/hooks';

const GOLDENS = path.join(__dirname, '..', 'fixtures', 'lens-tiny-goldens');

interface Index {
  text: string;
  ids: number[];
  tensors: Record<string, { offset: number; shape: number[] }>;
}

const index = JSON.parse(fs.readFileSync(path.join(GOLDENS, 'block-hooks.json'), 'utf8')) as Index;
const bin = fs.readFileSync(path.join(GOLDENS, 'block-hooks.bin'));

function golden(name: string): Float32Array {
  const t = index.tensors[name];
  return new Float32Array(bin.buffer.slice(bin.byteOffset + t.offset, bin.byteOffset + t.offset + 4 * t.shape.reduce((a, b) => a * b, 1)));
}

/** max |a − b| / max(1, |b|): absolute for values up to 1, relative above. */
function difference(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

describe.each(BACKENDS)("the default model's block hooks against PyTorch (%s)", (backend) => {
  let model: LoadedModel;
  let a: Analysis;
  beforeAll(async () => {
    model = await LoadedModel.load(DEFAULT_MODEL, { backend, threads: 1 });
    a = await model.analyze(index.text, { hooks: [...hookGroups.activations, ...hookGroups.block] });
  });
  afterAll(() => model?.release());

  it('analyses the same tokens', () => {
    expect(a.tokens.map((t) => t.id)).toEqual(index.ids);
  });

  it('holds every hook of every block, ln_final and the embeddings', () => {
    expect(Object.keys(index.tensors)).toHaveLength(2 + 8 * model.info.layers + 2);
  });

  it.each(Object.keys(index.tensors))('%s matches to 1e-4', (name) => {
    const ours = a.activations[name];
    expect(ours, name).toBeDefined();
    expect(ours.shape).toEqual(index.tensors[name].shape);
    expect(difference(ours.data, golden(name))).toBeLessThan(1e-4);
  });
});
