// The engine's worker thread: owns the ONNX Runtime session so a forward pass never blocks the
// extension host. Handles one request at a time, in the order they arrive.
import { parentPort } from 'node:worker_threads';
import { ModelLensError } from './errors';
import { LoadedModel } from './loadedModel';
import { transferables, type WorkerRequest, type WorkerResponse, type WorkerResult } from './workerProtocol';

let model: LoadedModel | undefined;

async function handle(request: WorkerRequest): Promise<WorkerResult> {
  if (request.type === 'load') {
    const loaded = await LoadedModel.load(request.target, request.options);
    const previous = model;
    model = loaded;
    await previous?.release();
    return loaded.info;
  }
  if (!model) throw new ModelLensError({ code: 'run-failed', message: 'No model is loaded.' });
  return model.analyze(request.text, request.options);
}

function toError(e: unknown): ModelLensError {
  if (e instanceof ModelLensError) return e;
  return new ModelLensError({ code: 'run-failed', message: e instanceof Error ? e.message : String(e) });
}

let queue = Promise.resolve();
parentPort!.on('message', (request: WorkerRequest) => {
  queue = queue.then(async () => {
    let response: WorkerResponse;
    try {
      response = { id: request.id, ok: true, result: await handle(request) };
    } catch (e) {
      response = { id: request.id, ok: false, error: toError(e).toData() };
    }
    parentPort!.postMessage(response, response.ok ? transferables(response.result) : []);
  });
});
