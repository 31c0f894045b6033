// Cold start: from a request to the first analysis of a model in a fresh process whose engine
// worker starts with the request — Explain Attention in a new window, the extension host already
// up. It speaks the worker protocol itself (the messages EngineClient sends) to the real worker
// bundle, so that the worker's phase notes time each step as the host sees them:
//   worker start     new Worker → its note 'loading' (bundle evaluated, first request taken)
//   model load       → its first 'tokenizing' (the check run's text): tokenizer and model files
//                      read, graph instrumented, ONNX Runtime started, session created
//   post-load check  → the load's answer: the check run and what it verifies
//   first analysis   → the answer to Explain Attention's request ({ attention, rollout })
// runtimeStart, in a fresh process of its own (V8 shares compiled WebAssembly between the threads
// of a process), times ONNX Runtime's start alone: a one-node session on the same backend (for
// WebAssembly, compiling and instantiating the module and starting its threads), the part of
// "model load" that is the runtime's own, whatever the model.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DataType, encodeModel } from '../../src/engine/onnx/model';
import { ortRunners } from '../../src/engine/runtime';
import type { AnalyzeOptions } from '../../src/engine/types';
import type { FromWorker, ToWorker, WorkerResponse } from '../../src/engine/workerProtocol';
import { ms } from './format';
import type { OrtBackend } from './runners';
import { median } from './stats';
import { hookGroups } from '../../src/shared/hooks';

/** What Explain Attention asks of the engine (src/host/commands/explainAttention.ts). */
export const FIRST_ANALYSIS: AnalyzeOptions = { hooks: hookGroups.attention, rollout: true };

export interface ColdStartSpec {
  model: string;
  backend: OrtBackend;
  threads: number;
  workerPath: string;
  /** The first analysis' text. */
  text: string;
}

export interface ColdStartResult {
  workerStartMs: number;
  loadMs: number;
  checkMs: number;
  firstAnalysisMs: number;
  /** From the request to the first analysis' answer. */
  totalMs: number;
  /** CPU time of the process (every thread) over the same span: less sensitive to a busy machine. */
  cpuMs: number;
  /** ONNX Runtime's start alone, in another fresh process (runtimeStart). */
  runtimeStartMs?: number;
  tokens: number;
}

/** The smallest model ONNX Runtime will run: one Identity. */
function identityModel(): Uint8Array {
  const value = (name: string) => ({ name, elemType: DataType.FLOAT, shape: [1] });
  return encodeModel({
    irVersion: 8,
    producerName: 'model-lens-bench',
    producerVersion: '',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'identity',
      node: [{ opType: 'Identity', input: ['x'], output: ['y'], name: 'y', domain: '', attribute: [] }],
      initializer: [],
      input: [value('x')],
      output: [value('y')],
      valueInfo: [],
    },
  });
}

export async function coldStart(spec: ColdStartSpec): Promise<ColdStartResult> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const at: Record<string, number> = {};
  const note = (what: string) => (at[what] ??= performance.now() - started);
  const worker = new Worker(path.resolve(spec.workerPath));
  const answers = new Map<number, (r: WorkerResponse) => void>();
  worker.on('message', (m: FromWorker) => {
    if (m.kind === 'phase') note(`${m.id}:${m.phase}`);
    else if (m.kind === 'response') answers.get(m.response.id)?.(m.response);
  });
  const failed = new Promise<never>((_, reject) => {
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`the engine worker exited with code ${code}`)));
  });
  const request = (message: ToWorker & { kind: 'request' }) => {
    const answered = new Promise<WorkerResponse>((resolve) => answers.set(message.request.id, resolve));
    worker.postMessage(message);
    return Promise.race([answered, failed]).then((r) => {
      if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
      note(`${message.request.id}:answer`);
      return r.result;
    });
  };
  await request({ kind: 'request', request: { id: 1, type: 'load', target: spec.model, options: { backend: spec.backend, threads: spec.threads } } });
  const analysis = (await request({ kind: 'request', request: { id: 2, type: 'analyze', text: spec.text, options: FIRST_ANALYSIS } })) as {
    tokens: unknown[];
    attention?: unknown;
  };
  const used = process.cpuUsage(cpu);
  await worker.terminate();
  const [loading, checking, loaded, answered] = [at['1:loading'], at['1:tokenizing'], at['1:answer'], at['2:answer']];
  if ([loading, checking, loaded, answered].some((t) => t === undefined)) throw new Error(`the worker did not note every phase: ${JSON.stringify(at)}`);

  return {
    workerStartMs: loading,
    loadMs: checking - loading,
    checkMs: loaded - checking,
    firstAnalysisMs: answered - loaded,
    totalMs: answered,
    cpuMs: (used.user + used.system) / 1000,
    tokens: analysis.tokens.length,
  };
}

