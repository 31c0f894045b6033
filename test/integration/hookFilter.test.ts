// An analysis fetches what its names filter names, and nothing else (TransformerLens' names_filter).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import { hookGroups, hooks } from '../../src/shared/hooks';
import { DEFAULT_MODEL } from '../helpers/paths';

const TEXT = 'def add(a, b):\n    return a + b\n';
let model: LoadedModel;

beforeAll(async () => {
  model = await LoadedModel.load(DEFAULT_MODEL, { backend: 'wasm', threads: 1 });
});
afterAll(() => model.release());

it('fetches exactly the hooks named, and the same values as a larger request', async () => {
  const all = await model.analyze(TEXT, { hooks: [...hookGroups.attention, ...hookGroups.activations, ...hookGroups.block] });
  const names = [hooks.attn(1, 'pattern'), hooks.residPre(2), hooks.norm(0, 'ln1', 'scale')];
  const some = await model.analyze(TEXT, { hooks: names });
  expect(Object.keys(some.activations).sort()).toEqual([...names].sort());
  for (const name of names) expect(Array.from(some.activations[name].data)).toEqual(Array.from(all.activations[name].data));
  const layers = model.info.layers;
  const mlp = await model.analyze(TEXT, { hooks: [hooks.mlpPost('*')] });
  expect(Object.keys(mlp.activations).sort()).toEqual(Array.from({ length: layers }, (_, L) => hooks.mlpPost(L)).sort());
  expect(Object.keys((await model.analyze(TEXT, {})).activations)).toEqual([]);
});

it('gives the rollout, made from the patterns, without returning patterns not asked for', async () => {
  const a = await model.analyze(TEXT, { rollout: true });
  expect(a.rollout?.shape[0]).toBe(model.info.layers);
  expect(Object.keys(a.activations)).toEqual([]);
});
