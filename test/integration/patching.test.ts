// The activation patching sweep, by its exact ends: a position where both texts agree changes
// nothing (0), patching the one position where they differ into the first layer's input, or the
// last position of the final stream, reproduces the clean run (1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLensError } from '../../src/engine/errors';
import { LoadedModel } from '../../src/engine/loadedModel';
import { patchingSweep, type PatchingResult } from '../../src/engine/patching';
import { DEFAULT_MODEL } from '../helpers/paths';

const CLEAN = 'def add(a, b):\n    return a + b';
const CORRUPTED = 'def add(a, b):\n    return a - b';

describe('patching the clean text into the corrupted one, on the default model', () => {
  let model: LoadedModel;
  let result: PatchingResult;
  let changed: number;
  beforeAll(async () => {
    model = await LoadedModel.load(DEFAULT_MODEL, { backend: 'wasm', threads: 1 });
    result = await patchingSweep(model, model.info, CLEAN, CORRUPTED);
    const [a, b] = [await model.analyze(CLEAN), await model.analyze(CORRUPTED)];
    changed = a.tokens.findIndex((t, i) => t.id !== b.tokens[i].id);
  });
  afterAll(() => model.release());

  it('leaves the metric at 0 where both texts hold the same token', () => {
    const n = result.residual.positions;
    for (let s = 0; s < result.residual.hooks.length; s++) for (let p = 0; p < changed; p++) expect(Math.abs(result.residual.values[s * n + p])).toBe(0);
  });

  it("reproduces the clean run (1) from the differing token's embedding, and from the last position of the final stream", () => {
    const n = result.residual.positions;
    expect(result.residual.values[changed]).toBeCloseTo(1, 5);
    expect(result.residual.values[(result.residual.hooks.length - 1) * n + n - 1]).toBeCloseTo(1, 5);
    expect(result.clean).not.toBe(result.corrupted);
  });

  it('patches every head of every layer', () => {
    expect(result.heads.values).toHaveLength(model.info.layers * model.info.heads);
    expect(result.heads.values.every((x) => Number.isFinite(x))).toBe(true);
  });

  it('refuses texts of different lengths, saying how many tokens each has', async () => {
    const e = await patchingSweep(model, model.info, CLEAN, `${CORRUPTED} + c`).catch((error: unknown) => error);
    expect(e).toBeInstanceOf(ModelLensError);
    expect((e as ModelLensError).message).toMatch(/the clean one has \d+, the corrupted one \d+/);
  });
});
