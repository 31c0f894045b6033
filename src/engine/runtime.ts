// The one file that imports ONNX Runtime. The WASM build (onnxruntime-web) always works; the
// native build (onnxruntime-node) is used when it is installed and asked for. Both speak the
// same onnxruntime-common API, so the rest of the engine does not care which one runs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ort = require('onnxruntime-web');
import { ModelLensError } from './errors';
import {
  chooseProvider,
  CUDA_PROVIDER_LIBRARY,
  fallbackReason,
  type ExecutionProvider,
  type ExecutionProviderSetting,
  type ProviderChoice,
  type ProviderEnvironment,
  type ProviderUse,
} from './executionProviders';
import type { ModelBytes, Runner, RunnerFactory, TensorArray, TensorType, Tensors } from './runner';
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
    // A provider that cannot start is reported with ONNX Runtime's message (and CPU takes over);
    // its own log would print the same on stderr. Read when its environment starts.
    native.env.logLevel = 'fatal';
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

/** What this machine's onnxruntime-node can run on (see executionProviders.ts). */
export function nativeProviderEnvironment(native: Ort): ProviderEnvironment {
  const list = (native as unknown as { listSupportedBackends?: () => { name: string }[] }).listSupportedBackends;
  const built = list ? list().map((b) => b.name) : ['cpu'];
  let cudaInstalled = false;
  try {
    // The binding and the libraries the install script adds lie in bin/napi-v6/<platform>/<arch>/.
    const bin = path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
    cudaInstalled = fs.existsSync(path.join(bin, CUDA_PROVIDER_LIBRARY));
  } catch {
    // Not resolvable: loadNative would not have found it either.
  }
  return { platform: process.platform, built, cudaInstalled };
}

export interface SessionOptions {
  backend: Exclude<Backend, 'webgpu'>;
  threads: number;
  packWeights: boolean;
  /** Native only: the execution provider. */
  provider?: ExecutionProvider;
}

async function createSession(runtime: Ort, { model, externalData, externalFolder }: ModelBytes, o: SessionOptions): Promise<ort.InferenceSession> {
  const native = o.backend === 'native';
  return runtime.InferenceSession.create(model, {
    executionProviders: [native ? (o.provider ?? 'cpu') : PROVIDERS[o.backend]],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: native ? o.threads : undefined,
    externalData: externalData.length ? externalData : undefined,
    logSeverityLevel: 3,
    // DirectML cannot run with memory patterns (ONNX Runtime would turn them off with a warning).
    ...(o.provider === 'dml' ? { enableMemPattern: false } : {}),
    extra: {
      session: {
        // Native threads would otherwise spin after each run, taking the cores the editor shares.
        // Its QDQ optimizations would fuse DequantizeLinear → MatMul into integer kernels that also
        // round the activations (a model's logits moved by 0.06 on a test model): an int8-weight
        // model then computes something else than its graph says, and than WebAssembly computes.
        ...(native ? { intra_op: { allow_spinning: '0' }, disable_quant_qdq: '1' } : {}),
        // Without packed copies a WebAssembly heap (it never shrinks, and addresses 4 GB at most)
        // holds ~40% of a GPT-2 model's size less, for ~5% of speed (measured in the benchmark).
        ...(o.packWeights ? {} : { disable_prepacking: '1' }),
        ...(externalFolder ? { model_external_initializers_file_folder_path: externalFolder } : {}),
      },
    },
  });
}

async function runSession(runtime: Ort, session: ort.InferenceSession, feeds: Tensors, fetches: string[]): Promise<Tensors> {
  const inputs = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new runtime.Tensor(t.type, t.data, t.dims)]));
  const outputs = await session.run(inputs, fetches);
  return Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, { type: t.type as TensorType, dims: [...t.dims], data: t.data as TensorArray }]));
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * A native runner on the chosen provider, with CPU taking over when the provider cannot start
 * (session creation throws: a library or a device missing) or its first run fails (an operator
 * its kernels place but cannot run). A failure on CPU is the model's and is thrown as it is. The
 * runner's `provider` says which one runs and why; it changes at most once, on the first run.
 * (Exported for its tests, which give it a runtime whose provider fails where no GPU can.)
 */
export async function nativeRunner(runtime: Ort, bytes: ModelBytes, o: SessionOptions, choice: ProviderChoice): Promise<Runner> {
  const use: ProviderUse = { provider: choice.provider, reason: choice.reason, fallback: !!choice.unavailable };
  const onCpu = (reason: string) => Object.assign(use, { provider: 'cpu', reason, fallback: true });
  const create = (provider: ExecutionProvider) => createSession(runtime, bytes, { ...o, provider });
  let session: ort.InferenceSession;
  try {
    session = await create(choice.provider);
  } catch (e) {
    if (choice.provider === 'cpu') throw e;
    session = await create('cpu');
    onCpu(fallbackReason(choice, 'start', message(e)));
  }
  // Kept only until the first run has shown the provider works.
  let retry: ModelBytes | undefined = use.provider === 'cpu' ? undefined : bytes;
  return {
    provider: use,
    async run(feeds, fetches) {
      const first = retry;
      if (!first) return runSession(runtime, session, feeds, fetches);
      try {
        const out = await runSession(runtime, session, feeds, fetches);
        retry = undefined;
        return out;
      } catch (e) {
        const cpu = await createSession(runtime, first, { ...o, provider: 'cpu' });
        let out: Tensors;
        try {
          out = await runSession(runtime, cpu, feeds, fetches);
        } catch {
          // CPU fails the same way: the run's fault, not the provider's.
          await cpu.release();
          throw e;
        }
        retry = undefined;
        await session.release();
        session = cpu;
        onCpu(fallbackReason(choice, 'run', message(e)));
        return out;
      }
    },
    release: () => session.release(),
  };
}

/**
 * Runners on ONNX Runtime in this thread: WebAssembly, or native when installed. `packWeights`
 * keeps ONNX Runtime's packed copy of each MatMul weight, its default (the engine packs on native
 * only; see below). `provider` is native's execution provider: a setting, resolved against what
 * is installed here, or a choice already made (tests ask for one this machine lacks).
 */
export function ortRunners(
  backend: Exclude<Backend, 'webgpu'>,
  requestedThreads: number,
  packWeights = backend === 'native',
  provider: ExecutionProviderSetting | ProviderChoice = 'cpu',
): RunnerFactory {
  const threads = runtimeThreads(requestedThreads);
  const runtime = runtimeFor(backend, threads);
  const o: SessionOptions = { backend, threads, packWeights };
  if (backend === 'native') {
    // Chosen once per factory: what is installed does not change while the engine runs.
    const choice = typeof provider === 'string' ? chooseProvider(provider, nativeProviderEnvironment(runtime)) : provider;
    return (bytes) => nativeRunner(runtime, bytes, o, choice);
  }
  return async (bytes) => {
    const session = await createSession(runtime, bytes, o);
    return { run: (feeds, fetches) => runSession(runtime, session, feeds, fetches), release: () => session.release() };
  };
}
