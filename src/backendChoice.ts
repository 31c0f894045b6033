// Which ONNX Runtime runs the model, and why: the native build when it is installed and allowed,
// else WebAssembly, which works everywhere.
import type { BackendSetting } from './config';
import type { Backend } from './engine/types';

/** onnxruntime-node is not bundled: it is used only where it is installed next to the extension. */
export function nativeRuntimeInstalled(): boolean {
  try {
    require.resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
}

export function chooseBackend(setting: BackendSetting, nativeInstalled: boolean): { backend: Backend; reason: string } {
  if (setting === 'wasm') return { backend: 'wasm', reason: 'WebAssembly, as set in modelLens.backend.' };
  if (nativeInstalled) {
    return { backend: 'native', reason: setting === 'native' ? 'native ONNX Runtime, as set in modelLens.backend.' : 'native ONNX Runtime: onnxruntime-node is installed, and it is the fastest on this CPU.' };
  }
  return {
    backend: 'wasm',
    reason:
      setting === 'native'
        ? 'WebAssembly: modelLens.backend asks for native, but onnxruntime-node is not installed next to the extension.'
        : 'WebAssembly: onnxruntime-node is not installed, and WebAssembly works everywhere.',
  };
}
