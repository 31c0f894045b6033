// The WebGPU backend: ONNX Runtime's WebGPU build in a webview (VS Code's webviews are Chromium,
// the extension host is Node without WebGPU). The engine's worker prepares the instrumented
// model and reads the results; this page only creates sessions and runs them, and shows what it
// is doing.
import * as ort from 'onnxruntime-web/webgpu';
import type { FromGpuView, ToGpuView, WireTensor } from '../../src/shared/protocol';
import { exactBuffer, wireArray } from '../../src/shared/wireTensor';
import { el } from '../shared/dom';
import { probeGpu } from '../shared/gpuProbe';
import { onHostMessage, vscodeApi } from '../shared/vscodeApi';
import './gpu.css';

const api = vscodeApi<FromGpuView, never>();
const root = document.getElementById('root')!;
// The ONNX Runtime files are next to the bundles, not where the module was loaded from.
ort.env.wasm.wasmPaths = root.dataset.dist!;
// Webviews are not cross-origin isolated: no SharedArrayBuffer, so no WebAssembly threads.
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

const adapterLine = el('div', { class: 'gpu-adapter', text: 'Looking for a WebGPU adapter…' });
const status = el('div', { class: 'gpu-status', attrs: { 'aria-live': 'polite' } });
const stats = el('div', { class: 'gpu-stats' });
root.append(
  el('h2', { text: 'Model Lens · WebGPU backend' }),
  el('p', { class: 'gpu-hint', text: 'Model Lens runs models on your GPU in this tab. Keep it open; closing it moves the model back to WebAssembly.' }),
  adapterLine,
  status,
  stats,
);

const sessions = new Map<number, ort.InferenceSession>();
const files = new Map<number, Map<number, Uint8Array>>();
let nextSession = 1;
let runs = 0;
/** Whether the adapter has shader-f16: without it ONNX Runtime's WebGPU kernels cannot take float16 tensors. */
let shaderF16 = false;

function show(text: string): void {
  status.textContent = text;
}

async function probe(): Promise<void> {
  const { adapter, reason } = await probeGpu();
  shaderF16 = adapter?.shaderF16 ?? false;
  adapterLine.textContent = adapter
    ? `Adapter: ${[adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' · ')}${adapter.software ? ' (software: correct, but slow)' : ''}${adapter.shaderF16 ? ', shader-f16 (fp16 models run in fp16)' : ''}.`
    : `No WebGPU adapter: ${reason}.`;
  api.postMessage({ type: 'adapter', adapter, reason });
}

function toWire(t: ort.Tensor): WireTensor {
  return { type: t.type as WireTensor['type'], dims: [...t.dims], data: exactBuffer(t.data as ArrayBufferView) };
}

async function handle(m: ToGpuView): Promise<void> {
  switch (m.type) {
    case 'chunk': {
      const received = files.get(m.id) ?? new Map<number, Uint8Array>();
      files.set(m.id, received);
      const file = received.get(m.file) ?? new Uint8Array(m.total);
      file.set(new Uint8Array(m.data), m.offset);
      received.set(m.file, file);
      return;
    }
    case 'create': {
      const received = files.get(m.id) ?? new Map<number, Uint8Array>();
      files.delete(m.id);
      show(`Creating a WebGPU session (${((received.get(0)?.length ?? 0) / 1048576).toFixed(1)} MB)…`);
      const session = await ort.InferenceSession.create(received.get(0) ?? new Uint8Array(), {
        executionProviders: ['webgpu'],
        externalData: m.externalData.map((path, i) => ({ path, data: received.get(i + 1) ?? new Uint8Array() })),
      });
      // Without shader-f16 every float16 node would run on the CPU inside this tab, far slower than
      // the engine's own WebAssembly: refuse, and the engine keeps the model there.
      const halves = [...session.inputMetadata, ...session.outputMetadata].some((v) => v.isTensor && v.type === 'float16');
      if (halves && !shaderF16) {
        await session.release();
        throw new Error('this WebGPU adapter lacks shader-f16, which a float16 model needs');
      }
      const id = nextSession++;
      sessions.set(id, session);
      show(`Session ${id} ready on WebGPU.`);
      api.postMessage({ type: 'reply', id: m.id, ok: true, session: id });
      return;
    }
    case 'run': {
      const session = sessions.get(m.session);
      if (!session) throw new Error(`no session ${m.session}`);
      const feeds = Object.fromEntries(Object.entries(m.feeds).map(([name, t]) => [name, new ort.Tensor(t.type, wireArray(t), t.dims)]));
      const started = performance.now();
      const outputs = await session.run(feeds, m.fetches);
      runs++;
      stats.textContent = `${runs} forward passes; the last took ${(performance.now() - started).toFixed(0)} ms.`;
      api.postMessage({ type: 'reply', id: m.id, ok: true, outputs: Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, toWire(t)])) });
      return;
    }
    case 'release':
      await sessions.get(m.session)?.release();
      sessions.delete(m.session);
      api.postMessage({ type: 'reply', id: m.id, ok: true });
      return;
  }
}

function isToGpu(data: unknown): data is ToGpuView {
  const m = data as { type?: unknown; id?: unknown };
  return !!m && typeof m === 'object' && ['chunk', 'create', 'run', 'release'].includes(m.type as string) && Number.isInteger(m.id);
}

// One message at a time: chunks must arrive before their `create`.
let queue = Promise.resolve();
onHostMessage(isToGpu, (m) => {
  queue = queue.then(() =>
    handle(m).catch((e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      show(`Failed: ${message}`);
      api.postMessage({ type: 'reply', id: m.id, ok: false, message });
    }),
  );
});

void probe();
