// The one file that imports ONNX Runtime. The WASM build (onnxruntime-web) always works; the
// native build (onnxruntime-node) is used when it is installed and asked for. Both speak the
// same onnxruntime-common API, so the rest of the engine does not care which one runs.
import * as os from 'node:os';
import ort = require('onnxruntime-web');
import { ModelLensError } from './errors';
import type { RunnerFactory, TensorArray, TensorType } from './runner';
import type { Backend } from './types';

type Ort = typeof ort;

/** Execution provider of each backend, in one table. */
const PROVIDERS: Readonly<Record<Exclude<Backend, 'webgpu'>, string>> = Object.freeze({ wasm: 'wasm', native: 'cpu' });

let configuredThreads: number | undefined;

/**
 * The threads ONNX Runtime is given: at least one, at most one per core. More than the cores only
 * adds contention, and each thread costs memory (a WebAssembly thread is a worker with a heap view
 * and a stack: 512 of them took 5.3 GB), so neither a setting nor a `--threads` flag can ask for more.
 */
function runtimeThreads(threads: number): number {
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  return Number.isFinite(threads) ? Math.max(1, Math.min(Math.floor(threads), cores)) : 1;
}

function loadNative(): Ort | undefined {
  try {
    // Resolved at run time: the universal package does not ship the native binary.
    return require('onnxruntime-node') as Ort;
  } catch {
    return undefined;
  }
}

function runtimeFor(backend: Exclude<Backend, 'webgpu'>, threads: number): Ort {
  if (backend === 'native') {
    const native = loadNative();
    if (!native) {
      throw new ModelLensError({
        code: 'load-failed',
        message: 'The native backend (onnxruntime-node) is not installed.',
        hint: 'Set modelLens.backend to "wasm" or "auto".',
      });
    }
    return native;
  }
  // WASM threads are fixed when the runtime first starts; later changes need a new worker.
  if (configuredThreads === undefined) {
    ort.env.wasm.numThreads = threads;
    // Failures reach the user as errors; the runtime's own log would only repeat them on stderr.
    ort.env.logLevel = 'fatal';
    configuredThreads = threads;
  }
  return ort;
}

/**
 * Runners on ONNX Runtime in this thread: WebAssembly, or native when installed. `packWeights`
 * keeps ONNX Runtime's packed copy of each MatMul weight, its default (the engine packs on native
 * only; see below).
 */
export function ortRunners(backend: Exclude<Backend, 'webgpu'>, requestedThreads: number, packWeights = backend === 'native'): RunnerFactory {
  const threads = runtimeThreads(requestedThreads);
  const runtime = runtimeFor(backend, threads);
  return async ({ model, externalData }) => {
    const session = await runtime.InferenceSession.create(model, {
      executionProviders: [PROVIDERS[backend]],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: backend === 'native' ? threads : undefined,
      externalData: externalData.length ? externalData : undefined,
      logSeverityLevel: 3,
      extra: {
        session: {
          // Native threads would otherwise spin after each run, taking the cores the editor shares.
          ...(backend === 'native' ? { intra_op: { allow_spinning: '0' } } : {}),
          // Without packed copies a WebAssembly heap (it never shrinks, and addresses 4 GB at most)
          // holds ~40% of a GPT-2 model's size less, for ~5% of speed (measured in the benchmark).
          ...(packWeights ? {} : { disable_prepacking: '1' }),
        },
      },
    });
    return {
      async run(feeds, fetches) {
        const inputs = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new runtime.Tensor(t.type, t.data, t.dims)]));
        const outputs = await session.run(inputs, fetches);
        return Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, { type: t.type as TensorType, dims: [...t.dims], data: t.data as TensorArray }]));
      },
      release: () => session.release(),
    };
  };
}
