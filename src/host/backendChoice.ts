// Which ONNX Runtime runs the model, and why: WebGPU when a webview has a real GPU adapter and
// WebGPU is allowed, the native build when it is installed, else WebAssembly, which works
// everywhere.
import type { BackendSetting } from './config';
import type { Backend, ModelInfo } from '../engine/types';
import type { GpuAdapterInfo } from '../shared/protocol';

/** onnxruntime-node is not bundled: it is used only where it is installed next to the extension. */
export function nativeRuntimeInstalled(): boolean {
  try {
    require.resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
}

export function describeAdapter(a: GpuAdapterInfo): string {
  return [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'an unnamed adapter';
}

/**
 * @param gpu the WebGPU adapter a webview reported, if one did
 */
export function chooseBackend(setting: BackendSetting, nativeInstalled: boolean, gpu?: GpuAdapterInfo): { backend: Backend; reason: string } {
  if (setting === 'wasm') return { backend: 'wasm', reason: 'WebAssembly, as set in modelLens.backend.' };
  if (setting === 'webgpu') {
    const on = gpu ? ` on ${describeAdapter(gpu)}${gpu.software ? ' (a software adapter: correct, but slow)' : ''}` : '';
    return { backend: 'webgpu', reason: `WebGPU in the Model Lens GPU tab${on}, as set in modelLens.backend.` };
  }
  if (setting === 'auto' && gpu && !gpu.software) return { backend: 'webgpu', reason: `WebGPU on ${describeAdapter(gpu)}: a webview found a hardware GPU.` };
  if (nativeInstalled) {
    return {
      backend: 'native',
      reason:
        setting === 'native'
          ? 'native ONNX Runtime, as set in modelLens.backend.'
          : 'native ONNX Runtime: onnxruntime-node is installed, and no hardware GPU was found.',
    };
  }
  return {
    backend: 'wasm',
    reason:
      setting === 'native'
        ? 'WebAssembly: modelLens.backend asks for native, but onnxruntime-node is not installed next to the extension.'
        : 'WebAssembly: onnxruntime-node is not installed and no hardware GPU was found; WebAssembly works everywhere.',
  };
}

/**
 * The backend's reason as the side panel shows it: on native, followed by the execution provider
 * the loaded model runs on and why (the CPU, when the provider asked for failed).
 */
export function withProvider(reason: string, info: Pick<ModelInfo, 'backend' | 'executionProvider'> | undefined): string {
  const provider = info?.backend === 'native' ? info.executionProvider : undefined;
  return provider ? `${reason} ${provider.reason}` : reason;
}
