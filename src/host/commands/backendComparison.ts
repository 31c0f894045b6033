// The check that a backend (a GPU) computes the numbers the WebAssembly backend computes: the same
// text on the engine in use and on a fresh WebAssembly engine with the same model, and how far the
// two analyses are apart.
import type { EngineClient } from '../../engine/client';
import type { Analysis, AnalyzeOptions } from '../../engine/types';

/**
 * `text` analysed by `engine` (the backend in use, its model loaded) and by the WebAssembly engine
 * `reference` makes, which loads `target` for it and is disposed afterwards.
 */
export async function analyzeOnBothBackends(
  engine: Pick<EngineClient, 'analyze'>,
  reference: () => Pick<EngineClient, 'load' | 'analyze' | 'dispose'>,
  target: string,
  text: string,
  options: AnalyzeOptions,
): Promise<{ current: Analysis; reference: Analysis }> {
  const current = await engine.analyze(text, options);
  const wasm = reference();
  try {
    await wasm.load(target);
    return { current, reference: await wasm.analyze(text, options) };
  } finally {
    wasm.dispose();
  }
}

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
