// Which execution provider the native backend (onnxruntime-node) asks ONNX Runtime for, from
// modelLens.native.executionProvider and what this machine's onnxruntime-node holds. Pure: the
// runtime hands it the platform, the providers the binding was built with, and whether CUDA's
// libraries are installed, so that every platform's choice is tested on any machine.
//
// What onnxruntime-node 1.30's npm package holds (its README and bin/napi-v6/): CPU everywhere;
// DirectML on Windows (x64, arm64; DirectML.dll ships in the package); CoreML on macOS; WebGPU
// (experimental) on Windows, macOS and Linux x64; CUDA (and TensorRT) on Linux x64 only, whose
// provider libraries are not in the npm package: its install script downloads them from NuGet
// unless told to skip. The binding lists the providers it was built with
// (`listSupportedBackends()`, CUDA marked `bundled: false`), and session creation throws when one
// cannot start (a library missing, no adapter, no device), so the runtime falls back to CPU.

import type { ExecutionProvider } from '../shared/modelInfo';

export type { ExecutionProvider, ProviderUse } from '../shared/modelInfo';

/** The setting's values. */
export type ExecutionProviderSetting = 'auto' | ExecutionProvider;

/** Names for messages. */
export const PROVIDER_NAMES: Readonly<Record<ExecutionProvider, string>> = Object.freeze({
  cpu: 'CPU',
  cuda: 'CUDA',
  dml: 'DirectML',
  coreml: 'CoreML',
  webgpu: 'WebGPU',
});

/** The shared library the CUDA provider needs next to the binding (bin/napi-v6/linux/x64/). */
export const CUDA_PROVIDER_LIBRARY = 'libonnxruntime_providers_cuda.so';

export interface ProviderEnvironment {
  platform: string;
  /** The providers the binding was built with (onnxruntime-node's listSupportedBackends()). */
  built: readonly string[];
  /** Whether CUDA's provider libraries are installed next to the binding. */
  cudaInstalled: boolean;
}

/** What the native backend asks for, and why (a sentence, shown next to the backend). */
export interface ProviderChoice {
  provider: ExecutionProvider;
  reason: string;
  /** Set when the setting named a provider this machine cannot use: the choice is CPU, and this says why. */
  unavailable?: string;
}

/**
 * The provider for `setting`. `auto` takes the GPU provider each platform's package ships for
 * the GPUs it has: DirectML on Windows, CoreML on macOS, CUDA on Linux where its libraries were
 * installed (whoever installed them meant to use them); else, and on every other platform, CPU.
 * WebGPU is experimental in onnxruntime-node, so only an explicit setting asks for it.
 */
export function chooseProvider(setting: ExecutionProviderSetting, env: ProviderEnvironment): ProviderChoice {
  const built = new Set(env.built);
  if (setting === 'cpu') return { provider: 'cpu', reason: 'CPU execution provider, as set in modelLens.native.executionProvider.' };
  if (setting === 'auto') {
    if (env.platform === 'win32' && built.has('dml'))
      return { provider: 'dml', reason: 'DirectML execution provider: modelLens.native.executionProvider is auto, on Windows.' };
    if (env.platform === 'darwin' && built.has('coreml'))
      return { provider: 'coreml', reason: 'CoreML execution provider: modelLens.native.executionProvider is auto, on macOS.' };
    if (built.has('cuda') && env.cudaInstalled)
      return {
        provider: 'cuda',
        reason: "CUDA execution provider: modelLens.native.executionProvider is auto, and CUDA's libraries are installed next to onnxruntime-node.",
      };
    return {
      provider: 'cpu',
      reason: 'CPU execution provider: modelLens.native.executionProvider is auto, and onnxruntime-node here has no GPU provider that auto uses.',
    };
  }
  const name = PROVIDER_NAMES[setting];
  let unavailable: string | undefined;
  if (!built.has(setting)) {
    unavailable = `${name} was asked for (modelLens.native.executionProvider), but onnxruntime-node on ${env.platform} has no ${name} provider (it has ${[...built].map((b) => PROVIDER_NAMES[b as ExecutionProvider] ?? b).join(', ') || 'none'})`;
  } else if (setting === 'cuda' && !env.cudaInstalled) {
    unavailable = `CUDA was asked for (modelLens.native.executionProvider), but its libraries (${CUDA_PROVIDER_LIBRARY} and the others onnxruntime-node's install script downloads) are not installed next to onnxruntime-node`;
  }
  if (unavailable) return { provider: 'cpu', reason: `CPU execution provider: ${unavailable}; running on CPU.`, unavailable };
  return { provider: setting, reason: `${name} execution provider, as set in modelLens.native.executionProvider.` };
}

/** Why a provider that was asked for is not used after all: it failed, and CPU took over. */
export function fallbackReason(choice: ProviderChoice, when: 'start' | 'run', error: string): string {
  const name = PROVIDER_NAMES[choice.provider];
  const asked = /modelLens\.native\.executionProvider is auto/.test(choice.reason)
    ? `auto chose ${name}`
    : `${name} was asked for (modelLens.native.executionProvider)`;
  const what = when === 'start' ? 'it could not start' : 'its first run failed';
  return `CPU execution provider: ${asked}, but ${what} (${oneLine(error)}); running on CPU.`;
}

/** An error message on one line, at most 300 characters (ONNX Runtime's carry paths and newlines). */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}…` : flat;
}
