// The engine as the web edition runs it: node:fs and node:path replaced by src/web's in-memory
// file system and path shim (as esbuild.js aliases them in the web bundles), the model's files put
// in memory as the host hands them over. The same model, read from memory, gives the same analysis
// bit for bit as read from disk; a model over the size limit, known by its size only, is refused
// by the engine's own check before anything reads it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LoadedModel as LoadedModelClass } from '../../src/engine/loadedModel';
import type { Analysis } from '../../src/engine/types';
import { hookGroups } from '../../src/shared/hooks';
import type * as MemoryFs from '../../src/web/memoryFs';

/** The error a promise is rejected with (the engine's errors are another module's class here). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('it loaded'),
    (error: unknown) => error,
  );
}

const MODEL = path.resolve(__dirname, '../../media/models/lens-tiny');
const IN_MEMORY = '/vscode-remote/localhost%3A8080/workspace/lens-tiny';
const OPTIONS = { hooks: [...hookGroups.attention, ...hookGroups.activations] };
const TEXT = 'Each layer of a transformer lets every token look back at the tokens before it.';

/** The model's files as the web host hands them to the worker. */
function modelFiles(root: string, into: string): MemoryFs.MemoryFile[] {
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).flatMap((e) => {
    if (!e.isFile()) return [];
    const file = path.join(e.parentPath, e.name);
    return [{ path: path.posix.join(into, path.relative(root, file).split(path.sep).join('/')), size: 0, data: new Uint8Array(fs.readFileSync(file)) }];
  });
}

let fromDisk: Analysis;
let LoadedModel: typeof LoadedModelClass;
let memoryFs: typeof MemoryFs;

beforeAll(async () => {
  const disk = await (await import('../../src/engine/loadedModel')).LoadedModel.load(MODEL, { backend: 'wasm', threads: 1 });
  fromDisk = await disk.analyze(TEXT, OPTIONS);
  await disk.release();
  const files = modelFiles(MODEL, IN_MEMORY);
  // A module graph of its own, in which the engine's node:fs and node:path are the web's.
  vi.resetModules();
  vi.doMock('node:fs', () => import('../../src/web/memoryFs'));
  vi.doMock('node:path', () => import('../../src/web/shims/path'));
  memoryFs = await import('../../src/web/memoryFs');
  memoryFs.putFiles(files);
  LoadedModel = (await import('../../src/engine/loadedModel')).LoadedModel;
}, 120_000);

afterAll(() => {
  vi.doUnmock('node:fs');
  vi.doUnmock('node:path');
  vi.resetModules();
});

describe('the engine over the in-memory file system', () => {
  it('loads the default model from memory and analyses text exactly as from disk', async () => {
    const model = await LoadedModel.load(IN_MEMORY, { backend: 'wasm', threads: 1 });
    try {
      expect(model.info.name).toBe('lens-tiny');
      expect(model.info.file).toBe(`${IN_MEMORY}/onnx/model.onnx`);
      const analysis = await model.analyze(TEXT, OPTIONS);
      expect(analysis.tokens.map((t) => t.text)).toEqual(fromDisk.tokens.map((t) => t.text));
      expect([...analysis.prob]).toEqual([...fromDisk.prob]);
      expect([...analysis.rank]).toEqual([...fromDisk.rank]);
      expect([...analysis.entropy]).toEqual([...fromDisk.entropy]);
      // Every tensor the attention panel and the side panel read.
      const names = Object.keys(fromDisk.activations).sort();
      expect(names).toContain('blocks.1.attn.hook_pattern');
      expect(Object.keys(analysis.activations).sort()).toEqual(names);
      for (const name of names) expect([...analysis.activations[name].data], name).toEqual([...fromDisk.activations[name].data]);
    } finally {
      await model.release();
    }
  }, 120_000);

  it('refuses a model over the size limit from the sizes alone, naming the limit', async () => {
    const big = '/file/big-model';
    memoryFs.putFiles(modelFiles(MODEL, big).map((f) => (f.path.endsWith('.onnx') ? { path: f.path, size: 64 * 1024 * 1024 } : f)));
    const error = await rejection(LoadedModel.load(big, { backend: 'wasm', threads: 1, maxModelBytes: 32 * 1024 * 1024 }));
    expect(error).toMatchObject({ code: 'too-large' });
  });

  it('says which path does not exist', async () => {
    const error = await rejection(LoadedModel.load('/file/nowhere', { backend: 'wasm', threads: 1 }));
    expect(error).toMatchObject({ code: 'model-not-found' });
  });
});
