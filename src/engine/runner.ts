// What runs an ONNX graph for the engine: ONNX Runtime in the engine's worker (WebAssembly or
// native), or a WebGPU session in a webview reached through the extension host. Tensors are plain
// objects so they can cross threads and webviews; shapes travel with them.
import type { ProviderUse } from '../shared/modelInfo';

export type TensorType = 'float32' | 'float16' | 'int32' | 'int64' | 'bool';
export type TensorArray = Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;

export interface PlainTensor {
  type: TensorType;
  dims: number[];
  data: TensorArray;
}

export type Tensors = Record<string, PlainTensor>;

export interface Runner {
  run(feeds: Tensors, fetches: string[]): Promise<Tensors>;
  release(): Promise<void>;
  /** Native ONNX Runtime: the execution provider it runs on, and why (it may change on the first run). */
  readonly provider?: ProviderUse;
}

/** A model to run: its bytes, and the external data it names (location → file path, or the bytes). */
export interface ModelBytes {
  model: Uint8Array;
  externalData: { path: string; data: string | Uint8Array }[];
  /**
   * Native only: the folder the model's external data locations are relative to, for ONNX Runtime
   * to read them from disk itself (given as `externalData`, each file is read whole into a
   * JavaScript buffer, which stops at 4 GB).
   */
  externalFolder?: string;
}

export type RunnerFactory = (bytes: ModelBytes) => Promise<Runner>;
