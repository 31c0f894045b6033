// Requests that never finish on their own: a tokenizer pattern that backtracks without end, a
// graph that loops, and one whose caller gave up while it ran. Each must end, say why, and leave
// the engine answering the next request. Without that they hang, and vitest's timeout fails them.
import * as path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { EngineClient } from '../../src/engine/client';
import { buildDecoder } from '../helpers/decoderBuilder';
import { testTokenizerSplittingOn, writeModelFolder } from '../helpers/modelFolder';
import { WORKER } from '../helpers/paths';
import { rejection } from '../helpers/rejection';

/** Short, so the tests are quick, yet above what these small models take on a busy machine. */
const DEADLINE_MS = 6000;
const NEVER_MS = 3_600_000;
const VITEST_TIMEOUT_MS = 60_000;

const SMALL = writeModelFolder('deadline-small', buildDecoder({ attention: 'unfused' }));
// Backtracks 2^n ways on a run of n a's that does not end the text.
const BACKTRACKING = writeModelFolder('deadline-regex', buildDecoder({ attention: 'unfused' }), {
  'tokenizer.json': JSON.stringify(testTokenizerSplittingOn('(a+)+$')),
});
const NEVER_TOKENIZED = `${'a'.repeat(40)}!`;
const LOOPING = writeModelFolder('deadline-loop', buildDecoder({ attention: 'unfused', loopTrips: Number.MAX_SAFE_INTEGER }));

let engine: EngineClient;
afterEach(() => engine?.dispose());

function start(requestTimeoutMs: number): EngineClient {
  engine = new EngineClient({ workerPath: WORKER, backend: 'wasm', threads: 1, requestTimeoutMs });
  return engine;
}

const text = (analysis: { tokens: { text: string }[] }) => analysis.tokens.map((t) => t.text).join('');

it(
  'stops tokenizing that never ends, names tokenizer.json, and answers the request queued behind it',
  async () => {
    const client = start(DEADLINE_MS);
    await client.load(BACKTRACKING);
    const stuck = client.analyze(NEVER_TOKENIZED);
    const next = client.analyze('the cat');
    const e = await rejection(stuck);
    expect(e.code).toBe('timed-out');
    expect(e.message).toMatch(/^Tokenizing the text took longer than \d+ s/);
    expect(e.file).toBe(path.join(BACKTRACKING, 'tokenizer.json'));
    expect(text(await next)).toBe('the cat');
  },
  VITEST_TIMEOUT_MS,
);

it(
  'stops a graph that loops, names the .onnx file, and keeps the previous model answering',
  async () => {
    const client = start(DEADLINE_MS);
    const info = await client.load(SMALL);
    const before = await client.analyze('the cat');
    const e = await rejection(client.load(LOOPING));
    expect(e.code).toBe('timed-out');
    expect(e.message).toMatch(/^The model ran longer than \d+ s/);
    expect(e.file).toBe(path.join(LOOPING, 'onnx', 'model.onnx'));
    expect(client.modelInfo).toEqual(info);
    expect(Array.from((await client.analyze('the cat')).prob)).toEqual(Array.from(before.prob));
  },
  VITEST_TIMEOUT_MS,
);

it(
  'stops a running request whose caller gave up, long before its deadline',
  async () => {
    const client = start(NEVER_MS);
    await client.load(BACKTRACKING);
    const controller = new AbortController();
    const stuck = client.analyze(NEVER_TOKENIZED, {}, controller.signal);
    const next = client.analyze('the cat');
    // Let the worker get into the tokenizer.
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    expect((await rejection(stuck)).code).toBe('cancelled');
    expect(text(await next)).toBe('the cat');
    expect(client.workersStarted).toBe(2);
  },
  VITEST_TIMEOUT_MS,
);

it(
  'lets a short run whose caller gave up finish in the same worker, so the model is not loaded again',
  async () => {
    const client = start(NEVER_MS);
    await client.load(BACKTRACKING);
    const controller = new AbortController();
    // Backtracks through about 2^20 steps: a run of well under a second, still going when aborted.
    const given = client.analyze(`${'a'.repeat(20)}!`, {}, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    expect((await rejection(given)).code).toBe('cancelled');
    expect(text(await client.analyze('the cat'))).toBe('the cat');
    expect(client.workersStarted).toBe(1);
  },
  VITEST_TIMEOUT_MS,
);
