import { nativeRuntimeInstalled } from '../../src/host/backendChoice';

/** The ONNX Runtime backends present here: WebAssembly always, native when onnxruntime-node is installed. */
export const BACKENDS = nativeRuntimeInstalled() ? (['wasm', 'native'] as const) : (['wasm'] as const);
