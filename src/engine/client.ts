// The host side of the engine: starts the worker and sends it one request at a time. Requests
// await their replies in PendingReplies (src/shared), by id, in the order they were made. A request
// whose caller gave up is dropped while queued and stopped while running; one that passes its
// deadline (requestDeadline.ts) is stopped and fails naming the phase it was in. Only stopping the
// worker interrupts a tokenizer or a graph run, so the next request goes to a new worker, which
// first loads the model again. A worker that dies on its own fails every pending request. The
// worker is reached through a transport (transport.ts): worker_threads here, a Web Worker on the web.
import * as os from 'node:os';
import { ModelLensError } from './errors';
import { PendingReplies } from '../shared/pendingReplies';
import type { ExecutionProviderSetting } from './executionProviders';
import type { LoadOptions, Phase } from './loadedModel';
import { nodeWorker } from './nodeWorker';
import { DEFAULT_REQUEST_TIMEOUT_S, deadlineMs, modelBytesOnDisk, timedOut } from './requestDeadline';
import { CHARS_PER_POSITION } from './textWindow';
import type { EngineTransport, StartWorker } from './transport';

/** How long a run whose caller gave up is left to finish before its worker is stopped (see abandonCurrent). */
const CANCEL_GRACE_MS = { least: 2000, most: 10_000 };
import {
  transferables,
  type FromWorker,
  type RemoteBackend,
  type RemoteCall,
  type ToWorker,
  type WorkerRequest,
  type WorkerResponse,
  type WorkerResult,
} from './workerProtocol';
import type { Analysis, AnalyzeOptions, Backend, Intervention, InterventionRuns, ModelInfo } from './types';

type RequestBody =
  | { type: 'load'; target: string; options: LoadOptions }
  | { type: 'analyze'; text: string; options: AnalyzeOptions }
  | { type: 'interventionRuns'; text: string; runs: Intervention[][] };

/** The request the worker is handling. */
interface Running {
  id: number;
  body: RequestBody;
  /** Size of the model the request runs or loads, kept as the model's once a load succeeds. */
  modelBytes: number;
  timer: ReturnType<typeof setTimeout>;
  started: number;
  /** What the worker last said it was doing. */
  phase?: { phase: Phase; file: string };
}

export interface EngineOptions {
  /** The bundled worker script (dist/worker.js), started as a worker_threads worker. */
  workerPath: string;
  /** Starts the worker some other way (a Web Worker on the web); `workerPath` is then unused. */
  startWorker?: StartWorker;
  backend: Backend;
  /** Native only: the execution provider to ask for (default CPU). */
  executionProvider?: ExecutionProviderSetting;
  /** 0: one per CPU core, at most 4. */
  threads: number;
  maxModelBytes?: number;
  /** Runs graphs for the WebGPU backend (a webview the host reaches). */
  remote?: RemoteBackend;
  /** What a request may take on a small model and a short text, scaled up for larger ones (default 30 s). */
  requestTimeoutMs?: number;
  /** Told when a worker starts, is stopped or dies, and when a new one loads the model again (for the log). */
  onWorkerEvent?: (event: WorkerEvent) => void;
}

/** What happened to the engine's worker. Nothing here carries the text being analysed. */
export type WorkerEvent =
  /** The `count`th worker of this engine started: the first, or a restart. */
  | { kind: 'started'; count: number }
  /** A new worker loads the model the engine holds before its first analysis. */
  | { kind: 'reload'; target: string }
  /** The worker was stopped (a deadline passed, or a run whose caller gave up went on) or died. */
  | { kind: 'stopped'; reason: 'timed-out' | 'cancelled' | 'died'; message: string };

export function resolveThreads(threads: number): number {
  return threads > 0 ? threads : Math.max(1, Math.min(4, os.availableParallelism?.() ?? os.cpus().length));
}

function cancelled(): ModelLensError {
  return new ModelLensError({ code: 'cancelled', message: 'The analysis was cancelled.' });
}

export class EngineClient {
  private worker: EngineTransport | undefined;
  /** Whether the worker holds `model`: a new worker holds nothing until it loads one. */
  private workerHasModel = false;
  /** Every request whose caller waits for its reply: the one running and the queued ones. */
  private readonly replies = new PendingReplies<WorkerResult, RequestBody>();
  /** Requests not sent yet, in order; the worker gets the next when `current` ends. */
  private readonly queue: number[] = [];
  private current: Running | undefined;
  /** The model the worker should hold, loaded again by a new worker. */
  private model: { target: string; info: ModelInfo; bytes: number } | undefined;
  private disposed = false;
  /** How long the last successful load took: what stopping the worker would cost again. */
  private lastLoadMs = 0;
  /** How many workers were started: the first, and one after each crash, deadline or stopped run. */
  private started = 0;

