// The engine's worker on the desktop and in the command line: a worker_threads worker running the
// bundled dist/worker.js.
import { Worker } from 'node:worker_threads';
import type { StartWorker } from './transport';

export function nodeWorker(workerPath: string): StartWorker {
  return ({ onMessage, onEnd }) => {
    const worker = new Worker(workerPath);
    worker.on('message', onMessage);
    worker.on('error', (e) => onEnd(`The engine stopped with an error: ${e.message}`));
    worker.on('exit', (code) => onEnd(`The engine stopped unexpectedly (exit code ${code}).`));
    return {
      post: (message, transfer = []) => worker.postMessage(message, transfer),
      terminate: (silently) => {
        if (silently) {
          worker.removeAllListeners();
          return worker.terminate().then(() => undefined);
        }
        return new Promise<void>((resolve) => {
          worker.once('exit', () => resolve());
          void worker.terminate();
        });
      },
    };
  };
}
