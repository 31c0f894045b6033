// The engine's worker: owns the ONNX Runtime session so a forward pass never blocks the
// extension host. Handles one request at a time, in the order they arrive, and notes each phase
// of it to the host, which stops the worker when a request runs too long. For the WebGPU
// backend the graph runs in a webview, which the worker reaches by calling back into the host.
// The same loop runs in a worker_threads worker (worker.ts) and in a Web Worker (src/web).
import * as fs from 'node:fs';
import { ModelLensError } from './errors';
import { LoadedModel, type Phase } from './loadedModel';
import { PendingReplies } from '../shared/pendingReplies';
import type { RunnerFactory, Tensors } from './runner';
import type { WorkerPort } from './transport';
import {
  transferables,
  type FromWorker,
  type ModelToLoad,
  type RemoteCall,
  type RemoteResult,
  type ToWorker,
  type WorkerRequest,
  type WorkerResponse,
  type WorkerResult,
} from './workerProtocol';

/** Serves the host's requests over `port`; one per worker. */
export function serveEngine(port: WorkerPort): void {
  post = (message, transfer = []) => port.post(message, transfer);
  port.listen(onMessage);
}

let post: (message: FromWorker, transfer?: ArrayBuffer[]) => void = () => {
  throw new Error('serveEngine was not called');
};
let model: LoadedModel | undefined;
/** The request being handled, which phase notes belong to (a model notes its phases in every later request too). */
let requestId = 0;

const remoteCalls = new PendingReplies<RemoteResult>();

/** Calls the host. Feeds are copied, not transferred: a failed run is retried here with them. */
function callHost(call: RemoteCall): Promise<RemoteResult> {
  return remoteCalls.open((id) => post({ kind: 'remote', id, call }, call.op === 'create' ? transferables(call) : [])).reply;
}

/** A runner whose session lives wherever the host runs remote calls (a WebGPU webview). */
const remoteRunners: RunnerFactory = async ({ model: bytes, externalData }) => {
  // A copy: the engine keeps the original to fall back to WebAssembly.
  const files = externalData.map((e) => ({ path: e.path, data: typeof e.data === 'string' ? new Uint8Array(fs.readFileSync(e.data)) : e.data.slice() }));
  const session = (await callHost({ op: 'create', model: bytes.slice(), externalData: files })) as number;
  return {
    run: async (feeds, fetches) => (await callHost({ op: 'run', session, feeds, fetches })) as Tensors,
    release: async () => void (await callHost({ op: 'release', session })),
  };
};

function notePhase(phase: Phase, file: string): void {
  post({ kind: 'phase', id: requestId, phase, file });
}

async function load({ target, options }: ModelToLoad): Promise<LoadedModel> {
  notePhase('loading', target);
  const remote = options.backend === 'webgpu' ? remoteRunners : undefined;
  const loaded = await LoadedModel.load(target, { ...options, remote, onPhase: notePhase });
  const previous = model;
  model = loaded;
  await previous?.release();
  return loaded;
}

async function handle(request: WorkerRequest): Promise<WorkerResult> {
  if (request.type === 'load') return (await load(request)).info;
  if (request.reload) await load(request.reload);
  if (!model) throw new ModelLensError({ code: 'run-failed', message: 'No model is loaded.' });
  if (request.type === 'interventionRuns') return model.interventionRuns(request.text, request.runs);
  return model.analyze(request.text, request.options);
}

function toError(e: unknown): ModelLensError {
  if (e instanceof ModelLensError) return e;
  return new ModelLensError({ code: 'run-failed', message: e instanceof Error ? e.message : String(e) });
}

let queue = Promise.resolve();
function onMessage(message: ToWorker): void {
  if (message.kind === 'remoteReply') {
    // Answered at once, not queued: the request being handled is waiting for it.
    if (message.ok) remoteCalls.resolve(message.id, message.result);
    else remoteCalls.reject(message.id, new Error(message.message));
    return;
  }
  const { request } = message;
  queue = queue.then(async () => {
    requestId = request.id;
    let response: WorkerResponse;
    try {
      response = { id: request.id, ok: true, result: await handle(request) };
    } catch (e) {
      response = { id: request.id, ok: false, error: toError(e).toData() };
    }
    post({ kind: 'response', response }, response.ok ? transferables(response.result) : []);
  });
}
