// The host side of the engine: starts the worker, sends it one request at a time, drops queued
// requests whose caller gave up, and survives the worker dying — pending requests fail with a
// message and the next request starts a new worker that reloads the last model.
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { ModelLensError } from './errors';
import type { LoadOptions } from './loadedModel';
import { transferables, type FromWorker, type RemoteBackend, type RemoteCall, type ToWorker, type WorkerRequest, type WorkerResponse, type WorkerResult } from './workerProtocol';
import type { Analysis, AnalyzeOptions, Backend, ModelInfo } from './types';

type RequestBody = { type: 'load'; target: string; options: LoadOptions } | { type: 'analyze'; text: string; options: AnalyzeOptions };

interface Pending {
  body: RequestBody;
  signal?: AbortSignal;
  resolve: (result: WorkerResult) => void;
  reject: (error: Error) => void;
}

export interface EngineOptions {
  /** The bundled worker script (dist/worker.js). */
  workerPath: string;
  backend: Backend;
  /** 0: one per CPU core, at most 4. */
  threads: number;
  maxModelBytes?: number;
  /** Runs graphs for the WebGPU backend (a webview the host reaches). */
  remote?: RemoteBackend;
}

export function resolveThreads(threads: number): number {
  return threads > 0 ? threads : Math.max(1, Math.min(4, os.availableParallelism?.() ?? os.cpus().length));
}

function cancelled(): ModelLensError {
  return new ModelLensError({ code: 'cancelled', message: 'The analysis was cancelled.' });
}

export class EngineClient {
  private worker: Worker | undefined;
  private readonly queue: Pending[] = [];
  private current: { id: number; pending: Pending } | undefined;
  private nextId = 1;
  /** The model the worker should hold, reloaded into a new worker after a crash. */
  private model: { target: string; info: ModelInfo } | undefined;
  private needsReload = false;
  private reloading: Promise<unknown> | undefined;
  private disposed = false;

  constructor(private readonly options: EngineOptions) {}

  get modelInfo(): ModelInfo | undefined {
    return this.model?.info;
  }

  private loadOptions(): LoadOptions {
    return { backend: this.options.backend, threads: resolveThreads(this.options.threads), maxModelBytes: this.options.maxModelBytes };
  }

  /** Loads a model; on failure the previous model stays loaded and usable. */
  async load(target: string): Promise<ModelInfo> {
    const info = (await this.enqueue({ type: 'load', target, options: this.loadOptions() })) as ModelInfo;
    this.model = { target, info };
    return info;
  }

  async analyze(text: string, options: AnalyzeOptions = {}, signal?: AbortSignal): Promise<Analysis> {
    if (this.needsReload && this.model) {
      this.reloading ??= this.enqueue({ type: 'load', target: this.model.target, options: this.loadOptions() })
        .then(() => (this.needsReload = false))
        .finally(() => (this.reloading = undefined));
      await this.reloading;
    }
    return (await this.enqueue({ type: 'analyze', text, options }, signal)) as Analysis;
  }

  private enqueue(body: RequestBody, signal?: AbortSignal): Promise<WorkerResult> {
    if (this.disposed) return Promise.reject(new ModelLensError({ code: 'worker-died', message: 'The engine has been shut down.' }));
    if (signal?.aborted) return Promise.reject(cancelled());
    return new Promise((resolve, reject) => {
      const pending: Pending = { body, signal, resolve, reject };
      signal?.addEventListener(
        'abort',
        () => {
          // Queued work is dropped; work already running finishes in the worker and is ignored.
          const at = this.queue.indexOf(pending);
          if (at >= 0) this.queue.splice(at, 1);
          reject(cancelled());
        },
        { once: true },
      );
      this.queue.push(pending);
      this.pump();
    });
  }

  private pump(): void {
    if (this.current || this.queue.length === 0) return;
    const pending = this.queue.shift()!;
    const id = this.nextId++;
    this.current = { id, pending };
    const request = { id, ...pending.body } as WorkerRequest;
    this.send({ kind: 'request', request });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.options.workerPath);
    worker.on('message', (message: FromWorker) => (message.kind === 'response' ? this.settle(message.response) : void this.answerRemote(message.id, message.call)));
    worker.on('error', (e) => this.workerDied(`The engine stopped with an error: ${e.message}`));
    worker.on('exit', (code) => this.workerDied(`The engine stopped unexpectedly (exit code ${code}).`));
    this.worker = worker;
    return worker;
  }

  private send(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.ensureWorker().postMessage(message, transfer);
  }

  /** Runs a call of the worker's remote runner on the host's remote backend, and answers it. */
  private async answerRemote(id: number, call: RemoteCall): Promise<void> {
    const remote = this.options.remote;
    try {
      if (!remote) throw new Error('no remote backend is available');
      const result = await remote.call(call);
      if (this.worker) this.send({ kind: 'remoteReply', id, ok: true, result }, transferables(result));
    } catch (e) {
      if (this.worker) this.send({ kind: 'remoteReply', id, ok: false, message: e instanceof Error ? e.message : String(e) });
    }
  }

  private settle(response: WorkerResponse): void {
    const current = this.current;
    if (!current || current.id !== response.id) return;
    this.current = undefined;
    if (!current.pending.signal?.aborted) {
      if (response.ok) current.pending.resolve(response.result);
      else current.pending.reject(ModelLensError.fromData(response.error));
    }
    this.pump();
  }

  private workerDied(message: string): void {
    if (!this.worker) return;
    this.worker.removeAllListeners();
    void this.worker.terminate();
    this.worker = undefined;
    this.needsReload = this.model !== undefined;
    const failed = [...(this.current ? [this.current.pending] : []), ...this.queue.splice(0)];
    this.current = undefined;
    const error = new ModelLensError({ code: 'worker-died', message, hint: 'The next request starts the engine again.' });
    for (const p of failed) p.reject(error);
  }

  /** Stops the worker now (for tests of crash handling, and at shutdown). */
  async terminateWorker(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      void worker.terminate();
    });
  }

  dispose(): void {
    this.disposed = true;
    const worker = this.worker;
    this.worker = undefined;
    worker?.removeAllListeners();
    void worker?.terminate();
    const error = new ModelLensError({ code: 'worker-died', message: 'The engine has been shut down.' });
    for (const p of [...(this.current ? [this.current.pending] : []), ...this.queue.splice(0)]) p.reject(error);
    this.current = undefined;
  }
}
