// The engine as the extension host uses it: in a worker thread, one request at a time, surviving
// cancellation, a failed load and the worker dying.
import { afterEach, describe, expect, it } from 'vitest';
import { EngineClient } from '../../src/engine/client';
import type { Runner } from '../../src/engine/runner';
import { ortRunners } from '../../src/engine/runtime';
import type { RemoteBackend } from '../../src/engine/workerProtocol';
import { buildDecoder } from '../helpers/decoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';
import { WORKER } from '../helpers/paths';
import { rejection } from '../helpers/rejection';
import { hookGroups } from '../../src/shared/hooks';

const SMALL = writeModelFolder('worker-small', buildDecoder({ attention: 'unfused' }));
// Big enough that one forward pass takes a while on any machine.
const SLOW = writeModelFolder('worker-slow', buildDecoder({ attention: 'unfused', layers: 6, dModel: 256, dMlp: 1024, heads: 8, positions: 1024 }));
const LONG_TEXT = 'the cat sat on the mat. '.repeat(40);

let engine: EngineClient;
afterEach(() => engine?.dispose());

function start(): EngineClient {
  engine = new EngineClient({ workerPath: WORKER, backend: 'wasm', threads: 1 });
  return engine;
}

describe('EngineClient', () => {
  it('keeps the host event loop running during a forward pass', async () => {
    const client = start();
    await client.load(SLOW);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let done = false;
    const analysis = client.analyze(LONG_TEXT, { hooks: [...hookGroups.attention, ...hookGroups.activations] }).finally(() => (done = true));
    // Let the host do its own work while the worker computes.
    while (!done) await new Promise((resolve) => setTimeout(resolve, 1));
    clearInterval(timer);
    expect((await analysis).tokens.length).toBe(LONG_TEXT.length);
    expect(ticks).toBeGreaterThan(5);
  });

  it('drops a queued request whose caller gave up, and answers the others', async () => {
    const client = start();
    await client.load(SMALL);
    const controller = new AbortController();
    const first = client.analyze('the cat');
    const second = client.analyze('the mat', {}, controller.signal);
    const third = client.analyze('the hat');
    controller.abort();
    expect((await rejection(second)).code).toBe('cancelled');
    expect((await first).tokens.map((t) => t.text).join('')).toBe('the cat');
    expect((await third).tokens.map((t) => t.text).join('')).toBe('the hat');
  });

  it('keeps the previous model when a new one fails to load', async () => {
    const client = start();
    const info = await client.load(SMALL);
    const broken = writeModelFolder('worker-broken', new TextEncoder().encode('not a model'));
    expect((await rejection(client.load(broken))).code).toBe('not-onnx');
    expect(client.modelInfo).toEqual(info);
    expect((await client.analyze('the cat')).tokens).toHaveLength(7);
  });

  it('fails pending requests when the worker dies, and starts a new one for the next', async () => {
    const client = start();
    await client.load(SLOW);
    const before = await client.analyze('the cat sat');
    const pending = client.analyze(LONG_TEXT);
    const queued = client.analyze('the mat');
    await client.terminateWorker();
    for (const e of [await rejection(pending), await rejection(queued)]) {
      expect(e.code).toBe('worker-died');
      // The crash's own reason, for the running request and the one queued behind it.
      expect(e.message).toMatch(/^The engine stopped unexpectedly \(exit code \d+\)\.$/);
      expect(e.hint).toContain('starts the engine again');
    }
    const after = await client.analyze('the cat sat');
    expect(Array.from(after.prob)).toEqual(Array.from(before.prob));
  });
});

describe('EngineClient with a remote backend', () => {
  it('runs the graph wherever the host sends it, and falls back to WebAssembly when that fails', async () => {
    // A stand-in for the WebGPU webview: ONNX Runtime WebAssembly on the host's thread.
    const wasm = ortRunners('wasm', 1);
    const sessions = new Map<number, Runner>();
    const calls: string[] = [];
    let broken = false;
    const remote: RemoteBackend = {
      async call(call) {
        calls.push(call.op);
        if (call.op === 'create') {
          const id = sessions.size + 1;
          sessions.set(id, await wasm({ model: call.model, externalData: [] }));
          return id;
        }
        if (call.op === 'release') return undefined;
        if (broken) throw new Error('the adapter went away');
        return sessions.get(call.session)!.run(call.feeds, call.fetches);
      },
    };
    engine = new EngineClient({ workerPath: WORKER, backend: 'webgpu', threads: 1, remote });
    const info = await engine.load(SMALL);
    expect(info.backend).toBe('webgpu');
    expect(calls.slice(0, 2)).toEqual(['create', 'run']);
    const reference = new EngineClient({ workerPath: WORKER, backend: 'wasm', threads: 1 });
    try {
      await reference.load(SMALL);
      const expected = await reference.analyze('the cat', { hooks: hookGroups.attention });
      const viaRemote = await engine.analyze('the cat', { hooks: hookGroups.attention });
      expect(Array.from(viaRemote.prob)).toEqual(Array.from(expected.prob));
      broken = true;
      const afterFailure = await engine.analyze('the mat', { hooks: hookGroups.attention });
      expect(Array.from(afterFailure.prob)).toEqual(Array.from((await reference.analyze('the mat', { hooks: hookGroups.attention })).prob));
    } finally {
      reference.dispose();
    }
  });
});
