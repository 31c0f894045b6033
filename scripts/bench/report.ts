// The benchmark's results as Markdown: the machine, one table per model, the ratios next to the
// targets, the editor budgets, and what limits a missed target, with the numbers of this run.
import type { ModelInfo } from '../../src/engine/types';
import { coldStartSection, type ColdStarts } from './coldStart';
import type { EditorResult } from './editor';
import type { FootprintResult, RoundsResult, SizeTimings } from './rows';
import type { OrtBackend, RowKind } from './runners';
import { maskedSection, type MaskedReport } from './masked';
import type { SweepResult } from './sweep';
import { LENS_CHUNKS } from '../../src/engine/instrument/lens';
import { LENS_LOGITS_BYTES, LENS_TOP_K, lensPositionLimit } from '../../src/engine/loadedModel';
import { CONTEXT_CHARS_PER_POSITION, OWNED_CHARS_PER_POSITION } from '../../src/host/probabilities/budgets';
import { ms, mb, times } from './format';
import { remoteSection, type RemoteResult } from './remote';
import { median, quantile } from './stats';

export interface RowResult {
  label: string;
  loadMs: number[];
  footprint?: FootprintResult;
  /** PyTorch row: timed runs per size (it is not part of the rounds). */
  torchTimes?: Record<number, number[]>;
  torchVersion?: string;
  /** Timed in the rounds only: no load time or footprint of its own. */
  timingOnly?: boolean;
}

export interface BackendResults {
  rounds?: RoundsResult;
  rows: Partial<Record<RowKind, RowResult>>;
}

export interface ModelResults {
  label: string;
  folder: string;
  fileBytes: number;
  sizes: number[];
  info?: ModelInfo;
  backends: Partial<Record<OrtBackend, BackendResults>>;
  torch?: RowResult;
  /** The activation patching sweep, per backend. */
  sweep?: Partial<Record<OrtBackend, SweepResult>>;
}

export interface Report {
  quick: boolean;
  command: string;
  date: string;
  durationS: number;
  machine: { cpu: string; cores: number; ramBytes: number; platform: string };
  versions: { node: string; ortWeb: string; ortNode: string; torch?: string };
  threads: number;
  runs: number;
  warmup: number;
  loads: number;
  models: ModelResults[];
  /** Peak RSS of Model Lens with a tiny model, per backend: what the process costs without a model. */
  baseline?: { fileBytes: number; peakRss: Partial<Record<OrtBackend, number>> };
  editor: { label: string; lines: number; typingMs: number; results: Partial<Record<OrtBackend, EditorResult>> };
  /** Fresh processes from a request to the default model's first analysis (absent without the default model). */
  coldStart?: ColdStarts;
  /** The whole-file heatmap through the loopback completions server against the local engine. */
  remote?: RemoteResult;
  /** An encoder's masked token probabilities against the same masked passes uninstrumented. */
  masked?: MaskedReport;
  notes: string[];
}

/** The targets of the benchmark issue. */
const TARGETS = { fullOverPlainWasm: 1.25, fullOverPlainNative: 1.3, wasmRssOverFile: 2, ablatedOverFull: 1.25, sweepOverPlain: 1.25 };
/** The time target of a backend: full analysis / uninstrumented forward at most this. */
const timeTarget = (backend: OrtBackend) => (backend === 'wasm' ? TARGETS.fullOverPlainWasm : TARGETS.fullOverPlainNative);
const BACKENDS: OrtBackend[] = ['wasm', 'native'];
const BACKEND_NAMES: Record<OrtBackend, string> = { wasm: 'WASM', native: 'native' };

const mark = (ok: boolean) => (ok ? '✓' : '✗');
const shortError = (e: string) => (/bad_alloc|out of memory|Aborted|memory/i.test(e) ? 'out of memory' : e.startsWith('not run') ? e : 'failed');
/** ONNX Runtime's own words from a failed run, without the engine's wrapping. */
const runtimeError = (e: string) => /ERROR_MESSAGE: ([^)]*)/.exec(e)?.[1] ?? e;

function timing(m: ModelResults, backend: OrtBackend, kind: RowKind, n: number) {
  return m.backends[backend]?.rounds?.[kind]?.[n];
}

