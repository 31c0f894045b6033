// The native backend's execution provider: what `auto` and each explicit setting choose on every
// platform onnxruntime-node ships for, and how the reason reaches the side panel's backend line.
import { describe, expect, it } from 'vitest';
import manifest from '../../package.json';
import { withProvider } from '../../src/host/backendChoice';
import { chooseProvider, fallbackReason, PROVIDER_NAMES, type ProviderEnvironment } from '../../src/engine/executionProviders';
import { effectiveValue, enumSetting, isRestricted } from '../../src/host/settingsSchema';

// What onnxruntime-node 1.30's binding lists on each platform (listSupportedBackends()).
const WINDOWS: ProviderEnvironment = { platform: 'win32', built: ['cpu', 'dml', 'webgpu'], cudaInstalled: false };
const MAC: ProviderEnvironment = { platform: 'darwin', built: ['cpu', 'coreml', 'webgpu'], cudaInstalled: false };
const LINUX: ProviderEnvironment = { platform: 'linux', built: ['cpu', 'webgpu', 'cuda', 'tensorrt'], cudaInstalled: false };
const LINUX_CUDA: ProviderEnvironment = { ...LINUX, cudaInstalled: true };
const LINUX_ARM: ProviderEnvironment = { platform: 'linux', built: ['cpu'], cudaInstalled: false };

describe('chooseProvider', () => {
  it('auto: DirectML on Windows, CoreML on macOS, CUDA only where its libraries are installed, else CPU', () => {
    expect(chooseProvider('auto', WINDOWS)).toMatchObject({ provider: 'dml', reason: expect.stringContaining('auto, on Windows') });
    expect(chooseProvider('auto', MAC)).toMatchObject({ provider: 'coreml', reason: expect.stringContaining('auto, on macOS') });
    expect(chooseProvider('auto', LINUX_CUDA)).toMatchObject({ provider: 'cuda', reason: expect.stringContaining("CUDA's libraries are installed") });
    expect(chooseProvider('auto', LINUX)).toMatchObject({ provider: 'cpu', reason: expect.stringContaining('auto') });
    expect(chooseProvider('auto', LINUX_ARM).provider).toBe('cpu');
    // Never the experimental WebGPU provider, though every one of them has it.
    for (const env of [WINDOWS, MAC, LINUX, LINUX_CUDA]) expect(chooseProvider('auto', env).provider).not.toBe('webgpu');
    for (const env of [WINDOWS, MAC, LINUX, LINUX_CUDA]) expect(chooseProvider('auto', env).unavailable).toBeUndefined();
  });

  it('takes an explicit provider the binding has', () => {
    expect(chooseProvider('cpu', WINDOWS)).toMatchObject({ provider: 'cpu', reason: expect.stringContaining('as set') });
    expect(chooseProvider('dml', WINDOWS).provider).toBe('dml');
    expect(chooseProvider('webgpu', LINUX).provider).toBe('webgpu');
    expect(chooseProvider('coreml', MAC).provider).toBe('coreml');
    expect(chooseProvider('cuda', LINUX_CUDA)).toMatchObject({
      provider: 'cuda',
      reason: expect.stringContaining('as set in modelLens.native.executionProvider'),
    });
  });

  it('chooses CPU, and says why, for a provider this platform lacks', () => {
    const dml = chooseProvider('dml', LINUX);
    expect(dml.provider).toBe('cpu');
    expect(dml.reason).toMatch(
      /^CPU execution provider: DirectML was asked for .* on linux has no DirectML provider \(it has CPU, WebGPU, CUDA, tensorrt\); running on CPU\.$/,
    );
    expect(chooseProvider('coreml', WINDOWS)).toMatchObject({ provider: 'cpu', unavailable: expect.stringContaining('no CoreML provider') });
    expect(chooseProvider('cuda', MAC)).toMatchObject({ provider: 'cpu', unavailable: expect.stringContaining('no CUDA provider') });
    expect(chooseProvider('webgpu', LINUX_ARM)).toMatchObject({ provider: 'cpu', unavailable: expect.stringContaining('no WebGPU provider') });
  });

  it('chooses CPU for CUDA when the binding has it but its libraries were not installed', () => {
    const cuda = chooseProvider('cuda', LINUX);
    expect(cuda.provider).toBe('cpu');
    expect(cuda.reason).toContain('libonnxruntime_providers_cuda.so');
    expect(cuda.reason).toMatch(/running on CPU\.$/);
  });
});

describe('fallbackReason', () => {
  it('names what was asked for, what failed and the runtime message on one line', () => {
    const reason = fallbackReason(
      chooseProvider('cuda', LINUX_CUDA),
      'start',
      'OrtSessionOptionsAppendExecutionProvider_Cuda:\n  Failed to load shared library',
    );
    expect(reason).toBe(
      'CPU execution provider: CUDA was asked for (modelLens.native.executionProvider), but it could not start (OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library); running on CPU.',
    );
    expect(fallbackReason(chooseProvider('auto', WINDOWS), 'run', 'x')).toBe(
      'CPU execution provider: auto chose DirectML, but its first run failed (x); running on CPU.',
    );
    expect(fallbackReason(chooseProvider('auto', WINDOWS), 'run', 'e'.repeat(1000)).length).toBeLessThan(400);
  });
});

describe('withProvider', () => {
  const use = { provider: 'cpu' as const, reason: 'CPU execution provider: DirectML was asked for …; running on CPU.', fallback: true };
  it("adds a native model's provider to the backend's reason", () => {
    expect(withProvider('native ONNX Runtime, as set in modelLens.backend.', { backend: 'native', executionProvider: use })).toBe(
      `native ONNX Runtime, as set in modelLens.backend. ${use.reason}`,
    );
  });
  it('leaves the reason alone before a model is loaded, and on the other backends', () => {
    expect(withProvider('native ONNX Runtime.', undefined)).toBe('native ONNX Runtime.');
    expect(withProvider('WebAssembly: …', { backend: 'wasm', executionProvider: use })).toBe('WebAssembly: …');
    expect(withProvider('native ONNX Runtime.', { backend: 'native' })).toBe('native ONNX Runtime.');
  });
});

describe('modelLens.native.executionProvider', () => {
  const schema = manifest.contributes.configuration.properties['modelLens.native.executionProvider'];
  it('offers auto and every provider the engine names, auto by default', () => {
    expect(schema.enum).toEqual(['auto', ...Object.keys(PROVIDER_NAMES)]);
    expect(schema.default).toBe('auto');
    expect(enumSetting('native.executionProvider', 'tensorrt')).toBe('auto');
    expect(enumSetting('native.executionProvider', 'dml')).toBe('dml');
  });

  it("is a restricted setting: an untrusted workspace cannot make the editor load a GPU provider's libraries", () => {
    expect(isRestricted('native.executionProvider')).toBe(true);
    const inspected = { defaultValue: 'auto', workspaceValue: 'cuda' };
    expect(effectiveValue('native.executionProvider', inspected, false)).toBe('auto');
    expect(effectiveValue('native.executionProvider', { ...inspected, globalValue: 'cpu' }, false)).toBe('cpu');
    expect(effectiveValue('native.executionProvider', inspected, true)).toBe('cuda');
  });
});
