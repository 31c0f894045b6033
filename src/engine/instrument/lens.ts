// The logit lens inside the graph: the residual stream of every layer, at the positions asked
// for, goes through a copy of the model's own head (final norm, unembedding and whatever the
// export does after it), then Softmax and TopK. The head's weights are shared, not copied, and
// only [layer, position, k] leaves the runtime — never [layer, position, vocabulary].
import type { GraphIndex } from '../onnx/graph';
import { makeNode } from '../onnx/emit';
import { copyAttribute, DataType, type ValueInfo } from '../onnx/model';
import type { Exposer } from './exposer';
import type { LensPlan } from './plan';
import { SKIP_NORMS, type ResidualStep } from './residual';

export const LENS_POSITIONS_INPUT = 'modellens_lens_positions';

export interface LensResult {
  plan?: LensPlan;
  input?: ValueInfo;
  note?: string;
}

/**
 * Builds the lens over `stream` (the residual tensors R_0..R_L, each [1, pos, d_model]) given the
 * last write to the stream and the logits it leads to.
 */
export function buildLens(index: GraphIndex, exposer: Exposer, stream: string[], last: ResidualStep, logits: string, k: number): LensResult {
  const em = exposer.em;
  const mark = em.mark();
  const type = index.elemType(logits) ?? DataType.FLOAT;
  const stacked = em.op1('Concat', stream, { axis: 0 }); // [layer + 1, pos, d_model]
  const atPositions = em.op1('Gather', [stacked, LENS_POSITIONS_INPUT], { axis: 1 }); // [layer + 1, n, d_model]
  const renamed = new Map<string, string>();
  let headStart: string;
  if (last.kind === 'skipNorm') {
    // The final norm is fused with the last residual add: normalize the stream itself,
    // with a zero skip and no bias (the stream already includes both).
    const zeros = em.op1('Sub', [atPositions, atPositions]);
    const [, , gamma, beta] = last.node.input;
    const normalized = em.fresh('lens_norm');
    const inputs = last.node.opType === 'SkipLayerNormalization' ? [atPositions, zeros, gamma, beta ?? ''] : [atPositions, zeros, gamma];
    em.nodes.push(makeNode(last.node.opType, inputs, [normalized], {}, last.node.domain));
    em.nodes[em.nodes.length - 1].attribute = last.node.attribute.map(copyAttribute);
    renamed.set(last.node.output[0], normalized);
    headStart = last.node.output[0];
  } else {
    renamed.set(last.out!, atPositions);
    headStart = last.out!;
  }
  for (const node of index.nodesBetween(headStart, logits)) {
    if (SKIP_NORMS.has(node.opType) && node.domain === 'com.microsoft') {
      em.rollback(mark);
      return { note: 'the logit lens is unavailable: the model head contains another residual add' };
    }
    const outputs = node.output.map((o) => {
      if (!o) return '';
      const fresh = em.fresh('lens');
      renamed.set(o, fresh);
      return fresh;
    });
    const copy = makeNode(node.opType, node.input.map((i) => renamed.get(i) ?? i), outputs, {}, node.domain);
    copy.attribute = node.attribute.map(copyAttribute);
    em.nodes.push(copy);
  }
  const lensLogits = renamed.get(logits);
  if (!lensLogits) {
    em.rollback(mark);
    return { note: 'the logit lens is unavailable: the logits could not be traced back to the residual stream' };
  }
  // Whatever the head did with batch and position axes, its rows are [layer + 1, n] in order.
  const vocab = em.dim(lensLogits, -1);
  const shaped = em.reshape(lensLogits, em.shapeOf([stream.length, -1, vocab])); // [layer + 1, n, vocab]
  const probs = em.op1('Softmax', [shaped], { axis: -1 });
  const [values, indices] =
    em.opset >= 10 ? em.op('TopK', [probs, em.ints([k])], { axis: -1, largest: 1, sorted: 1 }, 2) : em.op('TopK', [probs], { axis: -1, k }, 2);
  const ids = em.cast(indices, DataType.INT32); // [layer + 1, n, k]
  exposer.outputs.push({ name: ids, elemType: DataType.INT32 });
  return {
    plan: { positionsInput: LENS_POSITIONS_INPUT, probs: exposer.expose(values, undefined, undefined, type).output, ids, k },
    input: { name: LENS_POSITIONS_INPUT, elemType: DataType.INT64, shape: ['lens_positions'] },
  };
}
