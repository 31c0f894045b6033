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
  /**
   * The DynamicQuantizeLinear nodes of the head (onnxruntime's quantize_dynamic in front of a
   * MatMulInteger unembedding), each with the head's nodes that compute its input. The operator
   * takes its scale and zero point from the whole tensor it is given; the model gives it one
   * layer's every position, so the lens gives each row those of its layer's rows, all of them,
   * whichever rows were asked for. The last layer's lens is then the model's own logits.
   */
  quantizers: { node: NodeProto; prefix: NodeProto[] }[];
}

/** An onnx-domain node of that type. */
function isOnnx(node: NodeProto, opType: string): boolean {
  return node.opType === opType && (node.domain === '' || node.domain === 'ai.onnx');
}

/** The head that leads from `last` to `logits`, or why it cannot be replayed on other rows. */
function findHead(index: GraphIndex, last: ResidualStep, logits: string): Head | { note: string } {
  const start = last.normalized ?? (last.kind === 'skipNorm' ? last.node.output[0] : last.out!);
  const nodes = index.nodesBetween(start, logits);
  if (nodes.some((node) => SKIP_NORMS.has(node.opType) && node.domain === 'com.microsoft')) {
    return { note: 'the logit lens is unavailable: the model head contains another residual add' };
  }
  if (start !== logits && !nodes.some((node) => node.output.includes(logits))) {
    return { note: 'the logit lens is unavailable: the logits could not be traced back to the residual stream' };
  }
  const quantizers: Head['quantizers'] = [];
  for (const node of nodes.filter((n) => isOnnx(n, 'DynamicQuantizeLinear'))) {
    const prefix = nodes.filter((n) => n !== node && n.output.some((o) => o && index.dependsOn(node.input[0], o)));
    if (prefix.some((n) => isOnnx(n, 'DynamicQuantizeLinear'))) {
      return { note: 'the logit lens is unavailable: the model head quantizes a tensor computed from another dynamically quantized one' };
    }
    // The rounded tensor and its zero point may only go to MatMulInteger, whose per-row zero point the lens works out itself.
    const [q, , zero] = node.output;
    const readers = [q, zero].filter(Boolean).flatMap((t) => index.consumers(t).map((c) => ({ ...c, tensor: t })));
    const odd = readers.find(({ node: reader, slot, tensor }) => !isOnnx(reader, 'MatMulInteger') || slot !== (tensor === q ? 0 : 2));
    if (odd) return { note: `the logit lens is unavailable: the model head's DynamicQuantizeLinear output goes to ${odd.node.opType}, not to a MatMulInteger` };
    quantizers.push({ node, prefix });
  }
  return { start, nodes, quantizers };
}

/** Where a head copy's rows come from: every row of every layer, and the layer of each copied row. */
interface LensRows {
  /** Every layer's stream, [1, (layer + 1) · pos, d_model]. */
  all: string;
  /** The layer of each copied row: [rows] int64. */
  layerOf: string;
  layers: number;
}

/**
 * DynamicQuantizeLinear's scale and zero point for each layer's part of `x` ([1, (layer + 1) · pos, c]),
 * as ONNX Runtime computes them over a whole tensor: the range widened to hold 0,
 * scale = (max − min) / 255 (1 when the range is empty), zero point = round(clip(−min / scale, 0, 255)).
 * Both [layer + 1].
 */
function layerQuantization(em: Emitter, x: string, layers: number): { scale: string; zero: string } {
  const flat = em.reshape(x, em.ints([layers, -1]));
  const max = em.op1('Max', [em.reduce('ReduceMax', flat, [1], 0), em.scalar(0)]);
  const min = em.op1('Min', [em.op1('Neg', [em.reduce('ReduceMax', em.op1('Neg', [flat]), [1], 0)]), em.scalar(0)]);
  const range = em.op1('Sub', [max, min]);
  const scale = em.op1('Where', [em.op1('Equal', [range, em.scalar(0)]), em.scalar(1), em.op1('Div', [range, em.scalar(255)])]);
  const initial = em.op1('Sub', [em.scalar(0), em.op1('Div', [min, scale])]);
  const zero = em.op1('Round', [em.op1('Max', [em.scalar(0), em.op1('Min', [em.scalar(255), initial])])]);
  return { scale, zero };
}

