// How the host reaches the engine's worker, whatever kind of worker it is: a worker_threads
// worker on the desktop (nodeWorker.ts), a Web Worker in the browser (src/web/webWorkers.ts).
// EngineClient speaks the same protocol (workerProtocol.ts) over either.
import type { FromWorker, ToWorker } from './workerProtocol';

/** What a started worker tells the host. */
export interface WorkerEvents {
  onMessage(message: FromWorker): void;
  /** The worker ended on its own (an error, a crash): called once, with why, in words. */
  onEnd(reason: string): void;
}

/** The host's end of one worker. */
export interface EngineTransport {
  post(message: ToWorker, transfer?: ArrayBuffer[]): void;
  /**
   * Stops the worker. `silently`: its end is not reported (the host let it go); otherwise onEnd
   * is called as for a crash, before the promise settles.
   */
  terminate(silently: boolean): Promise<void>;
}

/** Starts a worker whose messages and end go to `events`. */
export type StartWorker = (events: WorkerEvents) => EngineTransport;

/** The worker's end: what the engine's request loop (workerMain.ts) posts and listens to. */
export interface WorkerPort {
  post(message: FromWorker, transfer?: ArrayBuffer[]): void;
  listen(onMessage: (message: ToWorker) => void): void;
}