/** A timing cell: the median, or why there is none. */
function timeCell(t: { ms: number[]; error?: string } | undefined): string {
  if (!t) return '—';
  if (t.ms.length === 0) return t.error ? shortError(t.error) : '—';
  return ms(median(t.ms));
}

/** The per-round ratios a row records. */
type RatioField = keyof Pick<SizeTimings, 'ratio' | 'forwardRatio' | 'overPlusLens'>;

function ratioOf(m: ModelResults, backend: OrtBackend, kind: RowKind, n: number, field: RatioField = 'ratio'): number {
  const t = m.backends[backend]?.rounds?.[kind]?.[n];
  return t?.[field].length ? median(t[field]) : NaN;
}

/** The ablated analysis over the full one, per round (both are timed against the same plain run). */
function ablatedOverFull(m: ModelResults, backend: OrtBackend, n: number): number {
  const [ablated, full] = [timing(m, backend, 'ablated', n)?.ratio ?? [], timing(m, backend, 'full', n)?.ratio ?? []];
  return ablated.length && ablated.length === full.length ? median(ablated.map((x, i) => x / full[i])) : NaN;
}

/** Multiply-adds of a forward pass over n tokens and of the logit lens over them. */
function macs(info: ModelInfo, n: number): { forward: number; lens: number } {
  const { layers: L, dModel: d, dMlp: f, vocab: V } = info;
  const forward = L * (4 * n * d * d + 2 * n * d * f + 2 * n * n * d) + n * d * V;
  return { forward, lens: (L + 1) * n * d * V };
}

/** The peak RSS / file size after each size's analysis, which run from small to large. */
function peakBySize(m: ModelResults, f: FootprintResult): string {
  const sizes = m.sizes.filter((n) => f.sizes[n]?.peakRss);
  return `then after analysing ${sizes.join(' / ')} tokens ${sizes.map((n) => times(f.sizes[n].peakRss! / m.fileBytes)).join(' / ')}`;
}

