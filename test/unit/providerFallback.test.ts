// CPU taking over from a native execution provider. Creation that throws is tested on the real
// onnxruntime-node (integration/nativeProviders); a provider that starts and then fails its first
// run needs a GPU this machine lacks, so here a runtime stands in whose 'cuda' sessions fail to run.
import { describe, expect, it } from 'vitest';
import { chooseProvider } from '../../src/engine/executionProviders';
import type { Tensors } from '../../src/engine/runner';
import { nativeRunner } from '../../src/engine/runtime';

type Behaviour = { create?: string; run?: string };

/** A stand-in for onnxruntime-node: sessions per provider that fail as told, answering their provider's name. */
function runtime(behaviours: Record<string, Behaviour>) {
  const log: string[] = [];
  const rt = {
    Tensor: class {
      constructor(
        readonly type: string,
        readonly data: unknown,
        readonly dims: number[],
      ) {}
    },
    InferenceSession: {
      async create(_model: Uint8Array, options: { executionProviders: string[] }) {
        const provider = options.executionProviders[0];
        log.push(`create ${provider}`);
        const b = behaviours[provider] ?? {};
        if (b.create) throw new Error(b.create);
        return {
          async run() {
            log.push(`run ${provider}`);
            if (b.run) throw new Error(b.run);
            return { out: { type: 'float32', dims: [1], data: Float32Array.of(provider === 'cpu' ? 1 : 2) } };
          },
          async release() {
            log.push(`release ${provider}`);
          },
        };
      },
    },
  };
  return { rt: rt as unknown as Parameters<typeof nativeRunner>[0], log };
}

const BYTES = { model: new Uint8Array(4), externalData: [] };
const OPTIONS = { backend: 'native' as const, threads: 1, packWeights: true };
const CUDA = chooseProvider('cuda', { platform: 'linux', built: ['cpu', 'cuda'], cudaInstalled: true });
const FEEDS: Tensors = { x: { type: 'float32', dims: [1], data: Float32Array.of(0) } };
const out = (t: Tensors) => Array.from(t.out.data as Float32Array);

describe('native provider fallback', () => {
  it('keeps a provider that starts and runs', async () => {
    const { rt, log } = runtime({});
    const runner = await nativeRunner(rt, BYTES, OPTIONS, CUDA);
    expect(out(await runner.run(FEEDS, ['out']))).toEqual([2]);
    expect(runner.provider).toMatchObject({ provider: 'cuda', fallback: false });
    expect(log).toEqual(['create cuda', 'run cuda']);
  });

  it('creates a CPU session when the provider cannot start', async () => {
    const { rt, log } = runtime({ cuda: { create: 'no device' } });
    const runner = await nativeRunner(rt, BYTES, OPTIONS, CUDA);
    expect(runner.provider).toMatchObject({ provider: 'cpu', fallback: true, reason: expect.stringContaining('it could not start (no device)') });
    expect(out(await runner.run(FEEDS, ['out']))).toEqual([1]);
    expect(log).toEqual(['create cuda', 'create cpu', 'run cpu']);
  });

  it('runs again on CPU, and stays there, when the first run fails on the provider', async () => {
    const { rt, log } = runtime({ cuda: { run: 'kernel failed' } });
    const runner = await nativeRunner(rt, BYTES, OPTIONS, CUDA);
    expect(out(await runner.run(FEEDS, ['out']))).toEqual([1]);
    expect(runner.provider).toMatchObject({ provider: 'cpu', fallback: true, reason: expect.stringContaining('its first run failed (kernel failed)') });
    await runner.run(FEEDS, ['out']);
    await runner.release();
    expect(log).toEqual(['create cuda', 'run cuda', 'create cpu', 'run cpu', 'release cuda', 'run cpu', 'release cpu']);
  });

  it('throws the first error and keeps the provider when CPU fails the same run (the run is at fault)', async () => {
    const { rt, log } = runtime({ cuda: { run: 'bad feeds' }, cpu: { run: 'bad feeds' } });
    const runner = await nativeRunner(rt, BYTES, OPTIONS, CUDA);
    await expect(runner.run(FEEDS, ['out'])).rejects.toThrow('bad feeds');
    expect(runner.provider).toMatchObject({ provider: 'cuda', fallback: false });
    expect(log).toEqual(['create cuda', 'run cuda', 'create cpu', 'run cpu', 'release cpu']);
  });

  it('throws when CPU cannot create the session either: the model is at fault', async () => {
    const { rt } = runtime({ cuda: { create: 'no device' }, cpu: { create: 'bad model' } });
    await expect(nativeRunner(rt, BYTES, OPTIONS, CUDA)).rejects.toThrow('bad model');
  });

  it('tries no second session when CPU was asked for', async () => {
    const { rt, log } = runtime({ cpu: { create: 'bad model' } });
    await expect(nativeRunner(rt, BYTES, OPTIONS, chooseProvider('cpu', { platform: 'linux', built: ['cpu'], cudaInstalled: false }))).rejects.toThrow(
      'bad model',
    );
    expect(log).toEqual(['create cpu']);
  });
});
