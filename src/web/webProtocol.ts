// What the web edition's host sends its engine Web Worker besides the engine's own protocol
// (src/engine/workerProtocol.ts, unchanged): ONNX Runtime's WebAssembly binary, read from the
// extension's files, and the files of the models to load, read through vscode.workspace.fs.
import type { ToWorker } from '../engine/workerProtocol';
import type { MemoryFile } from './memoryFs';

export type ToWebWorker =
  | ToWorker
  /** First, once: ort-wasm-simd-threaded.wasm, which the worker cannot fetch from where it runs. */
  | { kind: 'setup'; wasm: ArrayBuffer }
  /** A model folder's files, replacing whatever the worker held under `folder`. */
  | { kind: 'files'; folder: string; files: MemoryFile[] }
  /** A model folder no longer needed. */
  | { kind: 'forget'; folder: string };