function modelSection(r: Report, m: ModelResults): string[] {
  const out: string[] = [];
  const info = m.info;
  const shape = info
    ? `${info.layers} layers, ${info.heads} heads, width ${info.dModel}, MLP ${info.dMlp}, vocabulary ${info.vocab}, ${info.positions} positions; ${(info.parameters / 1e6).toFixed(1)}M parameters`
    : '';
  out.push(`## ${m.label}`, '', `\`${m.folder}\`: ${shape}, ${info?.precision ?? 'float32'}, ${mb(m.fileBytes)} file.`, '');
  const sizeHeads = m.sizes.map((n) => `forward ${n} tok`);
  out.push(`| Row | session load | ${sizeHeads.join(' | ')} | peak RSS | → host per analysis (${m.sizes.join(' / ')} tok) |`);
  out.push(`|:--|--:|${m.sizes.map(() => '--:').join('|')}|--:|--:|`);
  const rowLine = (row: RowResult | undefined, cells: string[]) => {
    if (!row) return;
    const f = row.footprint;
    const load = row.loadMs.length ? ms(median(row.loadMs)) : '—';
    const bytes =
      f && Object.values(f.sizes).some((s) => s.bytes !== undefined)
        ? m.sizes.map((n) => (f.sizes[n]?.bytes !== undefined ? mb(f.sizes[n].bytes!) : f.sizes[n]?.error ? shortError(f.sizes[n].error!) : '—')).join(' / ')
        : '—';
    out.push(`| ${row.label} | ${load} | ${cells.join(' | ')} | ${f ? mb(f.peakRss) : row.timingOnly ? '—' : 'failed'} | ${bytes} |`);
  };
  for (const backend of BACKENDS) {
    const b = m.backends[backend];
    if (!b) continue;
    for (const kind of ['plain', 'pluslens', 'full', 'nolens', 'rollout', 'ablated'] as RowKind[])
      rowLine(
        b.rows[kind],
        m.sizes.map((n) => timeCell(timing(m, backend, kind, n))),
      );
  }
  if (m.torch)
    rowLine(
      { ...m.torch, label: `${m.torch.label} (torch ${m.torch.torchVersion ?? '?'})` },
      m.sizes.map((n) => (m.torch?.torchTimes?.[n] ? ms(median(m.torch.torchTimes[n])) : '—')),
    );
  out.push(`| Model Lens full analysis, WebGPU | not measured | ${m.sizes.map(() => 'not measured').join(' | ')} | not measured | — |`);
  out.push('');

  // Ratios, each taken within a round and the median over rounds reported.
  out.push(`| Ratio (median over ${r.runs} rounds of the ratio within a round) | ${m.sizes.map((n) => `${n} tok`).join(' | ')} | target |`);
  out.push(`|:--|${m.sizes.map(() => '--:').join('|')}|:--|`);
  for (const backend of BACKENDS) {
    if (!m.backends[backend]) continue;
    const target = timeTarget(backend);
    const name = BACKEND_NAMES[backend];
    const full = m.sizes.map((n) => ratioOf(m, backend, 'full', n));
    const cells = full.map((x, i) => (Number.isFinite(x) ? `${times(x)} ${mark(x <= target)}` : timeCell(timing(m, backend, 'full', m.sizes[i]))));
    out.push(`| Model Lens full / uninstrumented, ${name} | ${cells.join(' | ')} | ≤ ${target}× |`);
    const overPlus = m.sizes.map((n) => ratioOf(m, backend, 'full', n, 'overPlusLens'));
    out.push(
      `| Model Lens full / (uninstrumented + a plain head on the lens' rows), ${name} | ${overPlus.map((x) => (Number.isFinite(x) ? `${times(x)} ${mark(x <= target)}` : '—')).join(' | ')} | ≤ ${target}× |`,
    );
    out.push(`| … of which the runtime's forward pass, ${name} | ${m.sizes.map((n) => times(ratioOf(m, backend, 'full', n, 'forwardRatio'))).join(' | ')} | |`);
    out.push(`| Model Lens without the lens / uninstrumented, ${name} | ${m.sizes.map((n) => times(ratioOf(m, backend, 'nolens', n))).join(' | ')} | |`);
    out.push(`| Model Lens full + rollout / uninstrumented, ${name} | ${m.sizes.map((n) => times(ratioOf(m, backend, 'rollout', n))).join(' | ')} | |`);
    out.push(
      `| Model Lens full, one head ablated / full, ${name} | ${m.sizes
        .map((n) => {
          const x = ablatedOverFull(m, backend, n);
          return Number.isFinite(x) ? `${times(x)} ${mark(x <= TARGETS.ablatedOverFull)}` : '—';
        })
        .join(' | ')} | ≤ ${TARGETS.ablatedOverFull}× |`,
    );
  }
  if (m.backends.wasm && m.backends.native) {
    const across = (kind: RowKind, n: number) => median(timing(m, 'wasm', kind, n)?.ms ?? []) / median(timing(m, 'native', kind, n)?.ms ?? []);
    out.push(`| uninstrumented WASM / uninstrumented native (native's speed-up) | ${m.sizes.map((n) => times(across('plain', n))).join(' | ')} | |`);
    out.push(`| Model Lens full, WASM / native | ${m.sizes.map((n) => times(across('full', n))).join(' | ')} | |`);
  }
  if (m.torch?.torchTimes && m.backends.native) {
    out.push(
      `| PyTorch eager / uninstrumented native | ${m.sizes.map((n) => times(median(m.torch!.torchTimes![n] ?? []) / median(timing(m, 'native', 'plain', n)?.ms ?? []))).join(' | ')} | |`,
    );
  }
  out.push('');
  const wasm = m.backends.wasm?.rows;
  if (wasm?.full?.footprint) {
    const rss = (kind: RowKind) => (wasm[kind]?.footprint ? wasm[kind]!.footprint!.peakRss / m.fileBytes : NaN);
    const full = rss('full');
    const base = r.baseline?.peakRss.wasm;
    out.push(
      `Peak RSS / model file on WASM: Model Lens full analysis ${times(full)} ${mark(full <= TARGETS.wasmRssOverFile)} (target ≤ ${TARGETS.wasmRssOverFile}×); ` +
        `after loading only ${times((wasm.full?.footprint?.peakRssAfterLoad ?? NaN) / m.fileBytes)}, ${peakBySize(m, wasm.full.footprint)}; uninstrumented onnxruntime-web ${times(rss('plain'))}.` +
        (base
          ? ` Above the ${mb(base)} that Model Lens on WASM takes with a ${mb(r.baseline!.fileBytes)} model: ${times((wasm.full.footprint.peakRss - base) / m.fileBytes)}.`
          : ''),
      '',
    );
  }
  out.push(...sweepSection(m));
  return out;
}

