// How much work the editor features ask of the model, in one place so that the benchmark
// (scripts/bench/editorHost.ts) measures exactly what the extension does.
import type { Budget } from './documentWindows';

/**
 * Characters per position of the model's window a window may own / read as context. Code runs
 * about three characters a token, so a window stays well inside the model's context: a first
 * hover costs one forward pass of a few hundred tokens, not of the whole context.
 */
export const OWNED_CHARS_PER_POSITION = 1;
export const CONTEXT_CHARS_PER_POSITION = 0.75;
/** Alternatives kept per token. */
export const TOP_K = 5;
/** The heatmap waits this long after the last edit or scroll before it re-colours. */
export const HEATMAP_REFRESH_DELAY_MS = 400;

/** The window budget for a model whose context is `positions` tokens. */
export function windowBudget(positions: number): Budget {
  return { owned: Math.floor(positions * OWNED_CHARS_PER_POSITION), context: Math.floor(positions * CONTEXT_CHARS_PER_POSITION) };
}
