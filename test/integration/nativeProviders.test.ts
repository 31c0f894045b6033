// The native backend's execution provider on the real onnxruntime-node of this machine, which
// has no GPU: a provider that cannot start hands over to CPU with ONNX Runtime's own reason, the
// numbers are CPU's, and the reason reaches the loaded model's description.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nativeRuntimeInstalled } from '../../src/host/backendChoice';
import { chooseProvider } from '../../src/engine/executionProviders';
import { LoadedModel } from '../../src/engine/loadedModel';
import { resolveModelFiles } from '../../src/engine/modelFolder';
import type { Runner } from '../../src/engine/runner';
import { nativeProviderEnvironment, ortRunners } from '../../src/engine/runtime';
import { DEFAULT_MODEL } from '../helpers/paths';
import { hookGroups } from '../../src/shared/hooks';

const installed = nativeRuntimeInstalled();
const env = installed ? nativeProviderEnvironment(require('onnxruntime-node')) : undefined;
const model = new Uint8Array(fs.readFileSync(resolveModelFiles(DEFAULT_MODEL).onnx));
const ids = [15, 27, 3, 99, 4];
const feeds = {
  input_ids: { type: 'int64' as const, dims: [1, ids.length], data: BigInt64Array.from(ids.map(BigInt)) },
  attention_mask: { type: 'int64' as const, dims: [1, ids.length], data: BigInt64Array.from(ids.map(() => 1n)) },
};
const logits = async (runner: Runner) => (await runner.run(feeds, ['logits'])).logits.data as Float32Array;

describe.skipIf(!installed)('native execution providers', () => {
  it("lists what this platform's onnxruntime-node was built with", () => {
    expect(env!.built).toContain('cpu');
    expect(env!.platform).toBe(process.platform);
  });

  // CUDA's libraries are what the project's install leaves out; where they are installed (and a
  // GPU may be present) the attempt could succeed, so the case is for machines without them.
  it.skipIf(!(env?.built.includes('cuda') && !env.cudaInstalled))(
    "falls back to CPU when CUDA cannot start, with ONNX Runtime's reason, and computes what CPU computes",
    async () => {
      // As if the libraries were installed: the real binding tries to load them and throws.
      const choice = chooseProvider('cuda', { ...env!, cudaInstalled: true });
      expect(choice.provider).toBe('cuda');
      const runner = await ortRunners('native', 1, true, choice)({ model, externalData: [] });
      const cpu = await ortRunners('native', 1, true, 'cpu')({ model, externalData: [] });
      try {
        expect(runner.provider).toMatchObject({ provider: 'cpu', fallback: true });
        expect(runner.provider!.reason).toMatch(
          /^CPU execution provider: CUDA was asked for \(modelLens\.native\.executionProvider\), but it could not start \(.*Failed to load shared library.*\); running on CPU\.$/,
        );
        expect(await logits(runner)).toEqual(await logits(cpu));
        expect(runner.provider!.provider).toBe('cpu');
        expect(cpu.provider).toMatchObject({ provider: 'cpu', fallback: false });
      } finally {
        await runner.release();
        await cpu.release();
      }
    },
  );

  it.skipIf(process.platform === 'win32')('loads the default model on CPU when DirectML is asked for where there is none, and says so', async () => {
    const loaded = await LoadedModel.load(DEFAULT_MODEL, { backend: 'native', threads: 1, executionProvider: 'dml' });
    try {
      expect(loaded.info.executionProvider).toEqual({
        provider: 'cpu',
        fallback: true,
        reason: expect.stringMatching(/DirectML was asked for .* has no DirectML provider .*; running on CPU\.$/),
      });
      const analysis = await loaded.analyze('def add(a, b):', { hooks: hookGroups.attention });
      expect(analysis.tokens.length).toBeGreaterThan(3);
    } finally {
      await loaded.release();
    }
  });

  it('runs on CPU with auto where no GPU provider is installed, as a fallback-free choice', async () => {
    const choice = chooseProvider('auto', env!);
    const loaded = await LoadedModel.load(DEFAULT_MODEL, { backend: 'native', threads: 1, executionProvider: 'auto' });
    try {
      expect(loaded.info.executionProvider?.provider).toBe(choice.provider);
      if (choice.provider === 'cpu') expect(loaded.info.executionProvider).toMatchObject({ fallback: false, reason: expect.stringContaining('auto') });
    } finally {
      await loaded.release();
    }
  });
});