/** The patching sweep's table: its time against uninstrumented passes in the same batches, and its peak RSS. */
function sweepSection(m: ModelResults): string[] {
  const rows = BACKENDS.filter((b) => m.sweep?.[b]);
  if (!rows.length) return [];
  const out = [
    `Activation patching sweep (every residual stream position and every head, as Compare With Another Text runs it; patched runs share forward passes as rows of a batch):`,
    '',
    '| Backend | tokens | runs per sweep | largest batch | forward passes | sweep | uninstrumented passes, same batches | ratio | target | peak RSS after load → during the sweep |',
    '|:--|--:|--:|--:|--:|--:|--:|--:|:--|--:|',
  ];
  for (const b of rows) {
    const s = m.sweep![b]!;
    const ratio = median(s.ratio);
    out.push(
      `| ${BACKEND_NAMES[b]} | ${s.n} | ${s.passes} | ${s.batch} | ${s.forwardPasses} | ${ms(median(s.sweepMs))} | ${ms(median(s.plainMs))} | ${times(ratio)} ${mark(ratio <= TARGETS.sweepOverPlain)} | ≤ ${TARGETS.sweepOverPlain}× | ${mb(s.peakRssAfterLoad)} → ${mb(s.peakRss)} |`,
    );
  }
  out.push('');
  return out;
}

const count = (x: number) => (x >= 1e9 ? `${(x / 1e9).toFixed(1)} G` : `${(x / 1e6).toFixed(1)} M`);

/** The largest size at which a row ran in the rounds. */
function largestRun(m: ModelResults, backend: OrtBackend, kind: RowKind): number | undefined {
  return [...m.sizes].reverse().find((n) => (timing(m, backend, kind, n)?.ms.length ?? 0) > 0);
}

/**
 * What no WebAssembly analysis of the largest size can go below: the process with a tiny model,
 * the weights once, and the exposed tensors twice — ONNX Runtime keeps every graph output in the
 * heap until the run ends, fetched or not, and copies the fetched ones out to JavaScript.
 */
function floor(r: Report, m: ModelResults, f: FootprintResult): string {
  const base = r.baseline?.peakRss.wasm;
  const n = [...m.sizes].reverse().find((size) => f.sizes[size]?.bytes !== undefined);
  if (!base || n === undefined) return '';
  const least = base + m.fileBytes + 2 * f.sizes[n].bytes!;
  return ` Of these, three cannot be avoided: the process (${mb(base)} with a ${mb(r.baseline!.fileBytes)} model), the weights, and the exposed tensors twice — ONNX Runtime keeps every graph output in its heap until the run ends and copies the fetched ones out to JavaScript. At ${n} tokens that alone is ${mb(least)}, ${times(least / m.fileBytes)} the file.`;
}

