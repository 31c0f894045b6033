// Tensors as they cross the webview boundary (WireTensor: an element type, dims and an ArrayBuffer
// holding exactly its bytes), for the host's WebGPU backend and the GPU webview alike.
import type { WireTensor } from './protocol';

/** The typed array of each element type; float16 travels as its raw 16-bit words, as ONNX Runtime holds it. */
const TYPED = {
  float32: (b: ArrayBuffer) => new Float32Array(b),
  float16: (b: ArrayBuffer) => new Uint16Array(b),
  int32: (b: ArrayBuffer) => new Int32Array(b),
  int64: (b: ArrayBuffer) => new BigInt64Array(b),
  bool: (b: ArrayBuffer) => new Uint8Array(b),
} satisfies Record<WireTensor['type'], (b: ArrayBuffer) => ArrayBufferView>;

export type WireArray = ReturnType<(typeof TYPED)[WireTensor['type']]>;

/** The tensor's elements as the typed array of its type. */
export function wireArray(t: WireTensor): WireArray {
  return TYPED[t.type](t.data);
}

/** A copy of exactly the view's bytes: a view may sit in a larger buffer, and only its bytes should travel. */
export function exactBuffer(data: ArrayBufferView): ArrayBuffer {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
}
