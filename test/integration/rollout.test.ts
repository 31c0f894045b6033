// Attention rollout computed by ONNX Runtime, checked against the definition computed here.
import { describe, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import type { TensorData } from '../../src/engine/types';
import { buildDecoder } from '../helpers/decoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';
import { hookGroups } from '../../src/shared/hooks';

/** R_0 = Ã_0, R_l = Ã_l · R_{l-1}, with Ã = rows-normalised (mean over heads + I) / 2. */
function referenceRollout(patterns: TensorData[]): number[][][] {
  const [heads, s] = patterns[0].shape;
  const mixed = patterns.map((p) =>
    Array.from({ length: s }, (_, q) => {
      const row = Array.from({ length: s }, (_, k) => {
        let mean = 0;
        for (let h = 0; h < heads; h++) mean += p.data[(h * s + q) * s + k] / heads;
        return 0.5 * mean + (q === k ? 0.5 : 0);
      });
      const sum = row.reduce((a, b) => a + b, 0);
      return row.map((x) => x / sum);
    }),
  );
  const out = [mixed[0]];
  for (let l = 1; l < mixed.length; l++) {
    out.push(mixed[l].map((row) => Array.from({ length: s }, (_, k) => row.reduce((acc, a, j) => acc + a * out[l - 1][j][k], 0))));
  }
  return out;
}

describe('attention rollout', () => {
  it('matches the definition, layer by layer', async () => {
    const model = await LoadedModel.load(writeModelFolder('rollout', buildDecoder({ attention: 'unfused', layers: 3 })), { backend: 'wasm', threads: 1 });
    const a = await model.analyze('the cat sat on the mat', { hooks: hookGroups.attention, rollout: true });
    const patterns = [0, 1, 2].map((L) => a.activations[`blocks.${L}.attn.hook_pattern`]);
    const expected = referenceRollout(patterns);
    const s = a.tokens.length;
    expect(a.rollout!.shape).toEqual([3, s, s]);
    for (let l = 0; l < 3; l++) {
      for (let q = 0; q < s; q++) {
        for (let k = 0; k < s; k++) expect(a.rollout!.data[(l * s + q) * s + k]).toBeCloseTo(expected[l][q][k], 5);
      }
    }
  });
});