/** Honest notes on every target missed, with this run's numbers. */
function limits(r: Report): string[] {
  const out: string[] = [];
  for (const m of r.models) {
    const info = m.info;
    if (!info) continue;
    const backends = BACKENDS.filter((b) => m.backends[b]);
    const missed = backends.filter((b) => m.sizes.some((n) => !(ratioOf(m, b, 'full', n) <= timeTarget(b))));
    if (missed.length) {
      const parts = missed.map((b) => {
        const n = largestRun(m, b, 'full') ?? m.sizes[0];
        const full = timing(m, b, 'full', n);
        const outside = full ? median(full.ms) - median(full.forwardMs) : NaN;
        return `on ${BACKEND_NAMES[b]} at ${n} tokens the full analysis takes ${times(ratioOf(m, b, 'full', n))} the uninstrumented forward (target ${timeTarget(b)}×), its forward pass alone ${times(ratioOf(m, b, 'full', n, 'forwardRatio'))}; without the lens ${times(ratioOf(m, b, 'nolens', n))} (forward alone ${times(ratioOf(m, b, 'nolens', n, 'forwardRatio'))}); outside the runtime each full analysis spends ${ms(outside)}`;
      });
      const n = Math.max(...missed.map((b) => largestRun(m, b, 'full') ?? m.sizes[0]));
      const c = macs(info, n);
      out.push(
        `**${m.label}: full analysis vs the uninstrumented forward.** Measured: ${parts.join('; ')}. Where it goes:`,
        '',
        `- **The logit lens** runs the model's head (final norm, unembedding, Softmax, TopK) on the residual stream of every layer: (layers + 1) × positions × d_model × vocabulary = ${count(c.lens)} multiply-adds at ${n} tokens, against ${count(c.forward)} for the whole forward pass (${times(c.lens / c.forward)}), and its [layer + 1, position, vocabulary] logits take ${mb((info.layers + 1) * n * info.vocab * 4)}, with Softmax's output as large again. A lens over every position cannot fit in 1.25× of a forward pass it outweighs: against the uninstrumented forward followed by a plain head on the same rows (the lens' arithmetic alone) the full analysis takes ${backends.map((b) => `${times(ratioOf(m, b, 'full', n, 'overPlusLens'))} on ${BACKEND_NAMES[b]}`).join(' and ')} at ${n} tokens. The engine keeps those logits within ${mb(LENS_LOGITS_BYTES)} by running the lens on the last ${lensPositionLimit(info.layers + 1, info.vocab)} positions at most (the analysis says from where), which is why a long text's ratio can be lower than a shorter one's; the extension asks for the lens only over the positions it shows (\`lens: { fromChar }\`: hovers, the heatmap and the side panel), the CLI's JSON output over the whole text.`,
        "- **Exposing** every head's pattern and Q/K/V/z, the residual stream and the MLP activations costs the forward-pass ratio without the lens above: each exposed tensor becomes a graph output, which ONNX Runtime must keep (no fusing away or reusing the node that makes it) and copy out.",
        "- **Outside the runtime** (end-to-end minus the worker's forward): tokenizing, reordering Q/K/V/z into [position, head, d_head] where the graph holds them only head-major (not GPT-2-style exports, whose [position, head, d_head] form is exposed as it is), the readable text of every predicted id, and posting the result to the host (the next-token statistics are computed in the graph). For a small model this fixed cost is most of the analysis.",
        '',
      );
    }
    const wasm = m.backends.wasm?.rows.full?.footprint;
    if (wasm && wasm.peakRss / m.fileBytes > TARGETS.wasmRssOverFile) {
      const plain = m.backends.wasm?.rows.plain?.footprint;
      const oom = Object.entries(wasm.sizes).find(([, s]) => s.error);
      out.push(
        `**${m.label}: WASM memory.** Peak RSS is ${times(wasm.peakRss / m.fileBytes)} the file with Model Lens (loading alone ${times(wasm.peakRssAfterLoad / m.fileBytes)})` +
          `${plain ? `, ${times(plain.peakRss / m.fileBytes)} with onnxruntime-web alone (loading alone ${times(plain.peakRssAfterLoad / m.fileBytes)})` : ''}. ` +
          `Given a model's bytes, onnxruntime-web copies them into its WebAssembly heap, parses them there and builds the session's tensors from the parse, and a WebAssembly heap never gives memory back. ` +
          `Model Lens gives it the graph with the weights as external data that is read from the file as each weight is copied into the heap, so the weights are held once, in the heap, and without packed copies of the MatMul weights. What remains above the process itself: the weights, and while analysing the activations — the exposed tensors in the heap and again as JavaScript arrays (the "→ host" column), the [position, vocabulary] logits with their Softmax and the statistics' temporaries, and the lens' [layer + 1, position, vocabulary] logits with their Softmax (at most ${mb(LENS_LOGITS_BYTES)} of logits in all, run in ${LENS_CHUNKS} chunks on WebAssembly: the heap holds one chunk's logits and probabilities at a time). A WebAssembly heap keeps the high-water mark of all of them.` +
          floor(r, m, wasm) +
          (oom
            ? ` At ${oom[0]} tokens the full analysis does not fit the 4 GB a WebAssembly heap can address at all (ONNX Runtime: ${runtimeError(oom[1].error!)}).`
            : ''),
        '',
      );
    }
  }
  return out;
}

