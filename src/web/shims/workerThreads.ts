// node:worker_threads for the web bundles: the engine's worker is a Web Worker there
// (src/web/webWorkers.ts), so nothing may start a worker_threads one.
export class Worker {
  constructor() {
    throw new Error('worker_threads is not available on the web: the engine runs in a Web Worker.');
  }
}

export const parentPort = null;
