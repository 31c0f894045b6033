// The logit lens inside the graph: the residual stream of every layer, at the positions asked
// for, goes through a copy of the model's own head (final norm, unembedding and whatever the
// export does after it), then Softmax and TopK. The head's weights are shared, not copied, and
// only [layer, position, k] leaves the runtime — never [layer, position, vocabulary]. The rows
// to run are fed, not fixed, and a chunk fed none is skipped (an If), so an analysis without the
// lens does not run the head at all.
import type { GraphIndex } from '../onnx/graph';
import { makeNode, type Emitter } from '../onnx/emit';
import { copyAttribute, DataType, type NodeProto, type ValueInfo } from '../onnx/model';
import type { Exposer } from './exposer';
import type { LensPlan } from './plan';
import { SKIP_NORMS, type ResidualStep } from './residual';

/** Graph inputs of the lens' rows, one per chunk: LENS_ROWS_INPUT_0, _1, ... */
export const LENS_ROWS_INPUT = 'modellens_lens_rows';
/**
 * Where memory is what limits (a WebAssembly or WebGPU heap), the rows run in this many chunks,
 * one after the other, each with its own copy of the head: the runtime then holds one chunk's
 * [rows, vocabulary] logits and probabilities at a time, not all of them. Each copy reads the
 * whole unembedding however few its rows, which is why native runs the lens in one chunk.
 */
export const LENS_CHUNKS = 4;

export interface LensResult {
  plan?: LensPlan;
  inputs?: ValueInfo[];
  note?: string;
}

/** The model's head: the nodes from the last write to the residual stream to the logits. */
interface Head {
  start: string;
  nodes: NodeProto[];
}

/** The head that leads from `last` to `logits`, or why it cannot be replayed on other rows. */
function findHead(index: GraphIndex, last: ResidualStep, logits: string): Head | { note: string } {
  const start = last.kind === 'skipNorm' ? last.node.output[0] : last.out!;
  const nodes = index.nodesBetween(start, logits);
  if (nodes.some((node) => SKIP_NORMS.has(node.opType) && node.domain === 'com.microsoft')) {
    return { note: 'the logit lens is unavailable: the model head contains another residual add' };
  }
  if (start !== logits && !nodes.some((node) => node.output.includes(logits))) {
    return { note: 'the logit lens is unavailable: the logits could not be traced back to the residual stream' };
  }
  return { start, nodes };
}

/** A copy of the head on `rows` ([1, rows, d_model]), sharing its weights: its logits. */
function copyHead(em: Emitter, head: Head, rows: string, last: ResidualStep, logits: string): string {
  const renamed = new Map<string, string>();
  if (last.kind === 'skipNorm') {
    // The final norm is fused with the last residual add: normalize the stream itself,
    // with a zero skip and no bias (the stream already includes both).
    const zeros = em.op1('Sub', [rows, rows]);
    const [, , gamma, beta] = last.node.input;
    const normalized = em.fresh('lens_norm');
    const inputs = last.node.opType === 'SkipLayerNormalization' ? [rows, zeros, gamma, beta ?? ''] : [rows, zeros, gamma];
    em.nodes.push(makeNode(last.node.opType, inputs, [normalized], {}, last.node.domain));
    em.nodes[em.nodes.length - 1].attribute = last.node.attribute.map(copyAttribute);
    renamed.set(head.start, normalized);
  } else {
    renamed.set(head.start, rows);
  }
  for (const node of head.nodes) {
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
  return renamed.get(logits)!;
}

/**
 * Builds the lens over `stream` (the residual tensors R_0..R_L, each [1, pos, d_model]) given the
 * last write to the stream and the logits it leads to.
 */
export function buildLens(index: GraphIndex, exposer: Exposer, stream: string[], last: ResidualStep, logits: string, k: number, chunks: number): LensResult {
  const head = findHead(index, last, logits);
  if ('note' in head) return { note: head.note };
  const em = exposer.em;
  const type = index.elemType(logits) ?? DataType.FLOAT;
  const stacked = em.op1('Concat', stream, { axis: 0 }); // [layer + 1, pos, d_model]
  const flat = em.reshape(stacked, em.shapeOf([-1, em.dim(stacked, 2)])); // [(layer + 1) · pos, d_model]
  const inputs: ValueInfo[] = [];
  const values: string[] = [];
  const indices: string[] = [];
  const zero = em.constant(DataType.INT64, [], [0]);
  const noRows = em.ints([0, k]); // a Reshape's 0 keeps the input's (empty) first axis
  for (let chunk = 0; chunk < chunks; chunk++) {
    const rowsInput = `${LENS_ROWS_INPUT}_${chunk}`;
    inputs.push({ name: rowsInput, elemType: DataType.INT64, shape: [`lens_rows_${chunk}`] });
    const run = em.graph(() => {
      // Shaped like the model's own call, batch 1, for heads that reshape with the batch in mind.
      const rows = em.unsqueeze(em.op1('Gather', [flat, rowsInput], { axis: 0 }), [0]); // [1, rows, d_model]
      const lensLogits = copyHead(em, head, rows, last, logits);
      // Whatever the head did with batch and position axes, its rows are the fed rows in order.
      const shaped = em.reshape(lensLogits, em.shapeOf([-1, em.dim(lensLogits, -1)])); // [rows, vocab]
      const probs = em.op1('Softmax', [shaped], { axis: -1 });
      const [v, i] = em.opset >= 10 ? em.op('TopK', [probs, em.ints([k])], { axis: -1, largest: 1, sorted: 1 }, 2) : em.op('TopK', [probs], { axis: -1, k }, 2);
      return [
        { name: v, elemType: type },
        { name: i, elemType: DataType.INT64 },
      ];
    });
    // Fed no rows, the chunk is skipped, not run on zero rows (ONNX Runtime's TopK divides by them).
    // Its [0, k] outputs are made from the empty input, so no fixed shape meets the other branch's.
    const skip = em.graph(() => [
      { name: em.reshape(em.cast(rowsInput, type), noRows), elemType: type },
      { name: em.reshape(rowsInput, noRows), elemType: DataType.INT64 },
    ]);
    const hasRows = em.op1('Greater', [em.op1('Size', [rowsInput]), zero]);
    const [v, i] = em.op('If', [hasRows], { then_branch: run, else_branch: skip }, 2); // [rows, k]
    values.push(v);
    indices.push(i);
  }
  const ids = em.cast(em.op1('Concat', indices, { axis: 0 }), DataType.INT32); // [rows of every chunk, k]
  exposer.outputs.push({ name: ids, elemType: DataType.INT32 });
  const probs = exposer.expose(em.op1('Concat', values, { axis: 0 }), undefined, undefined, type).output;
  return {
    plan: { rowsInputs: inputs.map((i) => i.name), streams: stream.length, probs, ids, k },
    inputs,
  };
}
