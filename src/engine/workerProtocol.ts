// Messages between the extension host (EngineClient) and the engine's worker thread. Besides
// requests and their responses, the worker may call back into the host to run a graph on a
// remote runner (WebGPU in a webview), which only the host can reach, and tells the host what
// a request is doing, so that one the host has to stop can be explained.
import type { ErrorData } from './errors';
import type { LoadOptions, Phase } from './loadedModel';
import type { Tensors } from './runner';
import type { Analysis, AnalyzeOptions, Intervention, InterventionRuns, ModelInfo } from './types';

/** A load as the worker receives it: the callbacks are the worker's own. */
export interface ModelToLoad {
  target: string;
  options: Omit<LoadOptions, 'remote' | 'onPhase'>;
}

export type WorkerRequest =
  | ({ id: number; type: 'load' } & ModelToLoad)
  | {
      id: number;
      type: 'analyze';
      text: string;
      options: AnalyzeOptions;
      /** The host's model, to load first: a worker started after the previous one was stopped holds none. */
      reload?: ModelToLoad;
    }
  | {
      id: number;
      type: 'interventionRuns';
      text: string;
      /** Each run's interventions (LoadedModel.interventionRuns). */
      runs: Intervention[][];
      reload?: ModelToLoad;
    };

export type WorkerResult = ModelInfo | Analysis | InterventionRuns;

export type WorkerResponse = { id: number; ok: true; result: WorkerResult } | { id: number; ok: false; error: ErrorData };

/** What the worker asks of a remote runner. */
export type RemoteCall =
  | { op: 'create'; model: Uint8Array; externalData: { path: string; data: Uint8Array }[] }
  | { op: 'run'; session: number; feeds: Tensors; fetches: string[] }
  | { op: 'release'; session: number };

/** A created session's id, a run's outputs, or nothing. */
export type RemoteResult = number | Tensors | undefined;

/** The host's side of a remote runner. */
export interface RemoteBackend {
  call(call: RemoteCall): Promise<RemoteResult>;
}

export type ToWorker =
  | { kind: 'request'; request: WorkerRequest }
  | { kind: 'remoteReply'; id: number; ok: true; result: RemoteResult }
  | { kind: 'remoteReply'; id: number; ok: false; message: string };

export type FromWorker =
  | { kind: 'response'; response: WorkerResponse }
  | { kind: 'remote'; id: number; call: RemoteCall }
  /** Request `id` started a phase of its work, on `file`. */
  | { kind: 'phase'; id: number; phase: Phase; file: string };

/** Every ArrayBuffer under a value, once each, to transfer instead of copying. */
export function transferables(value: unknown, found = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) transferables(v, found);
  }
  return [...found];
}
