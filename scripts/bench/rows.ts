// What the benchmark's child processes do. Each runs in a fresh Node process, so its peak RSS
// (VmHWM: the host thread and the engine worker together) belongs to what it ran alone.
//  - footprint: load once, one run per size: load time, peak RSS, bytes moved to the host.
//  - load: load only, for more load-time samples.
//  - rounds: every row of one backend in one process, in rounds (plain, pluslens, full, ...), the
//    order rotating each round, so a noisy neighbour slows all rows alike; ratios are taken
//    within each round and their median reported.
import { LENS_TOP_K } from '../../src/engine/loadedModel';
import type { ModelInfo } from '../../src/engine/types';
import { LensRunner, PLAIN_KINDS, PlainRunner, type Inputs, type OrtBackend, type RowKind, type Runner, type RunResult } from './runners';
import { peakRssBytes } from './stats';

export interface RowSpec {
  model: string;
  backend: OrtBackend;
  threads: number;
  workerPath: string;
  sizes: number[];
  /**
   * The text and ids of each size, made by the driver: tokenizing to find them leaves hundreds
   * of megabytes of garbage that would count in this process' peak RSS.
   */
  inputs: Record<number, Inputs>;
}

export interface FootprintResult {
  /** Model Lens rows: what the engine found in the model. */
  info?: ModelInfo;
  loadMs: number;
  peakRssAfterLoad: number;
  peakRss: number;
  /** Per size: bytes moved worker → host (Model Lens rows) and the peak RSS so far, or why the size failed. */
  sizes: Record<number, { bytes?: number; peakRss?: number; error?: string }>;
}

export interface SizeTimings {
  ms: number[];
  forwardMs: number[];
  bytes?: number;
  /** Per round: this row's time / the plain row's time in the same round. */
  ratio: number[];
  /** Per round: the runtime's forward inside the worker / the plain row's time. */
  forwardRatio: number[];
  /** Per round: this row's time / the pluslens row's time (the uninstrumented forward and the lens' head arithmetic). */
  overPlusLens: number[];
  error?: string;
}

export type RoundsResult = Record<string, Record<number, SizeTimings>>;

function runner(spec: RowSpec, kind: RowKind): Runner {
  const inputs = new Map(Object.entries(spec.inputs).map(([n, i]) => [Number(n), i]));
  return PLAIN_KINDS.has(kind)
    ? new PlainRunner(spec.model, spec.backend, spec.threads, inputs)
    : new LensRunner(spec.model, spec.backend, spec.threads, inputs, spec.workerPath);
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').slice(0, 300);
}

export async function footprint(spec: RowSpec & { kind: RowKind }): Promise<FootprintResult> {
  const r = runner(spec, spec.kind);
  const loadMs = await r.load();
  const peakRssAfterLoad = peakRssBytes();
  const sizes: FootprintResult['sizes'] = {};
  for (const n of spec.sizes) {
    try {
      sizes[n] = { bytes: (await r.run(n, spec.kind)).bytes, peakRss: peakRssBytes() };
    } catch (e) {
      // Larger sizes would fail the same way (out of memory), and only cost time.
      sizes[n] = { error: message(e) };
      break;
    }
  }
  const peakRss = peakRssBytes();
  const info = r instanceof LensRunner ? r.info : undefined;
  await r.close();
  return { info, loadMs, peakRssAfterLoad, peakRss, sizes };
}

export async function loadOnly(spec: RowSpec & { kind: RowKind }): Promise<{ loadMs: number; peakRss: number }> {
  const r = runner(spec, spec.kind);
  const loadMs = await r.load();
  const peakRss = peakRssBytes();
  await r.close();
  return { loadMs, peakRss };
}

export async function rounds(spec: RowSpec & { kinds: RowKind[]; runs: number; warmup: number }): Promise<RoundsResult> {
  const plain = runner(spec, 'plain');
  // The Model Lens rows differ only in what they ask for: one worker, one loaded model.
  const lens = spec.kinds.some((k) => !PLAIN_KINDS.has(k)) ? runner(spec, 'full') : undefined;
  await plain.load();
  await lens?.load();
  if (spec.kinds.includes('pluslens')) {
    const info = lens instanceof LensRunner ? lens.info : undefined;
    if (!info) throw new Error("the pluslens row needs a Model Lens row to learn the model's shape");
    await (plain as PlainRunner).addLensHead(info, LENS_TOP_K);
  }
  const of = (kind: RowKind) => (PLAIN_KINDS.has(kind) ? plain : lens!);
  const result: RoundsResult = Object.fromEntries(spec.kinds.map((k) => [k, {}]));
  // A row that failed (out of memory) is not run again at this size or any larger one.
  const failedAt = new Map<RowKind, number>();
  for (const n of spec.sizes) {
    const live = () => spec.kinds.filter((k) => !failedAt.has(k));
    for (const kind of spec.kinds) {
      const at = failedAt.get(kind);
      result[kind][n] = { ms: [], forwardMs: [], ratio: [], forwardRatio: [], overPlusLens: [], ...(at ? { error: `not run: failed at ${at} tokens` } : {}) };
    }
    const attempt = async (kind: RowKind): Promise<RunResult | undefined> => {
      try {
        return await of(kind).run(n, kind);
      } catch (e) {
        failedAt.set(kind, n);
        result[kind][n].error = message(e);
        return undefined;
      }
    };
    for (let w = 0; w < spec.warmup; w++) for (const kind of live()) await attempt(kind);
    for (let round = 0; round < spec.runs; round++) {
      const kinds = live();
      const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]);
      const times = new Map<RowKind, RunResult>();
      for (const kind of order) {
        const r = await attempt(kind);
        if (r) times.set(kind, r);
      }
      const base = times.get('plain')?.ms;
      const plusLens = times.get('pluslens')?.ms;
      for (const [kind, r] of times) {
        const t = result[kind][n];
        t.ms.push(r.ms);
        if (r.forwardMs !== undefined) t.forwardMs.push(r.forwardMs);
        if (r.bytes !== undefined) t.bytes = r.bytes;
        if (base) {
          t.ratio.push(r.ms / base);
          if (r.forwardMs !== undefined) t.forwardRatio.push(r.forwardMs / base);
        }
        if (plusLens) t.overPlusLens.push(r.ms / plusLens);
      }
    }
  }
  await plain.close();
  await lens?.close();
  return result;
}
