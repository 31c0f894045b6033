// How far two analyses of the same text are apart: the check that a backend (a GPU) computes the
// numbers the WebAssembly backend computes.
import type { Analysis } from '../../engine/types';

export interface Differences {
  tokens: number;
  /** max |Δ| over every attention weight of every layer and head. */
  attention: number;
  /** max |Δ| over P(token | text before) and the top predictions. */
  probabilities: number;
  /** max |Δ| over the raw logits, when both have them. */
  logits: number;
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    const d = Math.abs(a[i] - b[i]);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}

export function differences(a: Analysis, b: Analysis): Differences {
  let attention = 0;
  for (const [name, t] of Object.entries(a.activations)) {
    if (!name.endsWith('hook_pattern')) continue;
    const other = b.activations[name];
    attention = Math.max(attention, other ? maxAbsDifference(t.data, other.data) : Infinity);
  }
  return {
    tokens: a.tokens.length,
    attention,
    probabilities: Math.max(maxAbsDifference(a.prob, b.prob), maxAbsDifference(a.topProbs, b.topProbs)),
    logits: a.logits && b.logits ? maxAbsDifference(a.logits.data, b.logits.data) : NaN,
  };
}

export function describeDifferences(backend: string, d: Differences): string {
  const e = (x: number) => (Number.isFinite(x) ? x.toExponential(1) : x === Infinity ? 'mismatch' : 'n/a');
  return `${backend} vs WebAssembly on ${d.tokens} tokens: max |Δ| attention ${e(d.attention)}, probabilities ${e(d.probabilities)}, logits ${e(d.logits)}.`;
}
