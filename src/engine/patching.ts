// Activation patching: which parts of the model carry what makes a clean text's prediction differ
// from a corrupted one's. Each run is the corrupted text with one hook, at one position (or one
// head at every position), replaced by its value in the clean run; the metric is the logit
// difference of target and foil after the last token, normalised so that 1 is the clean run and 0
// the corrupted one.
import { ModelLensError } from './errors';
import type { Analysis, AnalyzeOptions, Intervention, InterventionRuns, ModelInfo } from './types';
import { hookGroups, hooks } from '../shared/hooks';

export type Analyze = (text: string, options: AnalyzeOptions) => Promise<Analysis>;

/** What a sweep asks of the engine: analyses of both texts, and runs of one with interventions. */
export interface SweepEngine {
  analyze: Analyze;
  /** LoadedModel.interventionRuns (EngineClient's in the extension). */
  interventionRuns(text: string, runs: Intervention[][]): Promise<InterventionRuns>;
}

export interface PatchingResult {
  target: number;
  foil: number;
  /** logit(target) − logit(foil) after the last token, in the clean and the corrupted run. */
  clean: number;
  corrupted: number;
  /** [stream, position]: stream s is the input of block s (s = layers: the output of the last block). */
  residual: { hooks: string[]; values: Float32Array; positions: number };
  /** [layer, head]: each head's output patched at every position. */
  heads: { layers: number; heads: number; values: Float32Array };
  /** The most patched runs that shared one forward pass (1: the model runs one at a time). */
  batch: number;
}

/**
 * Runs sent to the engine per request: a cancelled sweep stops after the request in flight, and
 * progress moves at least this often. The engine batches within a request.
 */
const RUNS_PER_REQUEST = 32;

function logitDifference(a: Analysis, target: number, foil: number): number {
  const [n, vocab] = a.logits!.shape;
  const row = (n - 1) * vocab;
  return a.logits!.data[row + target] - a.logits!.data[row + foil];
}

/**
 * Patches `clean` into `corrupted` (texts of as many tokens) at every residual stream position
 * and every head. Target and foil default to the clean run's prediction after the last token and
 * the corrupted run's (or the clean run's second, when they agree). `signal` stops a long sweep;
 * `onProgress` hears of each finished request, counting the two texts' own runs.
 */
export async function patchingSweep(
  engine: SweepEngine,
  info: ModelInfo,
  clean: string,
  corrupted: string,
  ids: { target?: number; foil?: number } = {},
  signal?: AbortSignal,
  onProgress?: (done: number, total: number) => void,
): Promise<PatchingResult> {
  const all: AnalyzeOptions = { hooks: [...hookGroups.attention, ...hookGroups.activations], logits: true, topK: 2 };
  const [cleanRun, corruptedRun] = [await engine.analyze(clean, all), await engine.analyze(corrupted, all)];
  const n = cleanRun.tokens.length;
  if (corruptedRun.tokens.length !== n) {
    throw new ModelLensError({
      code: 'unsupported-input',
      message: `Patching needs texts of as many tokens: the clean one has ${n}, the corrupted one ${corruptedRun.tokens.length}.`,
      hint: 'Change words for words that are one token each too, e.g. a name for another name.',
    });
  }
  const last = (n - 1) * cleanRun.topK;
  const target = ids.target ?? cleanRun.topIds[last];
  const foil = ids.foil ?? (corruptedRun.topIds[last] !== target ? corruptedRun.topIds[last] : cleanRun.topIds[last + 1]);
  const [high, low] = [logitDifference(cleanRun, target, foil), logitDifference(corruptedRun, target, foil)];
  if (high === low) {
    throw new ModelLensError({
      code: 'unsupported-input',
      message: 'The two texts give the same logit difference of target and foil after their last token: there is nothing for patching to explain.',
      hint: 'Choose texts whose next token differs, or another target and foil.',
    });
  }

  // Every cell of both grids is one run of the corrupted text with one patch; cells whose hook
  // the model cannot intervene at stay NaN.
  const streams = [...Array.from({ length: info.layers }, (_, L) => hooks.residPre(L)), hooks.residPost(info.layers - 1)];
  const residual = new Float32Array(streams.length * n).fill(NaN);
  const heads = info.heads;
  const headValues = new Float32Array(info.layers * heads).fill(NaN);
  const cells: { grid: Float32Array; at: number; patch: Intervention }[] = [];
  for (const [s, hook] of streams.entries()) {
    if (!info.interventionHooks.includes(hook)) continue;
    for (let p = 0; p < n; p++)
      cells.push({ grid: residual, at: s * n + p, patch: { hook, mode: 'patch', positions: [p], source: cleanRun.activations[hook] } });
  }
  for (let L = 0; L < info.layers; L++) {
    const hook = hooks.attn(L, 'z');
    if (!info.interventionHooks.includes(hook) || !cleanRun.activations[hook]) continue;
    for (let h = 0; h < heads; h++)
      cells.push({ grid: headValues, at: L * heads + h, patch: { hook, mode: 'patch', indices: [h], source: cleanRun.activations[hook] } });
  }

  const total = 2 + cells.length;
  onProgress?.(2, total);
  let batch = 1;
  for (let start = 0; start < cells.length; start += RUNS_PER_REQUEST) {
    if (signal?.aborted) throw new ModelLensError({ code: 'cancelled', message: 'The patching sweep was cancelled.' });
    const part = cells.slice(start, start + RUNS_PER_REQUEST);
    const runs = await engine.interventionRuns(
      corrupted,
      part.map((c) => [c.patch]),
    );
    const vocab = runs.logits.shape[1];
    part.forEach((c, i) => {
      const difference = runs.logits.data[i * vocab + target] - runs.logits.data[i * vocab + foil];
      c.grid[c.at] = (difference - low) / (high - low);
    });
    batch = Math.max(batch, runs.batch);
    onProgress?.(2 + start + part.length, total);
  }
  return {
    target,
    foil,
    clean: high,
    corrupted: low,
    residual: { hooks: streams, values: residual, positions: n },
    heads: { layers: info.layers, heads, values: headValues },
    batch,
  };
}
