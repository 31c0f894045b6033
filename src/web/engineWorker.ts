// The engine's Web Worker (dist/web/engineWorker.js): the same request loop as the desktop's
// worker thread (src/engine/workerMain.ts), with node:fs answered from memory (memoryFs.ts, which
// esbuild.js puts in place of node:fs for this bundle) and ONNX Runtime's WebAssembly binary handed
// over by the host. One thread: ONNX Runtime's own thread workers would be started from this
// script's address, which a worker made from a blob does not have.
import ort = require('onnxruntime-web');
import { serveEngine } from '../engine/workerMain';
import type { FromWorker, ToWorker } from '../engine/workerProtocol';
import { putFiles, removeFolder } from './memoryFs';
import type { ToWebWorker } from './webProtocol';

interface WorkerScope {
  postMessage(message: FromWorker, transfer: ArrayBuffer[]): void;
  addEventListener(type: 'message', listener: (event: { data: ToWebWorker }) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
let deliver: ((message: ToWorker) => void) | undefined;

scope.addEventListener('message', ({ data }) => {
  if (data.kind === 'setup') {
    ort.env.wasm.wasmBinary = data.wasm;
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
  } else if (data.kind === 'files') {
    removeFolder(data.folder);
    putFiles(data.files);
  } else if (data.kind === 'forget') {
    removeFolder(data.folder);
  } else {
    deliver?.(data);
  }
});

serveEngine({
  post: (message, transfer = []) => scope.postMessage(message, transfer),
  listen: (onMessage) => {
    deliver = onMessage;
  },
});
