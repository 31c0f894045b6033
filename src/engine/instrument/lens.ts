// The logit lens inside the graph: the residual stream of every layer, at the positions asked
// for, goes through a copy of the model's own head (final norm, unembedding and whatever the
// export does after it), then Softmax and TopK. The head's weights are shared, not copied, and
// only [layer, position, k] leaves the runtime — never [layer, position, vocabulary]. The rows
// to run are fed, not fixed, so an analysis without the lens pays for one row, not one per layer.
import type { GraphIndex } from '../onnx/graph';
import { makeNode } from '../onnx/emit';
import { copyAttribute, DataType, type ValueInfo } from '../onnx/model';
import type { Exposer } from './exposer';
import type { LensPlan } from './plan';
import { SKIP_NORMS, type ResidualStep } from './residual';

export const LENS_ROWS_INPUT = 'modellens_lens_rows';

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
  const flat = em.reshape(stacked, em.shapeOf([-1, em.dim(stacked, 2)])); // [(layer + 1) · pos, d_model]
  // Shaped like the model's own call, batch 1, for heads that reshape with the batch in mind.
  const atPositions = em.unsqueeze(em.op1('Gather', [flat, LENS_ROWS_INPUT], { axis: 0 }), [0]); // [1, rows, d_model]
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
  // Whatever the head did with batch and position axes, its rows are the fed rows in order.
  const shaped = em.reshape(lensLogits, em.shapeOf([-1, em.dim(lensLogits, -1)])); // [rows, vocab]
  const probs = em.op1('Softmax', [shaped], { axis: -1 });
  const [values, indices] =
    em.opset >= 10 ? em.op('TopK', [probs, em.ints([k])], { axis: -1, largest: 1, sorted: 1 }, 2) : em.op('TopK', [probs], { axis: -1, k }, 2);
  const ids = em.cast(indices, DataType.INT32); // [rows, k]
  exposer.outputs.push({ name: ids, elemType: DataType.INT32 });
  return {
    plan: { rowsInput: LENS_ROWS_INPUT, streams: stream.length, probs: exposer.expose(values, undefined, undefined, type).output, ids, k },
    input: { name: LENS_ROWS_INPUT, elemType: DataType.INT64, shape: ['lens_rows'] },
  };
}
