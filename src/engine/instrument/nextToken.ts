// The model's own predictions, computed inside the graph: for each position the top-k next
// tokens with their probabilities, the entropy of the distribution, and the probability and rank
// of the token that actually follows. Only [positions, k] and three [positions] vectors leave the
// runtime — not the [positions, vocabulary] logits (100 MB at 512 tokens of a GPT-2 vocabulary).
import { DataType, type ValueInfo } from '../onnx/model';
import type { Exposer } from './exposer';
import type { NextTokenPlan } from './plan';

export const TARGETS_INPUT = 'modellens_targets';
export const TOP_K_INPUT = 'modellens_top_k';

/**
 * Builds the statistics of `logits` [1, positions, vocabulary] (of type `type`). They run only
 * when targets are fed: a run that wants the logits alone (a patching sweep's, in batches) feeds
 * none and pays nothing for them.
 */
export function buildNextTokenStats(exposer: Exposer, logits: string, type: DataType): { plan: NextTokenPlan; inputs: ValueInfo[] } {
  const em = exposer.em;
  const run = em.graph(() => {
    const asFloat = type === DataType.FLOAT ? logits : em.cast(logits, DataType.FLOAT);
    const x = em.reshape(asFloat, em.shapeOf([-1, em.dim(asFloat, 2)])); // [pos, vocab]
    // Everything comes from the logits and one Softmax (ONNX Runtime's fastest way to the
    // probabilities); the only other [pos, vocab] tensors are x - max and p·(x - max), the
    // comparison for the rank and its cast (at 512 tokens of a GPT-2 vocabulary a float [pos, vocab]
    // is 100 MB of the runtime's heap).
    const probs = em.op1('Softmax', [x], { axis: 1 }); // [pos, vocab]
    const [topProbs, topIndices] = em.op('TopK', [probs, TOP_K_INPUT], { axis: 1, largest: 1, sorted: 1 }, 2); // [pos, k]
    // H = -Σ p·log p with log p = x - max - log Z, and log Z = -log(top probability) (the largest
    // logit's probability is 1/Z): H = -Σ p·(x - max) - log p_top. Mul and ReduceSum make the sum
    // three times faster than a batched [1, vocab]·[vocab, 1] MatMul in ONNX Runtime. It sums
    // p·(x - max), not p·x: there the top token's p·x (≈ 10) dwarfs the other terms, which a float32
    // sum then rounds away against it (on WebAssembly Σ p·x was off by up to 2e-4 on the default
    // model, the entropy by 3e-4 bits; Σ p·(x - max) by 1e-5).
    const max = em.reduce('ReduceMax', x, [1]); // [pos, 1]
    const expectedShift = em.reduce('ReduceSum', em.op1('Mul', [probs, em.op1('Sub', [x, max])]), [1]); // [pos, 1], ≤ 0
    const logTop = em.op1('Log', [em.slice(topProbs, [0], [1], [1])]); // [pos, 1]
    const entropyBits = em.op1('Mul', [em.op1('Add', [expectedShift, logTop]), em.scalar(-1 / Math.LN2)]); // [pos, 1]
    const targets = em.unsqueeze(TARGETS_INPUT, [1]); // [pos, 1]
    const target = em.op1('GatherElements', [x, targets], { axis: 1 }); // [pos, 1]
    const targetProb = em.op1('GatherElements', [probs, targets], { axis: 1 });
    const above = em.reduce('ReduceSum', em.cast(em.op1('Greater', [x, target]), DataType.FLOAT), [1]); // [pos, 1]
    return [
      { name: topProbs, elemType: DataType.FLOAT },
      { name: em.cast(topIndices, DataType.INT32), elemType: DataType.INT32 },
      { name: entropyBits, elemType: DataType.FLOAT },
      { name: targetProb, elemType: DataType.FLOAT },
      { name: above, elemType: DataType.FLOAT },
    ];
  });
  // [0, 1] outputs made from the empty targets, so no fixed shape meets the other branch's.
  const empty = (elemType: DataType) => ({ name: em.reshape(em.cast(TARGETS_INPUT, elemType), em.ints([0, 1])), elemType });
  const skip = em.graph(() => [DataType.FLOAT, DataType.INT32, DataType.FLOAT, DataType.FLOAT, DataType.FLOAT].map(empty));
  const fed = em.op1('Greater', [em.op1('Size', [TARGETS_INPUT]), em.constant(DataType.INT64, [], [0])]);
  const [topProbs, topIds, entropy, targetProb, above] = em.op('If', [fed], { then_branch: run, else_branch: skip }, 5);
  exposer.outputs.push({ name: topIds, elemType: DataType.INT32 });
  const expose = (name: string) => exposer.expose(name, undefined, undefined, DataType.FLOAT).output;
  return {
    plan: {
      targetsInput: TARGETS_INPUT,
      topKInput: TOP_K_INPUT,
      topProbs: expose(topProbs),
      topIds,
      entropy: expose(entropy),
      targetProb: expose(targetProb),
      above: expose(above),
    },
    inputs: [
      { name: TARGETS_INPUT, elemType: DataType.INT64, shape: ['positions'] },
      { name: TOP_K_INPUT, elemType: DataType.INT64, shape: [1] },
    ],
  };
}
