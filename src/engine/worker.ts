// The engine's worker thread on the desktop and in the command line (dist/worker.js): the request
// loop of workerMain.ts over worker_threads' parentPort.
import { parentPort } from 'node:worker_threads';
import { serveEngine } from './workerMain';

const port = parentPort!;
serveEngine({ post: (message, transfer = []) => port.postMessage(message, transfer), listen: (onMessage) => port.on('message', onMessage) });
