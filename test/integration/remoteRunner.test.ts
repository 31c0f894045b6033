// A model can run somewhere other than the engine's thread (WebGPU in a webview). When that
// runner fails, ONNX Runtime WebAssembly takes over and the analysis still arrives.
import { expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import { decodeModel, encodeModel } from '../../src/engine/onnx/model';
import { rejection } from '../helpers/rejection';
import type { Runner, RunnerFactory } from '../../src/engine/runner';
import { ortRunners } from '../../src/engine/runtime';
import { buildDecoder } from '../helpers/decoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';
import { hookGroups } from '../../src/shared/hooks';

it('falls back to WebAssembly when the remote runner fails, with the same numbers', async () => {
  const folder = writeModelFolder('remote', buildDecoder({ attention: 'gqa' }));
  const wasm = ortRunners('wasm', 1);
  let runs = 0;
  let failing = false;
  // A stand-in for the webview: ONNX Runtime WebAssembly behind a runner that can break.
  const remote: RunnerFactory = async (bytes) => {
    const inner = await wasm(bytes);
    const runner: Runner = {
      run: (feeds, fetches) => {
        runs++;
        if (failing) return Promise.reject(new Error('the GPU device was lost'));
        return inner.run(feeds, fetches);
      },
      release: () => inner.release(),
    };
    return runner;
  };
  const model = await LoadedModel.load(folder, { backend: 'webgpu', threads: 1, remote });
  expect(model.info.backend).toBe('webgpu');
  const before = await model.analyze('the cat sat', { hooks: hookGroups.attention });
  expect(runs).toBeGreaterThan(1); // the check run after loading went through it too
  failing = true;
  const after = await model.analyze('the cat sat', { hooks: hookGroups.attention });
  expect(model.info.backend).toBe('wasm');
  expect(model.info.notes.at(-1)).toContain('the GPU device was lost');
  expect(model.info.backendFallback).toBe('webgpu failed (the GPU device was lost); the model now runs on WebAssembly.');
  expect(after.backendFallback).toBe(model.info.backendFallback);
  expect(before.backendFallback).toBeUndefined();
  expect(Array.from(after.prob)).toEqual(Array.from(before.prob));
  expect(Array.from(after.activations['blocks.1.attn.hook_pattern'].data)).toEqual(Array.from(before.activations['blocks.1.attn.hook_pattern'].data));
});

it('runs on WebAssembly when the remote runner cannot start, and keeps the reason', async () => {
  const folder = writeModelFolder('remote-cannot-start', buildDecoder({ attention: 'gqa' }));
  const remote: RunnerFactory = () => Promise.reject(new Error('no WebGPU adapter was found'));
  const model = await LoadedModel.load(folder, { backend: 'webgpu', threads: 1, remote });
  expect(model.info.backend).toBe('wasm');
  // Read by the host for the backend it reports, whatever notes the check run added after it.
  expect(model.info.backendFallback).toBe('webgpu could not start (no WebGPU adapter was found); the model runs on WebAssembly.');
  expect(model.info.notes).toContain(model.info.backendFallback);
  expect(model.info.layerInfo.every((l) => l.attention.kind !== 'unavailable')).toBe(true);
  expect((await model.analyze('the cat sat', {})).backendFallback).toBe(model.info.backendFallback);
});

it('names every runner it tried when none could load the model', async () => {
  // An IR version no ONNX Runtime knows: the instrumented model and the plain one both fail.
  const folder = writeModelFolder('remote-none-loads', encodeModel({ ...decodeModel(buildDecoder({ attention: 'gqa' })), irVersion: 99 }));
  const remote: RunnerFactory = () => Promise.reject(new Error('no WebGPU adapter was found'));
  const error = await rejection(LoadedModel.load(folder, { backend: 'webgpu', threads: 1, remote }));
  expect(error.code).toBe('load-failed');
  expect(error.message).toMatch(
    /^ONNX Runtime could not load the model \(the instrumented model on WebGPU: no WebGPU adapter was found; the instrumented model on WebAssembly: .+; the plain model on WebAssembly: .+\)\.$/,
  );
});