function editorSection(r: Report): string[] {
  const e = r.editor;
  const backends = BACKENDS.filter((b) => e.results[b]);
  if (backends.length === 0) return [];
  const col = (f: (x: EditorResult) => string) => backends.map((b) => f(e.results[b]!)).join(' | ');
  const us = (x: number) => (x >= 1000 ? ms(x / 1000) : `${x.toFixed(1)} µs`);
  const any = e.results[backends[0]]!;
  const out = [
    `## Editor budgets (${e.label})`,
    '',
    `A ${e.lines}-line TypeScript-like file (${any.documentChars.toLocaleString('en')} characters); windows take characters per model position as the extension plans them (${OWNED_CHARS_PER_POSITION} owned, ${CONTEXT_CHARS_PER_POSITION} read before them as context); ${any.windows} windows cover the file (median ${any.documentTokensPerWindow} tokens owned per window).`,
    '',
    `| Budget | ${backends.map((b) => BACKEND_NAMES[b]).join(' | ')} | What it measures |`,
    `|:--|${backends.map(() => '--:').join('|')}|:--|`,
    `| Hover from cache, p50 (p99) | ${col((x) => `${us(median(x.cachedHoverUs))} (${us(quantile(x.cachedHoverUs, 0.99))})`)} | \`WindowCache.find\` + the token lookup of \`cachedTokenAt\` + \`hoverMarkdown\`, at ${any.cachedHoverUs.length} offsets spread over the file, with every window of the file cached. |`,
    `| First hover in the file, p50 (max) | ${col((x) => `${ms(median(x.firstHoverMs))} (${ms(Math.max(...x.firstHoverMs))})`)} | A hover where nothing is cached yet, at ${any.firstHoverMs.length} places through the file, model loaded: \`planWindow\` + \`EngineClient.analyze(window, { lens: { fromChar }, topK: 5 })\` in the worker + \`windowTokens\` + the hover's Markdown. The hover answers "analysing…" after 800 ms. |`,
    `| … the same windows without the logit lens, p50 | ${col((x) => ms(median(x.noLensMs)))} | \`analyze(window, { topK: 5 })\`: what the first hover would wait for if the lens (only its "became the top prediction after layer L" line needs it) came afterwards. |`,
    `| First hover right after loading the model | ${col((x) => ms(x.firstHoverColdMs))} | The same, for the very first analysis of a newly loaded model (the runtime's first run allocates). |`,
    `| Event-loop delay while typing, p50 / p99 / max | ${col((x) => `${ms(x.typing.lagP50Ms)} / ${ms(x.typing.lagP99Ms)} / ${ms(x.typing.lagMaxMs)}`)} | How late a 1 ms timer in the host process fires (\`perf_hooks.monitorEventLoopDelay\`, its 1 ms interval subtracted) over ${(e.typingMs / 1000).toFixed(1)} s of typing in the middle of the file: bursts of 8 keystrokes 50 ms apart, then a pause that lets the 400 ms-debounced heatmap refresh run. Each keystroke: the document changes, \`WindowCache.applyEdit\`, the refresh is rescheduled; a refresh re-analyses the windows of the ~50 visible lines through EngineClient and maps their tokens to ranges. |`,
    `| … garbage collection in the host while typing: total (longest pause) | ${col((x) => `${ms(x.typing.gcMs.reduce((a, b) => a + b, 0))} (${ms(Math.max(0, ...x.typing.gcMs))})`)} | V8's GC pauses on the host thread over the same typing. |`,
    `| … the same on the idle host, p99 | ${col((x) => ms(x.typing.idleLagP99Ms))} | One second with nothing to do: the floor this shared machine gives. |`,
    `| … keystroke handling, p50 (max) | ${col((x) => `${us(median(x.typing.editUs))} (${us(Math.max(...x.typing.editUs))})`)} | The keystroke's own work in the host (above), mostly \`applyEdit\` shifting the cached windows after the edit. |`,
    `| … heatmap refresh, p50 | ${col((x) => `${ms(median(x.typing.refreshMs))} (${x.typing.refreshes} refreshes, ${x.typing.analyses} analyses)`)} | From the debounce firing to the tokens of the visible lines ready for \`setDecorations\`. |`,
    `| One window analysed, p50; whole file | ${col((x) => `${ms(median(x.windowMs))}; ${ms(x.fillMs)}`)} | Analysing one window (hover options) through EngineClient; all ${any.windows} windows one after another. |`,
    '',
  ];
  return out;
}

