// How long a request may keep the engine's worker. A request that never finishes (a tokenizer
// pattern that backtracks without end, a graph that loops) would otherwise take every later
// hover, panel and heatmap with it; the host stops the worker when the deadline passes. The
// deadline grows with the work a request can legitimately take: the model's size, and for an
// analysis the length of the text.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLensError } from './errors';
import type { Phase } from './loadedModel';
import { resolveModelFiles } from './modelFolder';

/** The default of modelLens.requestTimeoutSeconds: a short text on a small model. */
export const DEFAULT_REQUEST_TIMEOUT_S = 30;
/**
 * A forward pass costs in proportion to the model's weights and to the tokens it reads: each
 * 256 MB of model files adds the base time once more (GPT-2 small, 500 MB, gets three times it),
 * and each 4096 characters of text multiply that by one more.
 */
const BYTES_PER_STEP = 256 * 1024 * 1024;
const CHARS_PER_STEP = 4096;

/** base × (1 + model bytes / 256 MB) × (1 + characters / 4096); a load has no characters. */
export function deadlineMs(baseMs: number, modelBytes: number, chars = 0): number {
  return baseMs * (1 + modelBytes / BYTES_PER_STEP) * (1 + chars / CHARS_PER_STEP);
}

/**
 * The model file of `target` and every file beside it but other .onnx files: its external data
 * has whatever names the exporter chose. Other variants' data may be counted too, which only
 * makes the deadline more generous. 0 when the folder holds no model (the load will say why).
 */
export function modelBytesOnDisk(target: string): number {
  try {
    const onnx = resolveModelFiles(target).onnx;
    const folder = path.dirname(onnx);
    return fs
      .readdirSync(folder, { withFileTypes: true })
      .filter((e) => e.isFile() && (e.name === path.basename(onnx) || !e.name.endsWith('.onnx')))
      .reduce((sum, e) => sum + fs.statSync(path.join(folder, e.name)).size, 0);
  } catch {
    return 0;
  }
}

/** Why a request that passed its deadline was stopped, from the phase the worker last noted. */
export function timedOut(ms: number, phase: { phase: Phase; file: string } | undefined): ModelLensError {
  const limit = `${Math.round(ms / 1000)} s`;
  const slow = 'If the model is only slow, raise modelLens.requestTimeoutSeconds.';
  const stopped = 'so the engine was stopped; the next request starts it again.';
  switch (phase?.phase) {
    case 'tokenizing':
      return new ModelLensError({
        code: 'timed-out',
        message: `Tokenizing the text took longer than ${limit}, ${stopped}`,
        file: phase.file,
        hint: 'A pattern in this tokenizer.json (a pre-tokenizer or normalizer regex) may backtrack without end on this text: use the tokenizer that belongs to the model.',
      });
    case 'running':
      return new ModelLensError({
        code: 'timed-out',
        message: `The model ran longer than ${limit} on this input, ${stopped}`,
        file: phase.file,
        hint: `Its graph may never end (e.g. a Loop with a huge trip count). ${slow}`,
      });
    case 'loading':
      return new ModelLensError({ code: 'timed-out', message: `Loading the model took longer than ${limit}, ${stopped}`, file: phase.file, hint: slow });
    default:
      return new ModelLensError({ code: 'timed-out', message: `The engine did not answer within ${limit}, ${stopped}`, hint: slow });
  }
}
