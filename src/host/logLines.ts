// The lines Model Lens writes to its log (log.ts), kept free of `vscode` so they can be tested.
// They name models, files, backends and times, never the text being analysed.
import type { WorkerEvent } from '../engine/client';
import type { Backend, ModelInfo } from '../engine/types';

const BACKEND_NAMES: Record<Backend, string> = { wasm: 'WebAssembly', native: 'Native ONNX Runtime', webgpu: 'WebGPU' };

/** A backend's name for people: "WebAssembly", "WebGPU", … */
export function backendName(backend: string): string {
  return BACKEND_NAMES[backend as Backend] ?? backend;
}

/** "850 ms" under ten seconds, else "12.3 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '? ms';
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function compactCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** What a finished load says: the model, its file, how long it took and where it runs. */
export function loadedLine(info: ModelInfo, ms: number): string {
  const shape = `${info.layers} layers, ${info.heads} heads, d_model ${info.dModel}, ${compactCount(info.parameters)} parameters, ${info.precision}`;
  return `Loaded ${info.name} (${info.file}) in ${formatDuration(ms)} on ${backendName(info.backend)} with ${info.threads} thread${info.threads === 1 ? '' : 's'}: ${shape}.`;
}

/** What the engine's worker did, as a log line and the level it deserves. */
export function workerEventLine(event: WorkerEvent): { level: 'info' | 'warn' | 'error' | 'debug'; text: string } {
  switch (event.kind) {
    case 'started':
      return event.count === 1
        ? { level: 'debug', text: 'Engine worker started.' }
        : { level: 'info', text: `Engine worker restarted (worker ${event.count} of this engine).` };
    case 'reload':
      return { level: 'info', text: `The new worker loads ${event.target} again.` };
    case 'stopped':
      if (event.reason === 'cancelled') return { level: 'debug', text: `Engine worker stopped: a run whose caller gave up went on too long. ${event.message}` };
      if (event.reason === 'timed-out') return { level: 'warn', text: `Engine worker stopped: a request passed its deadline. ${event.message}` };
      return { level: 'error', text: `Engine worker died. ${event.message}` };
  }
}
