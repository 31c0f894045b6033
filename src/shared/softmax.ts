// softmax(logits / T) at chosen ids, over the whole vocabulary: the host checks the model's
// probabilities with it (T = 1), and the step-by-step view's temperature slider uses it.

/** softmax(logits / temperature) at `ids`, in float64. */
export function softmaxAt(logits: ArrayLike<number>, ids: readonly number[], temperature = 1): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] - max) / temperature);
  return ids.map((id) => Math.exp((logits[id] - max) / temperature) / sum);
}
