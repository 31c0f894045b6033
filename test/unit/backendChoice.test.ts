import { describe, expect, it } from 'vitest';
import { chooseBackend } from '../../src/backendChoice';

describe('chooseBackend', () => {
  it('prefers native when installed, and says why', () => {
    expect(chooseBackend('auto', true)).toMatchObject({ backend: 'native', reason: expect.stringContaining('onnxruntime-node is installed') });
    expect(chooseBackend('auto', false)).toMatchObject({ backend: 'wasm', reason: expect.stringContaining('not installed') });
  });

  it('honours an explicit choice, falling back to WebAssembly when native is missing', () => {
    expect(chooseBackend('wasm', true).backend).toBe('wasm');
    expect(chooseBackend('native', true).backend).toBe('native');
    expect(chooseBackend('native', false)).toMatchObject({ backend: 'wasm', reason: expect.stringContaining('asks for native') });
  });
});
