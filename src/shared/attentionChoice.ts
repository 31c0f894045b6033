// Which attention matrix a layer and head choice means, and its name, for the host (export, editor
// highlights) and the attention panel alike. Patterns are Float32 [head, query, key] and the rollout
// [layer, query, key], with queries = the explained tokens and keys = every analysed token.
import type { HeadChoice } from './protocol';

/** One head's [query, key] matrix (or one layer's, of a [layer, query, key] tensor), without copying. */
export function headMatrix(pattern: Float32Array, head: number, queries: number, keys: number): Float32Array {
  const size = queries * keys;
  return pattern.subarray(head * size, (head + 1) * size);
}

/** Mean over heads: [head, query, key] → [query, key]. */
export function meanOverHeads(pattern: Float32Array, heads: number, queries: number, keys: number): Float32Array {
  const size = queries * keys;
  const out = new Float32Array(size);
  if (heads <= 0) return out;
  for (let h = 0; h < heads; h++) {
    const off = h * size;
    for (let i = 0; i < size; i++) out[i] += pattern[off + i];
  }
  for (let i = 0; i < size; i++) out[i] /= heads;
  return out;
}

/** The tensors a choice is made from: one layer's pattern [head, query, key] and the rollout [layer, query, key]. */
export interface ChoiceSource {
  pattern?: Float32Array;
  rollout?: Float32Array;
  heads: number;
  queries: number;
  keys: number;
}

/** [query, key] for the choice, or undefined when the layer (or the rollout) has no attention or the head does not exist. */
export function choiceMatrix(s: ChoiceSource, layer: number, head: HeadChoice): Float32Array | undefined {
  if (head === 'rollout') return s.rollout ? headMatrix(s.rollout, layer, s.queries, s.keys) : undefined;
  if (!s.pattern) return undefined;
  if (head === 'mean') return meanOverHeads(s.pattern, s.heads, s.queries, s.keys);
  return head >= 0 && head < s.heads ? headMatrix(s.pattern, head, s.queries, s.keys) : undefined;
}

/** "layer 3, head 5" / "layer 3, mean of heads" / "rollout up to layer 3", as a phrase inside a sentence. */
export function choiceName(layer: number, head: HeadChoice): string {
  if (head === 'mean') return `layer ${layer}, mean of heads`;
  if (head === 'rollout') return `rollout up to layer ${layer}`;
  return `layer ${layer}, head ${head}`;
}
