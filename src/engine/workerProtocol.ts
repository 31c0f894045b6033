// Messages between the extension host (EngineClient) and the engine's worker thread.
import type { ErrorData } from './errors';
import type { LoadOptions } from './loadedModel';
import type { Analysis, AnalyzeOptions, ModelInfo } from './types';

export type WorkerRequest =
  | { id: number; type: 'load'; target: string; options: LoadOptions }
  | { id: number; type: 'analyze'; text: string; options: AnalyzeOptions };

export type WorkerResult = ModelInfo | Analysis;

export type WorkerResponse = { id: number; ok: true; result: WorkerResult } | { id: number; ok: false; error: ErrorData };

/** Every ArrayBuffer under a value, once each, to transfer instead of copying. */
export function transferables(value: unknown, found = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) transferables(v, found);
  }
  return [...found];
}