/** ONNX Runtime's start in this fresh process: a one-node session on `backend`. */
export async function runtimeStart(spec: Pick<ColdStartSpec, 'backend' | 'threads'>): Promise<{ runtimeStartMs: number }> {
  const started = performance.now();
  const runner = await ortRunners(spec.backend, spec.threads)({ model: identityModel(), externalData: [] });
  const runtimeStartMs = performance.now() - started;
  await runner.release();
  return { runtimeStartMs };
}

/** What the driver collects: every fresh start, per backend. */
export interface ColdStarts {
  tokens: number;
  results: Partial<Record<OrtBackend, ColdStartResult[]>>;
}

const NAMES: Record<OrtBackend, string> = { wasm: 'WASM', native: 'native' };

/** The report's section: each step's median over fresh processes, per backend. */
export function coldStartSection(c: ColdStarts | undefined): string[] {
  const rows = (['wasm', 'native'] as const).filter((b) => c?.results[b]?.length);
  if (!c || !rows.length) return [];
  const cell = (xs: ColdStartResult[], f: (x: ColdStartResult) => number) => ms(median(xs.map(f)));
  const out = [
    '## Cold start (lens-tiny, the default model)',
    '',
    `From the request to the first analysis in a fresh process whose engine worker starts with the request, as Explain Attention in a new window once the extension host is up (its activation is not included): the real worker bundle, timed by its phase notes. The first analysis is Explain Attention's (\`{ attention, rollout }\`) of ${c.tokens} tokens. Medians over fresh processes, the backends alternating.`,
    '',
    "| Backend | fresh starts | worker start | model load | … of which ONNX Runtime's start (timed alone) | post-load check | first analysis | total (min – max) | CPU time, all threads |",
    '|:--|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const b of rows) {
    const xs = c.results[b]!;
    const totals = xs.map((x) => x.totalMs);
    out.push(
      `| ${NAMES[b]} | ${xs.length} | ${cell(xs, (x) => x.workerStartMs)} | ${cell(xs, (x) => x.loadMs)} | ${cell(xs, (x) => x.runtimeStartMs ?? NaN)} | ${cell(xs, (x) => x.checkMs)} | ${cell(xs, (x) => x.firstAnalysisMs)} | ${ms(median(totals))} (${ms(Math.min(...totals))} – ${ms(Math.max(...totals))}) | ${cell(xs, (x) => x.cpuMs)} |`,
    );
  }
  out.push(
    '',
    "- **Worker start**: `new Worker` until the worker notes its first request (its bundle, ONNX Runtime's JavaScript included, evaluated).",
    "- **Model load**: reading the tokenizer and the model, instrumenting the graph, starting ONNX Runtime and creating the session. **ONNX Runtime's start** is timed alone in another fresh process (V8 shares compiled WebAssembly between a process' threads): a one-node session on the same backend (WebAssembly: compiling and instantiating the module, starting its threads).",
    "- **Post-load check**: the check run on a short text (every recomputed attention pattern against its operator, the lens against the logits); it is also the session's first run, which allocates.",
    '',
  );
  return out;
}
