// What a model folder can make the engine spend: a small file whose graph fixes a huge tensor is
// refused before ONNX Runtime sees it, on both backends; a huge tokenizer.json is refused before it
// is read; and no thread count makes ONNX Runtime start more threads than there are cores.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineClient } from '../../src/engine/client';
import { ModelLensError } from '../../src/engine/errors';
import { LoadedModel, type LoadOptions } from '../../src/engine/loadedModel';
import { Emitter, makeNode } from '../../src/engine/onnx/emit';
import { decodeModel, encodeModel } from '../../src/engine/onnx/model';
import type { Backend } from '../../src/engine/types';
import { buildDecoder } from '../helpers/decoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';
import { DEFAULT_MODEL, exists, TINY_GPT2, WORKER } from '../helpers/paths';

const MB = 1024 * 1024;
/** What the extension passes by default (modelLens.maxModelSizeMB). */
const DEFAULT_LIMIT = 2048 * MB;

/**
 * A working decoder whose logits also get the maximum of a ConstantOfShape of 2³¹ float zeros
 * (8 GB) added: a file of a few kilobytes that asks ONNX Runtime for 8 GB on every run.
 */
function hostileDecoder(): Uint8Array {
  const model = decodeModel(buildDecoder({ attention: 'unfused' }));
  const head = model.graph.node.find((n) => n.output[0] === 'logits')!;
  head.output[0] = 'hostile/logits';
  const em = new Emitter(17, 'hostile/');
  const zeros = em.op1('ConstantOfShape', [em.ints([2 ** 31])]);
  const zero = em.op1('ReduceMax', [zeros], { keepdims: 0 });
  em.nodes.push(makeNode('Add', ['hostile/logits', zero], ['logits'], {}, '', 'hostile/add'));
  model.graph.node.push(...em.nodes);
  model.graph.initializer.push(...em.initializers);
  return encodeModel(model);
}

const HOSTILE = writeModelFolder('hostile-constant', hostileDecoder());

async function loadError(target: string, options: LoadOptions): Promise<ModelLensError> {
  const error = await LoadedModel.load(target, options).then(
    (m) => m.release(),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelLensError);
  return error as ModelLensError;
}

function nativeInstalled(): boolean {
  try {
    require('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
}

describe('a model whose graph fixes a huge tensor', () => {
  const backends: Backend[] = nativeInstalled() ? ['wasm', 'native'] : ['wasm'];
  it.each(backends)('is refused on %s before ONNX Runtime sees it, naming the node and the file', async (backend) => {
    expect(fs.statSync(path.join(HOSTILE, 'onnx', 'model.onnx')).size).toBeLessThan(MB);
    const rssBefore = process.memoryUsage().rss;
    const e = await loadError(HOSTILE, { backend, threads: 1, maxModelBytes: DEFAULT_LIMIT });
    expect(e.code).toBe('too-large');
    expect(e.file).toBe(path.join(HOSTILE, 'onnx', 'model.onnx'));
    expect(e.message).toMatch(/Node hostile\/ConstantOfShape_\d+ \(ConstantOfShape\) makes a \[2147483648\] tensor of 8192 MB/);
    expect(e.userMessage).toContain('modelLens.maxModelSizeMB');
    // Nothing was allocated for it (a run would have taken gigabytes, or failed in ONNX Runtime).
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * MB);
  });

  it('is refused without a configured limit too (WebAssembly addresses 4 GB at most)', async () => {
    expect((await loadError(HOSTILE, { backend: 'wasm', threads: 1 })).code).toBe('too-large');
  });
});

describe('models whose sizes follow the text', () => {
  it.each([
    ['lens-tiny', DEFAULT_MODEL],
    ['tiny-random-gpt2', TINY_GPT2],
  ])('%s loads under the default limit', async (_, folder) => {
    if (!exists(folder)) return;
    // Loading ends with a check run of the whole instrumented graph.
    const model = await LoadedModel.load(folder, { backend: 'wasm', threads: 1, maxModelBytes: DEFAULT_LIMIT });
    expect(model.info.vocab).toBeGreaterThan(0);
    await model.release();
  });
});

describe('JSON files of the folder', () => {
  it('larger than 64 MB is refused before it is read, naming the file', async () => {
    const folder = writeModelFolder('huge-tokenizer', buildDecoder({ attention: 'unfused' }));
    const tokenizer = path.join(folder, 'tokenizer.json');
    // A sparse file: its size is what matters, and it takes no disk.
    fs.truncateSync(tokenizer, 65 * MB);
    const e = await loadError(folder, { backend: 'wasm', threads: 1 });
    expect(e.code).toBe('too-large');
    expect(e.file).toBe(tokenizer);
    expect(e.message).toMatch(/tokenizer\.json is 65 MB; Model Lens reads JSON files of at most 64 MB/);
  });

  it.each(['config.json', 'genai_config.json'])('nor is a %s larger than 64 MB, read while the folder is searched', async (name) => {
    const folder = writeModelFolder('huge-config', buildDecoder({ attention: 'unfused' }));
    const file = path.join(folder, name);
    fs.writeFileSync(file, '{}');
    fs.truncateSync(file, 65 * MB);
    const e = await loadError(folder, { backend: 'wasm', threads: 1 });
    expect(e.code).toBe('too-large');
    expect(e.file).toBe(file);
  });
});

describe('threads', () => {
  let engine: EngineClient | undefined;
  afterEach(() => engine?.dispose());

  /** Threads of this process (the engine's worker and ONNX Runtime's threads are among them). */
  function threadCount(): number {
    return Number(/^Threads:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]);
  }

  it.runIf(process.platform === 'linux')('are never more than the cores, whatever is asked', async () => {
    const before = threadCount();
    engine = new EngineClient({ workerPath: WORKER, backend: 'wasm', threads: 64 });
    const info = await engine.load(writeModelFolder('threads', buildDecoder({ attention: 'unfused' })));
    expect(info.vocab).toBeGreaterThan(0);
    // A worker thread brings a few threads of its own (V8, libuv); ONNX Runtime's pool adds one per thread asked.
    const cores = os.availableParallelism();
    expect(threadCount() - before).toBeLessThanOrEqual(cores + 16);
  });
});
