// Loading tries its candidates in turn (remote before local, instrumented before plain), and no
// failure's reason may be lost on the way: each ends in a note, or in the error when none starts.
import { describe, expect, it } from 'vitest';
import { ModelLensError } from '../../src/engine/errors';
import type { Runner } from '../../src/engine/runner';
import { type Candidate, describeFailures, failureNote, handOverNote, startFirst } from '../../src/engine/runnerCandidates';

const runner: Runner = { run: async () => ({}), release: async () => undefined };

function candidate(backend: Candidate['backend'], graph: Candidate['graph'], fails?: string | Error, tried: string[] = []): Candidate {
  return {
    backend,
    graph,
    bytes: () => ({ model: new Uint8Array(0), externalData: [] }),
    start: async () => {
      tried.push(`${graph} on ${backend}`);
      if (fails instanceof Error) throw fails;
      if (fails) throw new Error(fails);
      return runner;
    },
  };
}

const noneStarted = (failures: { reason: string }[]) => new Error(`none: ${failures.map((f) => f.reason).join(', ')}`);

describe('startFirst', () => {
  it('tries the candidates in order and keeps every failure with its reason', async () => {
    const tried: string[] = [];
    const started = await startFirst(
      [
        candidate('webgpu', 'instrumented', 'no adapter', tried),
        candidate('wasm', 'instrumented', 'bad node', tried),
        candidate('wasm', 'plain', undefined, tried),
      ],
      noneStarted,
    );
    expect(tried).toEqual(['instrumented on webgpu', 'instrumented on wasm', 'plain on wasm']);
    expect(started.candidate).toMatchObject({ backend: 'wasm', graph: 'plain' });
    expect(started.failures.map((f) => f.reason)).toEqual(['no adapter', 'bad node']);
    expect(started.failures.map((f) => failureNote(f, started.candidate))).toEqual([
      'webgpu could not start (no adapter); the model runs on WebAssembly.',
      'the instrumented model did not load (bad node)',
    ]);
  });

  it('hands over only to later candidates with the same graph', async () => {
    const candidates = [candidate('webgpu', 'instrumented'), candidate('wasm', 'instrumented'), candidate('wasm', 'plain')];
    const started = await startFirst(candidates, noneStarted);
    expect(started.failures).toEqual([]);
    expect(started.handOver).toEqual([candidates[1]]);
    expect(handOverNote(candidates[0], 'device lost', candidates[1])).toBe('webgpu failed (device lost); the model now runs on WebAssembly.');
  });

  it('names every reason when none starts', async () => {
    const candidates = [
      candidate('webgpu', 'instrumented', 'no adapter'),
      candidate('wasm', 'instrumented', 'bad node'),
      candidate('wasm', 'plain', 'bad file'),
    ];
    let failures: Parameters<typeof describeFailures>[0] = [];
    await expect(
      startFirst(candidates, (f) => {
        failures = f;
        return new Error(describeFailures(f));
      }),
    ).rejects.toThrow(
      'the instrumented model on WebGPU: no adapter; the instrumented model on WebAssembly: bad node; the plain model on WebAssembly: bad file',
    );
    expect(failures.map((f) => f.candidate)).toEqual(candidates);
  });

  it('says a reason once when every candidate failed for it', () => {
    const failures = ['instrumented', 'plain'].map((graph) => ({
      candidate: candidate('wasm', graph as Candidate['graph']),
      reason: 'protobuf parsing failed',
    }));
    expect(describeFailures(failures)).toBe('protobuf parsing failed');
  });

  it("throws the model's own error at once, without trying the rest", async () => {
    const tried: string[] = [];
    const changed = new ModelLensError({ code: 'damaged-model', message: 'The model changed on disk while it was being loaded.' });
    await expect(startFirst([candidate('wasm', 'instrumented', changed, tried), candidate('wasm', 'plain', undefined, tried)], noneStarted)).rejects.toBe(
      changed,
    );
    expect(tried).toEqual(['instrumented on wasm']);
  });
});