  private readonly startWorker: StartWorker;

  constructor(private readonly options: EngineOptions) {
    this.startWorker = options.startWorker ?? nodeWorker(options.workerPath);
  }

  get workersStarted(): number {
    return this.started;
  }

  get modelInfo(): ModelInfo | undefined {
    return this.model?.info;
  }

  private loadOptions(): LoadOptions {
    return {
      backend: this.options.backend,
      executionProvider: this.options.executionProvider,
      threads: resolveThreads(this.options.threads),
      maxModelBytes: this.options.maxModelBytes,
    };
  }

  /** Loads a model; on failure the previous model stays loaded and usable. */
  async load(target: string): Promise<ModelInfo> {
    return (await this.enqueue({ type: 'load', target, options: this.loadOptions() })) as ModelInfo;
  }

  async analyze(text: string, options: AnalyzeOptions = {}, signal?: AbortSignal): Promise<Analysis> {
    return (await this.enqueue({ type: 'analyze', text, options }, signal)) as Analysis;
  }

  /** Runs `text` once per list of interventions; see LoadedModel.interventionRuns. */
  async interventionRuns(text: string, runs: Intervention[][], signal?: AbortSignal): Promise<InterventionRuns> {
    return (await this.enqueue({ type: 'interventionRuns', text, runs }, signal)) as InterventionRuns;
  }

