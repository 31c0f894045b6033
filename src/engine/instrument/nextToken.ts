// The model's own predictions, computed inside the graph: for each position the top-k next
// tokens with their probabilities, the entropy of the distribution, and the probability and rank
// of the token that actually follows. Only [positions, k] and three [positions] vectors leave the
// runtime — not the [positions, vocabulary] logits (100 MB at 512 tokens of a GPT-2 vocabulary).
import { DataType, type ValueInfo } from '../onnx/model';
import type { Exposer } from './exposer';
import type { NextTokenPlan } from './plan';

export const TARGETS_INPUT = 'modellens_targets';
export const TOP_K_INPUT = 'modellens_top_k';

/** Builds the statistics of `logits` [1, positions, vocabulary] (of type `type`). */
export function buildNextTokenStats(exposer: Exposer, logits: string, type: DataType): { plan: NextTokenPlan; inputs: ValueInfo[] } {
  const em = exposer.em;
  const asFloat = type === DataType.FLOAT ? logits : em.cast(logits, DataType.FLOAT);
  const x = em.reshape(asFloat, em.shapeOf([-1, em.dim(asFloat, 2)])); // [pos, vocab]
  // Besides the logits, only the log-probabilities and probabilities are [pos, vocab] (at 512
  // tokens of a GPT-2 vocabulary, 100 MB each in the runtime's heap); the rest is [pos, k] or less.
  const logSum = em.reduce('ReduceLogSumExp', x, [1]); // [pos, 1]: the log of Softmax's denominator
  const logProbs = em.op1('Sub', [x, logSum]); // [pos, vocab]
  const probs = em.op1('Exp', [logProbs]);
  // Σ p·log p as one [1, vocab]·[vocab, 1] product per position rather than a third [pos, vocab].
  const sumPLogP = em.op1('MatMul', [em.unsqueeze(probs, [1]), em.unsqueeze(logProbs, [2])]); // [pos, 1, 1]
  const entropyBits = em.op1('Mul', [em.squeeze(sumPLogP, [2]), em.scalar(-1 / Math.LN2)]); // [pos, 1]
  const [topLogits, topIndices] = em.op('TopK', [x, TOP_K_INPUT], { axis: 1, largest: 1, sorted: 1 }, 2); // [pos, k]
  const topProbs = em.op1('Exp', [em.op1('Sub', [topLogits, logSum])]);
  const target = em.op1('GatherElements', [x, em.unsqueeze(TARGETS_INPUT, [1])], { axis: 1 }); // [pos, 1]
  const targetProb = em.op1('Exp', [em.op1('Sub', [target, logSum])]);
  const above = em.reduce('ReduceSum', em.cast(em.op1('Greater', [x, target]), DataType.FLOAT), [1]); // [pos, 1]
  const topIds = em.cast(topIndices, DataType.INT32);
  exposer.outputs.push({ name: topIds, elemType: DataType.INT32 });
  const expose = (name: string) => exposer.expose(name, undefined, undefined, DataType.FLOAT).output;
  return {
    plan: { targetsInput: TARGETS_INPUT, topKInput: TOP_K_INPUT, topProbs: expose(topProbs), topIds, entropy: expose(entropyBits), targetProb: expose(targetProb), above: expose(above) },
    inputs: [
      { name: TARGETS_INPUT, elemType: DataType.INT64, shape: ['positions'] },
      { name: TOP_K_INPUT, elemType: DataType.INT64, shape: [1] },
    ],
  };
}
