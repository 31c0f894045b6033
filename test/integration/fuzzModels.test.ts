// Hostile model folders: hundreds of corrupted variants of real model files, loaded through the
// engine's worker exactly as the extension does. Every one must end, within a time limit, in a
// model that works or in a clear error; the host must keep running and give its memory back.
// MODEL_LENS_FUZZ_COUNT sets the number of variants (default 500, fixed seed).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { EngineClient } from '../../src/engine/client';
import type { ModelLensError } from '../../src/engine/errors';
import { decodeModel, encodeModel } from '../../src/engine/onnx/model';
import { buildDecoder, random } from '../helpers/decoderBuilder';
import { collectGarbage, heldBytes, withTimeout } from '../helpers/fuzzRun';
import { testTokenizerJson, writeModelFolder } from '../helpers/modelFolder';
import { exists, TINY_GPT2, WORKER } from '../helpers/paths';
import { hookGroups } from '../../src/shared/hooks';

const COUNT = Number(process.env.MODEL_LENS_FUZZ_COUNT ?? 500);
const TIME_LIMIT_MS = 30_000;
const rand = random(20261129);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];

/** Each source with a text it analyses as it is (the fixture's embedding table has 1,000 rows). */
const SOURCES: { name: string; onnx: Uint8Array; tokenizer: string; text: string }[] = [
  { name: 'unfused', onnx: buildDecoder({ attention: 'unfused' }), tokenizer: JSON.stringify(testTokenizerJson()), text: 'the cat sat on the mat' },
  { name: 'gqa', onnx: buildDecoder({ attention: 'gqa' }), tokenizer: JSON.stringify(testTokenizerJson()), text: 'the cat sat on the mat' },
];
if (exists(TINY_GPT2)) {
  SOURCES.push({
    name: 'tiny-random-gpt2',
    onnx: fs.readFileSync(path.join(TINY_GPT2, 'past.onnx')),
    tokenizer: fs.readFileSync(path.join(TINY_GPT2, 'tokenizer.json'), 'utf8'),
    text: 'a b c d',
  });
}

/**
 * A corrupted variant, and what it may end in: 'works' or an error code. A damaged tokenizer must
 * be reported as the tokenizer, a damaged model never as the tokenizer.
 */
type Mutation = (onnx: Uint8Array, tokenizer: string) => { onnx: Uint8Array; tokenizer: string; what: string; allowed?: string[] };
const NOT_THE_TOKENIZER = (outcome: string) => outcome !== 'bad-tokenizer';
/** What a damaged tokenizer may end in: its own error, or, where the library reads it anyway, a tokenizer that works (or gives ids the fixture's small embedding table lacks). */
const TOKENIZER_OUTCOMES = ['bad-tokenizer', 'works', 'token-out-of-range'];

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
    const names = model.graph.output.map((o) => o.name);
    return {
      onnx: encodeModel(model),
      tokenizer,
      what: `outputs kept: ${names.join(',') || 'none'}`,
      allowed: names.includes('logits') ? ['works'] : ['no-logits'],
    };
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
    const before = node.input.join();
    node.input = node.input.map((i) => (i && rand() < 0.5 ? `${i}_missing` : i));
    return { onnx: encodeModel(model), tokenizer, what: `node ${node.name} rewired`, allowed: node.input.join() === before ? ['works'] : ['damaged-model'] };
  },
  (onnx, tokenizer) => ({
    onnx,
    tokenizer: tokenizer.slice(0, Math.floor(rand() * tokenizer.length)),
    what: 'tokenizer.json truncated',
    allowed: ['bad-tokenizer'],
  }),
  (onnx, tokenizer) => {
    const json = JSON.parse(tokenizer);
    const damage = pick(['no model', 'model type', 'no vocab', 'null merges', 'pre-tokenizer']);
    if (damage === 'no model') delete json.model;
    if (damage === 'model type') json.model.type = 'Mystery';
    if (damage === 'no vocab') delete json.model.vocab;
    if (damage === 'null merges') json.model.merges = null;
    if (damage === 'pre-tokenizer') json.pre_tokenizer = { type: 42 };
    return { onnx, tokenizer: JSON.stringify(json), what: `tokenizer.json: ${damage}`, allowed: TOKENIZER_OUTCOMES };
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
        .then(() => engine.analyze(source.text, { hooks: [...hookGroups.attention, ...hookGroups.activations], lens: true }))
        .then(() => 'works')
        .catch((e: ModelLensError) => {
          // A clear error names what to do, or at least which file.
          expect(e.userMessage.length, what).toBeGreaterThan(20);
          expect(e.file ?? e.hint, `${what}: names a file or what to do`).toBeTruthy();
          return e.code;
        }),
      TIME_LIMIT_MS,
      what,
    );
    if (variant.allowed) expect(variant.allowed, what).toContain(outcome);
    else expect(NOT_THE_TOKENIZER(outcome), `${what} ended in ${outcome}`).toBe(true);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  await engine.terminateWorker();
  collectGarbage();
  const grown = (heldBytes() - before) / 1048576;
  console.log(
    `fuzzed ${COUNT} model folders: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}; memory held by the host ${grown >= 0 ? '+' : ''}${grown.toFixed(1)} MB after the worker stopped`,
  );
  // The run meets both ends: variants that still work and variants refused.
  expect(outcomes.get('works')).toBeGreaterThan(0);
  expect(outcomes.size).toBeGreaterThan(2);
  expect(grown).toBeLessThan(32);
}, 3_600_000);