/** The targets of the issue, each measured on every model, at the top of the page. */
function summary(r: Report): string[] {
  const out = ['## Targets', '', '| Target | Model | Measured | Met |', '|:--|:--|:--|:-:|'];
  const perSize = (m: ModelResults, b: OrtBackend, kind: RowKind, field: RatioField = 'ratio') =>
    `${m.sizes.map((n) => (Number.isFinite(ratioOf(m, b, kind, n, field)) ? times(ratioOf(m, b, kind, n, field)) : timeCell(timing(m, b, kind, n)))).join(' / ')} at ${m.sizes.join(' / ')}`;
  const met = (m: ModelResults, b: OrtBackend, kind: RowKind, target: number, field: RatioField = 'ratio') =>
    mark(m.sizes.every((n) => ratioOf(m, b, kind, n, field) <= target));
  for (const m of r.models) {
    for (const b of BACKENDS.filter((b) => m.backends[b])) {
      const target = timeTarget(b);
      const name = BACKEND_NAMES[b];
      out.push(
        `| Full analysis ≤ ${target}× the uninstrumented forward, ${name} (as the issue put it) | ${m.label} | ${perSize(m, b, 'full')} tokens | ${met(m, b, 'full', target)} |`,
      );
      out.push(
        `| Full analysis ≤ ${target}× the uninstrumented forward plus a plain head on the lens' rows (the lens' own arithmetic, see below), ${name} | ${m.label} | ${perSize(m, b, 'full', 'overPlusLens')} tokens | ${met(m, b, 'full', target, 'overPlusLens')} |`,
      );
      out.push(
        `| Analysis without the lens ≤ ${target}× the uninstrumented forward, ${name} | ${m.label} | ${perSize(m, b, 'nolens')} tokens | ${met(m, b, 'nolens', target)} |`,
      );
      const ablated = m.sizes.map((n) => ablatedOverFull(m, b, n));
      out.push(
        `| A re-run with one head ablated ≤ ${TARGETS.ablatedOverFull}× the same analysis without it, ${name} | ${m.label} | ${ablated.map(times).join(' / ')} at ${m.sizes.join(' / ')} tokens | ${mark(ablated.every((x) => x <= TARGETS.ablatedOverFull))} |`,
      );
      const sweep = m.sweep?.[b];
      if (sweep)
        out.push(
          `| A patching sweep ≤ ${TARGETS.sweepOverPlain}× uninstrumented forward passes in the same batches, ${name} | ${m.label} | ${times(median(sweep.ratio))} (${sweep.passes} runs of ${sweep.n} tokens in ${sweep.forwardPasses} passes) | ${mark(median(sweep.ratio) <= TARGETS.sweepOverPlain)} |`,
        );
    }
    const f = m.backends.wasm?.rows.full?.footprint;
    const base = r.baseline?.peakRss.wasm;
    const aboveBase = base ? `; ${times((f!.peakRss - base) / m.fileBytes)} above the ${mb(base)} it takes with a ${mb(r.baseline!.fileBytes)} model` : '';
    if (f)
      out.push(
        `| Peak RSS ≤ ${TARGETS.wasmRssOverFile}× the model file, WASM (Model Lens full analysis) | ${m.label} | ${times(f.peakRss / m.fileBytes)} (${mb(f.peakRss)} for ${mb(m.fileBytes)}${aboveBase}) | ${mark(f.peakRss / m.fileBytes <= TARGETS.wasmRssOverFile)} |`,
      );
  }
  out.push('', "Each ratio is the median, over rounds, of Model Lens' time / the baseline's time in the same round (see below).", '');
  return out;
}

