// The one file that imports ONNX Runtime. The WASM build (onnxruntime-web) always works; the
// native build (onnxruntime-node) is used when it is installed and asked for. Both speak the
// same onnxruntime-common API, so the rest of the engine does not care which one runs.
import ort = require('onnxruntime-web');
import { ModelLensError } from './errors';
import type { Backend } from './types';

export type Ort = typeof ort;
export type OrtSession = ort.InferenceSession;
export type OrtTensor = ort.Tensor;

/** Execution provider of each backend, in one table. */
const PROVIDERS: Readonly<Record<Backend, string>> = Object.freeze({ wasm: 'wasm', native: 'cpu' });

let configuredThreads: number | undefined;

function loadNative(): Ort | undefined {
  try {
    // Resolved at run time: the universal package does not ship the native binary.
    return require('onnxruntime-node') as Ort;
  } catch {
    return undefined;
  }
}

/** Whether the native backend can be used on this machine. */
export function nativeAvailable(): boolean {
  return loadNative() !== undefined;
}

export function runtimeFor(backend: Backend, threads: number): Ort {
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

export async function createSession(
  runtime: Ort,
  backend: Backend,
  bytes: Uint8Array,
  externalData: { path: string; data: string }[],
  threads: number,
): Promise<OrtSession> {
  return runtime.InferenceSession.create(bytes, {
    executionProviders: [PROVIDERS[backend]],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: backend === 'native' ? threads : undefined,
    externalData: externalData.length ? externalData : undefined,
    logSeverityLevel: 3,
  });
}
