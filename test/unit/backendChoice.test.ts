import { describe, expect, it } from 'vitest';
import { chooseBackend } from '../../src/host/backendChoice';
import type { GpuAdapterInfo } from '../../src/shared/protocol';

const HARDWARE: GpuAdapterInfo = { vendor: 'nvidia', architecture: 'hopper', description: '', software: false, shaderF16: true };
const SWIFTSHADER: GpuAdapterInfo = { vendor: 'google', architecture: 'swiftshader', description: '', software: true, shaderF16: false };

describe('chooseBackend', () => {
  it('prefers a hardware GPU, then native, then WebAssembly, and says why', () => {
    expect(chooseBackend('auto', true, HARDWARE)).toMatchObject({ backend: 'webgpu', reason: expect.stringContaining('nvidia hopper') });
    expect(chooseBackend('auto', true, SWIFTSHADER)).toMatchObject({ backend: 'native', reason: expect.stringContaining('onnxruntime-node is installed') });
    expect(chooseBackend('auto', false)).toMatchObject({ backend: 'wasm', reason: expect.stringContaining('not installed') });
  });

  it('honours an explicit choice, falling back to WebAssembly when native is missing', () => {
    expect(chooseBackend('wasm', true, HARDWARE).backend).toBe('wasm');
    expect(chooseBackend('native', true).backend).toBe('native');
    expect(chooseBackend('native', false)).toMatchObject({ backend: 'wasm', reason: expect.stringContaining('asks for native') });
    expect(chooseBackend('webgpu', false, SWIFTSHADER)).toMatchObject({ backend: 'webgpu', reason: expect.stringContaining('software adapter') });
  });
});