export function renderReport(r: Report): string {
  const v = r.versions;
  const lines = [
    r.quick ? '# Benchmarks (quick mode)' : '# Benchmarks',
    '',
    `<!-- Generated by ${'`'}${r.command}${'`'} (scripts/bench.mjs, scripts/bench/); change the generator, not this file. -->`,
    '',
    `Made by \`${r.command}\` on ${r.date} (${(r.durationS / 60).toFixed(1)} min).`,
    '',
    `**Machine:** ${r.machine.cpu}, ${r.machine.cores} cores, ${(r.machine.ramBytes / 2 ** 30).toFixed(1)} GiB RAM, ${r.machine.platform}. ` +
      `Node ${v.node}, onnxruntime-web ${v.ortWeb}, onnxruntime-node ${v.ortNode}${v.torch ? `, PyTorch ${v.torch}` : ''}. ` +
      `Every runtime runs ${r.threads} threads (the extension's default here). The machine is shared and noisy: compare ratios, which are taken within a run, rather than absolute times across runs.`,
    '',
    ...(r.notes.length ? [...r.notes.map((n) => `> ${n}`), ''] : []),
    ...summary(r),
    '## How it is measured',
    '',
    `- **Forward times** are medians of ${r.runs} timed runs after ${r.warmup} warm-up run per size. All rows of one backend run in one process, in rounds (uninstrumented, uninstrumented with a plain head on the lens' rows, full, without the lens, with rollout), the order rotating each round, so a noisy neighbour slows them alike; each **ratio** is taken within a round and the median over rounds reported.`,
    "- **Uninstrumented** rows run ONNX Runtime directly on the same .onnx file with the engine's session options (threads, optimisation level) but ONNX Runtime's default weight packing, which the engine turns off on WASM to save heap (about 5% of speed, counted in the ratios), and the same int64 `input_ids` + `attention_mask`, fetching the logits; the time is `session.run`.",
    `- **Uninstrumented, then a plain head on the lens' rows** times the uninstrumented forward and then a second plain session: a GPT-2 language-model head alone (final LayerNorm, unembedding, Softmax, TopK-${LENS_TOP_K}; random weights of the model's width and vocabulary) on as many rows as the full analysis runs its logit lens on — every residual stream (layers + 1) at the last positions that fit the lens' memory budget. That is the arithmetic a logit lens cannot do without (exact top-k probabilities need every logit), done by ONNX Runtime with nothing around it, so Model Lens full / this row is what the engine adds to it.`,
    '- **Model Lens** rows are `EngineClient.analyze` as the extension calls it: request posted to the worker, tokenizing, the instrumented forward, token statistics, and the result transferred back; the time is the whole call. "Full analysis" is `{ hooks: [...hookGroups.attention, ...hookGroups.activations], lens: true }` (every head\'s pattern and Q/K/V/z, residual stream, MLP activations, logit-lens top-10 at every position that fits its memory budget, see below). Each text tokenizes to exactly the stated number of tokens.',
    "- **Patching sweep** is `patchingSweep` (src/engine/patching.ts) through `EngineClient`, as the Compare With Another Text command runs it: the clean and the corrupted text's analyses, then one run per residual stream position ((layers + 1) × tokens) and per head, sent to the engine 32 at a time; the engine runs them as rows of batches (as many as fit 64 MB of logits, at most 16) and fetches only the logits. The texts differ in one token in their second half. Its baseline is uninstrumented forward passes of the corrupted text in the same batches (the two analyses as single rows), in the same process, sweep and baseline alternating first; the ratio is taken per round (the full benchmark times one round per backend after a warm-up sweep: a GPT-2-small sweep is hundreds of forward passes). Its peak RSS is read after one sweep, before the uninstrumented session is created.",
    `- **Session load** is a fresh process loading the model (file read, and for Model Lens starting the worker, instrumenting the graph and the post-load check), median of ${r.loads}. **Peak RSS** is \`VmHWM\` of a process that loaded the model and ran each size once (the worker is a thread of it), **→ host** the bytes of the ArrayBuffers the worker transfers per analysis. MB and GB are 10⁶ and 10⁹ bytes.`,
    '- **WebGPU** runs in a VS Code webview (Chromium), not in Node, and needs a GPU; this machine has none (the software adapter SwiftShader serves the correctness tests only), so its row says "not measured".',
    "- **PyTorch** is a GPT-2-style decoder of the same sizes in eager mode (the architecture the benchmark's ONNX models are built with; random weights), returning every layer's attention probabilities with the logits (`scripts/bench/torch_row.py`), `torch.set_num_threads` as above. It runs in a process of its own, not in the rounds, so its times carry more of the machine's noise.",
    '',
  ];
  for (const m of r.models) lines.push(...modelSection(r, m));
  lines.push(...editorSection(r));
  lines.push(...coldStartSection(r.coldStart));
  lines.push(...remoteSection(r.remote));
  lines.push(...maskedSection(r.masked));
  const limit = limits(r);
  if (limit.length) lines.push('## What limits this', '', ...limit);
  return lines.join('\n');
}