  private enqueue(body: RequestBody, signal?: AbortSignal): Promise<WorkerResult> {
    if (this.disposed) return Promise.reject(new ModelLensError({ code: 'worker-died', message: 'The engine has been shut down.' }));
    if (signal?.aborted) return Promise.reject(cancelled());
    const { id, reply } = this.replies.open(() => body);
    const onAbort = () => {
      if (this.current?.id === id) return this.abandonCurrent();
      const at = this.queue.indexOf(id);
      if (at >= 0) this.queue.splice(at, 1);
      this.replies.reject(id, cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    this.queue.push(id);
    this.pump();
    return reply.finally(() => signal?.removeEventListener('abort', onAbort));
  }

  private pump(): void {
    if (this.current) return;
    const id = this.queue.shift();
    if (id === undefined) return;
    // Queued requests are all awaited: one whose caller gave up left the queue.
    const body = this.replies.request(id)!;
    const base = this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_S * 1000;
    // A new worker first starts, and compiles ONNX Runtime's WebAssembly.
    let ms = this.worker ? 0 : base;
    let request: WorkerRequest;
    let modelBytes: number;
    if (body.type === 'load') {
      modelBytes = modelBytesOnDisk(body.target);
      ms += deadlineMs(base, modelBytes);
      request = { id, ...body };
    } else {
      const model = this.model;
      const reload = model && !this.workerHasModel ? { target: model.target, options: this.loadOptions() } : undefined;
      modelBytes = model?.bytes ?? 0;
      // Only the end of a huge text is tokenized (LoadedModel.tokenize).
      const chars = Math.min(body.text.length, (model?.info.positions ?? 0) * CHARS_PER_POSITION);
      // Runs of interventions may each take as long as an analysis.
      const runs = body.type === 'interventionRuns' ? Math.max(1, body.runs.length) : 1;
      ms += deadlineMs(base, modelBytes, chars) * runs + (reload ? deadlineMs(base, modelBytes) : 0);
      request = { id, ...body, reload };
    }
    // Node runs a timer longer than 2^31 - 1 ms at once.
    const timer = setTimeout(() => this.stopCurrent(timedOut(ms, running.phase)), Math.min(ms, 2 ** 31 - 1));
    const running: Running = { id, body, modelBytes, timer, started: performance.now() };
    this.current = running;
    this.send({ kind: 'request', request });
    if (request.type !== 'load' && request.reload) this.options.onWorkerEvent?.({ kind: 'reload', target: request.reload.target });
  }

  private ensureWorker(): EngineTransport {
    if (this.worker) return this.worker;
    const worker: EngineTransport = this.startWorker({
      onMessage: (message: FromWorker) => {
        if (message.kind === 'response') this.settle(message.response);
        else if (message.kind === 'phase') this.notePhase(message.id, { phase: message.phase, file: message.file });
        else void this.answerRemote(worker, message.id, message.call);
      },
      onEnd: (reason) => this.workerDied(worker, reason),
    });
    this.started++;
    this.options.onWorkerEvent?.({ kind: 'started', count: this.started });
    this.worker = worker;
    return worker;
  }

  private send(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.ensureWorker().post(message, transfer);
  }

  /** Runs a call of the worker's remote runner on the host's remote backend, and answers it. */
  private async answerRemote(worker: EngineTransport, id: number, call: RemoteCall): Promise<void> {
    const remote = this.options.remote;
    // A worker stopped meanwhile gets no answer: its successor numbers its calls afresh.
    const reply = (message: ToWorker, transfer: ArrayBuffer[] = []) => this.worker === worker && worker.post(message, transfer);
    try {
      if (!remote) throw new Error('no remote backend is available');
      const result = await remote.call(call);
      reply({ kind: 'remoteReply', id, ok: true, result }, transferables(result));
    } catch (e) {
      reply({ kind: 'remoteReply', id, ok: false, message: e instanceof Error ? e.message : String(e) });
    }
  }

  private notePhase(id: number, phase: Running['phase']): void {
    if (this.current?.id === id) this.current.phase = phase;
  }

  private settle(response: WorkerResponse): void {
    const current = this.current;
    if (!current || current.id !== response.id) return;
    clearTimeout(current.timer);
    this.current = undefined;
    if (response.ok) {
      // Whatever succeeded, the worker now holds the model (a load's, or the one it analysed with).
      this.workerHasModel = true;
      const body = current.body;
      if (body.type === 'load') {
        this.model = { target: body.target, info: response.result as ModelInfo, bytes: current.modelBytes };
        this.lastLoadMs = performance.now() - current.started;
      }
      // Nothing waits for it if its caller gave up while it ran.
      this.replies.resolve(current.id, response.result);
    } else {
      this.replies.reject(current.id, ModelLensError.fromData(response.error));
    }
    this.pump();
  }

  /**
   * The running request's caller gave up: it is answered at once. Stopping the worker costs a
   * reload of the model in a new one, so a run is first given as long as the last load took
   * (within CANCEL_GRACE_MS, counted from its start) to finish on its own — a hover the mouse left
   * usually does — and only a run still going then is stopped.
   */
  private abandonCurrent(): void {
    const current = this.current!;
    this.replies.reject(current.id, cancelled());
    const grace = Math.min(CANCEL_GRACE_MS.most, Math.max(CANCEL_GRACE_MS.least, this.lastLoadMs)) - (performance.now() - current.started);
    if (grace <= 0) {
      this.stopCurrent(cancelled());
      return;
    }
    clearTimeout(current.timer);
    current.timer = setTimeout(() => this.stopCurrent(cancelled()), grace);
  }

  /** Ends the running request by stopping the worker; the queue goes on in a new one. */
  private stopCurrent(error: ModelLensError): void {
    const current = this.current;
    if (!current) return;
    clearTimeout(current.timer);
    this.current = undefined;
    this.discardWorker();
    this.options.onWorkerEvent?.({ kind: 'stopped', reason: error.code === 'timed-out' ? 'timed-out' : 'cancelled', message: error.userMessage });
    this.replies.reject(current.id, error);
    this.pump();
  }

  private discardWorker(): void {
    const worker = this.worker;
    this.worker = undefined;
    this.workerHasModel = false;
    void worker?.terminate(true);
  }

  private failAll(error: ModelLensError): void {
    if (this.current) clearTimeout(this.current.timer);
    this.current = undefined;
    this.queue.length = 0;
    this.replies.rejectAll(error);
  }

  private workerDied(worker: EngineTransport, message: string): void {
    if (this.worker !== worker) return;
    this.discardWorker();
    this.options.onWorkerEvent?.({ kind: 'stopped', reason: 'died', message });
    this.failAll(new ModelLensError({ code: 'worker-died', message, hint: 'The next request starts the engine again.' }));
  }

  /** Stops the worker now, as a crash would (for tests). */
  async terminateWorker(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await worker.terminate(false);
  }

  dispose(): void {
    this.disposed = true;
    this.discardWorker();
    this.failAll(new ModelLensError({ code: 'worker-died', message: 'The engine has been shut down.' }));
  }
}
