// A merged decoder (an If choosing between the decoder with a KV cache and without one) is read
// like the decoder itself: the branch without a cache becomes the graph, so every view works, and
// its numbers are the plain decoder's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import { findMergedDecoder } from '../../src/engine/onnx/mergedDecoder';
import { decodeModel } from '../../src/engine/onnx/model';
import { BACKENDS } from '../helpers/backends';
import { buildDecoder } from '../helpers/decoderBuilder';
import { CACHE_INPUT, mergeDecoder } from '../helpers/mergedDecoder';
import { writeModelFolder } from '../helpers/modelFolder';
import { hookGroups } from '../../src/shared/hooks';

const TEXT = 'the cat sat on the mat';
const OPTIONS = { hooks: [...hookGroups.attention, ...hookGroups.activations], lens: true, logits: true } as const;

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  // NaN where both have none (the first token's probability); anywhere else it counts as a difference.
  for (let i = 0; i < a.length; i++)
    if (!(Number.isNaN(a[i]) && Number.isNaN(b[i]))) max = Math.max(max, Math.abs(a[i] - b[i]) || (a[i] === b[i] ? 0 : Infinity));
  return max;
}

describe('finding the branch without a cache', () => {
  it('picks the branch that reads fewer of the graph inputs, and the inputs only the If read', () => {
    const merged = findMergedDecoder(decodeModel(mergeDecoder(buildDecoder({ attention: 'unfused' }))));
    expect(merged).toEqual({ node: 0, branch: 'else_branch', unread: [CACHE_INPUT, 'use_cache_branch'] });
  });

  it('leaves a graph without such an If alone', () => {
    expect(findMergedDecoder(decodeModel(buildDecoder({ attention: 'unfused' })))).toBeUndefined();
  });
});

describe.each(BACKENDS)('a merged decoder on %s', (backend) => {
  const plainOnnx = buildDecoder({ attention: 'unfused' });
  let plain: LoadedModel;
  beforeAll(async () => {
    plain = await LoadedModel.load(writeModelFolder('plain', plainOnnx), { backend, threads: 1 });
  });
  afterAll(() => plain.release());

  describe.each([
    ['with the decoder’s own names', false],
    ['with names of its own', true],
  ])('%s', (_, ownNames) => {
    let merged: LoadedModel;
    beforeAll(async () => {
      merged = await LoadedModel.load(writeModelFolder('merged', mergeDecoder(plainOnnx, ownNames)), { backend, threads: 1 });
    });
    afterAll(() => merged.release());

    it('finds every layer and says it runs the branch without a cache', () => {
      expect(merged.info.layers).toBe(plain.info.layers);
      expect(merged.info.dModel).toBe(plain.info.dModel);
      expect(merged.info.layerInfo.map((l) => l.attention.kind)).toEqual(plain.info.layerInfo.map((l) => l.attention.kind));
      expect(merged.info.notes.join(' ')).toContain('merged decoder');
      expect(merged.info.interventionHooks).toEqual(plain.info.interventionHooks);
    });

    it('gives the plain decoder’s probabilities, attention, activations and lens', async () => {
      const [a, b] = await Promise.all([merged.analyze(TEXT, OPTIONS), plain.analyze(TEXT, OPTIONS)]);
      // The cache branch doubles the logits: any mix-up would show far above this.
      expect(maxDifference(a.logits!.data, b.logits!.data)).toBeLessThan(1e-5);
      expect(maxDifference(a.prob, b.prob)).toBeLessThan(1e-6);
      expect(Object.keys(a.activations).sort()).toEqual(Object.keys(b.activations).sort());
      for (const [hook, t] of Object.entries(b.activations)) expect(maxDifference(a.activations[hook].data, t.data), hook).toBeLessThan(1e-5);
      expect(Array.from(a.lens!.ids)).toEqual(Array.from(b.lens!.ids));
    });
  });
});