/** A copy of the head on `rows` ([1, rows, d_model]), sharing its weights: its logits. */
function copyHead(em: Emitter, head: Head, rows: string, last: ResidualStep, logits: string, lensRows: LensRows): string {
  const renamed = start(em, head, rows, last);
  /** Each quantizer's copy: its rows' float zero point [1, rows, 1], and its uint8 output fed to MatMulInteger without a zero point. */
  const quantized = new Map<NodeProto, { zero: string }>();
  for (const node of head.nodes) {
    const quantizer = head.quantizers.find((q) => q.node === node);
    if (quantizer) {
      // The same head's nodes on every row of every layer give each layer's range.
      const everything = start(em, head, lensRows.all, last);
      for (const n of quantizer.prefix) copyNode(em, n, everything);
      const perLayer = layerQuantization(em, everything.get(node.input[0]) ?? node.input[0], lensRows.layers);
      const pick = (t: string) => em.unsqueeze(em.op1('Gather', [t, lensRows.layerOf], { axis: 0 }), [0, 2]); // [1, rows, 1]
      const [scale, zero] = [pick(perLayer.scale), pick(perLayer.zero)];
      const x = renamed.get(node.input[0]) ?? node.input[0];
      const rounded = em.op1('Add', [em.op1('Round', [em.op1('Div', [x, scale])]), zero]);
      const q = em.cast(em.op1('Max', [em.scalar(0), em.op1('Min', [em.scalar(255), rounded])]), DataType.UINT8);
      const [qName, scaleName] = node.output;
      if (qName) renamed.set(qName, q);
      if (scaleName) renamed.set(scaleName, scale);
      quantized.set(node, { zero });
      continue;
    }
    const from = isOnnx(node, 'MatMulInteger') ? head.quantizers.find((q) => q.node.output[0] === node.input[0]) : undefined;
    if (from) {
      // Σ_k (x_q − zp_row)·(w − w_zp) = MatMulInteger(x_q, w, 0, w_zp) − zp_row · Σ_k (w − w_zp): exact in int32 as the operator is.
      const [x, w, , wZero = ''] = node.input;
      const product = em.op1('MatMulInteger', [renamed.get(x)!, w, '', wZero]);
      const k = em.op1('Shape', [w]);
      const ones = em.op1('Expand', [
        em.constant(DataType.UINT8, [1, 1], [1]),
        em.op1('Concat', [em.ints([1]), em.op1('Slice', [k, em.ints([-2]), em.ints([-1]), em.ints([0])])], { axis: 0 }),
      ]);
      const columnSums = em.op1('MatMulInteger', [ones, w, '', wZero]); // [1, n]
      const correction = em.op1('Mul', [em.cast(quantized.get(from.node)!.zero, DataType.INT32), columnSums]);
      const out = em.op1('Sub', [product, correction]);
      renamed.set(node.output[0], out);
      continue;
    }
    copyNode(em, node, renamed);
  }
  return renamed.get(logits)!;
}

/** The renaming a head copy starts from: the head's first tensor is `rows` (normalized first, for a fused final norm). */
function start(em: Emitter, head: Head, rows: string, last: ResidualStep): Map<string, string> {
  const renamed = new Map<string, string>();
  if (last.kind === 'skipNorm' && !last.normalized) {
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
  return renamed;
}

/** A copy of `node` reading the renamed tensors; its outputs get fresh names, recorded in `renamed`. */
function copyNode(em: Emitter, node: NodeProto, renamed: Map<string, string>): void {
  const inputs = node.input.map((i) => renamed.get(i) ?? i);
  const outputs = node.output.map((o) => {
    if (!o) return '';
    const fresh = em.fresh('lens');
    renamed.set(o, fresh);
    return fresh;
  });
  const copy = makeNode(node.opType, inputs, outputs, {}, node.domain);
  copy.attribute = node.attribute.map(copyAttribute);
  em.nodes.push(copy);
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
      const lensRows = head.quantizers.length
        ? { all: em.unsqueeze(flat, [0]), layerOf: em.op1('Div', [rowsInput, em.dim(stacked, 1)]), layers: stream.length }
        : { all: '', layerOf: '', layers: stream.length };
      const lensLogits = copyHead(em, head, rows, last, logits, lensRows);
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
