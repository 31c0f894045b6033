// Hostile model folders: hundreds of corrupted variants of real model files, loaded through the
// engine's worker exactly as the extension does. Every one must end, within a time limit, in a
// model that works or in a clear error; the host must keep running and give its memory back.
// MODEL_LENS_FUZZ_COUNT sets the number of variants (default 500, fixed seed).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { EngineClient } from '../../src/engine/client';
import { ModelLensError } from '../../src/engine/errors';
import { decodeModel, encodeModel } from '../../src/engine/onnx/model';
import { buildDecoder, random } from '../helpers/decoderBuilder';
import { collectGarbage, heldBytes, withTimeout } from '../helpers/fuzzRun';
import { testTokenizerJson, writeModelFolder } from '../helpers/modelFolder';
import { exists, TINY_GPT2, WORKER } from '../helpers/paths';

const COUNT = Number(process.env.MODEL_LENS_FUZZ_COUNT ?? 500);
const TIME_LIMIT_MS = 30_000;
const rand = random(20261129);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];

const SOURCES: { name: string; onnx: Uint8Array; tokenizer: string }[] = [
  { name: 'unfused', onnx: buildDecoder({ attention: 'unfused' }), tokenizer: JSON.stringify(testTokenizerJson()) },
  { name: 'gqa', onnx: buildDecoder({ attention: 'gqa' }), tokenizer: JSON.stringify(testTokenizerJson()) },
];
if (exists(TINY_GPT2)) {
  SOURCES.push({ name: 'tiny-random-gpt2', onnx: fs.readFileSync(path.join(TINY_GPT2, 'past.onnx')), tokenizer: fs.readFileSync(path.join(TINY_GPT2, 'tokenizer.json'), 'utf8') });
}

type Mutation = (onnx: Uint8Array, tokenizer: string) => { onnx: Uint8Array; tokenizer: string; what: string };

const MUTATIONS: Mutation[] = [
  (onnx, tokenizer) => {
    const at = Math.floor(rand() * onnx.length);
    return { onnx: onnx.subarray(0, at), tokenizer, what: `truncated at byte ${at}` };
  },
  (onnx, tokenizer) => {
    // A copy (Buffer.slice would give a view and damage the source for later variants).
    const copy = new Uint8Array(onnx);
    const flips = 1 + Math.floor(rand() * 24);
    for (let i = 0; i < flips; i++) copy[Math.floor(rand() * copy.length)] = Math.floor(rand() * 256);
    return { onnx: copy, tokenizer, what: `${flips} random bytes` };
  },
  (onnx, tokenizer) => {
    const model = decodeModel(onnx);
    model.graph.output = model.graph.output.filter(() => rand() < 0.3);
    return { onnx: encodeModel(model), tokenizer, what: `outputs kept: ${model.graph.output.map((o) => o.name).join(',') || 'none'}` };
  },
  (onnx, tokenizer) => {
    const model = decodeModel(onnx);
    const t = pick(model.graph.initializer);
    t.dims = t.dims.map((d) => (rand() < 0.5 ? d + 1 + Math.floor(rand() * 3) : d));
    return { onnx: encodeModel(model), tokenizer, what: `initializer ${t.name} reshaped to [${t.dims}]` };
  },
  (onnx, tokenizer) => {
    const model = decodeModel(onnx);
    const input = pick(model.graph.input);
    input.shape = input.shape?.map(() => (rand() < 0.5 ? 0 : Math.floor(rand() * 5)));
    return { onnx: encodeModel(model), tokenizer, what: `input ${input.name} declared [${input.shape}]` };
  },
  (onnx, tokenizer) => {
    const model = decodeModel(onnx);
    const node = pick(model.graph.node);
    node.input = node.input.map((i) => (rand() < 0.5 ? `${i}_missing` : i));
    return { onnx: encodeModel(model), tokenizer, what: `node ${node.name} rewired` };
  },
  (onnx, tokenizer) => ({ onnx, tokenizer: tokenizer.slice(0, Math.floor(rand() * tokenizer.length)), what: 'tokenizer.json truncated' }),
  (onnx, tokenizer) => {
    const json = JSON.parse(tokenizer);
    const damage = pick(['no model', 'model type', 'no vocab', 'null merges', 'pre-tokenizer']);
    if (damage === 'no model') delete json.model;
    if (damage === 'model type') json.model.type = 'Mystery';
    if (damage === 'no vocab') delete json.model.vocab;
    if (damage === 'null merges') json.model.merges = null;
    if (damage === 'pre-tokenizer') json.pre_tokenizer = { type: 42 };
    return { onnx, tokenizer: JSON.stringify(json), what: `tokenizer.json: ${damage}` };
  },
];

const engine = new EngineClient({ workerPath: WORKER, backend: 'wasm', threads: 1 });
afterAll(() => engine.dispose());

it(`ends every one of ${COUNT} corrupted models in a working model or a clear error`, async () => {
  const outcomes = new Map<string, number>();
  const folder = writeModelFolder('fuzz', new Uint8Array());
  const onnxPath = path.join(folder, 'onnx', 'model.onnx');
  collectGarbage();
  const before = heldBytes();
  for (let i = 0; i < COUNT; i++) {
    const source = SOURCES[i % SOURCES.length];
    const variant = pick(MUTATIONS)(source.onnx, source.tokenizer);
    fs.writeFileSync(onnxPath, variant.onnx);
    fs.writeFileSync(path.join(folder, 'tokenizer.json'), variant.tokenizer);
    const what = `#${i} ${source.name}, ${variant.what}`;
    const outcome = await withTimeout(
      engine
        .load(folder)
        .then(() => engine.analyze('the cat sat on the mat', { attention: true, activations: true, lens: true }))
        .then(() => 'works')
        .catch((e: unknown) => {
          if (!(e instanceof ModelLensError)) throw new Error(`${what}: not a ModelLensError: ${e}`);
          // A clear error names what to do, or at least which file.
          expect(e.userMessage.length, what).toBeGreaterThan(20);
          return e.code;
        }),
      TIME_LIMIT_MS,
      what,
    );
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  await engine.terminateWorker();
  collectGarbage();
  const grown = (heldBytes() - before) / 1048576;
  console.log(`fuzzed ${COUNT} model folders: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}; memory held by the host ${grown >= 0 ? '+' : ''}${grown.toFixed(1)} MB after the worker stopped`);
  expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(COUNT);
  expect(grown).toBeLessThan(32);
}, 3_600_000);
